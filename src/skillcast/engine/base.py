"""Forecasters with one contract, after scikit-learn's estimators.

``__init__`` only stores parameters; ``fit(panel)`` learns from a panel in the data contract
(only its observations, never a publisher's projections) and returns ``self``;
``predict(horizon)`` returns a long frame ``SERIES_KEY, period, forecast, lo_80, hi_80,
lo_95, hi_95`` for the ``horizon`` years after the last year seen. Learned state ends in ``_``;
``predict`` before ``fit`` raises ``NotFittedError``.

Every model gets its intervals the same way (``skillcast.engine.intervals``): from its own
one-year-ahead errors replayed inside the training data, carried to longer horizons by one
stated error-growth curve, so a model's intervals are as wide as its past mistakes, not as
its assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from skillcast.data.schema import observations
from skillcast.engine.intervals import IntervalQuantiles, ReplayWindow, quantiles_from_windows, replay_backs
from skillcast.engine.matrix import SeriesMatrix


class Forecaster(BaseEstimator):
    """Base: subclasses implement ``_fit_point`` and ``_predict_point`` on a ``SeriesMatrix``."""

    name: ClassVar[str] = "base"

    def __init__(self, calibration_windows: int = 5, levels: tuple[int, ...] = (80, 95)):
        self.calibration_windows = calibration_windows
        self.levels = levels

    # -- what subclasses provide -------------------------------------------------------
    def _fit_point(self, matrix: SeriesMatrix) -> None:
        raise NotImplementedError

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        """Point forecasts, series x horizon, for the years after ``matrix.last_period``."""
        raise NotImplementedError

    # -- the contract ---------------------------------------------------------------
    def fit(self, panel: pd.DataFrame) -> Forecaster:
        matrix = SeriesMatrix.from_panel(observations(panel))
        self.interval_quantiles_ = self._calibrate(matrix)
        self._fit_point(matrix)
        self.matrix_ = matrix
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        if not hasattr(self, "matrix_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(panel) before predict(horizon)")
        if horizon < 1:
            raise ValueError(f"horizon must be at least 1 year, got {horizon}")
        matrix = self.matrix_
        point = np.maximum(self._predict_point(matrix, horizon), 0.0)
        national = self._national_quantiles(matrix, horizon)
        columns = interval_columns(point, matrix.scales(), self.interval_quantiles_, self.levels, horizon, national)
        periods = np.arange(matrix.last_period + 1, matrix.last_period + horizon + 1)
        return matrix.to_long(periods, columns)

    def _national_quantiles(self, matrix: SeriesMatrix, horizon: int) -> NationalQuantiles | None:
        """A national component of the intervals, estimated on a longer history than the
        replays see (``engine.national_total``); None: the replays' errors are all there is."""
        return None

    def _calibrate(self, matrix: SeriesMatrix) -> IntervalQuantiles:
        """Replay this model from earlier cutoffs inside the training data; its one-step errors give the intervals."""
        windows = [ReplayWindow(years, errors) for years, _, errors in self._replay_errors(matrix)]
        return quantiles_from_windows(windows, tuple(self.levels))

    def _replay_errors(
        self, matrix: SeriesMatrix, replica: Callable[[int], Forecaster] | None = None
    ) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per calibration window (``intervals.replay_backs``): the years of history the
        replay was fitted on, the rows of ``matrix`` it forecast, and their scaled
        one-year-ahead errors.

        The rows are kept so that an area partition of the panel (``skillcast.engine.partitioned``)
        can hand in the errors of its own series only; pooled over partitions they are
        exactly the errors of the whole panel. ``replica(back)`` is the unfitted model to
        replay ``back`` years before the end (default: a clone of this one); the cluster
        engine passes models whose global parts were trained on every partition.
        """
        windows = []
        for back in sorted(replay_backs(len(matrix.periods), self.calibration_windows), reverse=True):
            history, rows = matrix.truncate(matrix.last_period - back)
            if len(rows) == 0:
                continue
            replay = replica(back) if replica is not None else clone(self)
            replay._fit_point(history)
            point = np.maximum(replay._predict_point(history, 1)[:, 0], 0.0)
            actual = matrix.values[rows, len(history.periods)]
            windows.append((len(history.periods), rows, (actual - point) / history.scales()))
        return windows


# (rows it applies to, level -> lower log quantiles per step, level -> upper log quantiles per step)
NationalQuantiles = tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]


def interval_columns(
    point: np.ndarray,
    scales: np.ndarray,
    quantiles: IntervalQuantiles,
    levels: tuple[int, ...],
    horizon: int,
    national: NationalQuantiles | None = None,
) -> dict[str, np.ndarray]:
    """``forecast`` and ``lo_L``/``hi_L`` matrices (series x horizon) from points, each series'
    scale and the calibrated quantiles: one function, so every engine computes them alike.

    ``national``: the national total's own relative error, for the rows that move with it:
    each half-width is the wider of the local one and the national one. The replays see only
    a few calm national years, so without it the national error is under-stated; adding the
    two (in quadrature) would count the calm years' national error, which the replays hold,
    twice (it gave 80% coverage 0.84-0.90 at cutoffs 2013-16; docs/forecasting.md)."""
    columns = {"forecast": point}
    for level in levels:
        lower, upper = quantiles.at(level, horizon)
        below = -lower[None, :] * scales[:, None]
        above = np.broadcast_to(upper[None, :] * scales[:, None], point.shape)
        if national is not None:
            rows, national_lower, national_upper = national
            down = point * (1 - np.exp(national_lower[level][None, :horizon]))
            up = point * (np.exp(national_upper[level][None, :horizon]) - 1)
            below = np.where(rows[:, None], np.maximum(below, down), below)
            above = np.where(rows[:, None], np.maximum(above, up), above)
        columns[f"lo_{level}"] = np.maximum(point - below, 0.0)
        columns[f"hi_{level}"] = np.maximum(point + above, columns[f"lo_{level}"])
    return columns
