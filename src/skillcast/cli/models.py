"""``skillcast train``, ``skillcast retrain`` and ``skillcast models list|rollback``.

Exit codes, for a scheduler: 0 promoted, kept or nothing new; 1 failed (validation, or a
step crashed; the champion and the registry are left as they were); 2 bad input or
config (one line naming the file or field); 3 another run holds the lock.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcast.cli.console import clear_errors, console, errors, stages
from skillcast.cli.engine import ClusterLines, EngineOption, SchedulerOption, check_engine, engine_settings, one_line_cluster_failures
from skillcast.cli.options import TrackingOption, open_store
from skillcast.config import Config
from skillcast.engine.engines import open_engine

EXIT_FAILED, EXIT_LOCKED = 1, 3

models_app = typer.Typer(no_args_is_help=True, help="The registered model: versions, champion, rollback.")

ConfigOption = Annotated[Path, typer.Option("--config", help="job file (TOML)")]


@contextmanager
def _stopped_cleanly() -> Iterator[None]:
    """Turn SIGTERM (``systemctl stop``, a scheduler's timeout) into an exception, so a run
    stopped mid-way still removes what it registered; the old handler comes back after."""

    def stop(signum, frame):  # noqa: ARG001
        raise SystemExit(128 + signal.SIGTERM)

    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _lazy_stages(stack: ExitStack, names: tuple[str, ...]) -> Callable[[str], None]:
    """Stage progress that appears only once the first stage starts, so a run that stops
    early (bad input, the lock, nothing new) prints just its one line or report."""
    advance: list[Callable[[str], None]] = []

    def stage(name: str) -> None:
        if not advance:
            advance.append(stack.enter_context(stages(list(names))))
        advance[0](name)

    return stage


@contextmanager
def _one_line_failures() -> Iterator[None]:
    """The lock held (exit 3) and an unreachable or refusing tracking store (exit 1), in one line."""
    from skillcast.mlops.registry import TrackingError
    from skillcast.mlops.workspace import LockHeld

    try:
        yield
    except LockHeld as error:
        errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_LOCKED) from None
    except TrackingError as error:
        errors.print(f"[bold red]error:[/] MLflow: {error.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None


def retrain(
    config_file: ConfigOption = Path("training/quarterly.toml"),
    data: Annotated[Path | None, typer.Option(help="data folder laid out like ../shared/data (default SKILLCAST_DATA_DIR)")] = None,
    tracking_uri: TrackingOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """The quarterly job: ingest, validate, backtest, fit, register, compare, promote if the gate passes."""
    from skillcast.mlops.job_file import RetrainJob
    from skillcast.mlops.report import render_report
    from skillcast.mlops.retrain import RETRAIN_STAGES, run_retrain

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # its INFO lines would break the progress display
    with clear_errors(), _one_line_failures(), _stopped_cleanly(), one_line_cluster_failures():
        base = Config.from_env(tracking_uri=tracking_uri, **engine_settings(engine, scheduler))
        check_engine(base)
        job = RetrainJob.load(config_file, base)
        with ExitStack() as stack:
            cluster = stack.enter_context(open_engine(job.config.engine_settings(), progress=ClusterLines()))  # starts nothing until needed
            outcome = run_retrain(job, data or base.data_dir, progress=_lazy_stages(stack, RETRAIN_STAGES), engine=cluster)
    console.print(render_report(outcome, job), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(outcome.exit_code)


def train(
    config_file: Annotated[Path | None, typer.Option("--config", help="job file (TOML) for the model and data settings")] = None,
    data: Annotated[Path | None, typer.Option(help="store folder from `skillcast ingest` (default .skillcast/data)")] = None,
    tracking_uri: TrackingOption = None,
    promote: Annotated[bool, typer.Option(help="make the new version champion at once (no gate)")] = False,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Backtest, fit and register the production model on an ingested store (version becomes challenger)."""
    from skillcast.mlops.job_file import RetrainJob
    from skillcast.mlops.train import TRAIN_STAGES, run_train

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    with clear_errors(), _one_line_failures(), _stopped_cleanly(), one_line_cluster_failures():
        base = Config.from_env(tracking_uri=tracking_uri, **engine_settings(engine, scheduler))
        check_engine(base)
        job = RetrainJob.load(config_file, base) if config_file else RetrainJob(config=base)
        store = open_store(data, base)
        store.manifest()  # no store: one line, before anything starts
        with ExitStack() as stack:
            cluster = stack.enter_context(open_engine(job.config.engine_settings(), progress=ClusterLines()))  # starts nothing until needed
            trained = run_train(job, store, promote=promote, progress=_lazy_stages(stack, TRAIN_STAGES), engine=cluster)
    console.print(_metrics_table(trained.metrics, job.config.production_model))
    role = f"champion (was {trained.champion_before or 'none'})" if trained.promoted else "challenger"
    console.print(
        f"registered version {trained.version} of {job.config.registered_model} as {role}; "
        f"{trained.series:,} series, cutoffs {trained.cutoffs}; MLflow run {trained.run_id}",
        highlight=False,
    )
    for warning in trained.warnings:
        console.print(f"warning: {warning}", highlight=False, markup=False)


def _metrics_table(metrics, production: str) -> Table:
    table = Table(title="Backtest (rolling origin)")
    for column in ("model", "MASE", "sMAPE %", "80% coverage", "95% coverage"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in metrics.sort_values("mase").itertuples():
        name = f"skillcast ({production})" if row.model == "skillcast" else row.model
        table.add_row(name, f"{row.mase:.3f}", f"{row.smape:.2f}", f"{row.coverage_80:.3f}", f"{row.coverage_95:.3f}")
    return table


@models_app.command("list")
def models_list(tracking_uri: TrackingOption = None) -> None:
    """Every registered version: aliases, how it was made, its backtest MASE and the decision."""
    from skillcast.mlops.registry import TAG_DECISION, TAG_FINGERPRINT, TAG_KIND, TAG_MASE, TAG_MODEL, Registry

    with clear_errors(), _one_line_failures():
        config = Config.from_env(tracking_uri=tracking_uri)
        registry = Registry(config.resolved_tracking_uri(), config.registered_model)
        versions = registry.versions()
        if not versions:
            console.print(f"no versions of {config.registered_model!r} in {config.resolved_tracking_uri()} yet", highlight=False)
            return
        table = Table(
            title=f"{config.registered_model} versions, newest first", box=None, padding=(0, 1), pad_edge=False, header_style="bold"
        )
        for column in ("version", "aliases", "created", "kind", "model", "MASE", "decision", "data"):
            table.add_column(
                column, justify="right" if column in ("version", "MASE") else "left", no_wrap=column != "model", overflow="fold"
            )
        for item in reversed(versions):
            mase = item.tags.get(TAG_MASE)
            table.add_row(
                item.version,
                ",".join(item.aliases) or "-",
                f"{item.created:%Y-%m-%d}",
                item.tags.get(TAG_KIND, "-") + (" SYNTHETIC" if item.synthetic else ""),
                item.tags.get(TAG_MODEL, "-"),
                f"{float(mase):.3f}" if mase else "-",
                item.tags.get(TAG_DECISION, "-"),
                item.tags.get(TAG_FINGERPRINT, "-")[:8],
            )
        console.print(table)
        console.print(f"store: {config.resolved_tracking_uri()}", highlight=False, soft_wrap=True)
        history = registry.history()
        console.print(f"champion: {registry.champion() or 'none'}" + (f"  (champions so far: {' -> '.join(history)})" if history else ""))


@models_app.command("rollback")
def models_rollback(
    version: Annotated[str | None, typer.Argument(help="version to make champion (default: the previous champion)")] = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Move the champion back: to the previous champion, or to VERSION."""
    from skillcast.mlops.registry import Registry
    from skillcast.mlops.workspace import LOCK_FILE, job_lock

    with clear_errors(), _one_line_failures():
        config = Config.from_env(tracking_uri=tracking_uri)
        registry = Registry(config.resolved_tracking_uri(), config.registered_model)
        with job_lock(config.home / LOCK_FILE):  # never while a retrain may be promoting
            before, after = registry.rollback(version)
        console.print(
            f"champion of {config.registered_model}: {'version ' + before if before else 'none'} -> version {after}. "
            "Services pick it up when they next start (see training/README.md).",
            highlight=False,
        )
