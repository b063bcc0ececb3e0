"""The workbook's tables (``skillcast export``, ``GET /download/export.xlsx``): one frame a sheet, units in the headers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.data.basis import label_nowcast
from skillcast.data.qualifications import BANDS, LEVELS
from skillcast.reports.accuracy import ACCURACY_COLUMNS, accuracy_from_metadata
from skillcast.reports.budget import about_lines, budget_sheet
from skillcast.reports.content import BOUNDS, SOURCE_COLUMNS, AreaReport, demand_frame, from_bundle, supply_frame
from skillcast.reports.reserve import reserve_sheet
from skillcast.skills.priorities import INDICATOR_COLUMNS

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


def about_rows(
    synthetic: bool, areas: list[str], model: str, generated: str, caveat_lines: list[str], budget: tuple | None = None
) -> list[tuple[str, str]]:
    """The spreadsheet's About sheet: what each sheet holds, units, caveats; ``budget``: (pounds, purchases, funding) of
    ``--budget``, whose allocation, route shares and funding source it then states."""
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
    if budget is not None:
        rows += about_lines(budget[0], budget[2])
    rows += [("caveat", line) for line in caveat_lines]
    return rows


SHORTAGE_SHEET_COLUMNS = ["area", "occupation", "title", "rating", "shortage_score", *INDICATOR_COLUMNS, "shortage_drivers"]


def shortage_sheet(priorities: pd.DataFrame | None) -> pd.DataFrame:
    """The shortages sheet: each ranked occupation's rating, indicators and drivers (from the priorities' columns)."""
    if priorities is None or priorities.empty or "rating" not in priorities:
        return pd.DataFrame()
    columns = [column for column in SHORTAGE_SHEET_COLUMNS if column in priorities]
    return priorities[columns].sort_values(["area", "shortage_score"], ascending=[True, False]).reset_index(drop=True)


def _of(frame: pd.DataFrame | None, areas: list[str]) -> pd.DataFrame:
    """``frame``'s rows of ``areas`` (empty for None)."""
    return frame.loc[frame["area"].isin(areas)] if frame is not None and len(frame) else pd.DataFrame()


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
    reserve: pd.DataFrame | None = None,
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
        "labour reserve": _with_name(reserve_sheet(_of(reserve, areas), gaps), names),
        "backtest": accuracy if accuracy is not None else pd.DataFrame(columns=ACCURACY_COLUMNS),
        "sources": sources if sources is not None else pd.DataFrame(columns=SOURCE_COLUMNS),
    }


def bundle_frames(
    forecasts: pd.DataFrame,
    gaps: pd.DataFrame,
    names: dict[str, str],
    *,
    priorities: pd.DataFrame | None = None,
    metadata: dict | None = None,
    areas: list[str] | None = None,
    reserve: pd.DataFrame | None = None,
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
        "labour reserve": _with_name(reserve_sheet(keep(reserve), gaps), names),
        "backtest": accuracy,
        "sources": report.sources if report is not None else pd.DataFrame(columns=SOURCE_COLUMNS),
    }


def export_frames(report: AreaReport) -> dict[str, pd.DataFrame]:
    """One report's tables as the spreadsheet's sheets (``export.build_workbook`` arguments)."""
    names = {report.area: report.name}
    return {
        "forecasts": forecast_sheet(report.demand, report.supply, names),
        "gaps": _with_name(report.gaps, names),
        "priorities": _with_name(report.priorities, names),
        "shortages": _with_name(shortage_sheet(report.priorities), names),
        "labour reserve": _with_name(reserve_sheet(report.reserve, report.gaps), names),
        "backtest": report.accuracy,
        "sources": report.sources,
    }


def budget_sheets(budget: tuple | None, priorities: pd.DataFrame | None, names: dict[str, str]) -> dict[str, pd.DataFrame]:
    """The "budget by route" sheet of ``--budget`` ((pounds, ``funding.buy``'s rows, funding)): each area's occupations by
    route and level, with their titles from ``priorities``; no sheet without a budget."""
    if budget is None:
        return {}
    titles = {}
    if priorities is not None and len(priorities):
        keys = zip(priorities["area"].astype(str), priorities["occupation"].astype(str), strict=True)
        titles = dict(zip(keys, priorities["title"].astype(str), strict=True))
    return {"budget by route": _with_name(budget_sheet(budget[1], titles), names)}


def _sheet_name(text: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return "".join(character for character in text if character not in "[]:*?/\\")[:31].strip() or "scenario"


def scenario_inputs(plan) -> pd.DataFrame:
    """The scenario as given, one row a setting: ``lever, item, setting, given`` (echoed in every output that used it)."""
    rows = [("scenario", "", "name", plan.name), ("scenario", "", "description", plan.description)]
    for lever, value in plan.model_dump(mode="json", exclude={"name", "description", "areas"}).items():
        items = value if isinstance(value, list) else [value] if value else []
        for index, item in enumerate(items):
            rows += [(lever, index, setting, "" if entry is None else str(entry)) for setting, entry in item.items()]
    return pd.DataFrame(rows, columns=["lever", "item", "setting", "given"])


def scenario_sheets(plan, table: pd.DataFrame, nowcast_until: int | None = None) -> dict[str, pd.DataFrame]:
    """Two sheets for a scenario run beside the baseline: its inputs, and its effect on every gap (``table``: an
    ``output_table`` of both runs) with the scenario's own gap ranges."""
    from skillcast.pipeline.what_if import effects

    table = label_nowcast(table, nowcast_until, "year")
    effect = effects(table, plan.name)
    own = table.loc[table["scenario"] == plan.name, ["area", "band", "year", "gap_lo_80", "gap_hi_80"]]
    effect = effect.merge(own, on=["area", "band", "year"], how="left").rename(
        columns={"gap_lo_80": "scenario_gap_lo_80", "gap_hi_80": "scenario_gap_hi_80"}
    )
    return {"scenario inputs": scenario_inputs(plan), _sheet_name(f"scenario {plan.name}"): effect}
