"""``skillcast report`` and ``skillcast export``: the area report (HTML or PDF) and the spreadsheet.

Registered by ``skillcast.cli.main``. The I/O edge around the pure modules: ``report`` (the
tables), ``charts`` (SVG), ``html`` (the HTML, and Chromium for PDF) and
``export`` (the workbook). The analysis is the one ``skillcast gaps`` and ``skillcast
priorities`` run (``cli.gaps.load_inputs``, ``gaps.fit_demand``, ``gaps.analyse``,
``priorities.rank_from_analysis``), plus a rolling-origin backtest of demand. Three inputs:
a store (``--data``, default .skillcast/data), the synthetic demo (``--demo``), or a forecast
bundle (``--bundle``: what the service answers from, no store needed).

With ``--budget`` (and optionally ``--costs``, as ``skillcast priorities``) the priorities are allocated the budget
and it is spent by route (``skills.funding``): the report gets a "What £X buys" section, the workbook a
"budget by route" sheet.

Output is written to a temp file and renamed: whole or nothing. Bad input (an unknown
area, a wrong suffix, no Chromium for PDF) is one line and exit code 2, before any work.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from skillcast.cli.console import clear_errors, console, stages
from skillcast.cli.options import BundleOption, DataOption, DemoOption, DrawsOption, ScenarioOption, SeedOption, job_inputs, store_folder
from skillcast.config import Config

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}
BudgetOption = Annotated[
    float | None, typer.Option(help="Growth and Skills Levy budget in pounds: allocated to the priorities and turned into starts by route")
]
CostsOption = Annotated[
    Path | None,
    typer.Option(help="with --budget, JSON/TOML: pounds per start at levels (level2..level5) replacing the funding bands; routes shares"),
]


@dataclass(frozen=True)
class Analysis:
    """What a report or an export of one or more areas rests on."""

    inputs: object  # gap_inputs.GapInputs
    settings: object  # gaps.GapSettings
    run: object  # gaps.GapAnalysis
    gaps: pd.DataFrame  # skills.gap_output.output_table
    priorities: pd.DataFrame
    window: tuple[int, int] | None
    accuracy: pd.DataFrame
    accuracy_basis: dict  # area -> sentence
    sources: pd.DataFrame
    areas: list[str]
    reserve: tuple[pd.DataFrame | None, dict] = (None, {})  # every area's labour reserve and how it was made
    scenario: object = None  # scenarios.Scenario run beside the baseline, if any
    scenario_gaps: pd.DataFrame | None = None  # output_table of baseline and scenario (``scenario`` column)
    budget: tuple | None = None  # (pounds, funding.buy's rows of every area, funding.funding_info); priorities then allocated


@dataclass(frozen=True)
class Spending:
    """What ``--budget`` and ``--costs`` ask for, read and checked before any work."""

    budget: float
    assumptions: object  # apprenticeships.BudgetAssumptions
    costs_file: Path | None = None


def _spending(budget: float | None, costs: Path | None) -> Spending | None:
    """``--budget`` and ``--costs`` checked (one-line errors before any work); None without a budget."""
    import math

    from skillcast.skills.apprenticeships import BudgetAssumptions, load_costs

    if budget is None:
        if costs is not None:
            raise ValueError("--costs: costs per start and route shares apply to a budget; give --budget too")
        return None
    if not (math.isfinite(budget) and budget > 0):
        raise ValueError(f"--budget: expected a positive amount of pounds, got {budget:g}")
    return Spending(float(budget), load_costs(costs) if costs else BudgetAssumptions(), costs)


def spend(priorities: pd.DataFrame, spending: Spending | None, bands: pd.DataFrame | None, mix: pd.DataFrame | None = None):
    """(the priorities with the budget allocated, (pounds, what it buys by route, the funding's description)) for every
    area in ``priorities`` (each given the whole budget); ``bands``: the data's funding bands (empty: the shipped
    products' bands by level). Without a budget: the priorities as they are, and None."""
    if spending is None:
        return priorities, None
    from skillcast.skills.funding import PURCHASE_COLUMNS, buy, default_bands, funding_info
    from skillcast.skills.priorities import allocate

    bands = bands if bands is not None else pd.DataFrame()
    used = bands if not bands.empty else default_bands()
    costs, routes = spending.assumptions.costs, spending.assumptions.routes
    funding = funding_info(bands, routes, costs.stated(), str(spending.costs_file or ""))
    if priorities is None or priorities.empty:
        return priorities, (spending.budget, pd.DataFrame(columns=PURCHASE_COLUMNS), funding)
    allocated = allocate(priorities, spending.budget, costs, mix, used, routes)
    return allocated, (spending.budget, buy(allocated, used, routes, costs, mix), funding)


def _output(out: Path | None, fmt: str | None, default_stem: str) -> tuple[Path, str]:
    """The report's path and format: ``--format`` or the suffix of ``--out``; they must agree."""
    if fmt is not None and fmt.lower() not in ("html", "pdf"):
        raise ValueError(f"--format: {fmt!r} is not a format; expected html or pdf")
    if out is None:
        fmt = (fmt or "html").lower()
        return Path(f"{default_stem}.{fmt}"), fmt
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out: {out} should end in .html or .pdf")
    if fmt is not None and FORMATS[suffix] != fmt.lower():
        raise ValueError(f"--out: {out} does not match --format {fmt.lower()} (use a .{fmt.lower()} file)")
    return out, FORMATS[suffix]


def _check_sources(data: Path | None, demo: bool, bundle: Path | None) -> None:
    if bundle is not None and (data is not None or demo):
        raise ValueError("--bundle with --data or --demo: choose one source")


def _sources(inputs, data: Path | None, config: Config) -> pd.DataFrame:
    """The report's sources table: the demo's, or the store manifest's for what the analysis used."""
    from skillcast.data.sources.national_lms import NAME as NATIONAL_SOURCE
    from skillcast.reports.content import demo_sources, sources_from_manifest
    from skillcast.skills.gap_inputs import SOURCES
    from skillcast.skills.labour_reserve import LOCAL_SOURCE, SOC2020_SOURCE

    if inputs.synthetic:
        history = inputs.demand_history
        return demo_sources(int(history["period"].min()), int(inputs.stock["period"].max()))
    from skillcast.data.store import Store

    manifest = Store(store_folder(data, config)).manifest()
    used = dict.fromkeys((*SOURCES, NATIONAL_SOURCE, LOCAL_SOURCE, SOC2020_SOURCE))  # national series move England's total
    return sources_from_manifest(manifest, tuple(used))


def _analyse(
    data: Path | None,
    demo: bool,
    area: str,
    draws: int,
    seed: int,
    stage,
    allow_all: bool,
    config: Config,
    plan=None,
    spending: Spending | None = None,
) -> Analysis:
    """Demand, supply, gaps, priorities and the accuracy backtest for one area or all (the gaps code path)."""
    from skillcast.pipeline.job import gap_settings
    from skillcast.pipeline.job import reserve as reserve_stage
    from skillcast.skills.gap_output import output_table
    from skillcast.skills.gaps import analyse, fit_demand
    from skillcast.skills.priorities import analysis_areas, rank_areas

    stage("read data")
    job = job_inputs(data, demo, config)
    inputs = job.gap_inputs()
    if area.strip().lower() == "all":
        if not allow_all:
            raise ValueError("--area: a report is for one area at a time; give an area code or SI2035 id (export takes 'all')")
        areas = list(inputs.areas)
    else:
        areas = [inputs.resolve(area)]
    settings = gap_settings(config, draws, seed)
    stage("forecast demand")
    forecast = fit_demand(inputs, settings)
    stage("gaps")
    analysed = analysis_areas(areas, inputs)  # England too: the priorities' location quotient, as `skillcast priorities`
    run = analyse(inputs, settings, forecast, analysed)
    table = _only(output_table({"baseline": run}, inputs, None), areas)
    both = None
    if plan is not None:
        if plan.name == "baseline":
            raise ValueError("--scenario: name: 'baseline' names the baseline; give the scenario another name")
        plan = plan.model_copy(update={"areas": None})
        both = _only(
            output_table({"baseline": run, plan.name: analyse(inputs, settings, forecast, analysed, scenario=plan)}, inputs, None), areas
        )
    stage("priorities")
    priorities, window = pd.DataFrame(), None
    if not run.occupations.empty:
        priorities = rank_areas(areas, run, inputs, settings)
        start = int(run.occupations.loc[run.occupations["basis"] == "observed", "year"].max())  # as rank_from_analysis
        window = (start, settings.end_year)
    priorities, budget = spend(priorities, spending, inputs.funding, run.mix)
    stage("labour reserve")
    reserve = reserve_stage(job)
    stage("backtest")
    accuracy, basis = _backtest(inputs, settings, forecast, areas, config)
    return Analysis(
        inputs=inputs,
        settings=settings,
        run=run,
        gaps=table,
        priorities=priorities,
        window=window,
        accuracy=accuracy,
        accuracy_basis=basis,
        sources=_sources(inputs, data, config),
        areas=areas,
        reserve=reserve,
        scenario=plan,
        scenario_gaps=both,
        budget=budget,
    )


def _only(table: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """The rows of the areas asked for (the analysis also holds England, for the location quotient)."""
    return table.loc[table["area"].isin(areas)].reset_index(drop=True)


def _backtest(inputs, settings, forecast, areas: list[str], config: Config) -> tuple[pd.DataFrame, dict]:
    """The rolling-origin backtest of demand: every area's accuracy table stacked, and each area's basis sentence."""
    from skillcast.reports.accuracy import accuracy_basis, accuracy_table, demand_backtest

    result, cutoffs = demand_backtest(
        forecast.history,
        settings.model,
        calibration_windows=settings.calibration_windows,
        levels=config.interval_levels,
        seed=settings.seed,
        horizon=config.backtest_horizon,
        cutoffs=list(config.backtest_cutoffs) or None,
        area_parents=tuple(inputs.area_parents),
        mix_signal=inputs.mix_signal if settings.nowcast else (),
        national_signal=inputs.national_signal if settings.nowcast_national else (),
    )
    tables = {code: accuracy_table(result, code, cutoffs, config.backtest_horizon, settings.model) for code in areas}
    trained_on = "every area's demand series, as in production" if not inputs.synthetic else "every demo area's demand series"
    supply_note = "" if inputs.synthetic else "Supply (APS, five years) is too short to backtest."
    basis = {code: accuracy_basis(frame, cutoffs, config.backtest_horizon, trained_on, supply_note) for code, frame in tables.items()}
    accuracy = (
        pd.concat([frame for frame in tables.values() if len(frame)], ignore_index=True)
        if any(len(f) for f in tables.values())
        else pd.DataFrame()
    )
    return accuracy, basis


def area_report(analysis: Analysis, code: str, nowcast_until: int | None):
    """The ``report.AreaReport`` of one analysed area."""
    from skillcast.reports.content import from_analysis
    from skillcast.skills.gap_output import relevant_notes

    inputs = analysis.inputs
    accuracy = analysis.accuracy.loc[analysis.accuracy["area"] == code] if len(analysis.accuracy) else None
    return from_analysis(
        code,
        inputs.names.get(code, code),
        analysis.run,
        priorities=analysis.priorities,
        window=analysis.window,
        accuracy=accuracy,
        accuracy_basis=analysis.accuracy_basis.get(code, ""),
        sources=analysis.sources,
        notes=[*relevant_notes({"baseline": analysis.run}, inputs, [code]), *analysis.run.warnings.get(code, ())],
        synthetic=inputs.synthetic,
        model=analysis.settings.model,
        gaps=analysis.gaps,
        nowcast_until=nowcast_until,
        reserve=analysis.reserve,
        scenario=_scenario_of(analysis, code, nowcast_until),
        budget=analysis.budget,
    )


def _scenario_of(analysis: Analysis, code: str, nowcast_until: int | None):
    """(the scenario as given, its effects on the area's gaps) for the report; None without a scenario."""
    if analysis.scenario is None or analysis.scenario_gaps is None:
        return None
    from skillcast.data.basis import label_nowcast
    from skillcast.pipeline.what_if import effects

    table = label_nowcast(analysis.scenario_gaps.loc[analysis.scenario_gaps["area"] == code], nowcast_until, "year")
    return analysis.scenario.model_dump(mode="json"), effects(table, analysis.scenario.name), table


def bundle_report(bundle, code: str, backtest=None, spending: Spending | None = None):
    """A report from a ``bundle.ForecastBundle`` (what the service holds); ``backtest``: the
    ``BacktestResult`` it was made with, for this area's own accuracy (the demo has it); ``spending``:
    a budget to allocate to the area's priorities (at the bundle's funding bands, else the shipped ones)."""
    from skillcast.reports.accuracy import accuracy_basis, accuracy_table
    from skillcast.reports.content import from_bundle

    metadata = bundle.metadata or {}
    accuracy = None
    if backtest is not None:
        cutoffs = list(metadata.get("backtest", {}).get("cutoffs") or sorted(backtest.forecasts["cutoff"].unique()))
        horizon = int(metadata.get("backtest", {}).get("horizon") or (backtest.forecasts["period"] - backtest.forecasts["cutoff"]).max())
        table = accuracy_table(backtest, code, cutoffs, horizon, str(metadata.get("model", "")))
        accuracy = (table, accuracy_basis(table, cutoffs, horizon, "every series of the bundle", supply_note=""))
    name = bundle.geography.name(code) if code in bundle.geography else code
    priorities, budget = bundle.priorities, None
    if spending is not None:
        own = priorities.loc[priorities["area"] == code] if len(priorities) else priorities
        priorities, budget = spend(own, spending, bundle.funding)
    return from_bundle(
        code,
        bundle.forecasts,
        bundle.gaps,
        name=name,
        priorities=priorities,
        budget=budget,
        metadata=metadata,
        accuracy=accuracy,
        reserve=bundle.labour_reserve,
        comparison=_comparison(bundle, code),
    )


def _comparison(bundle, code: str):
    """The area beside its parents and statistical neighbours in 2030 (or the bundle's last gap year)."""
    from skillcast.skills.compare import comparison

    if bundle.gaps.empty or code not in set(bundle.gaps["area"]):
        return None
    year = min(2030, int(bundle.gaps["year"].max()))
    return comparison(bundle.indicators(year), bundle.geography, code).assign(year=year)


def write_report(report, out: Path, fmt: str, stage=lambda name: None, browser: Path | None = None) -> Path:
    """Charts, HTML and (for PDF) the browser; the file appears whole or not at all."""
    from skillcast.data.atomic import write_text
    from skillcast.reports.charts import report_charts
    from skillcast.reports.html import print_pdf, render

    stage("charts")
    charts = report_charts(report)
    stage("write")
    html = render(report, charts)
    if fmt == "pdf":
        print_pdf(html, out, browser)
    else:
        write_text(out, html)
    return out


# -- report ------------------------------------------------------------------------------------


def report(
    area: Annotated[str, typer.Option(help="area code or SI2035 id (e.g. GM_LSIP or E69000014)")],
    data: DataOption = None,
    demo: DemoOption = False,
    bundle: BundleOption = None,
    out: Annotated[Path | None, typer.Option(help="the report file, .html or .pdf (default report-AREA.html)")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="html or pdf (default: from --out's suffix); pdf prints with /usr/bin/chromium")
    ] = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = 20240601,
    scenario: ScenarioOption = None,
    budget: BudgetOption = None,
    costs: CostsOption = None,
) -> None:
    """One area's report: demand and supply by band with 80%/95% ranges, the gap, priorities, accuracy, sources, caveats;
    with --scenario, the scenario against the baseline (its effect on each gap, with ranges); with --budget, what the
    budget buys by route and level (starts at Skills England's funding bands)."""
    started = time.perf_counter()
    with clear_errors():
        config = Config.from_env()
        _check_sources(data, demo, bundle)
        spending = _spending(budget, costs)
        path, kind = _output(out, fmt, f"report-{area.strip().replace('/', '_')}")
        if kind == "pdf":
            from skillcast.reports.html import chromium

            chromium(config.chromium)  # fail now, in one line, rather than after the analysis
        if bundle is not None:
            from skillcast.bundle import ForecastBundle

            if scenario is not None:
                raise ValueError("--scenario with --bundle: a scenario runs the analysis again; give --data or --demo")
            with stages(["read bundle", "charts", "write"]) as stage:
                stage("read bundle")
                loaded = ForecastBundle.load(bundle)
                code = loaded.area_code(area, "gaps")  # a code with gaps, or its SI2035 id; else 404-like one line
                result = bundle_report(loaded, code, spending=spending)
                write_report(result, path, kind, stage, config.chromium)
        else:
            from skillcast.skills.scenarios import load_scenario

            plan = load_scenario(scenario) if scenario else None
            steps = ["read data", "forecast demand", "gaps", "priorities", "labour reserve", "backtest", "charts", "write"]
            with stages(steps) as stage:
                analysis = _analyse(data, demo, area, draws, seed, stage, allow_all=False, config=config, plan=plan, spending=spending)
                result = area_report(analysis, analysis.areas[0], config.nowcast_until)
                write_report(result, path, kind, stage, config.chromium)
    if result.synthetic:
        console.print("[bold yellow]SYNTHETIC DEMO DATA[/]: not official statistics.")
    console.print(
        f"report for {result.area} {result.name}: {path} ({path.stat().st_size / 1024:,.0f} KB, {time.perf_counter() - started:.1f} s)",
        highlight=False,
    )


# -- export ------------------------------------------------------------------------------------


def export(
    area: Annotated[str, typer.Option(help="area code, SI2035 id or 'all' (every area the gaps analysis supports)")] = "all",
    data: DataOption = None,
    demo: DemoOption = False,
    bundle: BundleOption = None,
    out: Annotated[Path | None, typer.Option(help="the workbook, .xlsx (default skillcast-AREA.xlsx)")] = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = 20240601,
    scenario: ScenarioOption = None,
    budget: BudgetOption = None,
    costs: CostsOption = None,
) -> None:
    """Spreadsheet of forecasts, gaps, priorities, backtest and sources: one sheet each, units in the headers; with
    --scenario, a sheet named after it (its inputs, then the effect on every gap) and its gaps beside the baseline's;
    with --budget, each area's priorities allocated the budget and a "budget by route" sheet (starts by route and level)."""
    from skillcast.reports.sheets import about_rows, analysis_frames, budget_sheets, scenario_sheets
    from skillcast.reports.workbook import check_suffix, write_workbook

    started = time.perf_counter()
    with clear_errors():
        config = Config.from_env()
        _check_sources(data, demo, bundle)
        spending = _spending(budget, costs)
        path = out or Path(f"skillcast-{area.strip().replace('/', '_')}.xlsx")
        check_suffix(path)
        if bundle is not None:
            from skillcast.bundle import ForecastBundle

            if scenario is not None:
                raise ValueError("--scenario with --bundle: a scenario runs the analysis again; give --data or --demo")
            with stages(["read bundle", "write"]) as stage:
                stage("read bundle")
                loaded = ForecastBundle.load(bundle)
                sheets, about = _bundle_workbook(loaded, area, spending)
                synthetic = bool(loaded.metadata.get("synthetic"))
                stage("write")
                write_workbook(path, sheets, about)
        else:
            from skillcast.skills.scenarios import load_scenario

            plan = load_scenario(scenario) if scenario else None
            with stages(["read data", "forecast demand", "gaps", "priorities", "labour reserve", "backtest", "write"]) as stage:
                analysis = _analyse(data, demo, area, draws, seed, stage, allow_all=True, config=config, plan=plan, spending=spending)
                inputs = analysis.inputs
                sheets = analysis_frames(
                    analysis.run,
                    analysis.gaps,
                    inputs.names,
                    priorities=analysis.priorities,
                    accuracy=analysis.accuracy,
                    sources=analysis.sources,
                    nowcast_until=config.nowcast_until,
                    reserve=analysis.reserve[0],
                )
                if plan is not None:
                    sheets.update(scenario_sheets(plan, analysis.scenario_gaps, config.nowcast_until))
                sheets.update(budget_sheets(analysis.budget, analysis.priorities, inputs.names))
                stage("write")
                synthetic = inputs.synthetic
                notes = [f"{'WARNING' if 'ALIGNMENT CHECK FAILED' in note else 'Data note'}: {note}" for note in _notes(analysis)]
                about = about_rows(
                    synthetic, analysis.areas, analysis.settings.model, time.strftime("%Y-%m-%d %H:%M"), notes, budget=analysis.budget
                )
                write_workbook(path, sheets, about)
    if synthetic:
        console.print("[bold yellow]SYNTHETIC DEMO DATA[/]: not official statistics.")
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in sheets.items())
    console.print(f"wrote {path} (rows: {counts}; {time.perf_counter() - started:.1f} s)", highlight=False)


def _bundle_workbook(loaded, area: str, spending: Spending | None) -> tuple[dict[str, pd.DataFrame], list[tuple[str, str]]]:
    """(sheets, about rows) of a bundle's workbook for one area or 'all', with the budget spent where given."""
    from skillcast.reports.sheets import about_rows, budget_sheets, bundle_frames

    areas = None if area.strip().lower() == "all" else [loaded.area_code(area, "gaps")]
    names = {code: name for code, name in loaded.names().items() if code in set(loaded.gaps["area"])}
    ranked = loaded.priorities
    if areas is not None and len(ranked):
        ranked = ranked.loc[ranked["area"].isin(areas)]
    ranked, spent = spend(ranked, spending, loaded.funding)
    sheets = bundle_frames(
        loaded.forecasts, loaded.gaps, names, priorities=ranked, metadata=loaded.metadata, areas=areas, reserve=loaded.labour_reserve
    )
    sheets.update(budget_sheets(spent, ranked, names))
    shown = areas or sorted(names)
    model, generated = str(loaded.metadata.get("model", "")), time.strftime("%Y-%m-%d %H:%M")
    return sheets, about_rows(bool(loaded.metadata.get("synthetic")), shown, model, generated, loaded.warning_lines(shown), budget=spent)


def _notes(analysis: Analysis) -> list[str]:
    from skillcast.skills.gap_output import relevant_notes

    warnings = [text for area in analysis.areas for text in analysis.run.warnings.get(area, ())]
    return relevant_notes({"baseline": analysis.run}, analysis.inputs, analysis.areas) + warnings


# -- the demo's report ---------------------------------------------------------------------------


def demo_report(result, out_dir: Path) -> Path:
    """``<out_dir>/report.html`` for the demo's nation, from the demo job's own bundle (the numbers
    of its gaps.csv, its priorities) and the backtest it ran; what ``make demo`` writes."""
    bundle = result.bundle
    nation = bundle.geography.areas.query("parent == ''")["area"].iloc[0]
    return write_report(bundle_report(bundle, nation, backtest=result.backtest), Path(out_dir) / "report.html", "html")
