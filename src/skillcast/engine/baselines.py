"""The baselines every model must beat: the last value (naive) and a straight line (drift)."""

from __future__ import annotations

import numpy as np

from skillcast.engine.base import Forecaster
from skillcast.engine.matrix import SeriesMatrix


def _last_index(matrix: SeriesMatrix) -> np.ndarray:
    observed = ~np.isnan(matrix.values)
    return matrix.values.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)


class NaiveForecaster(Forecaster):
    """Every future year equals the last observed one: the baseline to beat."""

    name = "naive"

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        self.last_ = matrix.last_observed()

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        return np.repeat(self.last_[:, None], horizon, axis=1)


class DriftForecaster(Forecaster):
    """A straight line through the first and last observations (random walk with drift).

    The drift is damped by ``damping`` per year ahead (1.0 = undamped), because long
    straight-line extrapolation of local employment over-shoots more often than not.
    """

    name = "drift"

    def __init__(self, calibration_windows: int = 5, levels: tuple[int, ...] = (80, 95), damping: float = 1.0):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.damping = damping

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        observed = ~np.isnan(matrix.values)
        first = np.argmax(observed, axis=1)
        last = _last_index(matrix)
        rows = np.arange(len(matrix.values))
        span = np.maximum(last - first, 1)
        self.slope_ = np.where(last > first, (matrix.values[rows, last] - matrix.values[rows, first]) / span, 0.0)
        self.last_ = matrix.values[rows, last]
        self.gap_ = (len(matrix.periods) - 1) - last  # years since the last observation

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        steps = self.gap_[:, None] + np.arange(1, horizon + 1)[None, :]
        if self.damping == 1.0:
            multiplier = steps.astype(float)
        else:
            multiplier = self.damping * (1 - self.damping**steps) / (1 - self.damping)
        return self.last_[:, None] + self.slope_[:, None] * multiplier
