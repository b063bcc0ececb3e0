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
from skillcast.reports.accuracy import ACCURACY_COLUMNS, accuracy_from_metadata
from skillcast.reports.budget import BUDGET_CAVEAT, own_budget

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
SOURCE_COLUMNS: list[str] = ["source", "description", "used_for", "vintages", "years", "last_observed", "files", "ingested"]

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
    "aps-occupations": (
        "ONS Annual Population Survey via the DfE Local Skills Dashboard: employment by occupation, SOC 2010",
        "England's occupational mix in the nowcast (to 2020)",
    ),
    "aps-soc2020": (
        "ONS Annual Population Survey (NOMIS) via the DfE Local Skills Dashboard: employment by occupation, SOC 2020, "
        "Apr-Mar years; qualifications on RQF",
        "England's occupational mix in the nowcast (2022 on, changes within SOC 2020)",
    ),
    "national-lms": (
        "ONS Labour Market Statistics (A01): the national labour market (LFS, workforce jobs, vacancies), UK",
        "England's total: its growth after the local data end, the jump-off to the last observed year, a national part of the intervals",
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
    reserve: pd.DataFrame = field(default_factory=pd.DataFrame)  # labour_reserve.RESERVE_COLUMNS of this area, every year
    reserve_info: dict = field(default_factory=dict)  # how the reserve was made (the bundle's metadata["labour_reserve"])
    scenario: dict | None = None  # the scenario run beside the baseline, as given (skills.scenarios.Scenario)
    scenario_effects: pd.DataFrame = field(default_factory=pd.DataFrame)  # pipeline.what_if.EFFECT_COLUMNS + its own ranges
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)  # skills.compare.COMPARE_COLUMNS: parents, neighbours
    budget: float | None = None  # pounds allocated to the priorities (priorities.allocate); None: no budget
    purchases: pd.DataFrame = field(default_factory=pd.DataFrame)  # funding.PURCHASE_COLUMNS of this area
    funding: dict = field(default_factory=dict)  # funding.funding_info: the bands' source, route shares, stated costs
    generated: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def data_to(self) -> str:
        """Each source's last observed period in one line, for the first page ("... to Oct-Dec 2025; ...")."""
        rows = (
            self.sources.loc[self.sources["last_observed"].astype(str) != ""] if "last_observed" in self.sources else self.sources.iloc[0:0]
        )
        return "; ".join(f"{row.description} to {row.last_observed}" for row in rows.itertuples())

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
    reserve: tuple[pd.DataFrame, dict] | None = None,
    scenario: tuple[dict, pd.DataFrame, pd.DataFrame] | None = None,
    budget: tuple[float, pd.DataFrame, dict] | None = None,
) -> AreaReport:
    """An area's report from a ``gaps.GapAnalysis`` (``run``) that covers it.

    ``gaps``: the gaps table to show (default ``run.gaps``); pass the CLI's gap table
    (``cli.gaps.gap_table``: gaps + requirement columns) to show the same rows as ``skillcast gaps``.
    ``nowcast_until`` (``Config.nowcast_until``): model years up to then are labelled ``nowcast``.
    ``budget``: (pounds, every area's ``funding.buy`` rows, ``funding.funding_info``), ``priorities`` allocated.
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
        **_own_reserve(reserve, area),
        **_own_scenario(scenario),
        **own_budget(budget, area),
    )


def _own_scenario(scenario: tuple[dict, pd.DataFrame, pd.DataFrame] | None) -> dict:
    """The report's scenario fields from (the scenario as given, its effects, both runs' gaps)."""
    if scenario is None:
        return {}
    given, effects, table = scenario
    own = table.loc[table["scenario"] == given["name"], ["band", "year", "gap_lo_80", "gap_hi_80"]]
    merged = effects.merge(own, on=["band", "year"], how="left")
    return {"scenario": given, "scenario_effects": merged.rename(columns={"gap_lo_80": "scenario_lo_80", "gap_hi_80": "scenario_hi_80"})}


def _own_reserve(reserve: tuple[pd.DataFrame, dict] | None, area: str) -> dict:
    """The report's ``reserve`` and ``reserve_info`` fields from every area's reserve and how it was made."""
    if reserve is None or reserve[0] is None or reserve[0].empty:
        return {}
    table, info = reserve
    return {"reserve": table.loc[table["area"] == area].reset_index(drop=True), "reserve_info": dict(info or {})}


def from_bundle(
    area: str,
    forecasts: pd.DataFrame,
    gaps: pd.DataFrame,
    *,
    name: str = "",
    priorities: pd.DataFrame | None = None,
    metadata: dict | None = None,
    accuracy: tuple[pd.DataFrame, str] | None = None,
    reserve: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
    budget: tuple[float, pd.DataFrame, dict] | None = None,
) -> AreaReport:
    """An area's report from a forecast bundle's frames (what the service holds).

    ``forecasts``: the bundle's forecast table (``area, measure, classification, code,
    period, forecast, lo_80 ... hi_95, basis``); demand by band comes from its
    ``employment`` / ``qualification_band`` rows where present (with intervals), else
    from the gaps table (points only). Supply comes from the gaps table (its
    ``supply_lo_80`` ... bounds where present). Accuracy is the bundle's own backtest
    (``metadata["backtest"]``: every series it was trained on, not this area alone) unless
    ``accuracy`` gives (``ACCURACY_COLUMNS`` table, basis sentence), e.g. ``accuracy_table``
    on the backtest the bundle was made with. ``budget``: as for ``from_analysis`` (``priorities`` allocated).
    """
    metadata = metadata or {}
    own_gaps = gaps.loc[gaps["area"] == area].reset_index(drop=True)
    if own_gaps.empty:
        raise ValueError(f"area {area!r} has no gaps in this bundle")
    demand = _bundle_demand(area, forecasts, own_gaps)
    supply = _bundle_supply(own_gaps)
    own_priorities = pd.DataFrame()
    if priorities is not None and len(priorities):
        own_priorities = priorities.loc[priorities["area"] == area].sort_values("rank").reset_index(drop=True)
    accuracy, basis = accuracy if accuracy is not None else accuracy_from_metadata(area, metadata)
    sources = _bundle_sources(metadata, demand)
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
        notes=_bundle_notes(metadata, area),
        synthetic=bool(metadata.get("synthetic", False)),
        model=str(metadata.get("model", "")),
        priority_window=window,
        **_own_reserve((reserve, metadata.get("labour_reserve") or {}), area),
        comparison=comparison if comparison is not None else pd.DataFrame(),
        **own_budget(budget, area),
    )


def _bundle_demand(area: str, forecasts: pd.DataFrame, own_gaps: pd.DataFrame) -> pd.DataFrame:
    """Demand by band: the bundle's employment forecasts by qualification where it has them (with intervals),
    else the gaps table's points, so a bundle without band forecasts still gives a report."""
    rows = forecasts.loc[
        (forecasts["area"] == area)
        & (forecasts["measure"] == "employment")
        & forecasts["classification"].isin(["qualification_band", "qualification_level"])
    ]
    if len(rows):
        return pd.DataFrame(
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
    return own_gaps[["area", "band", "year", "demand", "basis"]].assign(**{f"demand_{b}": np.nan for b in BOUNDS}, reference_demand=np.nan)


def _bundle_supply(own_gaps: pd.DataFrame) -> pd.DataFrame:
    """Supply from the gaps table, its forecast years called 'projected' (the cohort model's word) and any
    missing interval bounds blank, so it has every ``SUPPLY_COLUMNS`` column."""
    supply = own_gaps.assign(basis=own_gaps["basis"].replace({"forecast": "projected"}))
    for column in (f"supply_{b}" for b in BOUNDS):
        if column not in supply:
            supply[column] = np.nan
    return supply


def _bundle_sources(metadata: dict, demand: pd.DataFrame) -> pd.DataFrame:
    """The sources table (``SOURCE_COLUMNS``) from the bundle's metadata: a bundle keeps its sources' names and
    vintages but not their files, so those are left blank."""
    first = int(demand["year"].min()) if len(demand) else ""
    vintage = metadata.get("data_vintage") or []
    if vintage:  # a bundle that names each source's last observed period (issue #23): one row a source
        return pd.DataFrame(
            [
                {
                    "source": entry["source"],
                    "description": entry.get("what", entry["source"]),
                    "used_for": "the forecast bundle",
                    "vintages": ", ".join(map(str, metadata.get("vintages", []))) if entry["source"] in metadata.get("sources", []) else "",
                    "years": "",
                    "last_observed": f"{entry['last_period']}" + (" (older than 2 years)" if entry.get("stale") else ""),
                    "files": "",
                    "ingested": metadata.get("trained_at", ""),
                }
                for entry in vintage
            ],
            columns=SOURCE_COLUMNS,
        )
    return pd.DataFrame(
        {
            "source": metadata.get("sources", []),
            "description": "the data the forecast bundle was trained on",
            "used_for": "demand and supply forecasts, gaps, priorities",
            "vintages": ", ".join(map(str, metadata.get("vintages", []))),
            "years": f"{first}-{metadata.get('last_observed_year', '')}",
            "last_observed": str(metadata.get("last_observed_year", "")),
            "files": "",
            "ingested": metadata.get("trained_at", ""),
        },
        columns=SOURCE_COLUMNS,
    )


def _bundle_notes(metadata: dict, area: str) -> tuple:
    """The gaps analysis's notes and this area's warnings, as the bundle recorded them (none if it recorded no gaps
    metadata)."""
    return tuple(
        [*metadata["gaps"].get("notes", []), *metadata["gaps"].get("warnings", {}).get(area, [])]
        if isinstance(metadata.get("gaps"), dict)
        else ()
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
                "last_observed": str(info.get("last_observed", "")),
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
                "last_observed": str(last_year),
                "files": "",
                "ingested": "",
            }
        ],
        columns=SOURCE_COLUMNS,
    )


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
    items += [BUDGET_CAVEAT] if report.budget is not None else []
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
