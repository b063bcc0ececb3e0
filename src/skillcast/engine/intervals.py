"""Prediction intervals from one stated model of error growth, calibrated on a model's own past errors.

Every horizon, calibrated or not, comes from the same curve (scaled errors, as in MASE):

    q_L(h) = q_L(1) x h ** ERROR_GROWTH        ERROR_GROWTH = 0.5

* ``q_L(1)``: conformal-adjusted empirical quantiles of the model's one-year-ahead errors,
  replayed from a few earlier cutoffs inside its training data and pooled across series
  (``Forecaster._replay_errors``). Pooling is what makes this work on short annual series;
  dividing each error by its series' scale (mean absolute one-step change) is what lets
  volatile and steady series share one distribution.
* Only replays fitted on at least ``MIN_HISTORY_YEARS`` (3) years count, unless there is
  no such replay (then the one fitted on the most years). A model refitted on two years
  takes its trends from a single change and fails far worse than the model finally
  fitted, so its errors would make every interval too wide.
* ``ERROR_GROWTH`` is fixed by hand at 0.5, the random-walk rate: errors of a level
  forecast accumulate like a sum of yearly shocks. It cannot be estimated from the
  replays: every long-horizon replay error comes from a short-history refit, which biases
  an estimate upwards (0.63-0.84 on SI2035 at cutoffs 2014-16, against about 0.43 seen in
  the tests that followed; BENCHMARKS.md).

One curve for every horizon means there is no point where one method hands over to
another (no kink), and widths grow with h by construction. The coverage this gives at
h 1-7 on SI2035 is in BENCHMARKS.md; docs/forecasting.md lists the constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

MIN_ERRORS = 10  # fewer one-step errors than this: the random walk's normal quantiles instead
MIN_HISTORY_YEARS = 3  # a replay fitted on fewer years (trends from one change) does not count, if another does
ERROR_GROWTH = 0.5  # q(h) = q(1) h^0.5: the random-walk rate (see the module docstring)


@dataclass(frozen=True)
class ReplayWindow:
    """One calibration window: the years of history the replay was fitted on, and the
    scaled one-year-ahead errors ``(actual - forecast) / scale`` of its series (NaN: no actual)."""

    history_years: int
    errors: np.ndarray


@dataclass(frozen=True)
class IntervalQuantiles:
    """One-year-ahead scaled-error quantiles per level and the error growth that carries them to any horizon."""

    lower: dict[int, float]
    upper: dict[int, float]
    growth: float = ERROR_GROWTH

    def at(self, level: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles for horizons 1..horizon: ``q(1) x h ** growth``."""
        factor = np.arange(1, horizon + 1, dtype=float) ** self.growth
        return self.lower[level] * factor, self.upper[level] * factor


def replay_backs(n_periods: int, windows: int) -> list[int]:
    """Which calibration windows to replay, as years before the end of ``n_periods`` years.

    Up to ``windows`` of them, each leaving at least 2 years of history; only those leaving
    ``MIN_HISTORY_YEARS`` count when there are any (so the others are not replayed at all),
    else the one leaving the most history."""
    possible = list(range(1, max(min(windows, n_periods - 2), 0) + 1))
    long_enough = [back for back in possible if n_periods - back >= MIN_HISTORY_YEARS]
    return long_enough or possible[:1]


def quantiles_from_errors(one_step: np.ndarray, levels: tuple[int, ...], growth: float = ERROR_GROWTH) -> IntervalQuantiles:
    """``q_L(1)`` from pooled one-step scaled errors; with fewer than ``MIN_ERRORS`` finite
    ones, the normal quantiles of a unit random walk (what a naive model's would be)."""
    errors = one_step[np.isfinite(one_step)]
    lower: dict[int, float] = {}
    upper: dict[int, float] = {}
    for level in levels:
        tail = (1 - level / 100) / 2
        if len(errors) < MIN_ERRORS:
            z = NormalDist().inv_cdf(1 - tail)
            lower[level], upper[level] = -z, z
            continue
        # Conformal finite-sample adjustment: widen the quantile levels by 1/(n+1).
        n = len(errors)
        low_q = max(tail * (n + 1) / n - 1 / n, 0.0)
        high_q = min((1 - tail) * (n + 1) / n, 1.0)
        lower[level] = min(float(np.quantile(errors, low_q)), 0.0)
        upper[level] = max(float(np.quantile(errors, high_q)), 0.0)
    return IntervalQuantiles(lower=lower, upper=upper, growth=growth)


def quantiles_from_windows(windows: list[ReplayWindow], levels: tuple[int, ...], growth: float = ERROR_GROWTH) -> IntervalQuantiles:
    """The intervals' curve from replay windows: the one-step errors of the windows fitted
    on at least ``MIN_HISTORY_YEARS`` years (or, with none, of the longest one), pooled.

    Windows of the same length are pooled whatever their order or how they were split (an
    area partition hands in its own series' errors), so the quantiles are those of the
    whole panel."""
    usable = [window for window in windows if window.history_years >= MIN_HISTORY_YEARS]
    if not usable and windows:
        longest = max(window.history_years for window in windows)
        usable = [window for window in windows if window.history_years == longest]
    pooled = np.concatenate([window.errors for window in usable]) if usable else np.empty(0)
    return quantiles_from_errors(pooled, levels, growth)
