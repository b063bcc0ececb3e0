"""The one place where work per series or per group of series is spread over workers.

Today that is joblib on this machine's cores; a cluster engine (Dask, #9) plugs in here
and nowhere else. Models that work on all series at once (vectorised numpy, the global
LightGBM) do not need it; per-group steps such as reconciliation go through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def fan_out(function: Callable[[Item], Result], items: Sequence[Item], n_jobs: int = 1) -> list[Result]:
    """``[function(item) for item in items]``, in order, on ``n_jobs`` workers (1 = in process)."""
    if n_jobs == 1 or len(items) < 2:
        return [function(item) for item in items]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=n_jobs)(delayed(function)(item) for item in items))
