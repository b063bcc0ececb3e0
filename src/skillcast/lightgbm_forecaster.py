"""One LightGBM model trained across all series at once (a "global" model).

Annual local series are short (10-15 points): too short to fit a good model each. A global
model learns how growth depends on recent growth, level, the series' share of its area
total and its category (e.g. "professional occupations grow, admin shrinks") from every
series together, then forecasts each series recursively one year at a time.

It predicts the change in log(1 + value), so large and small series share one scale, and
clips each year's predicted change to +/-``max_step`` so a recursion can never explode.
When there is too little history to learn from, it falls back to the naive forecast for
every series and says so in ``fallback_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.forecasters import Forecaster
from skillcast.matrix import SeriesMatrix

N_LAGS = 3
MIN_TRAINING_ROWS = 50
FEATURES = ["growth_1", "growth_2", "growth_3", "growth_mean", "log_level", "log_share_of_total", "category"]


def _forward_fill(values: np.ndarray) -> np.ndarray:
    """Carry the last observation forward along each row (gaps and a ragged end)."""
    frame = pd.DataFrame(values)
    return frame.T.ffill().T.to_numpy()


def _features_at(logs: np.ndarray, totals: np.ndarray, column: int, category: np.ndarray) -> np.ndarray:
    """Feature rows for every series at one time column of the log-level matrix."""
    n_series = logs.shape[0]
    growth = np.full((n_series, N_LAGS), np.nan)
    for lag in range(N_LAGS):
        now, before = column - lag, column - lag - 1
        if before >= 0:
            growth[:, lag] = logs[:, now] - logs[:, before]
    known = np.isfinite(growth).sum(axis=1)
    growth_mean = np.where(known > 0, np.nansum(growth, axis=1) / np.maximum(known, 1), np.nan)
    level = logs[:, column]
    share = level - totals[:, column]
    return np.column_stack([growth, growth_mean, level, share, category])


class GlobalLightGBMForecaster(Forecaster):
    name = "lightgbm"

    def __init__(
        self,
        calibration_windows: int = 5,
        levels: tuple[int, ...] = (80, 95),
        seed: int = 0,
        n_estimators: int = 300,
        learning_rate: float = 0.03,
        num_leaves: int = 15,
        min_child_samples: int = 20,
        max_step: float = 0.3,
    ):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.seed = seed
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_step = max_step

    def _layout(self, matrix: SeriesMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log levels (forward-filled), each series' area total in logs, and category ids."""
        logs = _forward_fill(np.log1p(matrix.values))
        keys = matrix.keys
        is_total = (keys["classification"] == "all").to_numpy()
        total_row = {
            (area, measure): row
            for row, (area, measure) in enumerate(zip(keys["area"], keys["measure"]))
            if is_total[row]
        }
        parent = np.array([total_row.get((area, measure), -1) for area, measure in zip(keys["area"], keys["measure"])])
        totals = np.where(parent[:, None] >= 0, logs[np.maximum(parent, 0)], np.nan)
        labels = keys["measure"] + ":" + keys["classification"] + ":" + keys["code"]
        category = np.array([self.categories_.get(label, -1) for label in labels], dtype=float)
        return logs, totals, category, parent

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        import lightgbm

        labels = matrix.keys["measure"] + ":" + matrix.keys["classification"] + ":" + matrix.keys["code"]
        self.categories_ = {label: index for index, label in enumerate(sorted(set(labels)))}
        logs, totals, category, _ = self._layout(matrix)
        raw_logs = np.log1p(matrix.values)
        rows, targets = [], []
        for column in range(1, logs.shape[1] - 1):
            target = raw_logs[:, column + 1] - raw_logs[:, column]
            known = np.isfinite(target)
            if known.any():
                rows.append(_features_at(logs, totals, column, category)[known])
                targets.append(target[known])
        self.fallback_ = not rows or sum(len(t) for t in targets) < MIN_TRAINING_ROWS
        if self.fallback_:
            self.booster_ = None
            return
        features = np.vstack(rows)
        target = np.clip(np.concatenate(targets), -self.max_step, self.max_step)
        model = lightgbm.LGBMRegressor(
            objective="l1",
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.9,
            reg_lambda=1.0,
            random_state=self.seed,
            deterministic=True,
            force_col_wise=True,
            n_jobs=1,
            verbose=-1,
        )
        frame = pd.DataFrame(features, columns=FEATURES)
        model.fit(frame, target, categorical_feature=["category"])
        self.booster_ = model

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        logs, totals, category, parent = self._layout(matrix)
        last = logs[:, -1]
        if self.booster_ is None:
            return np.repeat(np.expm1(last)[:, None], horizon, axis=1)
        logs = np.hstack([logs, np.full((logs.shape[0], horizon), np.nan)])
        totals = np.hstack([totals, np.full((totals.shape[0], horizon), np.nan)])
        start = matrix.values.shape[1]
        for step in range(horizon):
            column = start + step - 1
            features = pd.DataFrame(_features_at(logs, totals, column, category), columns=FEATURES)
            growth = np.clip(self.booster_.predict(features), -self.max_step, self.max_step)
            logs[:, column + 1] = logs[:, column] + growth
            totals[:, column + 1] = np.where(parent >= 0, logs[np.maximum(parent, 0), column + 1], np.nan)
        return np.expm1(logs[:, start:])
