"""What ``backtest``, ``train`` and ``retrain`` share about where they run: the
``--engine``/``--scheduler`` options, the cluster's progress on the console, and a cluster
failure as one line with exit code 1.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from skillcast.cli.console import EXIT_BAD_INPUT, console, errors
from skillcast.engine.fanout import ClusterError, EngineUnavailable

EXIT_CLUSTER_FAILED = 1

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="where the work runs: local (this process) or dask (a cluster; needs `pip install 'skillcast\\[dask]'`); "
        "default SKILLCAST_ENGINE, else local",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address, e.g. tcp://host:8786 (implies --engine dask); "
        "default SKILLCAST_SCHEDULER, else a LocalCluster started and closed for the run",
    ),
]


def check_engine(config) -> None:
    """``--engine dask`` without the extra: one line, exit 2, before reading anything."""
    if config.engine == "dask":
        from skillcast.engine.fanout import require_dask

        require_dask()


def engine_settings(engine: str | None, scheduler: str | None) -> dict[str, str]:
    """Config overrides from the two options; a scheduler address alone means Dask."""
    settings = {}
    if engine:
        settings["engine"] = engine
    if scheduler:
        settings["scheduler"] = scheduler
        settings.setdefault("engine", "dask")
    return settings


class ClusterBar:
    """A progress bar over the cluster's tasks (for a command with no other live display)."""

    def __init__(self, progress: Progress):
        self._progress = progress
        self._task = progress.add_task("starting the Dask cluster", total=None)

    def connected(self, description: str) -> None:
        console.print(description, highlight=False)
        self._progress.update(self._task, description="submitting tasks")

    def task_done(self, done: int, total: int, label: str) -> None:
        self._progress.update(self._task, completed=done, total=total, description=label)


@contextmanager
def cluster_bar() -> Iterator[ClusterBar]:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield ClusterBar(progress)


class ClusterLines:
    """The cluster's progress as occasional lines, printed above a stage display that is
    already live (train, retrain): at most one every ``every`` seconds, and the last."""

    def __init__(self, every: float = 5.0):
        self.every = every
        self._last = 0.0

    def connected(self, description: str) -> None:
        console.print(description, highlight=False)

    def task_done(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if done == total or now - self._last >= self.every:
            self._last = now
            console.print(f"  cluster: {done}/{total} tasks done (last: {label})", highlight=False)


@contextmanager
def one_line_cluster_failures() -> Iterator[None]:
    """One line on stderr: the Dask extra missing (exit 2, before anything ran) or a run
    the cluster could not finish (exit 1). Messages are escaped: ``skillcast[dask]`` is not markup."""
    try:
        yield
    except EngineUnavailable as error:
        errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ClusterError as error:
        errors.print(f"[bold red]error:[/] Dask: {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CLUSTER_FAILED) from None
