"""The mean of several models' points: the simplest combination, often hard to beat."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from skillcast.engine.base import Forecaster
from skillcast.engine.matrix import SeriesMatrix


class MeanEnsembleForecaster(Forecaster):
    """The mean of several models' points: the simplest combination, often hard to beat."""

    name = "ensemble"

    def __init__(self, members: tuple[Forecaster, ...] = (), calibration_windows: int = 5, levels: tuple[int, ...] = (80, 95)):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.members = members

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        self.members_ = [clone(member) for member in self.members]
        for member in self.members_:
            member._fit_point(matrix)

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        return np.mean([member._predict_point(matrix, horizon) for member in self.members_], axis=0)
