"""Conformal prediction intervals from a model's own rolling-origin errors.

A model's point forecasts are replayed from a few earlier cutoffs inside its training data;
the errors, divided by each series' scale (mean absolute one-step change, as in MASE), are
pooled across series per horizon, and their empirical quantiles give the interval:
``forecast + quantile(h) * scale``. Pooling across series is what makes this work on
short annual series; scaling is what lets volatile and steady series share one
distribution. Beyond the longest horizon that could be calibrated, the quantiles grow with
the square root of the horizon (the random-walk rate), and widths never shrink with h.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_ERRORS_PER_HORIZON = 10


@dataclass(frozen=True)
class IntervalQuantiles:
    """Scaled-error quantiles per horizon: ``lower[level][h-1]``, ``upper[level][h-1]``."""

    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]

    def at(self, level: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles for horizons 1..horizon, extrapolated past the calibrated range."""
        lower, upper = self.lower[level], self.upper[level]
        known = len(lower)
        steps = np.arange(1, horizon + 1)
        grow = np.sqrt(np.maximum(steps, known) / known)
        index = np.minimum(steps, known) - 1
        return lower[index] * grow, upper[index] * grow


def quantiles_from_errors(errors_by_horizon: list[np.ndarray], levels: tuple[int, ...]) -> IntervalQuantiles:
    """Calibrate from scaled errors (actual - forecast) / scale, one array per horizon.

    Horizons with too few errors are dropped from the end (then extrapolated); with none
    at all, the quantiles of a standard normal random walk are used, which is what a naive
    model's intervals would be.
    """
    usable = []
    for errors in errors_by_horizon:
        finite = errors[np.isfinite(errors)]
        if len(finite) < MIN_ERRORS_PER_HORIZON:
            break
        usable.append(finite)
    lower: dict[int, np.ndarray] = {}
    upper: dict[int, np.ndarray] = {}
    for level in levels:
        tail = (1 - level / 100) / 2
        if not usable:
            from statistics import NormalDist

            z = NormalDist().inv_cdf(1 - tail)
            lower[level], upper[level] = np.array([-z]), np.array([z])
            continue
        low, high = [], []
        for errors in usable:
            # Conformal finite-sample adjustment: widen the quantile levels by 1/(n+1).
            n = len(errors)
            low_q = max(tail * (n + 1) / n - 1 / n, 0.0)
            high_q = min((1 - tail) * (n + 1) / n, 1.0)
            low.append(min(np.quantile(errors, low_q), 0.0))
            high.append(max(np.quantile(errors, high_q), 0.0))
        # Never narrower at a longer horizon.
        lower[level] = np.minimum.accumulate(np.array(low))
        upper[level] = np.maximum.accumulate(np.array(high))
    return IntervalQuantiles(lower=lower, upper=upper)
