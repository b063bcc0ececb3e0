"""``skillcast report`` and ``skillcast export``: the area report (HTML or PDF) and the spreadsheet.

Registered by ``skillcast.cli.main``. The I/O edge around the pure modules: ``report`` (the
tables), ``charts`` (SVG), ``html`` (the HTML, and Chromium for PDF) and
``export`` (the workbook). The analysis is the one ``skillcast gaps`` and ``skillcast
priorities`` run (``cli.gaps.load_inputs``, ``gaps.fit_demand``, ``gaps.analyse``,
``priorities.rank_from_analysis``), plus a rolling-origin backtest of demand. Three inputs:
a store (``--data``, default .skillcast/data), the synthetic demo (``--demo``), or a forecast
bundle (``--bundle``: what the service answers from, no store needed).

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
    data: Path | None, demo: bool, area: str, draws: int, seed: int, stage, allow_all: bool, config: Config, plan=None
) -> Analysis:
    """Demand, supply, gaps, priorities and the accuracy backtest for one area or all (the gaps code path)."""
    from skillcast.pipeline.job import gap_settings
    from skillcast.pipeline.job import reserve as reserve_stage
    from skillcast.reports.accuracy import accuracy_basis, accuracy_table, demand_backtest
    from skillcast.skills.gap_output import output_table
    from skillcast.skills.gaps import analyse, fit_demand
    from skillcast.skills.priorities import rank_areas

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
    run = analyse(inputs, settings, forecast, areas)
    table = output_table({"baseline": run}, inputs, None)
    both = None
    if plan is not None:
        if plan.name == "baseline":
            raise ValueError("--scenario: name: 'baseline' names the baseline; give the scenario another name")
        plan = plan.model_copy(update={"areas": None})
        both = output_table({"baseline": run, plan.name: analyse(inputs, settings, forecast, areas, scenario=plan)}, inputs, None)
    stage("priorities")
    priorities, window = pd.DataFrame(), None
    if not run.occupations.empty:
        priorities = rank_areas(areas, run, inputs, settings)
        start = int(run.occupations.loc[run.occupations["basis"] == "observed", "year"].max())  # as rank_from_analysis
        window = (start, settings.end_year)
    stage("labour reserve")
    reserve = reserve_stage(job)
    stage("backtest")
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
    )


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
    )


def _scenario_of(analysis: Analysis, code: str, nowcast_until: int | None):
    """(the scenario as given, its effects on the area's gaps) for the report; None without a scenario."""
    if analysis.scenario is None or analysis.scenario_gaps is None:
        return None
    from skillcast.data.basis import label_nowcast
    from skillcast.pipeline.what_if import effects

    table = label_nowcast(analysis.scenario_gaps.loc[analysis.scenario_gaps["area"] == code], nowcast_until, "year")
    return analysis.scenario.model_dump(mode="json"), effects(table, analysis.scenario.name), table


def bundle_report(bundle, code: str, backtest=None):
    """A report from a ``bundle.ForecastBundle`` (what the service holds); ``backtest``: the
    ``BacktestResult`` it was made with, for this area's own accuracy (the demo has it)."""
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
    return from_bundle(
        code,
        bundle.forecasts,
        bundle.gaps,
        name=name,
        priorities=bundle.priorities,
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
) -> None:
    """One area's report: demand and supply by band with 80%/95% ranges, the gap, priorities, accuracy, sources, caveats;
    with --scenario, the scenario against the baseline (its effect on each gap, with ranges)."""
    started = time.perf_counter()
    with clear_errors():
        config = Config.from_env()
        _check_sources(data, demo, bundle)
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
                result = bundle_report(loaded, code)
                write_report(result, path, kind, stage, config.chromium)
        else:
            from skillcast.skills.scenarios import load_scenario

            plan = load_scenario(scenario) if scenario else None
            steps = ["read data", "forecast demand", "gaps", "priorities", "labour reserve", "backtest", "charts", "write"]
            with stages(steps) as stage:
                analysis = _analyse(data, demo, area, draws, seed, stage, allow_all=False, config=config, plan=plan)
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
) -> None:
    """Spreadsheet of forecasts, gaps, priorities, backtest and sources: one sheet each, units in the headers; with
    --scenario, a sheet named after it (its inputs, then the effect on every gap) and its gaps beside the baseline's."""
    from skillcast.reports.sheets import about_rows, analysis_frames, bundle_frames, scenario_sheets
    from skillcast.reports.workbook import check_suffix, write_workbook

    started = time.perf_counter()
    with clear_errors():
        config = Config.from_env()
        _check_sources(data, demo, bundle)
        path = out or Path(f"skillcast-{area.strip().replace('/', '_')}.xlsx")
        check_suffix(path)
        if bundle is not None:
            from skillcast.bundle import ForecastBundle

            if scenario is not None:
                raise ValueError("--scenario with --bundle: a scenario runs the analysis again; give --data or --demo")
            with stages(["read bundle", "write"]) as stage:
                stage("read bundle")
                loaded = ForecastBundle.load(bundle)
                areas = None if area.strip().lower() == "all" else [loaded.area_code(area, "gaps")]
                names = {code: name for code, name in loaded.names().items() if code in set(loaded.gaps["area"])}
                sheets = bundle_frames(
                    loaded.forecasts,
                    loaded.gaps,
                    names,
                    priorities=loaded.priorities,
                    metadata=loaded.metadata,
                    areas=areas,
                    reserve=loaded.labour_reserve,
                )
                synthetic = bool(loaded.metadata.get("synthetic"))
                shown = areas or sorted(names)
                stage("write")
                about = about_rows(
                    synthetic, shown, str(loaded.metadata.get("model", "")), time.strftime("%Y-%m-%d %H:%M"), loaded.warning_lines(shown)
                )
                write_workbook(path, sheets, about)
        else:
            from skillcast.skills.scenarios import load_scenario

            plan = load_scenario(scenario) if scenario else None
            with stages(["read data", "forecast demand", "gaps", "priorities", "labour reserve", "backtest", "write"]) as stage:
                analysis = _analyse(data, demo, area, draws, seed, stage, allow_all=True, config=config, plan=plan)
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
                stage("write")
                synthetic = inputs.synthetic
                notes = [f"{'WARNING' if 'ALIGNMENT CHECK FAILED' in note else 'Data note'}: {note}" for note in _notes(analysis)]
                about = about_rows(synthetic, analysis.areas, analysis.settings.model, time.strftime("%Y-%m-%d %H:%M"), notes)
                write_workbook(path, sheets, about)
    if synthetic:
        console.print("[bold yellow]SYNTHETIC DEMO DATA[/]: not official statistics.")
    counts = ", ".join(f"{name} {len(frame):,}" for name, frame in sheets.items())
    console.print(f"wrote {path} (rows: {counts}; {time.perf_counter() - started:.1f} s)", highlight=False)


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
