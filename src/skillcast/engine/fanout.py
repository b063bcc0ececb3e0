"""Where the engine's work runs: this process, or a Dask cluster (issue #9).

Two levels, both here:

* ``fan_out`` spreads small per-item work (one ETS fit per series, one reconciliation
  system per area) over this machine's cores with joblib. It stays inside a process.
* An ``Engine`` runs whole forecasts: "fit this model on the observations up to this
  cutoff and forecast ``horizon`` years". ``LocalEngine`` does it here, exactly as the
  forecasters' own ``fit``/``predict``; ``skillcast.engine.dask_engine.DaskEngine`` splits the
  panel into area partitions and runs them on a cluster with the same answers
  (``skillcast.engine.partitioned`` says why they are the same).

Nothing here knows which engine a run uses: callers receive one (``skillcast.engine.engines``
opens the one a configuration names), and nothing here imports Dask, so the package works
without the optional ``skillcast[dask]`` extra until a run asks for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import pandas as pd

if TYPE_CHECKING:
    from skillcast.engine.base import Forecaster

Item = TypeVar("Item")
Result = TypeVar("Result")

DASK_EXTRA_HINT = "pip install 'skillcast[dask]'"


def fan_out(function: Callable[[Item], Result], items: Sequence[Item], n_jobs: int = 1) -> list[Result]:
    """``[function(item) for item in items]``, in order, on ``n_jobs`` workers (1 = in process)."""
    if n_jobs == 1 or len(items) < 2:
        return [function(item) for item in items]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=n_jobs)(delayed(function)(item) for item in items))


class EngineUnavailable(ValueError):
    """The configured engine cannot run here (the Dask extra is not installed): bad setup, exit 2."""


class ClusterError(RuntimeError):
    """The cluster could not finish a run (a task failed after its retries, workers died,
    the scheduler went away). Nothing the run was about to write has been written."""


@dataclass(frozen=True)
class ForecastRequest:
    """Fit ``model`` (unfitted) on the observations up to ``cutoff`` (None: all of them)
    and forecast the ``horizon`` years after the last one; ``name`` labels it in reports."""

    name: str
    model: Forecaster
    horizon: int
    cutoff: int | None = None

    @property
    def label(self) -> str:
        return self.name if self.cutoff is None else f"{self.name} @ {self.cutoff}"


@dataclass(frozen=True)
class Forecast:
    """A request's answer: the forecaster's ``predict`` frame and the compute seconds it
    took (wall time here; the sum of its tasks' time on a cluster)."""

    frame: pd.DataFrame
    seconds: float


class ClusterProgress(Protocol):
    """What a cluster reports as it works, for the command line to show."""

    def connected(self, description: str) -> None: ...

    def task_done(self, done: int, total: int, label: str) -> None: ...


class Engine(Protocol):
    name: str

    def forecast(
        self, panel: pd.DataFrame, requests: Sequence[ForecastRequest], on_start: Callable[[ForecastRequest], None] | None = None
    ) -> list[Forecast]:
        """One ``Forecast`` per request, in order; ``panel`` is in the data contract."""
        ...

    def fit_forecast(self, panel: pd.DataFrame, model: Forecaster, horizon: int) -> tuple[Forecaster, pd.DataFrame]:
        """Fit ``model`` on all of ``panel`` and forecast: (the estimator to register, forecasts)."""
        ...


class LocalEngine:
    """Everything in this process: ``clone(model).fit(history).predict(horizon)``."""

    name = "local"

    def forecast(
        self, panel: pd.DataFrame, requests: Sequence[ForecastRequest], on_start: Callable[[ForecastRequest], None] | None = None
    ) -> list[Forecast]:
        from sklearn.base import clone

        answers = []
        for request in requests:
            history = panel if request.cutoff is None else panel.loc[panel["period"] <= request.cutoff]
            if on_start:
                on_start(request)
            started = time.perf_counter()
            frame = clone(request.model).fit(history).predict(request.horizon)
            answers.append(Forecast(frame=frame, seconds=time.perf_counter() - started))
        return answers

    def fit_forecast(self, panel: pd.DataFrame, model: Forecaster, horizon: int) -> tuple[Forecaster, pd.DataFrame]:
        fitted = model.fit(panel)
        return fitted, fitted.predict(horizon)

    def close(self) -> None:
        pass


def require_dask() -> None:
    """Fail in one line, before anything starts, when the Dask extra is missing."""
    from importlib import import_module

    try:
        for module in ("dask", "distributed"):
            import_module(module)
    except ImportError:
        raise EngineUnavailable(f"engine 'dask' needs the optional Dask extra, which is not installed: {DASK_EXTRA_HINT}") from None
