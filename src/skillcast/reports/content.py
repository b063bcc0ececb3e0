"""The area report's content, as plain frames: what the HTML report and the spreadsheet show.

Pure: frames in, frames out (no files, no plotting). Two ways in:

* ``from_analysis`` - from a finished ``gaps.analyse`` run (what ``skillcast report`` and
  ``skillcast export`` do on a store or the demo): demand 2010-2035 with the engine's
  80%/95% intervals and the publisher's reference projection, supply with the cohort
  model's intervals, the gaps, the priorities, and an accuracy backtest of this area;
* ``from_bundle`` - from a forecast bundle's frames (``forecasts``, ``gaps``,
  ``priorities``, ``metadata``), what the prediction service holds: no store needed.

Either gives an ``AreaReport``; ``charts.report_charts`` draws it, ``html.render``
writes it as HTML, and ``export_frames`` + ``export.build_workbook`` make the spreadsheet.

Sign convention, as everywhere in skillcast: gap = demand - supply; a positive gap is a
shortage of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from skillcast.data.basis import label_nowcast
from skillcast.data.qualifications import BANDS, LEVELS
from skillcast.data.schema import observations
from skillcast.skills.priorities import INDICATOR_COLUMNS

BAND_LABELS: dict[str, str] = {
    "low": "Low (below level 2)",
    "intermediate": "Intermediate (levels 2-3)",
    "high": "High (level 4 and above)",
    "none": "No qualifications",
    "level1": "Level 1",
    "level2": "Level 2",
    "level3": "Level 3",
    "level4plus": "Level 4 and above",
}
BOUNDS: tuple[str, ...] = ("lo_80", "hi_80", "lo_95", "hi_95")
SUPPLY_LABELS: dict[str, str] = {  # what supply counts on each basis (docs/gaps.md), as the report says it
    "people": "people aged 16-64",
    "active": "economically active people aged 16-64",
    "workplace": "workers the area's jobs draw on (economically active people aged 16-64 x the area's jobs per employed resident)",
}
BASIS_EXPLAINED: dict[str, str] = {
    "people": "Supply counts everyone aged 16-64 who lives in the area, in work or not, so in every band people outnumber jobs "
    "somewhat: compare one band's gap with the others' rather than reading it as an exact number of vacancies.",
    "active": "Supply counts economically active people aged 16-64 who live in the area (in work or looking). Jobs are counted "
    "where they are and people where they live, so an area many people commute into shows shortages everywhere.",
    "workplace": "Supply counts the workers the area's jobs draw on: its economically active people aged 16-64 scaled by its "
    "jobs per employed resident (the commuting balance), so the gaps show which qualifications are short, not who commutes. "
    "Across all bands the gap is then about minus the unemployed.",
}
DEMAND_COLUMNS: list[str] = ["area", "band", "year", "demand", *(f"demand_{b}" for b in BOUNDS), "basis", "reference_demand"]
SUPPLY_COLUMNS: list[str] = ["area", "band", "year", "supply", *(f"supply_{b}" for b in BOUNDS), "basis"]
ACCURACY_COLUMNS: list[str] = [
    "area",
    "scope",
    "model",
    "mase",
    "smape",
    "coverage_80",
    "coverage_95",
    "direction_right",  # SOC sub-major groups at the last horizon (backtest.score)
    "faster_right",
    "mape_last",
    "series",
    "cutoffs",
    "horizon",
    "windows",
]
SOURCE_COLUMNS: list[str] = ["source", "description", "used_for", "vintages", "years", "files", "ingested"]
FORECAST_SHEET_COLUMNS: list[str] = [
    "area",
    "name",
    "side",
    "band",
    "year",
    "value",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
    "basis",
    "reference_projection",
]
BASELINE_MODEL = "naive"
PRODUCTION_LABEL = "skillcast"  # backtest.PRODUCTION_NAME: the production model's rows

# What each store source is and what the report uses it for.
SOURCE_INFO: dict[str, tuple[str, str]] = {
    "si2035": (
        "NFER / Warwick IER, The Skills Imperative 2035 (Working Futures model): employment by occupation and "
        "qualification, 2010-2020 estimates and 2021-2035 projections",
        "demand (jobs by qualification, observed years); the published 2021-2035 projection as a reference line; "
        "occupations' replacement rates",
    ),
    "aps-qualifications": (
        "ONS Annual Population Survey via the DfE Local Skills Dashboard: people aged 16-64 by highest "
        "qualification and age band, districts",
        "supply (people 16-64 by qualification band), summed from districts",
    ),
    "local-skills-time-series": (
        "DfE local skills time series: APS economic activity, FE and skills starts and achievements",
        "context for scenarios (FE achievements); economic activity for --active",
    ),
    "ess": ("DfE Employer Skills Survey 2017 and 2019", "skill-shortage vacancies by occupation group (national signal in priorities)"),
    "job-adverts": (
        "ONS online job adverts (Adzuna; Textkernel by occupation)",
        "new online adverts per job by occupation (national signal in priorities)",
    ),
}


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class AreaReport:
    """Everything one area's report shows. Frames hold one area; counts are people or jobs (never thousands)."""

    area: str
    name: str
    demand: pd.DataFrame  # DEMAND_COLUMNS: jobs by band, observed and forecast, intervals, reference projection
    supply: pd.DataFrame  # SUPPLY_COLUMNS: people by band, observed and projected, intervals where known
    gaps: pd.DataFrame  # gaps.GAP_COLUMNS (+ name, extras)
    priorities: pd.DataFrame = field(default_factory=pd.DataFrame)  # priorities.PRIORITY_COLUMNS, ranked
    accuracy: pd.DataFrame = field(default_factory=lambda: _empty(ACCURACY_COLUMNS))
    accuracy_basis: str = ""  # what the accuracy figures rest on, in words
    sources: pd.DataFrame = field(default_factory=lambda: _empty(SOURCE_COLUMNS))
    notes: tuple[str, ...] = ()  # data notes about this area
    synthetic: bool = False
    model: str = ""
    priority_window: tuple[int, int] | None = None
    generated: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def gap_basis(self) -> str:
        """What supply counts in this report's gaps: workplace, active or people (docs/gaps.md)."""
        if "gap_basis" in self.gaps and len(self.gaps):
            return str(self.gaps["gap_basis"].iloc[0])
        return "people"

    @property
    def supply_label(self) -> str:
        return SUPPLY_LABELS.get(self.gap_basis, SUPPLY_LABELS["people"])

    @property
    def bands(self) -> list[str]:
        present = set(self.gaps["band"]) | set(self.demand["band"])
        return [band for band in BANDS if band in present]

    @property
    def last_observed(self) -> int | None:
        """The last year of observed demand (the forecast starts after it)."""
        observed = self.demand.loc[self.demand["basis"] == "observed", "year"]
        return int(observed.max()) if len(observed) else None

    @property
    def first_year(self) -> int:
        years = [int(frame["year"].min()) for frame in (self.demand, self.supply, self.gaps) if len(frame)]
        return min(years)

    @property
    def end_year(self) -> int:
        return int(self.gaps["year"].max()) if len(self.gaps) else int(self.demand["year"].max())

    @property
    def warnings(self) -> list[str]:
        """Data notes about this area itself (they start with its code), in plain English first where we know what they mean."""
        own = [note for note in self.notes if note.split(" ", 1)[0].rstrip(":") == self.area]
        return [plain_note(note) for note in own]

    @property
    def has_reference(self) -> bool:
        return "reference_demand" in self.demand and bool(self.demand["reference_demand"].notna().any())


def plain_note(note: str) -> str:
    """A data note with a plain-English lead where the note is one we know (the alignment check, ``skills.alignment``)."""
    if "ALIGNMENT CHECK FAILED" in note:
        return (
            "WARNING: jobs (demand) and people (supply) for this area do not cover the same places, so its gaps are not "
            f"meaningful and it is left out of rankings. Detail: {note}"
        )
    return note


# -- building a report ---------------------------------------------------------------------------


def _areas_mask(frame: pd.DataFrame, area: str | list[str] | None) -> pd.Series:
    if area is None:
        return pd.Series(True, index=frame.index)
    return frame["area"].isin([area] if isinstance(area, str) else area)


def demand_frame(demand: pd.DataFrame, area: str | list[str] | None = None) -> pd.DataFrame:
    """Band demand (``gaps.analyse``'s ``demand``) of one area, some or all (None), in ``DEMAND_COLUMNS``."""
    rows = demand.loc[_areas_mask(demand, area) & demand["band"].isin([*BANDS, *LEVELS])].copy()
    if "reference_demand" not in rows:
        rows["reference_demand"] = np.nan
    return rows[DEMAND_COLUMNS].sort_values(["area", "band", "year"]).reset_index(drop=True)


def supply_frame(supply: pd.DataFrame, gaps: pd.DataFrame, area: str | list[str] | None = None) -> pd.DataFrame:
    """Supply of one area, some or all (None): the cohort model's table (observed / projected)
    with the simulated bounds from the gaps table (equal to the point in observed years).
    Only areas in ``gaps`` (the analysed ones; the cohort model also projects their parts)."""
    rows = supply.loc[_areas_mask(supply, area) & supply["area"].isin(gaps["area"].unique()) & supply["band"].isin([*BANDS, *LEVELS])]
    rows = rows[["area", "band", "year", "supply", "basis"]]
    bounds = [f"supply_{b}" for b in BOUNDS]
    if set(bounds) <= set(gaps.columns):
        rows = rows.merge(gaps.loc[_areas_mask(gaps, area), ["area", "band", "year", *bounds]], on=["area", "band", "year"], how="left")
    for column in bounds:
        if column not in rows:
            rows[column] = np.nan
    observed = rows["basis"] == "observed"
    for column in bounds:  # an observed year has no forecast uncertainty
        rows.loc[observed, column] = rows.loc[observed, "supply"]
    return rows[SUPPLY_COLUMNS].sort_values(["area", "band", "year"]).reset_index(drop=True)


def from_analysis(
    area: str,
    name: str,
    run,
    *,
    priorities: pd.DataFrame | None = None,
    window: tuple[int, int] | None = None,
    accuracy: pd.DataFrame | None = None,
    accuracy_basis: str = "",
    sources: pd.DataFrame | None = None,
    notes: tuple[str, ...] | list[str] = (),
    synthetic: bool = False,
    model: str = "",
    gaps: pd.DataFrame | None = None,
    nowcast_until: int | None = None,
) -> AreaReport:
    """An area's report from a ``gaps.GapAnalysis`` (``run``) that covers it.

    ``gaps``: the gaps table to show (default ``run.gaps``); pass the CLI's gap table
    (``cli.gaps.gap_table``: gaps + requirement columns) to show the same rows as ``skillcast gaps``.
    ``nowcast_until`` (``Config.nowcast_until``): model years up to then are labelled ``nowcast``.
    """
    table = run.gaps if gaps is None else gaps
    table = label_nowcast(table.loc[table["area"] == area].reset_index(drop=True), nowcast_until, "year")
    if table.empty:
        raise ValueError(f"--area: no gaps for {area!r} in this analysis")
    own_priorities = (
        priorities.loc[priorities["area"] == area].reset_index(drop=True) if priorities is not None and len(priorities) else pd.DataFrame()
    )
    return AreaReport(
        area=area,
        name=name,
        demand=label_nowcast(demand_frame(run.demand, area), nowcast_until, "year"),
        supply=label_nowcast(supply_frame(run.supply.table, run.gaps, area), nowcast_until, "year"),
        gaps=table,
        priorities=own_priorities,
        accuracy=accuracy if accuracy is not None else _empty(ACCURACY_COLUMNS),
        accuracy_basis=accuracy_basis,
        sources=sources if sources is not None else _empty(SOURCE_COLUMNS),
        notes=tuple(notes),
        synthetic=synthetic,
        model=model,
        priority_window=window,
    )


def from_bundle(
    area: str,
    forecasts: pd.DataFrame,
    gaps: pd.DataFrame,
    *,
    name: str = "",
    priorities: pd.DataFrame | None = None,
    metadata: dict | None = None,
    accuracy: tuple[pd.DataFrame, str] | None = None,
) -> AreaReport:
    """An area's report from a forecast bundle's frames (what the service holds).

    ``forecasts``: the bundle's forecast table (``area, measure, classification, code,
    period, forecast, lo_80 ... hi_95, basis``); demand by band comes from its
    ``employment`` / ``qualification_band`` rows where present (with intervals), else
    from the gaps table (points only). Supply comes from the gaps table (its
    ``supply_lo_80`` ... bounds where present). Accuracy is the bundle's own backtest
    (``metadata["backtest"]``: every series it was trained on, not this area alone) unless
    ``accuracy`` gives (``ACCURACY_COLUMNS`` table, basis sentence), e.g. ``accuracy_table``
    on the backtest the bundle was made with.
    """
    metadata = metadata or {}
    own_gaps = gaps.loc[gaps["area"] == area].reset_index(drop=True)
    if own_gaps.empty:
        raise ValueError(f"area {area!r} has no gaps in this bundle")
    rows = forecasts.loc[
        (forecasts["area"] == area)
        & (forecasts["measure"] == "employment")
        & forecasts["classification"].isin(["qualification_band", "qualification_level"])
    ]
    if len(rows):
        demand = pd.DataFrame(
            {
                "area": area,
                "band": rows["code"],
                "year": rows["period"].astype(int),
                "demand": rows["forecast"],
                **{f"demand_{b}": rows[b] for b in BOUNDS},
                "basis": rows["basis"],
                "reference_demand": np.nan,
            }
        )
    else:
        demand = own_gaps[["area", "band", "year", "demand", "basis"]].assign(
            **{f"demand_{b}": np.nan for b in BOUNDS}, reference_demand=np.nan
        )
    supply = own_gaps.assign(basis=own_gaps["basis"].replace({"forecast": "projected"}))
    for column in (f"supply_{b}" for b in BOUNDS):
        if column not in supply:
            supply[column] = np.nan
    own_priorities = pd.DataFrame()
    if priorities is not None and len(priorities):
        own_priorities = priorities.loc[priorities["area"] == area].sort_values("rank").reset_index(drop=True)
    accuracy, basis = accuracy if accuracy is not None else accuracy_from_metadata(area, metadata)
    first = int(demand["year"].min()) if len(demand) else ""
    sources = pd.DataFrame(
        {
            "source": metadata.get("sources", []),
            "description": "the data the forecast bundle was trained on",
            "used_for": "demand and supply forecasts, gaps, priorities",
            "vintages": ", ".join(map(str, metadata.get("vintages", []))),
            "years": f"{first}-{metadata.get('last_observed_year', '')}",
            "files": "",
            "ingested": metadata.get("trained_at", ""),
        },
        columns=SOURCE_COLUMNS,
    )
    window = None
    if len(own_priorities):
        last = metadata.get("last_observed_year")
        window = (int(last), int(own_gaps["year"].max())) if last is not None else None
    return AreaReport(
        area=area,
        name=name or area,
        demand=demand[DEMAND_COLUMNS].sort_values(["band", "year"]).reset_index(drop=True),
        supply=supply[SUPPLY_COLUMNS].sort_values(["band", "year"]).reset_index(drop=True),
        gaps=own_gaps,
        priorities=own_priorities,
        accuracy=accuracy,
        accuracy_basis=basis,
        sources=sources,
        notes=tuple(
            [*metadata["gaps"].get("notes", []), *metadata["gaps"].get("warnings", {}).get(area, [])]
            if isinstance(metadata.get("gaps"), dict)
            else ()
        ),
        synthetic=bool(metadata.get("synthetic", False)),
        model=str(metadata.get("model", "")),
        priority_window=window,
    )


def sources_from_manifest(manifest: dict, used: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """The store's sources the report rests on (``SOURCE_COLUMNS``): vintages, years, file names, when ingested."""
    rows = []
    for name in used:
        info = manifest.get("sources", {}).get(name)
        if info is None:
            continue
        description, role = SOURCE_INFO.get(name, (name, ""))
        periods = info.get("periods") or []
        rows.append(
            {
                "source": name,
                "description": description,
                "used_for": role,
                "vintages": ", ".join(map(str, info.get("vintages", []))),
                "years": f"{periods[0]}-{periods[1]}" if len(periods) == 2 else "",
                "files": ", ".join(sorted({str(item["path"]).replace("\\", "/").rsplit("/", 1)[-1] for item in info.get("files", [])})),
                "ingested": str(info.get("ingested", "")),
            }
        )
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def demo_sources(first_year: int, last_year: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "source": "skillcast demo",
                "description": "SYNTHETIC panel made up by skillcast.data.demo (twelve areas in two regions, calibrated to "
                "England's published totals); not official statistics",
                "used_for": "everything in this report",
                "vintages": "synthetic",
                "years": f"{first_year}-{last_year}",
                "files": "",
                "ingested": "",
            }
        ],
        columns=SOURCE_COLUMNS,
    )


# -- accuracy here -------------------------------------------------------------------------------


def demand_backtest(
    history: pd.DataFrame,
    model: str,
    *,
    calibration_windows: int = 5,
    levels: tuple[int, ...] = (80, 95),
    seed: int = 0,
    horizon: int = 4,
    cutoffs: list[int] | None = None,
    area_parents: tuple[tuple[str, str], ...] = (),
    mix_signal: tuple = (),
):
    """Rolling-origin backtest of the production ``model`` and the naive baseline on observed demand.

    ``history``: the engine's demand history (``gaps.DemandForecast.history``: every area,
    so the model sees what it sees in production: the national series its shares use, and
    ``area_parents`` for the bottom-up sums; ``mix_signal``: the nowcast's survey mix, as
    ``gaps.fit_demand`` uses it, one year past each cutoff). Score one area with ``accuracy_table``.
    Returns (``backtest.BacktestResult``, cutoffs).
    """
    # imported here: the service builds workbooks from this module and must not load the training stack for it
    from skillcast.engine.backtest import default_cutoffs, rolling_origin
    from skillcast.engine.factory import make_forecaster

    panel = observations(history)
    cutoffs = list(cutoffs or default_cutoffs(panel, horizon))
    models = {BASELINE_MODEL: make_forecaster(BASELINE_MODEL, calibration_windows, levels, seed)}
    models[model] = make_forecaster(model, calibration_windows, levels, seed, area_parents=tuple(area_parents), mix_signal=mix_signal)
    return rolling_origin(panel, models, cutoffs, horizon, model), cutoffs


def accuracy_table(result, area: str, cutoffs: list[int], horizon: int, model: str) -> pd.DataFrame:
    """MASE, sMAPE and 80%/95% coverage of the production model and the naive baseline on
    ``area``'s own series of a backtest (``backtest.rolling_origin``) that covered it.

    Two scopes: every demand series of the area (total, occupations, qualifications), and
    its qualification bands and levels (what the report charts). ``ACCURACY_COLUMNS``.
    """
    from skillcast.engine.backtest import BacktestResult, score

    frames = []
    scopes = {"all demand series": None, "qualification bands and levels": ("qualification_band", "qualification_level")}
    for scope, classifications in scopes.items():
        keep = (result.forecasts["area"] == area) & (result.forecasts["measure"] == "employment")
        if classifications:
            keep &= result.forecasts["classification"].isin(classifications)
        forecasts = result.forecasts.loc[keep & result.forecasts["model"].isin([PRODUCTION_LABEL, BASELINE_MODEL])]
        if forecasts.empty:
            continue
        scales = result.scales.loc[result.scales["area"] == area]
        metrics = score(BacktestResult(forecasts=forecasts, scales=scales, seconds=result.seconds))
        series = forecasts.groupby(["measure", "classification", "code"]).ngroups
        metrics = metrics.assign(
            area=area, scope=scope, series=series, cutoffs=f"{min(cutoffs)}-{max(cutoffs)}" if cutoffs else "", horizon=horizon
        )
        metrics["model"] = metrics["model"].replace({PRODUCTION_LABEL: f"{PRODUCTION_LABEL} ({model})" if model else PRODUCTION_LABEL})
        frames.append(metrics)
    if not frames:
        return _empty(ACCURACY_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    order = {name: index for index, name in enumerate(table["model"].unique()) if name != BASELINE_MODEL}
    table = table.assign(_order=table["model"].map(order).fillna(len(order))).sort_values(
        ["scope", "_order"], kind="stable", ascending=[True, True]
    )
    return table[ACCURACY_COLUMNS].reset_index(drop=True)


def accuracy_basis(
    table: pd.DataFrame,
    cutoffs: list[int],
    horizon: int,
    trained_on: str,
    supply_note: str = "Supply (APS, five years) is too short to backtest.",
) -> str:
    """What the accuracy figures rest on, in one plain sentence."""
    if table.empty:
        return "No backtest could be run for this area."
    main = table.loc[table["scope"] == "all demand series"]
    row = (main if len(main) else table).iloc[0]
    return (
        f"Rolling-origin backtest of demand: at each of {len(cutoffs)} past forecast origins ({min(cutoffs)}-{max(cutoffs)}) "
        f"the model was fitted only on the years up to that origin ({trained_on}) and forecast 1-{horizon} years ahead, "
        f"then compared with what was published. {int(row['series'])} demand series of this area x {len(cutoffs)} origins = "
        f"{int(row['windows'])} forecast windows. {supply_note}".rstrip()
    )


def accuracy_from_metadata(area: str, metadata: dict) -> tuple[pd.DataFrame, str]:
    """The bundle's own backtest (all its series), in ``ACCURACY_COLUMNS``, and what it rests on."""
    backtest = metadata.get("backtest") or {}
    metrics = pd.DataFrame(backtest.get("metrics") or [])
    if metrics.empty or "model" not in metrics:
        return _empty(ACCURACY_COLUMNS), "This bundle holds no backtest."
    metrics = metrics.loc[metrics["model"].isin([PRODUCTION_LABEL, BASELINE_MODEL])].copy()
    cutoffs = list(backtest.get("cutoffs") or [])
    model = metadata.get("model", "")
    metrics["model"] = metrics["model"].replace({PRODUCTION_LABEL: f"{PRODUCTION_LABEL} ({model})" if model else PRODUCTION_LABEL})
    metrics = metrics.assign(
        area="all areas in the bundle",
        scope="every series the bundle was trained on",
        series=metadata.get("series", np.nan),
        cutoffs=f"{min(cutoffs)}-{max(cutoffs)}" if cutoffs else "",
        horizon=backtest.get("horizon", np.nan),
    )
    for column in ACCURACY_COLUMNS:
        if column not in metrics:
            metrics[column] = np.nan
    basis = (
        f"The bundle's own rolling-origin backtest over every series it was trained on ({metadata.get('series', '?')} series, "
        f"origins {', '.join(map(str, cutoffs))}, 1-{backtest.get('horizon', '?')} years ahead): not this area alone."
    )
    return metrics[ACCURACY_COLUMNS].reset_index(drop=True), basis


# -- what the HTML shows -------------------------------------------------------------------------


def key_years(report: AreaReport) -> list[int]:
    """Last year with both sides observed, 2025, 2030 and the last year (those present)."""
    years = set(int(year) for year in report.gaps["year"])
    observed = report.gaps.loc[report.gaps["basis"] == "observed", "year"]
    wanted = [int(observed.max()) if len(observed) else min(years), 2025, 2030, report.end_year]
    return sorted({year for year in wanted if year in years})


def gap_rows(report: AreaReport, years: list[int] | None = None, bands: list[str] | None = None) -> pd.DataFrame:
    """The gaps table rows the report shows (exact values; the template rounds them)."""
    bands = bands or report.bands
    rows = report.gaps.loc[report.gaps["band"].isin(bands)]
    if years is not None:
        rows = rows.loc[rows["year"].isin(years)]
    order = {band: index for index, band in enumerate(bands)}
    rows = rows.assign(_order=rows["band"].map(order)).sort_values(["_order", "year"]).drop(columns="_order")
    return rows.reset_index(drop=True)


def headline(report: AreaReport, year: int | None = None) -> list[str]:
    """One plain-English sentence per band about the gap in ``year`` (default 2030 or the last year)."""
    years = set(report.gaps["year"])
    year = year or (2030 if 2030 in years else report.end_year)
    sentences = []
    for band in report.bands:
        rows = report.gaps.loc[(report.gaps["band"] == band) & (report.gaps["year"] == year)]
        if rows.empty:
            continue
        row = rows.iloc[0]
        low, high, gap = float(row["gap_lo_80"]), float(row["gap_hi_80"]), float(row["gap"])
        label = BAND_LABELS[band].split(" (")[0].lower()
        where = f"{label} qualifications ({BAND_LABELS[band].split(' (')[1].rstrip(')')})" if " (" in BAND_LABELS[band] else label
        if low > 0:
            verdict = f"a shortage is likely: about {people(gap)} more jobs than people (80% range {people(low)} to {people(high)})"
        elif high < 0:
            verdict = (
                f"a surplus is likely: about {people(-gap)} more people than jobs (80% range {people(-high)} to {people(-low)} more people)"
            )
        else:
            verdict = (
                f"no clear shortage or surplus: the central estimate is {signed_people(gap)} but the 80% range runs from "
                f"{signed_people(low)} to {signed_people(high)}"
            )
        imbalance = row.get("imbalance") if hasattr(row, "get") else None
        share = (
            f" Imbalance {float(imbalance):+.1f} points (its share of supply less its share of jobs)."
            if imbalance is not None and pd.notna(imbalance)
            else ""
        )
        sentences.append(f"{where.capitalize()}, {year}: {verdict}.{share}")
    return sentences


def caveats(report: AreaReport) -> list[str]:
    """Plain-English cautions for a reader who will not read the method."""
    items = []
    if report.synthetic:
        items.append(
            "These are SYNTHETIC demo data made up by skillcast: they are not official statistics and say nothing about any real place."
        )
    items += [
        "The gap is demand minus supply. A positive gap means more jobs than people with that level of qualification "
        "(a shortage); a negative gap means more people than jobs (a surplus).",
        "Demand counts jobs (including self-employment) held by people at each qualification level. "
        + BASIS_EXPLAINED.get(report.gap_basis, BASIS_EXPLAINED["people"]),
        "The imbalance is each band's share of supply minus its share of demand, in percentage points (as Cedefop reports it): "
        "negative means the band is scarcer among people than among jobs. It does not depend on how many people are "
        "inactive, so it is the figure to compare between areas.",
        "The shaded ranges show uncertainty: the 80% range should contain the outcome four times in five, the 95% range "
        "nineteen times in twenty, if the future behaves like the recent past. They leave out survey sampling error, "
        "sudden migration and policy changes, and recessions worse than those in the data.",
        "Years marked observed are published estimates. Years marked nowcast have already happened but are not yet in the "
        "published series: they are the model's estimates, using newer national survey data where it helps. Later years "
        "are forecasts and get less certain the further ahead they are.",
    ]
    if report.has_reference:
        items.append(
            "The dotted line is the publisher's own projection (Skills Imperative 2035). It is shown for comparison only; "
            "skillcast does not use it to make its forecast."
        )
    if len(report.priorities):
        items.append(
            "Occupation priorities weigh jobs to fill at levels 2-5 per 1,000 jobs and against England, the local shortage rating "
            "and apprenticeship relevance (weights are a policy choice, docs/gaps.md). Shortage ratings use England's indicators by "
            "occupation and this area's own vacancies and adverts per job: they say how tight the area is, not which occupations "
            "are tighter here than in England (docs/shortages.md). Apprenticeship relevance is parsed from SOC 2020 entry-route text, "
            "which names apprenticeships unevenly."
        )
    items.append("Accuracy figures come from testing the method on past years; past accuracy does not guarantee future accuracy.")
    own = {note for note in report.notes if note.split(" ", 1)[0].rstrip(":") == report.area}  # shown at the top already
    items.extend(f"Data note: {note}" for note in report.notes if note not in own)
    return items


# -- numbers as people --------------------------------------------------------------------------


def people(value: float) -> str:
    """A count of people in words-friendly form: 1.23 million, 78,300, 950."""
    value = abs(float(value))
    if value >= 1e6:
        return f"{value / 1e6:.2f} million"
    if value >= 1e4:
        return f"{round(value, -2):,.0f}"
    return f"{round(value, -1):,.0f}"


def signed_people(value: float) -> str:
    return ("-" if value < 0 else "+") + people(value)


def thousands(value: float, signed: bool = False, decimals: int = 1) -> str:
    """Thousands of people for tables, with a true minus sign (and a plus, if ``signed``); blank for missing."""
    if value is None or pd.isna(value):
        return ""
    text = f"{abs(float(value)) / 1e3:,.{decimals}f}"
    nonzero = bool(text.strip("0.,"))
    return ("\u2212" if float(value) < 0 and nonzero else "+" if signed and float(value) > 0 and nonzero else "") + text


# -- the spreadsheet's tables --------------------------------------------------------------------


def forecast_sheet(demand: pd.DataFrame, supply: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """Demand (jobs) and supply (people) by band and year, both sides in one long table
    (``FORECAST_SHEET_COLUMNS``); any number of areas."""
    names = names or {}
    demand_rows = pd.DataFrame(
        {
            "area": demand["area"],
            "side": "demand (jobs)",
            "band": demand["band"],
            "year": demand["year"],
            "value": demand["demand"],
            **{b: demand[f"demand_{b}"] for b in BOUNDS},
            "basis": demand["basis"],
            "reference_projection": demand["reference_demand"] if "reference_demand" in demand else np.nan,
        }
    )
    supply_rows = pd.DataFrame(
        {
            "area": supply["area"],
            "side": "supply (people)",
            "band": supply["band"],
            "year": supply["year"],
            "value": supply["supply"],
            **{b: supply[f"supply_{b}"] if f"supply_{b}" in supply else np.nan for b in BOUNDS},
            "basis": supply["basis"],
            "reference_projection": np.nan,
        }
    )
    table = pd.concat([demand_rows, supply_rows], ignore_index=True)
    table["name"] = table["area"].map(names).fillna("")
    order = {band: index for index, band in enumerate([*BANDS, *LEVELS])}
    table = table.assign(_order=table["band"].map(order)).sort_values(["area", "side", "_order", "year"], kind="stable")
    return table[FORECAST_SHEET_COLUMNS].reset_index(drop=True)


def about_rows(synthetic: bool, areas: list[str], model: str, generated: str, caveat_lines: list[str]) -> list[tuple[str, str]]:
    """The spreadsheet's About sheet: what each sheet holds, units, caveats."""
    rows = []
    if synthetic:
        rows.append(("WARNING", "SYNTHETIC DEMO DATA: made up by skillcast, not official statistics."))
    rows += [
        ("made by", f"skillcast, {generated}"),
        ("areas", ", ".join(areas) if len(areas) <= 12 else f"{len(areas)} areas ({', '.join(areas[:6])}, ...)"),
        ("model", model or "-"),
        (
            "units",
            "Counts are people or jobs (not thousands). Demand = jobs held by people with that highest qualification; "
            "supply = people aged 16-64 living in the area with that highest qualification, on the basis in column gap_basis.",
        ),
        (
            "gap basis",
            "workplace (the default): economically active people 16-64 x the area's jobs per employed resident, the workers its "
            "jobs draw on; active: economically active people 16-64; people: everyone 16-64. See docs/gaps.md.",
        ),
        (
            "imbalance",
            "Each band's share of supply minus its share of demand, in percentage points (Cedefop); negative = scarcer among people.",
        ),
        ("sign", "gap = demand - supply; a positive gap is a shortage of people, a negative gap a surplus."),
        ("intervals", "lo_80/hi_80 and lo_95/hi_95: 80% and 95% ranges. Observed years have no forecast range (bounds = value)."),
        (
            "basis",
            "observed: published figures; nowcast: a year that has already happened but is not yet published, estimated by "
            "the model (with newer national survey data where it helps); forecast: later years.",
        ),
        (
            "forecasts",
            "Demand and supply by qualification band and year, observed and forecast, with the publisher's projection "
            "(SI2035) where loaded.",
        ),
        ("gaps", "Demand, supply and gap by band and year with 80%/95% ranges; replacement and expansion demand."),
        (
            "priorities",
            "Occupations ranked for apprenticeships (RQF 2-5): jobs to fill (replacement + growth), per 1,000 jobs, location "
            "quotient vs England, shortage rating, apprenticeship relevance, score (local: weighted z-scores; absolute: jobs), reason.",
        ),
        ("shortages", "Each occupation's shortage rating, score, drivers and the indicators behind them (docs/shortages.md)."),
        (
            "backtest",
            "How accurate the method has been on past years: MASE (lower is better; the naive 'no change' forecast is "
            "the benchmark) and how often the 80%/95% ranges contained the outcome.",
        ),
        ("sources", "The data behind the tables, with vintages and years."),
    ]
    rows += [("caveat", line) for line in caveat_lines]
    return rows


SHORTAGE_SHEET_COLUMNS = ["area", "occupation", "title", "rating", "shortage_score", *INDICATOR_COLUMNS, "shortage_drivers"]


def shortage_sheet(priorities: pd.DataFrame | None) -> pd.DataFrame:
    """The shortages sheet: each ranked occupation's rating, indicators and drivers (from the priorities' columns)."""
    if priorities is None or priorities.empty or "rating" not in priorities:
        return pd.DataFrame()
    columns = [column for column in SHORTAGE_SHEET_COLUMNS if column in priorities]
    return priorities[columns].sort_values(["area", "shortage_score"], ascending=[True, False]).reset_index(drop=True)


def _with_name(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``frame`` with the area's name right after its code."""
    if frame is None or frame.empty or "area" not in frame:
        return frame if frame is not None else pd.DataFrame()
    frame = frame.copy()
    name = frame.pop("name") if "name" in frame else frame["area"].map(names).fillna("")
    frame.insert(list(frame.columns).index("area") + 1, "name", name)
    return frame


def analysis_frames(
    run,
    gaps: pd.DataFrame,
    names: dict[str, str],
    *,
    priorities: pd.DataFrame | None = None,
    accuracy: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
    nowcast_until: int | None = None,
) -> dict[str, pd.DataFrame]:
    """The spreadsheet's sheets for every area of a ``gaps.analyse`` run (``export.build_workbook`` arguments).

    ``gaps``: the gaps table to export (``cli.gaps.gap_table``: gaps + requirement columns).
    ``nowcast_until`` (``Config.nowcast_until``): model years up to then are labelled ``nowcast``.
    """
    areas = list(dict.fromkeys(gaps["area"]))
    demand = label_nowcast(demand_frame(run.demand, areas), nowcast_until, "year")
    supply = label_nowcast(supply_frame(run.supply.table, run.gaps, areas), nowcast_until, "year")
    return {
        "forecasts": forecast_sheet(demand, supply, names),
        "gaps": _with_name(label_nowcast(gaps, nowcast_until, "year"), names),
        "priorities": _with_name(priorities if priorities is not None else pd.DataFrame(), names),
        "shortages": _with_name(shortage_sheet(priorities), names),
        "backtest": accuracy if accuracy is not None else _empty(ACCURACY_COLUMNS),
        "sources": sources if sources is not None else _empty(SOURCE_COLUMNS),
    }


def bundle_frames(
    forecasts: pd.DataFrame,
    gaps: pd.DataFrame,
    names: dict[str, str],
    *,
    priorities: pd.DataFrame | None = None,
    metadata: dict | None = None,
    areas: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The spreadsheet's sheets straight from a forecast bundle's frames (all areas, or ``areas``).

    The forecasts sheet is the bundle's own forecast table (every series, ``period`` as
    year); backtest is the bundle's metrics; sources its metadata.
    """
    metadata = metadata or {}

    def keep(frame: pd.DataFrame | None) -> pd.DataFrame:
        if frame is None or frame.empty:
            return pd.DataFrame()
        return frame.loc[frame["area"].isin(areas)] if areas is not None else frame

    accuracy, _ = accuracy_from_metadata("", metadata)
    report = from_bundle(str(gaps["area"].iloc[0]), forecasts, gaps, metadata=metadata) if len(gaps) else None
    info = metadata.get("gaps") if isinstance(metadata.get("gaps"), dict) else {}
    kept = keep(gaps)
    if len(kept):
        kept = kept.assign(
            flagged=kept["area"].isin(info.get("flagged", [])),
            warning=[" | ".join(info.get("warnings", {}).get(area, [])) for area in kept["area"]],
        )
    return {
        "forecasts": _with_name(keep(forecasts).rename(columns={"period": "year"}), names),
        "gaps": _with_name(kept, names),
        "priorities": _with_name(keep(priorities), names),
        "shortages": _with_name(shortage_sheet(keep(priorities)), names),
        "backtest": accuracy,
        "sources": report.sources if report is not None else _empty(SOURCE_COLUMNS),
    }


def export_frames(report: AreaReport) -> dict[str, pd.DataFrame]:
    """One report's tables as the spreadsheet's sheets (``export.build_workbook`` arguments)."""
    names = {report.area: report.name}
    return {
        "forecasts": forecast_sheet(report.demand, report.supply, names),
        "gaps": _with_name(report.gaps, names),
        "priorities": _with_name(report.priorities, names),
        "shortages": _with_name(shortage_sheet(report.priorities), names),
        "backtest": report.accuracy,
        "sources": report.sources,
    }
