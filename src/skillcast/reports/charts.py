"""Charts for reports and the web page: matplotlib drawn straight to inline SVG text.

Every function takes plain frames (the columns are in each docstring; ``report.AreaReport``
holds them, and so can a service holding a forecast bundle) and returns one ``<svg>``
element as a string: self-contained (no fonts, images or links fetched), vector so it
prints sharply, text kept as text (small, selectable, searchable). Each chart has a title,
axis labels with units, a legend and a source line; forecasts are dashed after a vertical
line at the last observed year, with shaded 80% and 95% ranges; synthetic data carry a
SYNTHETIC watermark.

matplotlib is used through its object API (``Figure``), never pyplot; the one global
setting (SVG text as text) is applied under a lock while saving, so a service's threads can
draw charts at the same time.
"""

from __future__ import annotations

import io
import re
import threading

import numpy as np
import pandas as pd

from skillcast.data.qualifications import BANDS
from skillcast.reports.content import BAND_LABELS

DEMAND_COLOUR = "#1f5fa6"
SUPPLY_COLOUR = "#d9730d"
REFERENCE_COLOUR = "#444444"
BAND_COLOURS = {"low": "#7b3294", "intermediate": "#008837", "high": "#1f5fa6"}
GREY = "#666666"
WIDTH_IN = 8.0
_SAVING = threading.Lock()  # savefig under rc_context changes process-wide settings: one at a time


def unit_for(values) -> tuple[float, str]:
    """Divisor and unit label for counts of this size: people, thousands or millions of people."""
    finite = np.abs(np.asarray(pd.to_numeric(pd.Series(values), errors="coerce").dropna(), dtype=float))
    biggest = float(finite.max()) if finite.size else 0.0
    if biggest >= 2e6:
        return 1e6, "millions"
    if biggest >= 2e4:
        return 1e3, "thousands"
    return 1.0, ""


def _unit_text(unit: str, noun: str) -> str:
    return f"{unit} of {noun}" if unit else noun


def _figure(height: float):
    import matplotlib

    matplotlib.use("Agg")  # no display needed; the SVG is written by the figure itself
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height), dpi=100)


def _style(axes, ylabel: str, xlabel: str = "year") -> None:
    axes.set_xlabel(xlabel, fontsize=9, color=GREY)
    axes.set_ylabel(ylabel, fontsize=9, color=GREY)
    axes.tick_params(labelsize=8.5, colors="#333333")
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.xaxis.get_major_locator().set_params(integer=True)


def _frame(fig, title: str, subtitle: str, source: str, synthetic: bool) -> None:
    """Title and subtitle at the top, the source line at the bottom, the SYNTHETIC marks (positions in inches)."""
    height = fig.get_figheight()
    fig.text(0.012, 1 - 0.12 / height, title, fontsize=11.5, fontweight="bold", va="top", ha="left", color="#111111")
    if subtitle:
        fig.text(0.012, 1 - 0.40 / height, subtitle, fontsize=8.5, va="top", ha="left", color="#333333")
    fig.text(0.012, 0.07 / height, source, fontsize=8, va="bottom", ha="left", color=GREY)
    if synthetic:
        fig.text(0.988, 1 - 0.12 / height, "SYNTHETIC DEMO DATA", fontsize=8.5, fontweight="bold", color="#b00020", va="top", ha="right")
        fig.text(
            0.5,
            0.5,
            "SYNTHETIC",
            fontsize=60,
            color="#b00020",
            alpha=0.08,
            rotation=15,
            ha="center",
            va="center",
            fontweight="bold",
            zorder=0,
        )


def _rect(fig, left: float, right: float, top_in: float, bottom_in: float) -> tuple[float, float, float, float]:
    """Axes position from margins: left/right as fractions of the width, top/bottom in inches."""
    height = fig.get_figheight()
    return (left, bottom_in / height, 1 - left - right, 1 - (top_in + bottom_in) / height)


def _row_major(rows: list[list]) -> tuple[list, int]:
    """Legend entries laid out row by row (matplotlib fills legends column by column)."""
    columns = max(len(row) for row in rows)
    from matplotlib.patches import Patch

    blank = Patch(color="none", label=" ")
    padded = [row + [blank] * (columns - len(row)) for row in rows]
    return [padded[r][c] for c in range(columns) for r in range(len(padded))], columns


def to_svg(fig, name: str, label: str) -> str:
    """The figure as one ``<svg>`` element (no XML prolog, no metadata), ids unique per ``name``."""
    import matplotlib

    with _SAVING, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"skillcast-{name}"}):  # rcParams are global
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # Responsive: keep the viewBox, let CSS set the width.
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)
    safe = label.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return text.replace("<svg", f'<svg class="chart" role="img" aria-label="{safe}" data-chart="{name}"', 1)


def _split(frame: pd.DataFrame, observed_labels=("observed",)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observed rows and forecast rows, the forecast starting at the last observed point so the lines join."""
    frame = frame.sort_values("year")
    observed = frame.loc[frame["basis"].isin(observed_labels)]
    ahead = frame.loc[~frame["basis"].isin(observed_labels)]
    if len(observed) and len(ahead):
        ahead = pd.concat([observed.tail(1), ahead])
    return observed, ahead


def _ranges(axes, rows: pd.DataFrame, prefix: str, scale: float, colour: str, label: str | None) -> list:
    """Shaded 95% (lighter) and 80% (darker) ranges where the bounds are known."""
    handles = []
    for level, alpha in ((95, 0.13), (80, 0.28)):
        low, high = f"{prefix}lo_{level}", f"{prefix}hi_{level}"
        if low not in rows or high not in rows:
            continue
        known = rows.dropna(subset=[low, high])
        known = known.loc[(known[high] - known[low]).abs() > 0]
        if len(known) < 2:
            continue
        handle = axes.fill_between(
            known["year"],
            known[low] / scale,
            known[high] / scale,
            color=colour,
            alpha=alpha,
            linewidth=0,
            label=f"{label}: {level}% range" if label else f"{level}% range",
            zorder=1.5,
        )
        handles.append(handle)
    return handles


def band_chart(
    demand: pd.DataFrame,
    supply: pd.DataFrame,
    band: str,
    *,
    area_name: str,
    band_label: str,
    source: str,
    synthetic: bool = False,
    supply_label: str = "people aged 16-64",
    last_observed: int | None = None,
) -> str:
    """Demand (jobs) and supply (people) of one qualification band, observed and forecast.

    ``demand``: ``band, year, demand, basis`` (observed / forecast), optional
    ``demand_lo_80, demand_hi_80, demand_lo_95, demand_hi_95`` and ``reference_demand``
    (a publisher's projection, drawn dotted). ``supply``: ``band, year, supply, basis``
    (observed / projected), optional ``supply_lo_80`` ... bounds.
    """
    own_demand = demand.loc[demand["band"] == band]
    own_supply = supply.loc[supply["band"] == band]
    values = [
        own_demand[[c for c in own_demand.columns if c.startswith("demand") or c == "reference_demand"]].stack(),
        own_supply[[c for c in own_supply.columns if c.startswith("supply")]].stack(),
    ]
    scale, unit = unit_for(pd.concat(values))
    fig = _figure(4.7)
    axes = fig.add_axes(_rect(fig, 0.085, 0.02, 0.80, 1.45))
    legend_rows: list[list] = []
    for frame, column, colour, noun, ahead_word in (
        (own_demand, "demand", DEMAND_COLOUR, "jobs (demand)", "forecast"),
        (own_supply, "supply", SUPPLY_COLOUR, "people (supply)", "projected"),
    ):
        ranges = _ranges(axes, frame, f"{column}_", scale, colour, None)
        observed, ahead = _split(frame)
        (solid,) = axes.plot(observed["year"], observed[column] / scale, color=colour, linewidth=2.2, label=f"{noun}, observed")
        (dashed,) = axes.plot(
            ahead["year"], ahead[column] / scale, color=colour, linewidth=2.2, linestyle=(0, (5, 2.5)), label=f"{noun}, {ahead_word}"
        )
        legend_rows.append([solid, dashed, *ranges[::-1]])
    if "reference_demand" in own_demand and own_demand["reference_demand"].notna().any():
        reference = own_demand.dropna(subset=["reference_demand"]).sort_values("year")
        (line,) = axes.plot(
            reference["year"],
            reference["reference_demand"] / scale,
            color=REFERENCE_COLOUR,
            linewidth=1.5,
            linestyle=":",
            label="jobs, SI2035 projection",
        )
        from matplotlib.patches import Patch

        legend_rows.append([Patch(color="none", label=" "), line])  # under the forecasts: it is a projection too
    _last_observed(axes, last_observed)
    _style(axes, _unit_text(unit, "people or jobs"))
    axes.set_ylim(bottom=0, top=axes.get_ylim()[1] * 1.04)
    handles, columns = _row_major(legend_rows)
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.075, 0.92 / fig.get_figheight()),
        bbox_transform=fig.transFigure,
        ncol=columns,
        fontsize=8.2,
        frameon=False,
        borderaxespad=0,
        columnspacing=1.4,
        handlelength=2.6,
    )
    _frame(
        fig,
        f"{band_label}: jobs and people",
        f"{area_name}: jobs held at this level (demand) and {supply_label} holding it (supply); {_unit_text(unit, 'people or jobs')}.",
        source,
        synthetic,
    )
    return to_svg(fig, f"band-{band}", f"{band_label}: demand and supply, {area_name}")


def _last_observed(axes, year: int | None) -> None:
    if year is None:
        return
    axes.axvline(year + 0.5, color="#999999", linewidth=0.9, linestyle="-", zorder=1)
    axes.text(year + 0.7, 1.01, "forecast \u2192", transform=axes.get_xaxis_transform(), fontsize=8.2, color=GREY, va="bottom", ha="left")
    axes.text(year + 0.3, 1.01, "\u2190 observed", transform=axes.get_xaxis_transform(), fontsize=8.2, color=GREY, va="bottom", ha="right")


def gap_chart(
    gaps: pd.DataFrame,
    *,
    area_name: str,
    source: str,
    synthetic: bool = False,
    bands: tuple[str, ...] = BANDS,
    band_labels: dict[str, str] | None = None,
    last_observed: int | None = None,
) -> str:
    """The gap (demand - supply) of each band by year, one panel per band on a shared scale.

    ``gaps``: ``band, year, gap, basis``, optional ``gap_lo_80, gap_hi_80, gap_lo_95, gap_hi_95``.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    band_labels = band_labels or {}
    rows = gaps.loc[gaps["band"].isin(bands)]
    bands = tuple(band for band in bands if band in set(rows["band"]))
    columns = [c for c in ("gap", "gap_lo_80", "gap_hi_80", "gap_lo_95", "gap_hi_95") if c in rows]
    scale, unit = unit_for(rows[columns].stack())
    fig = _figure(4.1)
    left, gutter = 0.095, 0.025
    width = (1 - left - 0.015 - gutter * (len(bands) - 1)) / max(len(bands), 1)
    values = rows[columns].to_numpy(dtype=float) / scale
    low, high = min(float(np.nanmin(values)), 0.0), max(float(np.nanmax(values)), 0.0)
    pad = 0.06 * ((high - low) or 1.0)
    shared = None
    for index, band in enumerate(bands):
        rect = _rect(fig, left + index * (width + gutter), 0, 1.05, 1.05)
        axes = fig.add_axes((rect[0], rect[1], width, rect[3]), sharey=shared)
        shared = shared or axes
        own = rows.loc[rows["band"] == band].sort_values("year")
        colour = BAND_COLOURS.get(band, DEMAND_COLOUR)
        _ranges(axes, own, "gap_", scale, colour, None)
        observed, ahead = _split(own)
        axes.plot(observed["year"], observed["gap"] / scale, color=colour, linewidth=2.2)
        axes.plot(ahead["year"], ahead["gap"] / scale, color=colour, linewidth=2.2, linestyle=(0, (5, 2.5)))
        axes.axhline(0, color="#222222", linewidth=0.9, zorder=2)
        axes.set_title(band_labels.get(band, band), fontsize=9, loc="left", pad=4)
        _style(axes, (_unit_text(unit, "people") + "\n(+ shortage, \u2212 surplus)") if index == 0 else "")
        axes.set_ylim(low - pad, high + pad)
        if index:
            axes.tick_params(labelleft=False)
        if last_observed is not None:
            axes.axvline(last_observed + 0.5, color="#999999", linewidth=0.9, zorder=1)
    legend = [
        Line2D([], [], color="#333333", linewidth=2.2, label="observed"),
        Line2D([], [], color="#333333", linewidth=2.2, linestyle=(0, (5, 2.5)), label="forecast"),
        Patch(color="#333333", alpha=0.28, linewidth=0, label="80% range"),
        Patch(color="#333333", alpha=0.13, linewidth=0, label="95% range"),
    ]
    if last_observed is not None:
        legend.append(Line2D([], [], color="#999999", linewidth=0.9, label=f"last observed year ({last_observed})"))
    fig.legend(
        handles=legend,
        loc="upper left",
        bbox_to_anchor=(left - 0.01, 0.50 / fig.get_figheight()),
        ncol=len(legend),
        fontsize=8.2,
        frameon=False,
        borderaxespad=0,
        handlelength=2.6,
    )
    _frame(
        fig,
        "Skills gap by qualification band",
        f"{area_name}: gap = demand (jobs) \u2212 supply (people); above zero a shortage, "
        f"below zero a surplus; {_unit_text(unit, 'people')}.",
        source,
        synthetic,
    )
    return to_svg(fig, "gap", f"Skills gap by qualification band, {area_name}")


def priority_chart(
    priorities: pd.DataFrame, *, area_name: str, source: str, top: int = 10, window: tuple[int, int] | None = None, synthetic: bool = False
) -> str:
    """The top occupations' scores: jobs to fill at RQF 2-5 (growth + replacement) and the shortage uplift.

    ``priorities``: ``rank, occupation, title, growth, replacement, shortage, score``; rows
    with no score are left out of the chart (the table shows them).
    """
    import textwrap

    fillable = priorities["openings"] > 0 if "openings" in priorities else priorities["score"] > 0
    rows = priorities.loc[fillable].sort_values("rank").head(top).iloc[::-1]
    need = rows["openings"] if "openings" in rows else (rows["growth"] + rows["replacement"]).clip(lower=0)
    scale, unit = unit_for(need + rows["shortage"])
    fig = _figure(0.75 + 0.36 * max(len(rows), 1) + 0.95)
    axes = fig.add_axes(_rect(fig, 0.34, 0.03, 0.75, 0.95))
    labels = [
        "\n".join(textwrap.wrap(f"{title} ({code})", 36, max_lines=2, placeholder="..."))
        for code, title in zip(rows["occupation"], rows["title"], strict=True)
    ]
    positions = np.arange(len(rows))
    axes.barh(positions, need / scale, color="#4a7fb5", height=0.7, label="jobs to fill: replacement + growth")
    axes.barh(positions, rows["shortage"] / scale, left=need / scale, color="#e3a33b", height=0.7, label="shortage uplift")
    axes.set_yticks(positions, labels)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    _style(axes, "", xlabel=_unit_text(unit, "jobs") + " at RQF levels 2-5" + (f", {window[0]}-{window[1]}" if window else ""))
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.grid(axis="y", visible=False)
    axes.tick_params(axis="y", labelsize=7.8, length=0)
    handles, names = axes.get_legend_handles_labels()
    fig.legend(
        handles,
        names,
        loc="upper left",
        bbox_to_anchor=(0.34, 0.42 / fig.get_figheight()),
        ncol=2,
        fontsize=8.2,
        frameon=False,
        borderaxespad=0,
    )
    _frame(
        fig,
        "Apprenticeship priorities: top occupations",
        f"{area_name}. Jobs at apprenticeship levels to fill, in priority order; uplift where the occupation is rated short; {_unit_text(unit, 'jobs')}.",
        source,
        synthetic,
    )
    return to_svg(fig, "priorities", f"Apprenticeship priorities, {area_name}")


def report_charts(report) -> dict[str, str]:
    """Every chart of an ``report.AreaReport``: ``band-<band>`` per band, ``gap``, ``priorities`` (if any)."""
    demand_source = (
        "Source: SYNTHETIC demo data (skillcast.data.demo); skillcast forecasts."
        if report.synthetic
        else "Sources: NFER/Warwick IER Skills Imperative 2035 (jobs); ONS Annual Population Survey via DfE (people); skillcast forecasts."
    )
    charts = {}
    for band in report.bands:
        charts[f"band-{band}"] = band_chart(
            report.demand,
            report.supply,
            band,
            area_name=report.name,
            band_label=BAND_LABELS[band],
            source=demand_source,
            synthetic=report.synthetic,
            supply_label=report.supply_label,
            last_observed=report.last_observed,
        )
    charts["gap"] = gap_chart(
        report.gaps,
        area_name=report.name,
        source=demand_source,
        synthetic=report.synthetic,
        bands=tuple(report.bands),
        band_labels=BAND_LABELS,
        last_observed=report.last_observed,
    )
    if len(report.priorities):
        priority_source = (
            "Source: SYNTHETIC demo data; skillcast priorities."
            if report.synthetic
            else "Sources: Skills Imperative 2035 (jobs, replacement); Employer Skills Survey 2017; ONS/Textkernel adverts; skillcast."
        )
        charts["priorities"] = priority_chart(
            report.priorities, area_name=report.name, source=priority_source, window=report.priority_window, synthetic=report.synthetic
        )
    return charts
