"""The area report as one self-contained HTML file, and as PDF through headless Chromium.

``render(report)`` fills ``templates/report.html.j2`` (Jinja2, autoescaped) with an
``report.AreaReport`` and its charts (``charts.report_charts``, inline SVG): no external
URL anywhere, print CSS for A4, tables carrying their exact values in ``data-value``
attributes (the text shows them rounded), so tests and scripts can check them.

``print_pdf`` and ``screenshot`` drive Debian's Chromium (``/usr/bin/chromium``) through
Playwright with every network request refused: the PDF is the HTML as printed. Both raise
``FileNotFoundError`` naming what is missing when there is no browser.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast import __version__
from skillcast.data.atomic import atomic_file
from skillcast.reports.accuracy import BASELINE_MODEL
from skillcast.reports.budget import budget_section
from skillcast.reports.charts import report_charts
from skillcast.reports.content import BAND_LABELS, caveats, gap_rows, headline, key_years, people, thousands
from skillcast.reports.reserve import report_section

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOP_PRIORITIES = 10


def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("skillcast.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["thousands"] = thousands
    environment.filters["exact"] = _exact
    environment.filters["pct"] = lambda value: "" if value is None or pd.isna(value) else f"{float(value):.0%}"
    environment.filters["points"] = lambda value: "" if value is None or pd.isna(value) else f"{float(value):.1f}%"  # already in %
    environment.filters["count"] = _count
    environment.filters["share"] = lambda value: "-" if value is None or pd.isna(value) else f"{float(value):.1%}"
    environment.filters["pounds"] = lambda value: "-" if value is None or pd.isna(value) else f"\u00a3{float(value):,.0f}"
    environment.filters["starts"] = _starts
    environment.filters["signed1"] = lambda value: "-" if value is None or pd.isna(value) else f"{float(value):+.1f}"
    environment.globals["people"] = people
    return environment


def _exact(value) -> str:
    """A number exactly as Python would read it back (``repr``), blank for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return ""
    return repr(float(value))


def _starts(value) -> str:
    """Starts: whole numbers, one decimal below ten (a fraction of a start is money left for the next); '-' for missing."""
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):,.0f}" if abs(float(value)) >= 10 else f"{float(value):.1f}"


def _count(value, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return ""
    rounded = round(float(value), -1)
    text = f"{abs(rounded):,.0f}"
    sign = "\u2212" if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return sign + text


def _accuracy_rows(accuracy: pd.DataFrame) -> list[dict]:
    """Accuracy rows with the MASE relative to naive in words."""
    rows = []
    for _, group in accuracy.groupby("scope", sort=False):
        naive = group.loc[group["model"] == BASELINE_MODEL, "mase"]
        for row in group.to_dict("records"):
            relative = ""
            if row["model"] != BASELINE_MODEL and len(naive) and naive.iloc[0] > 0 and pd.notna(row["mase"]):
                change = row["mase"] / naive.iloc[0] - 1
                relative = f"{abs(change):.0%} {'smaller' if change < 0 else 'larger'} errors"
            elif row["model"] == BASELINE_MODEL:
                relative = "benchmark"
            rows.append({**row, "relative": relative})
    return rows


def accuracy_sentence(accuracy: pd.DataFrame) -> str:
    """The headline about accuracy: the production model against naive, all the area's series."""
    if accuracy.empty:
        return ""
    scope = accuracy["scope"].iloc[0]
    group = accuracy.loc[accuracy["scope"] == scope]
    naive = group.loc[group["model"] == BASELINE_MODEL]
    model = group.loc[group["model"] != BASELINE_MODEL]
    if naive.empty or model.empty:
        return ""
    ours, base = model.iloc[0], naive.iloc[0]
    better = "smaller" if ours["mase"] < base["mase"] else "larger"
    sentence = (
        f"On past years, the model's forecast errors here were {abs(ours['mase'] / base['mase'] - 1):.0%} {better} than a naive "
        f"'no change' forecast (MASE {ours['mase']:.2f} against {base['mase']:.2f}); its 80% ranges held the outcome "
        f"{ours['coverage_80']:.0%} of the time and its 95% ranges {ours['coverage_95']:.0%} ({int(ours['windows'])} forecast windows)."
    )
    if pd.notna(ours.get("direction_right")) and pd.notna(ours.get("faster_right")):
        ahead = f"{int(ours['horizon'])} years ahead" if pd.notna(ours.get("horizon")) else "at the last horizon"
        sentence += (
            f" For this area's occupation groups, {ahead}, it said rightly whether jobs would grow or shrink for "
            f"{ours['direction_right']:.0%} of them, and whether they would grow faster than the area's jobs overall for "
            f"{ours['faster_right']:.0%} (the US Bureau of Labor Statistics reports 77-84% and 52-67% for its 10-year projections)."
        )
    return sentence


# The heat-map table: occupations x indicators. Each cell carries a class (high / typical / low) and a marker (up
# or down triangle) so it reads in black-and-white print, not by colour alone. Ratios are high at >= 1.2x and
# low at <= 0.8x (the shortage rating's own threshold); the location quotient likewise; the shortage score
# at >= +0.5 / <= -0.5; relevance at >= 0.75 / <= 0.25.
HEAT_COLUMNS: list[tuple[str, str, str]] = [
    ("per_1000", "jobs to fill per 1,000 jobs", "count"),
    ("need_lq", "vs England (LQ)", "ratio"),
    ("shortage_score", "shortage score", "score"),
    ("ssv_ratio", "skill-shortage vacancies (x all jobs, England)", "ratio"),
    ("advert_ratio", "adverts per job (x all jobs, England)", "ratio"),
    ("england_growth_pct", "jobs growth, % a year (England)", "growth"),
    ("area_vacancy_ratio", "area vacancies per job (x England)", "ratio"),
    ("relevance", "apprenticeship relevance", "relevance"),
]


def _heat_cell(value, kind: str) -> dict[str, str]:
    if value is None or pd.isna(value):
        return {"text": "-", "level": "none"}
    value = float(value)
    high, low = {"ratio": (1.2, 0.8), "score": (0.5, -0.5), "relevance": (0.75, 0.25), "growth": (1.0, -1.0)}.get(kind, (np.inf, -np.inf))
    level = "high" if value >= high else "low" if value <= low else "typical"
    text = (
        f"{value:.1f}"
        if kind == "count"
        else f"{value:+.1f}"
        if kind == "growth"
        else f"{value:+.2f}"
        if kind == "score"
        else f"{value:.2f}"
    )
    marker = {"high": "\u25b2 ", "low": "\u25bc ", "typical": ""}[level]
    return {"text": marker + text, "level": level}


def heat_rows(priorities: pd.DataFrame) -> list[dict]:
    """The heat-map table's rows: occupation, rating, and one classed cell per ``HEAT_COLUMNS`` entry."""
    rows = []
    for record in priorities.sort_values("rank").to_dict("records"):
        cells = [_heat_cell(record.get(column), kind) for column, _, kind in HEAT_COLUMNS]
        rows.append(
            {
                "rank": record.get("rank"),
                "occupation": record.get("occupation"),
                "title": record.get("title", ""),
                "rating": record.get("rating", ""),
                "cells": cells,
            }
        )
    return rows


def _effect_method() -> str:
    from skillcast.pipeline.what_if import EFFECT_METHOD  # the pipeline loads only for a report with a scenario

    return EFFECT_METHOD


def _scenario_rows(report) -> list[dict]:
    """The scenario's effects in the report's key years, the three bands."""
    effects = report.scenario_effects
    if effects is None or effects.empty:
        return []
    shown = effects.loc[effects["band"].isin(list(BAND_LABELS)[:3]) & effects["year"].isin(key_years(report))]
    return shown.sort_values(["year", "band"]).to_dict("records")


def render(report, charts: dict[str, str] | None = None, top: int = TOP_PRIORITIES) -> str:
    """The report as one HTML document (a string)."""
    charts = report_charts(report) if charts is None else charts
    ranked = report.priorities.sort_values("rank") if len(report.priorities) else pd.DataFrame(columns=["score", "openings"])
    fillable = ranked["openings"] > 0 if "openings" in ranked else ranked["score"] > 0
    priorities = ranked.loc[fillable].head(top).to_dict("records")
    unscored = int((~fillable).sum())
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            version=__version__,
            charts=charts,
            band_labels=BAND_LABELS,
            headline=headline(report),
            gap_key_rows=gap_rows(report, key_years(report)).to_dict("records"),
            gap_all_rows=gap_rows(report, bands=None).to_dict("records"),
            priorities=priorities,
            heat_rows=heat_rows(ranked.loc[fillable]) if len(ranked) else [],
            heat_columns=[label for _, label, _ in HEAT_COLUMNS],
            top_priority=priorities[0] if priorities else None,
            accuracy_rows=_accuracy_rows(report.accuracy),
            accuracy_sentence=accuracy_sentence(report.accuracy),
            sources=report.sources.fillna("").to_dict("records"),
            caveats=caveats(report),
            unscored=unscored,
            reserve=report_section(report.reserve, report.gaps, report.area, report.reserve_info),
            scenario_rows=_scenario_rows(report),
            compare_rows=report.comparison.to_dict("records") if len(report.comparison) else [],
            scenario_method=_effect_method() if report.scenario else "",
            budget=budget_section(report.budget, report.purchases, report.funding, report.priorities),
        )
    )


# -- the browser -----------------------------------------------------------------------------------


def chromium(executable: Path | None = None) -> Path:
    """The Chromium executable (``executable``, ``Config.chromium``, or /usr/bin/chromium); FileNotFoundError naming what is missing."""
    path = Path(executable or CHROMIUM)
    if not path.is_file():
        raise FileNotFoundError(
            f"PDF output needs Chromium at {path} (Debian: apt-get install chromium); "
            "write HTML instead (--format html) and print it from a browser"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise FileNotFoundError(
            "PDF output needs the Python package playwright (pip install playwright); write HTML instead (--format html)"
        ) from None
    return path


@contextmanager
def offline_page(width: int = 1100, height: int = 900, executable: Path | None = None) -> Iterator:
    """``(page, blocked)``: a Playwright page in headless Chromium that refuses every network
    request, and the list of URLs it tried to fetch (there should be none)."""
    from playwright.sync_api import sync_playwright

    executable = chromium(executable)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
            page = context.new_page()
            blocked: list[str] = []
            page.route("**/*", lambda route: (blocked.append(route.request.url), route.abort()))
            yield page, blocked
        finally:
            browser.close()


def print_pdf(html: str, path: Path, executable: Path | None = None) -> None:
    """Print ``html`` to an A4 PDF at ``path`` with headless Chromium, written atomically."""
    with offline_page(executable=executable) as (page, _):
        page.set_content(html, wait_until="load")
        page.emulate_media(media="print")
        with atomic_file(Path(path)) as temp:
            page.pdf(
                path=str(temp),
                format="A4",
                print_background=True,
                prefer_css_page_size=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template='<div style="font-size:7pt;width:100%;text-align:center;color:#666">'
                '<span class="pageNumber"></span> / <span class="totalPages"></span></div>',
            )


def screenshot(html: str, path: Path, width: int = 1100, executable: Path | None = None) -> list[str]:
    """A full-page PNG of ``html`` as a reader sees it on screen; returns the URLs it tried to fetch (none expected)."""
    with offline_page(width=width, executable=executable) as (page, blocked):
        page.set_content(html, wait_until="load")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return list(blocked)


def has_chromium(executable: Path | None = None) -> bool:
    try:
        chromium(executable)
    except FileNotFoundError:
        return False
    return True
