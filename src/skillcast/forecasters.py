"""Forecasters with one contract, after scikit-learn's estimators.

``__init__`` only stores parameters; ``fit(panel)`` learns from a panel in the data contract
(only its observations, never a publisher's projections) and returns ``self``;
``predict(horizon)`` returns a long frame ``SERIES_KEY, period, forecast, lo_80, hi_80,
lo_95, hi_95`` for the ``horizon`` years after the last year seen. Learned state ends in ``_``;
``predict`` before ``fit`` raises ``NotFittedError``.

Every model gets its intervals the same way (``skillcast.intervals``): from its own
rolling-origin errors inside the training data, so a model's intervals are as wide as its
past mistakes, not as its assumptions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from skillcast.intervals import IntervalQuantiles, quantiles_from_errors
from skillcast.matrix import SeriesMatrix
from skillcast.schema import observations


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
        columns = interval_columns(point, matrix.scales(), self.interval_quantiles_, self.levels, horizon)
        periods = np.arange(matrix.last_period + 1, matrix.last_period + horizon + 1)
        return matrix.to_long(periods, columns)

    def _calibrate(self, matrix: SeriesMatrix) -> IntervalQuantiles:
        """Replay this model from earlier cutoffs inside the training data; pool the scaled errors."""
        pooled = [np.concatenate([errors for _, errors in step]) if step else np.array([]) for step in self._replay_errors(matrix)]
        return quantiles_from_errors(pooled, tuple(self.levels))

    def _replay_errors(
        self, matrix: SeriesMatrix, replica: Callable[[int], Forecaster] | None = None
    ) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """Per horizon step, each calibration window's (rows of ``matrix``, scaled errors).

        The rows are kept so that an area partition of the panel (``skillcast.partitioned``)
        can hand in the errors of its own series only; pooled over partitions they are
        exactly the errors of the whole panel. ``replica(back)`` is the unfitted model to
        replay ``back`` years before the end (default: a clone of this one); the cluster
        engine passes models whose global parts were trained on every partition.
        """
        windows = min(self.calibration_windows, len(matrix.periods) - 2)
        errors: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(max(windows, 0))]
        for back in range(windows, 0, -1):
            cutoff = matrix.last_period - back
            history, rows = matrix.truncate(cutoff)
            if len(history.periods) < 2 or len(rows) == 0:
                continue
            replay = replica(back) if replica is not None else clone(self)
            replay._fit_point(history)
            point = np.maximum(replay._predict_point(history, back), 0.0)
            actual = matrix.values[rows][:, len(history.periods) : len(history.periods) + back]
            scaled = (actual - point) / history.scales()[:, None]
            for step in range(back):
                errors[step].append((rows, scaled[:, step]))
        return errors


def interval_columns(
    point: np.ndarray, scales: np.ndarray, quantiles: IntervalQuantiles, levels: tuple[int, ...], horizon: int
) -> dict[str, np.ndarray]:
    """``forecast`` and ``lo_L``/``hi_L`` matrices (series x horizon) from points, each series'
    scale and the calibrated quantiles: one function, so every engine computes them alike."""
    columns = {"forecast": point}
    for level in levels:
        lower, upper = quantiles.at(level, horizon)
        columns[f"lo_{level}"] = np.maximum(point + lower[None, :] * scales[:, None], 0.0)
        columns[f"hi_{level}"] = np.maximum(point + upper[None, :] * scales[:, None], columns[f"lo_{level}"])
    return columns


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


class ReconciledForecaster(Forecaster):
    """Another forecaster's points made coherent (``skillcast.reconcile``) before intervals.

    Within each area, categories are reconciled to their totals; with ``area_parents``
    (child area -> parent area), parents are then the sums of their children (bottom-up).
    Reconciling inside ``_predict_point`` means the conformal calibration sees, and the
    intervals describe, the forecasts as they are finally published.
    """

    def __init__(
        self,
        base: Forecaster | None = None,
        calibration_windows: int = 5,
        levels: tuple[int, ...] = (80, 95),
        area_parents: tuple[tuple[str, str], ...] = (),
    ):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.base = base
        self.area_parents = area_parents

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"reconciled:{self.base.name}"

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        self.base_ = clone(self.base)
        self.base_._fit_point(matrix)

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        from skillcast.reconcile import reconcile_matrix, sum_children_into_parents

        point = reconcile_matrix(self.base_._predict_point(matrix, horizon), matrix.keys, matrix.scales() ** 2)
        if self.area_parents:
            point = sum_children_into_parents(point, matrix.keys, dict(self.area_parents))
        return point


BASE_MODELS: frozenset[str] = frozenset({"naive", "drift", "lightgbm", "national_share", "ets", "ensemble"})
ENSEMBLE_MEMBERS: tuple[str, ...] = ("national_share", "lightgbm", "naive")
RECONCILED = "reconciled:"


def is_model_name(name: str) -> bool:
    return name in BASE_MODELS or (name.startswith(RECONCILED) and name[len(RECONCILED) :] in BASE_MODELS)


def make_forecaster(name: str, calibration_windows: int = 5, levels: tuple[int, ...] = (80, 95), seed: int = 0) -> Forecaster:
    """A forecaster by its registered name: one of ``BASE_MODELS``, or ``reconciled:NAME``."""
    if name.startswith(RECONCILED) and is_model_name(name):
        base = make_forecaster(name[len(RECONCILED) :], calibration_windows, levels, seed)
        return ReconciledForecaster(base=base, calibration_windows=calibration_windows, levels=levels)
    if name == "naive":
        return NaiveForecaster(calibration_windows=calibration_windows, levels=levels)
    if name == "drift":
        return DriftForecaster(calibration_windows=calibration_windows, levels=levels)
    if name == "lightgbm":
        from skillcast.lightgbm_forecaster import GlobalLightGBMForecaster

        return GlobalLightGBMForecaster(calibration_windows=calibration_windows, levels=levels, seed=seed)
    if name == "national_share":
        from skillcast.national_share import NationalShareForecaster

        return NationalShareForecaster(calibration_windows=calibration_windows, levels=levels)
    if name == "ets":
        from skillcast.ets_forecaster import DampedETSForecaster

        return DampedETSForecaster(calibration_windows=calibration_windows, levels=levels)
    if name == "ensemble":
        from skillcast.ets_forecaster import MeanEnsembleForecaster

        members = tuple(make_forecaster(member, calibration_windows, levels, seed) for member in ENSEMBLE_MEMBERS)
        return MeanEnsembleForecaster(members=members, calibration_windows=calibration_windows, levels=levels)
    raise ValueError(f"unknown model {name!r}; expected one of {sorted(BASE_MODELS)}, optionally prefixed '{RECONCILED}'")
