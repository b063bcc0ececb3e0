"""The ``skillcast`` command: options in, one configuration built, the job or a stage called, tables out.

Bad input ends with one line on stderr naming what was wrong and exit code 2, never a
traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcast.cli.areas import areas
from skillcast.cli.console import clear_errors, console, stages
from skillcast.cli.engine import EngineOption, SchedulerOption
from skillcast.cli.fetch import fetch_app
from skillcast.cli.gaps import gaps, priorities, shortages
from skillcast.cli.keys import keys_app
from skillcast.cli.models import models_app, retrain, train
from skillcast.cli.options import open_store
from skillcast.cli.report import demo_report, export, report
from skillcast.cli.reserve import labour_reserve
from skillcast.cli.serve import serve
from skillcast.config import Config

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Local skills supply-and-demand forecasts to 2035.")


def _summary_table(result, title: str) -> Table:
    from skillcast.data.qualifications import BANDS

    nation = result.bundle.geography.areas.query("parent == ''")["area"].iloc[0]
    gaps = result.gaps.loc[(result.gaps["area"] == nation) & result.gaps["band"].isin(BANDS)]
    years = sorted({int(result.gaps["year"].min()), int(result.forecasts["period"].min()) - 1, 2030, int(result.gaps["year"].max())})
    basis = str(gaps["gap_basis"].iloc[0]) if "gap_basis" in gaps and not gaps.empty else "people"
    table = Table(title=title)
    for column in ("band", "year", "demand (jobs)", f"supply (people, {basis} basis)", "gap", "gap 80% interval"):
        table.add_column(column, justify="right" if column != "band" else "left")
    for row in gaps.loc[gaps["year"].isin(years)].itertuples():
        table.add_row(
            row.band,
            str(row.year),
            f"{row.demand / 1e6:.2f}m",
            f"{row.supply / 1e6:.2f}m",
            f"{row.gap / 1e6:+.2f}m",
            f"{row.gap_lo_80 / 1e6:+.2f}m to {row.gap_hi_80 / 1e6:+.2f}m" if row.basis != "observed" else "observed",
        )
    return table


CLASSIFICATION_LABELS = {
    "soc2020_major": "major",
    "soc2020_submajor": "sub-major",
    "qualification_band": "band",
    "qualification_level": "level",
}


def _share(value) -> str:
    return "-" if value is None or value != value else f"{value:.1%}"


def _number(value, digits: int = 3) -> str:
    return "-" if value is None or value != value else f"{value:.{digits}f}"


def _table(title: str, headers: list[str], rows: list[list[str]]) -> Table:
    """A table whose number columns never shrink below their widest cell: on a narrow
    terminal the model names fold instead of the figures being cut."""
    table = Table(title=title)
    for index, header in enumerate(headers):
        if index == 0:
            table.add_column(header, overflow="fold", min_width=9)
        else:
            widest = max([len(row[index]) for row in rows] + [max(len(part) for part in header.split("\n"))])
            table.add_column(header, justify="right", min_width=widest)
    for row in rows:
        table.add_row(*row)
    return table


def _metrics_table(metrics) -> Table:
    """One row per model: MASE, sMAPE, coverage, and at the last horizon direction right and
    faster-than-area-total right (SOC sub-majors; '-' where there are none) and MAPE."""
    last = int(metrics["last_horizon"].max()) if "last_horizon" in metrics and metrics["last_horizon"].notna().any() else None
    at = f" h{last}" if last else ""
    headers = ["model", "MASE", "sMAPE\n%", "80%\ncov.", "95%\ncov."]
    headers += [f"direc-\ntion\nright{at}", f"faster\nthan\ntotal{at}", f"MAPE\n%{at}"] if "mape_last" in metrics else []
    rows = []
    for row in metrics.sort_values("mase").to_dict("records"):
        cells = [
            row["model"],
            _number(row["mase"]),
            _number(row["smape"], 2),
            _number(row["coverage_80"], 2),
            _number(row["coverage_95"], 2),
        ]
        if "mape_last" in row:
            cells += [_share(row["direction_right"]), _share(row["faster_right"]), _number(row["mape_last"], 1)]
        rows.append([*cells, _number(row["seconds"], 1)])
    return _table("Backtest (rolling origin)", [*headers, "sec."], rows)


def _breakdown_tables(metrics) -> list[Table]:
    """MASE of each model by classification, and by horizon (``score``'s ``mase_*`` columns)."""
    by_horizon = sorted((c for c in metrics.columns if c.startswith("mase_h") and c[6:].isdigit()), key=lambda c: int(c[6:]))
    by_class = [c for c in metrics.columns if c.startswith("mase_") and c not in by_horizon]
    records = metrics.sort_values("mase").to_dict("records")
    return [
        _table(
            f"MASE by {title}",
            ["model", *(label(c) for c in columns)],
            [[row["model"], *(_number(row[c], 3 if title == "classification" else 2) for c in columns)] for row in records],
        )
        for title, columns, label in (
            ("classification", by_class, lambda c: CLASSIFICATION_LABELS.get(c[5:], c[5:])),
            ("horizon", by_horizon, lambda c: c[5:]),
        )
        if columns
    ]


def _coverage_table(by_horizon) -> Table:
    """80% / 95% interval coverage of each model at each horizon, in percent."""
    horizons = sorted(int(h) for h in by_horizon["horizon"].unique())
    rows = []
    for model in by_horizon.groupby("model")["mase"].mean().sort_values().index:
        found = by_horizon.loc[by_horizon["model"] == model].set_index("horizon")
        cells = [
            f"{100 * found.at[h, 'coverage_80']:.0f}/{100 * found.at[h, 'coverage_95']:.0f}" if h in found.index else "-" for h in horizons
        ]
        rows.append([model, *cells])
    return _table("Interval coverage by horizon, % (80% / 95% intervals)", ["model", *(f"h{h}" for h in horizons)], rows)


@app.command()
def demo(
    out: Annotated[Path | None, typer.Option(help="output folder for the demo tables and bundle (default SKILLCAST_HOME/demo)")] = None,
    track: Annotated[bool, typer.Option(help="log the run to MLflow and register the model")] = True,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI (default: SQLite under .skillcast/)")] = None,
    seed: Annotated[int | None, typer.Option(help="seed of the synthetic data")] = None,
) -> None:
    """Run the whole pipeline on embedded SYNTHETIC demo data: backtest, fit, track, forecast, gaps."""
    from skillcast.data.demo import SYNTHETIC_SOURCE, demo_panel
    from skillcast.pipeline import STAGES, demo_inputs, run_job

    with clear_errors():
        config = Config.from_env(tracking_uri=tracking_uri, **({"seed": seed} if seed is not None else {}))
        out = out or config.home / "demo"
        console.print(
            "[bold yellow]SYNTHETIC DEMO DATA[/]: made up by skillcast.data.demo, calibrated to national facts; not official statistics."
        )
        stage_names = ["generate demo data", *STAGES, "write outputs", "write report"] + (["track in MLflow"] if track else [])
        with stages(stage_names) as stage:
            stage("generate demo data")
            panel, geography = demo_panel(seed=config.seed)
            result = run_job(demo_inputs(panel, geography, config.targets), config, progress=stage)
            stage("write outputs")
            _write_outputs(out, result, SYNTHETIC_SOURCE)
            stage("write report")
            report_path = demo_report(result, out)
            tracked = None
            if track:
                stage("track in MLflow")
                from skillcast.mlops.tracking import log_pipeline_run

                logging.getLogger("mlflow").setLevel(logging.WARNING)  # its INFO lines would break the progress display
                tracked = log_pipeline_run(config, result, run_name="demo (synthetic)")
        console.print(_metrics_table(result.metrics))
        console.print(_summary_table(result, "Skills gap, Demoland (SYNTHETIC): demand - supply, positive = shortage"))
        console.print(f"tables: {out}/  (forecasts.csv, gaps.csv, backtest.csv, metrics.csv)")
        console.print(f"report: {report_path}  (open it in a browser; SYNTHETIC)", highlight=False)
        if tracked:
            console.print(f"MLflow run {tracked.run_id}, registered as {tracked.model_uri} ({config.resolved_tracking_uri()})")
        console.print(
            f"serve it: [bold]skillcast keys create my-laptop[/] (prints an API key once), then [bold]make serve[/]  or  "
            f"[bold]skillcast serve --bundle {out / 'bundle'} --port 3000[/]; the page is at /ui/"
        )


def _write_outputs(out: Path, result, source_note: str) -> None:
    """Write the demo tables and bundle into ``out``, all or nothing."""
    from skillcast.data.atomic import atomic_folder

    with atomic_folder(out) as staging:
        result.forecasts.assign(source=source_note).to_csv(staging / "forecasts.csv", index=False)
        result.gaps.assign(source=source_note).to_csv(staging / "gaps.csv", index=False)
        result.backtest.forecasts.assign(source=source_note).to_csv(staging / "backtest.csv", index=False)
        result.metrics.assign(source=source_note).to_csv(staging / "metrics.csv", index=False)
        (staging / "README.txt").write_text(
            f"{source_note}\nThese tables come from skillcast's synthetic demo data. Do not use them as evidence.\n"
            "gap = demand - supply; a positive gap is a shortage of people.\n"
        )
        result.bundle.save(staging / "bundle")


ingest_help = "Read published files into the processed store (panel.parquet + manifest.json)."


@app.command(help=ingest_help)
def ingest(
    source: Annotated[str, typer.Argument(help="source name (see `skillcast data sources`) or 'all' with one folder")],
    paths: Annotated[list[Path], typer.Argument(help="files to read; for 'all', a folder laid out like ../shared/data")],
    out: Annotated[Path | None, typer.Option(help="store folder (default .skillcast/data)")] = None,
    lookups: Annotated[
        Path | None, typer.Option(help="ONS lookups folder (default: DATA_DIR/lookups, or FOLDER/lookups for 'all')")
    ] = None,
) -> None:
    from skillcast.data.sources.lookups import load_geography
    from skillcast.data.sources.registry import load_source
    from skillcast.data.store import Store, check_not_inside

    with clear_errors():
        config = Config.from_env()
        store = Store(out or config.home / "data")
        check_not_inside(store.directory, paths)
        if source == "all":
            if len(paths) != 1 or not paths[0].is_dir():
                raise ValueError("'ingest all' takes exactly one folder laid out like ../shared/data")
            from skillcast.data.ingest import plan_folder

            plan, skipped = plan_folder(paths[0])
            geography = load_geography(lookups or paths[0] / "lookups")
        else:
            load_source(source)
            plan, skipped = {source: list(paths)}, []
            geography = load_geography(lookups or config.data_dir / "lookups")
        results = []
        with stages([f"read {name}" for name in plan] + ["write store"]) as stage:
            for name, files in plan.items():
                stage(f"read {name}")
                results.append(load_source(name).read(files, geography))
            stage("write store")
            manifest = store.write(results, geography, skipped)
        for table in _ingest_tables(results):
            console.print(table)
        for path, reason in skipped:
            console.print(f"skipped {path}: {reason}", highlight=False)
        for note in (note for result in results for note in result.notes if note.startswith("WARNING")):
            console.print(note, highlight=False)
        console.print(f"store: {store.directory}  ({manifest['rows']:,} rows, {manifest['series']:,} series; earlier states in history/)")


def _ingest_tables(results) -> list[Table]:
    """What each source gave, in 80 columns: the counts, then the tables it keeps beside the panel."""
    from skillcast.cli.tables import LABEL, NUMBER, narrow_table, notes_below

    columns = [("source", LABEL), ("files", NUMBER), ("rows", NUMBER), ("series", NUMBER)]
    columns += [("suppressed cells", NUMBER), ("unmatched areas", NUMBER)]
    rows = [
        [
            result.source,
            str(len(result.files)),
            f"{len(result.panel):,}",
            f"{result.panel.groupby(['area', 'measure', 'classification', 'code']).ngroups:,}" if not result.panel.empty else "0",
            f"{sum(result.suppressed.values()):,}",
            str(len(result.unmatched_areas)),
        ]
        for result in results
    ]
    kept = [(result.source, ", ".join(sorted(result.tables))) for result in results if result.tables]
    return [narrow_table("Ingested", columns, rows)] + ([notes_below("Tables kept beside the panel:", kept)] if kept else [])


data_app = typer.Typer(no_args_is_help=True, help="Look at the processed store.")
app.add_typer(data_app, name="data")
app.add_typer(fetch_app, name="fetch", help="Pull data from publishers' APIs (NOMIS).")
app.command("areas")(areas)
app.command("serve")(serve)
app.command("gaps")(gaps)
app.command("priorities")(priorities)
app.command("shortages")(shortages)
app.command("labour-reserve")(labour_reserve)
app.command("report")(report)
app.command("export")(export)
app.command("train")(train)
app.command("retrain")(retrain)
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")


@data_app.command("list")
def data_list(data: Annotated[Path | None, typer.Option(help="store folder (default .skillcast/data)")] = None) -> None:
    """Show what the store holds: sources, files, rows, vintages, and earlier states kept."""
    from skillcast.cli.tables import LABEL, NUMBER, narrow_table, notes_below

    with clear_errors():
        store = open_store(data, Config.from_env())
        manifest = store.manifest()
        columns = [("source", LABEL), ("files", NUMBER), ("rows", NUMBER), ("series", NUMBER), ("years", LABEL)]
        columns += [("suppressed cells", NUMBER)]
        rows, notes = [], []
        for name, info in manifest["sources"].items():
            years = "-".join(str(year) for year in info["periods"])
            rows.append([name, str(len(info["files"])), f"{info['rows']:,}", f"{info['series']:,}", years or "-"])
            rows[-1].append(f"{sum(info['suppressed'].values()):,}")
            said = [f"last observed {info['last_observed']}"] if info.get("last_observed") else []
            said += [f"vintage {', '.join(info['vintages'])}"] if info["vintages"] else []
            said += [f"unmatched areas {len(info['unmatched_areas'])}"] if info["unmatched_areas"] else []
            said += [f"ingested {info['ingested']}"] if info["ingested"] != manifest["created"] else []
            notes.append((name, "; ".join(said) or "-"))
        console.print(narrow_table(f"{store.directory}  (written {manifest['created']}, {manifest['rows']:,} rows)", columns, rows))
        console.print(notes_below("Last observed, vintages, areas matching no ONS code:", notes))
        console.print(f"tables: {', '.join(manifest['tables']) or '-'}")
        history = store.history()
        console.print(f"earlier states kept: {len(history)}" + (f" (latest {history[-1]})" if history else ""))


@data_app.command("sources")
def data_sources() -> None:
    """List the source names `skillcast ingest` accepts and the files each reads."""
    from skillcast.data.sources.registry import load_source, source_names

    for name in source_names():
        console.print(f"[bold]{name}[/]: {', '.join(load_source(name).FILES)}")


def parse_years(text: str, option: str) -> list[int]:
    """'2013:2016' (inclusive range), '2013,2015' or '2014' -> years; a clear error otherwise."""
    try:
        if ":" in text:
            first, last = (int(part) for part in text.split(":"))
            if last < first:
                raise ValueError
            return list(range(first, last + 1))
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"{option}: {text!r} is not a year list; expected FIRST:LAST, a comma list or one year") from None


@app.command()
def backtest(
    data: Annotated[Path | None, typer.Option(help="store folder from `skillcast ingest` (default .skillcast/data)")] = None,
    source: Annotated[str, typer.Option(help="which ingested source's series to backtest")] = "si2035",
    measure: Annotated[str, typer.Option(help="measure to backtest")] = "employment",
    classifications: Annotated[str, typer.Option(help="comma list of classifications")] = "all,soc2020_major,soc2020_submajor,rqf",
    cutoffs: Annotated[str, typer.Option(help="FIRST:LAST or a comma list")] = "2013:2016",
    horizon: Annotated[int, typer.Option(min=1, max=20, help="years ahead, up to what the data allow after the last cutoff")] = 4,
    models: Annotated[str | None, typer.Option(help="comma list of models (default from config)")] = None,
    production: Annotated[str | None, typer.Option(help="the model reported as 'skillcast' (default from config)")] = None,
    export: Annotated[
        Path | None, typer.Option(help="write every forecast made to this CSV (and the scores to NAME.metrics.csv beside it)")
    ] = None,
    track: Annotated[bool, typer.Option(help="log the backtest as one MLflow run")] = True,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI (default: SQLite under .skillcast/)")] = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Rolling-origin backtest on real data: MASE (overall, by classification, by horizon), sMAPE, interval
    coverage, direction and faster-than-area-total right for SOC sub-majors, MAPE at the last horizon, time."""
    from skillcast.cli.engine import check_engine, engine_settings, one_line_cluster_failures
    from skillcast.data.schema import series_count
    from skillcast.pipeline import TrainingData, store_inputs
    from skillcast.pipeline.job import models as candidate_models

    with clear_errors(), one_line_cluster_failures():
        config = Config.from_env(
            tracking_uri=tracking_uri,
            **({"models": tuple(models.split(","))} if models else {}),
            **({"production_model": production} if production else {}),
            **engine_settings(engine, scheduler),
        )
        check_engine(config)
        years = parse_years(cutoffs, "--cutoffs")
        store = open_store(data, config)
        inputs = store_inputs(store, TrainingData(source=source, measure=measure, classifications=tuple(classifications.split(","))))
        panel = inputs.training
        _check_backtest_window(panel, years, horizon)
        signal = inputs.mix_signal(config.nowcast_occupation_mix)
        national, national_last = inputs.national_signal(config.nowcast_national)
        forecasters = candidate_models(config, inputs.hierarchy(), signal, national)
        names = list(forecasters)
        run = config.model_copy(update={"backtest_cutoffs": tuple(years), "backtest_horizon": horizon})
        console.print(f"{series_count(panel):,} series, cutoffs {years}, horizon {horizon}, models {names}")
        if signal and any("national_mix" in name for name in names):
            known = sorted({year for *_, year, _ in signal})
            console.print(
                f"nowcast: national_mix takes England's occupational mix one year past each cutoff from the APS "
                f"(aps-occupations, {known[0]}-{known[-1]}), as it would have been known then"
            )
        if national and any("national_mix" in name for name in names):
            console.print(
                f"national: England's total from the ONS labour market series, years up to each cutoff only (last: {national_last})"
            )
        result, metrics = _run_backtest(panel, forecasters, run, config, years, names)
        _print_backtest(result, metrics)
        if track:
            params = {
                "source": source,
                "measure": measure,
                "classifications": classifications,
                "cutoffs": ",".join(map(str, years)),
                "horizon": horizon,
                "models": ",".join(names),
                "production_model": config.production_model,
                "engine": config.engine,
                "nowcast": "APS England occupational mix, one year past each cutoff" if signal else "none",
            }
            _track_backtest(config, result, metrics, params, store)
        if export:
            _export_backtest(result, metrics, export)


def _check_backtest_window(panel, years: list[int], horizon: int) -> None:
    """Refuse cutoffs and a horizon the data cannot score: a forecast past the last observed year has nothing to
    be compared with, so it would silently shrink the test."""
    last = int(panel["period"].max())
    if max(years) + 1 > last:
        raise ValueError(f"--cutoffs: {max(years)} leaves no observed year to test (data end in {last})")
    if max(years) + horizon > last:
        raise ValueError(
            f"--horizon: {horizon} years after cutoff {max(years)} goes past the last observed year {last}; "
            f"at most {last - max(years)} for these cutoffs"
        )


def _run_backtest(panel, forecasters, run, config: Config, years: list[int], names: list[str]):
    """(result, metrics) of the rolling-origin backtest, locally with a line per model and cutoff, or on the
    configured cluster with its progress bar."""
    from skillcast.cli.engine import cluster_bar
    from skillcast.engine.engines import open_engine
    from skillcast.pipeline.job import backtest as backtest_stage

    if config.engine == "local":
        steps = [f"{name} @ {cutoff}" for cutoff in years for name in names]
        with stages(steps) as stage:
            result, metrics, _ = backtest_stage(panel, forecasters, run, on_start=lambda name, cutoff: stage(f"{name} @ {cutoff}"))
    else:
        with cluster_bar() as bar, open_engine(config.engine_settings(), progress=bar) as cluster:
            result, metrics, _ = backtest_stage(panel, forecasters, run, engine=cluster)
    return result, metrics


def _print_backtest(result, metrics) -> None:
    """The scores: one row per model, then by classification and horizon, then interval coverage by horizon."""
    from skillcast.engine.backtest import score

    console.print(_metrics_table(metrics))
    for table in _breakdown_tables(metrics):
        console.print(table)
    console.print(_coverage_table(score(result, by=["horizon"])))


def _track_backtest(config: Config, result, metrics, params: dict, store) -> None:
    """Log the backtest as one MLflow run (with the store's manifest, so the run says which data it scored)."""
    from skillcast.mlops.tracking import log_backtest_run

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    run_id = log_backtest_run(config, result, metrics, params, manifest=store.manifest())
    console.print(f"MLflow run {run_id} ({config.resolved_tracking_uri()})")


def _export_backtest(result, metrics, export: Path) -> None:
    """Write every forecast made to ``export`` and the scores to NAME.metrics.csv beside it."""
    from skillcast.data.atomic import write_table

    write_table(result.forecasts, export)
    scores = export.with_name(f"{export.stem}.metrics{export.suffix}")
    write_table(metrics, scores)
    console.print(f"wrote {len(result.forecasts):,} forecasts to {export} and the scores to {scores}")


@app.command()
def version() -> None:
    """Print the installed skillcast version."""
    from skillcast import __version__

    console.print(__version__)


if __name__ == "__main__":
    app()
