"""Which engine a run uses: the one place that opens this process's engine or a Dask cluster.

The fan-out point (``skillcast.engine.fanout``) and the backtest receive an ``Engine``;
only this module chooses one, from ``EngineSettings`` (built by ``Config.engine_settings``
at the edge). The Dask engine is imported only when a run asks for it, so the optional
``skillcast[dask]`` extra stays optional.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillcast.engine.fanout import ClusterProgress, Engine, LocalEngine, require_dask


@dataclass(frozen=True)
class EngineSettings:
    """Where backtest/train/retrain run: this process (``local``) or a Dask cluster."""

    kind: Literal["local", "dask"] = "local"
    scheduler: str | None = None  # None with ``dask``: a LocalCluster started for the run
    workers: int | None = None
    partitions: int | None = None
    retries: int = 2
    shared_dir: Path = Path(".skillcast/dask")


@contextmanager
def open_engine(settings: EngineSettings, progress: ClusterProgress | None = None) -> Iterator[Engine]:
    """The engine ``settings`` name, closed (cluster, client, run folder) on exit.

    For ``dask`` nothing is started until the first forecast: a run that stops early (bad
    input, the job lock, nothing new to train on) never starts or contacts a cluster.
    """
    if settings.kind == "local":
        yield LocalEngine()
        return
    require_dask()
    from skillcast.engine.dask_engine import DaskEngine  # the optional extra, imported only when asked for

    engine = DaskEngine(
        scheduler=settings.scheduler,
        workers=settings.workers,
        partitions=settings.partitions,
        retries=settings.retries,
        shared_dir=settings.shared_dir,
        progress=progress,
    )
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def engine_or_open(engine: Engine | None, settings: EngineSettings) -> Iterator[Engine]:
    """``engine`` when the caller opened one (the CLI, to show progress), else one opened from ``settings``."""
    if engine is not None:
        yield engine
        return
    with open_engine(settings) as opened:
        yield opened
