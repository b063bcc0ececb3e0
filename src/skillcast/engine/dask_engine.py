"""The Dask engine: backtests and fits on a cluster, with one machine's answers (issue #9).

How a run goes:

1. On the first forecast the client connects to ``Config.scheduler`` or, with none,
   starts a ``LocalCluster`` (one single-threaded worker process per core) that is closed
   with the engine. It checks that every worker runs this skillcast version.
2. The panel is written once to ``SHARED_DIR/run-*/panel.parquet`` (one row group per
   area partition, ``skillcast.engine.partitioned``), and every worker must be able to read
   it: the client ships file names, never the panel.
3. Each request (model x cutoff) becomes tasks per partition; all requests are submitted
   at once and the scheduler keeps every worker busy. Partition results stay on the
   workers until pooled (intervals) or merged (the global model's training rows); only
   each series' points and scales come back to the client, which builds the frames.
4. Progress comes from futures completing (``as_completed``). A task that raises is
   retried ``Config.dask_retries`` times; a worker that dies mid-task has its tasks
   rescheduled by Dask on the others (and, in a LocalCluster, is restarted by its
   nanny). A failure that outlives that stops the run with ``ClusterError`` naming the
   task: nothing has been registered or written by then.

``distributed`` is imported only inside this module, which only ``engines.open_engine``
imports, and only when the engine is ``dask``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skillcast.data.schema import SERIES_KEY, observations
from skillcast.engine.base import Forecaster
from skillcast.engine.fanout import ClusterError, ClusterProgress, Forecast, ForecastRequest
from skillcast.engine.partitioned import (
    area_links,
    finish,
    partition_count,
    plan_partitions,
    submit_forecast,
    tasks_for,
    totals_matrix,
    write_panel,
)

CONNECT_TIMEOUT = "20s"


def worker_facts() -> dict[str, Any]:
    """Run on each worker before any work: what it would compute with."""
    import skillcast

    return {"skillcast": skillcast.__version__, "pid": os.getpid()}


def _readable(path: str) -> bool:
    return os.access(path, os.R_OK)


class DaskEngine:
    """``Engine`` on a Dask cluster. ``progress`` (optional) hears about the connection
    and each finished task; the engine owns the cluster it starts and the run folder."""

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        partitions: int | None = None,
        retries: int = 2,
        shared_dir: Path = Path(".skillcast/dask"),
        progress: ClusterProgress | None = None,
        connect_timeout: str = CONNECT_TIMEOUT,
    ):
        self.scheduler = scheduler
        self.workers = workers
        self.partitions = partitions
        self.retries = retries
        self.shared_dir = Path(shared_dir)
        self.progress = progress
        self.connect_timeout = connect_timeout
        self._client = None
        self._cluster = None
        self._run_dir: Path | None = None
        self._panel: tuple[pd.DataFrame, tuple, str, list[tuple[str, ...]]] | None = None
        self.last_run: dict[str, Any] = {}  # task timings of the last forecast call (benchmarks)

    # -- the cluster --------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._connect()
        return self._client

    def _connect(self) -> None:
        from distributed import Client, LocalCluster

        try:
            if self.scheduler:
                self._client = Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
                where = f"Dask scheduler {self.scheduler} (dashboard {self._client.dashboard_link})"
            else:
                self._cluster = LocalCluster(
                    n_workers=self.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,  # ":0": no fixed port to collide on
                )
                self._client = Client(self._cluster, set_as_default=False)
                where = "Dask LocalCluster started for this run"
        except (OSError, TimeoutError) as error:
            self.close()
            if self.scheduler:
                raise ClusterError(f"cannot reach the Dask scheduler at {self.scheduler}: {error}") from None
            raise ClusterError(f"could not start a Dask LocalCluster: {type(error).__name__}: {error}") from None
        try:
            facts = self._client.run(worker_facts)
        except Exception as error:  # noqa: BLE001 - e.g. skillcast missing on a worker: unpickling fails there
            self.close()
            raise ClusterError(
                f"the Dask workers cannot run skillcast ({type(error).__name__}: {error}); install this skillcast version on every worker"
            ) from None
        if not facts:
            self.close()
            raise ClusterError(f"the Dask scheduler at {self.scheduler} has no workers yet; start some and run again")
        from skillcast import __version__

        wrong = {worker: fact["skillcast"] for worker, fact in facts.items() if fact["skillcast"] != __version__}
        if wrong:
            self.close()
            worker, version = next(iter(wrong.items()))
            raise ClusterError(
                f"worker {worker} runs skillcast {version}, this client {__version__}: install the same version on every worker"
            )
        if self.progress:
            self.progress.connected(f"{where}: {len(facts)} workers, {self.worker_threads()} threads")

    def worker_threads(self) -> int:
        return sum(self.client.nthreads().values())

    def close(self) -> None:
        """Close the client, the cluster this engine started and its run folder; idempotent."""
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        for resource in (client, cluster):
            if resource is not None:
                try:
                    resource.close()
                except Exception:  # noqa: BLE001 - closing after a failure must not hide it
                    pass
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None
        self._panel = None

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- the panel ----------------------------------------------------------------------
    def _panel_file(self, observed: pd.DataFrame, source: pd.DataFrame, links: tuple) -> tuple[str, list[tuple[str, ...]]]:
        """Write the panel once per run (again only for another panel or other area links)."""
        if self._panel is not None and self._panel[0] is source and self._panel[1] == links:
            return self._panel[2], self._panel[3]
        series = observed.drop_duplicates(SERIES_KEY).groupby("area").size()
        count = partition_count(int(series.sum()), self.worker_threads(), self.partitions)
        partitions = plan_partitions(series, count, links)
        if self._run_dir is None:
            self.shared_dir.mkdir(parents=True, exist_ok=True)
            self._run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.shared_dir))
        path = self._run_dir / f"panel-{uuid.uuid4().hex[:8]}.parquet"
        write_panel(observed, path, partitions)
        unreadable = [worker for worker, ok in self.client.run(_readable, str(path)).items() if not ok]
        if unreadable:
            raise ClusterError(
                f"worker {unreadable[0]} cannot read {path}: set SKILLCAST_SHARED_DIR (Config.shared_dir) to a folder every worker can see"
            )
        self._panel = (source, links, str(path), partitions)
        return str(path), partitions

    # -- the Engine protocol ------------------------------------------------------------
    def forecast(
        self, panel: pd.DataFrame, requests: Sequence[ForecastRequest], on_start: Callable[[ForecastRequest], None] | None = None
    ) -> list[Forecast]:
        """Every request's tasks submitted at once, then gathered as they finish; the
        frames are built here from each partition's points (``on_start`` is not used:
        requests run together, progress goes to ``progress`` task by task)."""
        observed = observations(panel)
        links = tuple(sorted({link for request in requests for link in area_links(request.model)}))
        path, partitions = self._panel_file(observed, panel, links)
        periods = np.sort(observed["period"].unique())
        totals = totals_matrix(observed)
        run = _Run(self.client, self.retries)
        pending = [submit_forecast(run.submit, request, tasks_for(request, path, partitions, periods, totals)) for request in requests]
        results = run.collect([handle for item in pending for handle in item.handles()], self.progress)
        key_dtypes = observed[SERIES_KEY].dtypes
        answers = [finish(item, lambda handle: results[handle.key], key_dtypes) for item in pending]
        self.last_run = {
            "partitions": partitions,
            "tasks": [
                {
                    "request": item.request.label,
                    "partition": index,
                    "series": len(results[handle.key].keys),
                    "seconds": results[handle.key].seconds,
                }
                for item in pending
                for index, handle in enumerate(item.parts)
            ],
        }
        return answers

    def fit_forecast(self, panel: pd.DataFrame, model: Forecaster, horizon: int) -> tuple[Forecaster, pd.DataFrame]:
        """The forecasts, and the unfitted estimator: its fitted state lived on the workers,
        and nothing downstream needs it (the service answers from the bundle; a retrain
        refits the champion from its parameters)."""
        [answer] = self.forecast(panel, [ForecastRequest(name=getattr(model, "name", "model"), model=model, horizon=horizon)])
        return model, answer.frame


class _Run:
    """One ``forecast`` call's futures: submitted with readable keys and retries, then
    collected as they complete (progress; early release of intermediate results)."""

    def __init__(self, client, retries: int):
        self.client = client
        self.retries = retries
        self.futures: list[tuple[Any, str, bool]] = []

    def submit(self, function: Callable[..., Any], *args: Any, label: str, visible: bool = True):
        key = f"{getattr(function, '__name__', 'task')}-{uuid.uuid4().hex}"
        future = self.client.submit(function, *args, key=key, retries=self.retries, pure=False)
        self.futures.append((future, label, visible))
        return future

    def collect(self, wanted: list[Any], progress: ClusterProgress | None) -> dict[str, Any]:
        """The results of ``wanted`` futures, once every submitted task has finished.

        Progress counts the visible tasks (partition work, trainings). Intermediate
        results are not kept alive here: the scheduler frees each once its dependents
        are done. The first task that fails for good cancels the rest and raises."""
        from distributed import as_completed

        wanted_keys = {future.key for future in wanted}
        about = {future.key: (label, visible) for future, label, visible in self.futures}
        total = sum(visible for _, _, visible in self.futures)
        completed = as_completed([future for future, _, _ in self.futures], loop=self.client.loop)
        self.futures = []
        results: dict[str, Any] = {}
        done = 0
        try:
            for future in completed:
                label, visible = about[future.key]
                if future.status != "finished":
                    remaining = list(completed.futures)
                    completed.clear()
                    self.client.cancel(remaining)
                    raise ClusterError(_failure(label, future))
                if future.key in wanted_keys:
                    results[future.key] = future.result()
                if visible:
                    done += 1
                    if progress:
                        progress.task_done(done, total, label)
        except (OSError, TimeoutError, CancelledError) as error:  # the scheduler went away, or closed the run's futures
            raise ClusterError(f"lost the Dask cluster mid-run: {type(error).__name__}: {error}") from None
        return results


def _failure(label: str, future) -> str:
    """One line: which task, and why (a worker that kept dying, or the task's own error)."""
    if future.status == "cancelled":
        return f"the Dask cluster cancelled '{label}' (the scheduler restarted or the client lost it)"
    error = future.exception()
    if type(error).__name__ == "KilledWorker":
        return (
            f"'{label}' failed: the workers running it died (KilledWorker: {error}); "
            "look for workers out of memory or killed, then run again"
        )
    return f"'{label}' failed on the cluster after its retries: {type(error).__name__}: {error}"
