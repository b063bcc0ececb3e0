"""The ``skillcast`` command. Only this module (with ``tracking`` and the service) does I/O.

Bad input ends with one line on stderr naming what was wrong and exit code 2, never a
traceback.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
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
from skillcast.cli.report import demo_report, export, report
from skillcast.config import Config
from skillcast.data.ingest import plan_folder as _plan_folder  # moved to skillcast.data.ingest; name kept for callers

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Local skills supply-and-demand forecasts to 2035.")


def _summary_table(result, title: str) -> Table:
    from skillcast.data.qualifications import BANDS

    nation = result.bundle.geography.areas.query("parent == ''")["area"].iloc[0]
    gaps = result.gaps.loc[(result.gaps["area"] == nation) & result.gaps["band"].isin(BANDS)]
    years = sorted({int(result.gaps["year"].min()), int(result.forecasts["period"].min()) - 1, 2030, int(result.gaps["year"].max())})
    table = Table(title=title)
    for column in ("band", "year", "demand (jobs)", "supply (people 16-64)", "gap", "gap 80% interval"):
        table.add_column(column, justify="right" if column != "band" else "left")
    for row in gaps.loc[gaps["year"].isin(years)].itertuples():
        table.add_row(
            row.band,
            str(row.year),
            f"{row.demand / 1e6:.2f}m",
            f"{row.supply / 1e6:.2f}m",
            f"{row.gap / 1e6:+.2f}m",
            f"{row.gap_lo_80 / 1e6:+.2f}m to {row.gap_hi_80 / 1e6:+.2f}m" if row.basis == "forecast" else "observed",
        )
    return table


def _metrics_table(metrics) -> Table:
    table = Table(title="Backtest (rolling origin)")
    for column in ("model", "MASE", "sMAPE %", "80% coverage", "95% coverage", "seconds"):
        table.add_column(column, justify="right" if column != "model" else "left")
    for row in metrics.sort_values("mase").itertuples():
        table.add_row(
            row.model, f"{row.mase:.3f}", f"{row.smape:.2f}", f"{row.coverage_80:.3f}", f"{row.coverage_95:.3f}", f"{row.seconds:.1f}"
        )
    return table


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="output folder for the demo tables and bundle")] = Path(".skillcast/demo"),
    track: Annotated[bool, typer.Option(help="log the run to MLflow and register the model")] = True,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI (default: SQLite under .skillcast/)")] = None,
    seed: Annotated[int | None, typer.Option(help="seed of the synthetic data")] = None,
) -> None:
    """Run the whole pipeline on embedded SYNTHETIC demo data: backtest, fit, track, forecast, gaps."""
    from skillcast.data.demo import SYNTHETIC_SOURCE, demo_panel
    from skillcast.pipeline import STAGES, run_pipeline

    with clear_errors():
        config = Config.from_env(tracking_uri=tracking_uri, **({"seed": seed} if seed is not None else {}))
        console.print(
            "[bold yellow]SYNTHETIC DEMO DATA[/]: made up by skillcast.data.demo, calibrated to national facts; not official statistics."
        )
        stage_names = ["generate demo data", *STAGES, "write outputs", "write report"] + (["track in MLflow"] if track else [])
        with stages(stage_names) as stage:
            stage("generate demo data")
            panel, geography = demo_panel(seed=config.seed)
            result = run_pipeline(panel, geography, config, progress=stage)
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
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.staging-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    result.forecasts.assign(source=source_note).to_csv(staging / "forecasts.csv", index=False)
    result.gaps.assign(source=source_note).to_csv(staging / "gaps.csv", index=False)
    result.backtest.forecasts.assign(source=source_note).to_csv(staging / "backtest.csv", index=False)
    result.metrics.assign(source=source_note).to_csv(staging / "metrics.csv", index=False)
    (staging / "README.txt").write_text(
        f"{source_note}\nThese tables come from skillcast's synthetic demo data. Do not use them as evidence.\n"
        "gap = demand - supply; a positive gap is a shortage of people.\n"
    )
    result.bundle.save(staging / "bundle")
    previous = out.with_name(f".{out.name}.previous-{os.getpid()}")
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    if previous.exists():
        shutil.rmtree(previous)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 3000,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    bundle: Annotated[Path | None, typer.Option(help="forecast bundle folder (default: the demo's)")] = None,
    model_uri: Annotated[
        str | None, typer.Option(help="serve a registered model instead, e.g. models:/skillcast@champion (default SKILLCAST_MODEL_URI)")
    ] = None,
    project_dir: Annotated[Path, typer.Option(help="folder holding serving/service.py")] = Path("."),
    api_keys_file: Annotated[
        Path | None,
        typer.Option(help="hashed API keys (default SKILLCAST_API_KEYS_FILE or .skillcast/api_keys.json); see `skillcast keys`"),
    ] = None,
) -> None:
    """Start the prediction service (BentoML) on the champion, a registered model or a bundle.

    With neither --bundle nor --model-uri (nor SKILLCAST_MODEL_URI) it serves the registry's
    champion (models:/skillcast@champion) when there is one, else the demo's bundle.

    Data endpoints need an API key (`skillcast keys create NAME`, or SKILLCAST_API_KEYS);
    /livez, /readyz, /metrics and /docs stay open. /readyz answers once the model is loaded.
    """
    environment = dict(os.environ)
    with clear_errors():
        if not (project_dir / "serving" / "service.py").is_file():
            raise FileNotFoundError(
                f"{project_dir.resolve()}: no serving/service.py here; run from the skillcast checkout or pass --project-dir"
            )
        config = Config.from_env()
        model_uri = model_uri or (None if bundle else config.model_uri)  # an explicit --bundle beats the environment
        if model_uri is None and bundle is None:
            model_uri = champion_uri(config)  # the champion when the registry has one; else the demo's bundle
        if model_uri:
            from skillcast.mlops.pyfunc import resolve_model_uri

            _, version = resolve_model_uri(model_uri, config.resolved_tracking_uri())  # fail here, in one line
            environment.update(SKILLCAST_MODEL_URI=model_uri, MLFLOW_TRACKING_URI=config.resolved_tracking_uri())
            serving = f"{model_uri} (version {version} now; the service resolves it again as it starts)"
        else:
            bundle = (bundle or config.bundle).resolve()
            from skillcast.bundle import ForecastBundle

            ForecastBundle.load(bundle)  # fail here, in one line, rather than inside the server
            environment["SKILLCAST_BUNDLE"] = str(bundle)
            environment.pop("SKILLCAST_MODEL_URI", None)
            serving = str(bundle)
        keys_file = api_keys_file.resolve() if api_keys_file else config.resolved_api_keys_file()
        environment["SKILLCAST_API_KEYS_FILE"] = str(keys_file)
        from skillcast.api.keys import list_keys

        usable = [key for key in list_keys(keys_file) if not key.revoked] + list(config.api_keys)
        if not usable:
            console.print(
                f"[bold yellow]no API keys[/] in {keys_file} or SKILLCAST_API_KEYS: every data endpoint will answer 401; "
                "create one with `skillcast keys create NAME`",
                highlight=False,
            )
    command = [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        "serving.service:SkillcastService",
        "--host",
        host,
        "--port",
        str(port),
        "--working-dir",
        str(project_dir.resolve()),
    ]
    console.print(f"serving {serving} on http://{host}:{port}  (docs: /docs, health: /readyz)")
    raise typer.Exit(subprocess.call(command, env=environment))


def champion_uri(config: Config) -> str | None:
    """``models:/NAME@champion`` when the configured registry has a champion, else None.

    The default local store (SQLite under ``home``) is only opened when it exists, so
    asking never creates one.
    """
    if config.tracking_uri is None and not (config.home / "mlflow.db").is_file():
        return None
    from skillcast.mlops.registry import Registry

    try:
        champion = Registry(config.resolved_tracking_uri(), config.registered_model).champion()
    except Exception:  # noqa: BLE001 - an unreachable registry means "no champion to serve", said by the caller
        return None
    return f"models:/{config.registered_model}@champion" if champion else None


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
            plan, skipped = _plan_folder(paths[0])
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
        console.print(_ingest_table(results))
        for path, reason in skipped:
            console.print(f"skipped {path}: {reason}", highlight=False)
        for note in (note for result in results for note in result.notes if note.startswith("WARNING")):
            console.print(note, highlight=False)
        console.print(f"store: {store.directory}  ({manifest['rows']:,} rows, {manifest['series']:,} series; earlier states in history/)")


def _ingest_table(results) -> Table:
    table = Table(title="Ingested")
    for column in ("source", "files", "rows", "series", "suppressed cells", "unmatched areas", "tables"):
        table.add_column(column, justify="left" if column in ("source", "tables") else "right")
    for result in results:
        table.add_row(
            result.source,
            str(len(result.files)),
            f"{len(result.panel):,}",
            f"{result.panel.groupby(['area', 'measure', 'classification', 'code']).ngroups:,}" if not result.panel.empty else "0",
            f"{sum(result.suppressed.values()):,}",
            str(len(result.unmatched_areas)),
            ", ".join(sorted(result.tables)) or "-",
        )
    return table


data_app = typer.Typer(no_args_is_help=True, help="Look at the processed store.")
app.add_typer(data_app, name="data")
app.add_typer(fetch_app, name="fetch", help="Pull data from publishers' APIs (NOMIS).")
app.command("areas")(areas)
app.command("gaps")(gaps)
app.command("priorities")(priorities)
app.command("shortages")(shortages)
app.command("report")(report)
app.command("export")(export)
app.command("train")(train)
app.command("retrain")(retrain)
app.add_typer(models_app, name="models")
app.add_typer(keys_app, name="keys")


@data_app.command("list")
def data_list(data: Annotated[Path | None, typer.Option(help="store folder (default .skillcast/data)")] = None) -> None:
    """Show what the store holds: sources, files, rows, vintages, and earlier states kept."""
    from skillcast.data.store import Store

    with clear_errors():
        store = Store(data or Config.from_env().home / "data")
        manifest = store.manifest()
        table = Table(title=f"{store.directory}  (written {manifest['created']}, {manifest['rows']:,} rows)")
        for column in ("source", "ingested", "files", "rows", "series", "periods", "vintages", "suppressed", "unmatched areas"):
            table.add_column(column)
        for name, info in manifest["sources"].items():
            table.add_row(
                name,
                info["ingested"],
                str(len(info["files"])),
                f"{info['rows']:,}",
                f"{info['series']:,}",
                "-".join(str(year) for year in info["periods"]),
                ", ".join(info["vintages"]),
                str(sum(info["suppressed"].values())),
                str(len(info["unmatched_areas"])),
            )
        console.print(table)
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
    horizon: Annotated[int, typer.Option(min=1, max=20, help="years ahead")] = 4,
    models: Annotated[str | None, typer.Option(help="comma list of models (default from config)")] = None,
    production: Annotated[str | None, typer.Option(help="the model reported as 'skillcast' (default from config)")] = None,
    export: Annotated[Path | None, typer.Option(help="write every forecast made to this CSV")] = None,
    track: Annotated[bool, typer.Option(help="log the backtest as one MLflow run")] = True,
    tracking_uri: Annotated[str | None, typer.Option(help="MLflow tracking URI (default: SQLite under .skillcast/)")] = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Rolling-origin backtest on real data: MASE, sMAPE, interval coverage and time per model."""
    from skillcast.cli.engine import check_engine, cluster_bar, engine_settings, one_line_cluster_failures
    from skillcast.data.schema import observations, series_count
    from skillcast.data.store import Store
    from skillcast.engine.backtest import rolling_origin, score
    from skillcast.engine.engines import open_engine
    from skillcast.engine.factory import make_forecaster

    with clear_errors(), one_line_cluster_failures():
        config = Config.from_env(
            tracking_uri=tracking_uri,
            **({"models": tuple(models.split(","))} if models else {}),
            **({"production_model": production} if production else {}),
            **engine_settings(engine, scheduler),
        )
        check_engine(config)
        years = parse_years(cutoffs, "--cutoffs")
        store = Store(data or config.home / "data")
        panel = observations(store.source_panel(source))
        wanted = classifications.split(",")
        panel = panel.loc[(panel["measure"] == measure) & panel["classification"].isin(wanted)].reset_index(drop=True)
        if panel.empty:
            raise ValueError(f"no {measure} series with classifications {wanted} in source {source!r}")
        last = int(panel["period"].max())
        if max(years) + 1 > last:
            raise ValueError(f"--cutoffs: {max(years)} leaves no observed year to test (data end in {last})")
        names = list(dict.fromkeys((*config.models, config.production_model)))
        forecasters = {name: make_forecaster(name, config.calibration_windows, config.interval_levels, config.seed) for name in names}
        console.print(f"{series_count(panel):,} series, cutoffs {years}, horizon {horizon}, models {names}")
        if config.engine == "local":
            steps = [f"{name} @ {cutoff}" for cutoff in years for name in names]
            with stages(steps) as stage:
                result = rolling_origin(
                    panel, forecasters, years, horizon, config.production_model, on_start=lambda name, cutoff: stage(f"{name} @ {cutoff}")
                )
        else:
            with cluster_bar() as bar, open_engine(config.engine_settings(), progress=bar) as cluster:
                result = rolling_origin(panel, forecasters, years, horizon, config.production_model, engine=cluster)
        metrics = score(result)
        console.print(_metrics_table(metrics))
        if track:
            from skillcast.mlops.tracking import log_backtest_run

            logging.getLogger("mlflow").setLevel(logging.WARNING)
            params = {
                "source": source,
                "measure": measure,
                "classifications": classifications,
                "cutoffs": ",".join(map(str, years)),
                "horizon": horizon,
                "models": ",".join(names),
                "production_model": config.production_model,
                "engine": config.engine,
            }
            run_id = log_backtest_run(config, result, metrics, params, manifest=store.manifest())
            console.print(f"MLflow run {run_id} ({config.resolved_tracking_uri()})")
        if export:
            from skillcast.data.atomic import write_table

            write_table(result.forecasts, export)
            console.print(f"wrote {len(result.forecasts):,} forecasts to {export}")


@app.command()
def version() -> None:
    """Print the installed skillcast version."""
    from skillcast import __version__

    console.print(__version__)


if __name__ == "__main__":
    app()
