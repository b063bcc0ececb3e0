"""One LightGBM model trained across all series at once (a "global" model).

Annual local series are short (10-15 points): too short to fit a good model each. A global
model learns how growth depends on recent growth, level, the series' share of its area
total and its category (e.g. "professional occupations grow, admin shrinks") from every
series together, then forecasts each series recursively one year at a time.

It predicts the change in log(1 + value), so large and small series share one scale, and
clips each year's predicted change to +/-``max_step`` so a recursion can never explode.
When there is too little history to learn from, it falls back to the naive forecast for
every series and says so in ``fallback_``.

Training is split in three so that a cluster engine can build the training rows where the
data are (``training_rows``, one call per area partition), merge them into exactly the
rows one machine would have built (``merge_training_rows``: series order, category ids)
and train once (``train``); a model handed that result as ``pretrained`` adopts it in
``fit`` instead of training. The merged rows are identical to the local ones, so the
model, and every forecast, is bit-for-bit the same on one machine and on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from skillcast.data.schema import SERIES_KEY
from skillcast.engine.base import Forecaster
from skillcast.engine.matrix import SeriesMatrix, forward_fill

N_LAGS = 3
MIN_TRAINING_ROWS = 50
FEATURES = ["growth_1", "growth_2", "growth_3", "growth_mean", "log_level", "log_share_of_total", "category"]
CATEGORY = FEATURES.index("category")


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


def _labels(keys: pd.DataFrame) -> pd.Series:
    return keys["measure"] + ":" + keys["classification"] + ":" + keys["code"]


@dataclass(frozen=True)
class TrainingRows:
    """What some series contribute to the global model's training set.

    ``keys`` are those series (``SERIES_KEY``) in matrix order; ``labels`` their sorted
    category labels, which the ``category`` feature indexes; ``columns`` hold, per time
    column, the positions in ``keys`` of the rows, their features and their targets.
    """

    keys: pd.DataFrame
    labels: tuple[str, ...]
    columns: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]

    @property
    def size(self) -> int:
        return sum(len(target) for _, _, target in self.columns)


@dataclass(frozen=True)
class TrainedModel:
    """A trained global model: the LightGBM regressor (None = too little data, naive
    fallback) and the category ids its ``category`` feature was built with.

    Deliberately not a scikit-learn estimator: ``clone`` deep-copies it instead of
    returning an unfitted copy, so a model handed it as ``pretrained`` keeps it."""

    booster: object | None
    categories: dict[str, int] = field(default_factory=dict)


def merge_training_rows(parts: list[TrainingRows]) -> TrainingRows:
    """The rows of several area partitions as one machine would have built them.

    Category ids are re-numbered over the union of the labels (the whole panel's sorted
    labels) and, within each time column, rows are put in the whole panel's series order
    (``SERIES_KEY``, as ``SeriesMatrix`` sorts them). Training LightGBM on the result gives
    the same model as training on the whole panel: same rows, same order, same ids.
    """
    parts = [part for part in parts if len(part.keys)]
    if not parts:
        return TrainingRows(keys=pd.DataFrame(columns=SERIES_KEY), labels=(), columns=())
    labels = tuple(sorted(set().union(*(part.labels for part in parts))))
    index = {label: position for position, label in enumerate(labels)}
    keys = pd.concat([part.keys for part in parts], ignore_index=True)
    order = keys.sort_values(SERIES_KEY, kind="stable").index.to_numpy()
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys))
    offsets = np.cumsum([0] + [len(part.keys) for part in parts])
    columns = []
    if len({len(part.columns) for part in parts}) > 1:
        raise ValueError("training rows of partitions with different years cannot be merged")
    for column in range(len(parts[0].columns)):
        ranks, features, targets = [], [], []
        for offset, part in zip(offsets[:-1], parts, strict=True):
            positions, rows, target = part.columns[column]
            renumber = np.array([index[label] for label in part.labels], dtype=float)
            rows = rows.copy()
            rows[:, CATEGORY] = renumber[rows[:, CATEGORY].astype(np.int64)] if len(rows) else rows[:, CATEGORY]
            ranks.append(rank[offset + positions])
            features.append(rows)
            targets.append(target)
        ranks_all = np.concatenate(ranks)
        sort = np.argsort(ranks_all, kind="stable")
        columns.append((ranks_all[sort], np.vstack(features)[sort], np.concatenate(targets)[sort]))
    return TrainingRows(keys=keys.loc[order].reset_index(drop=True), labels=labels, columns=tuple(columns))


class GlobalLightGBMForecaster(Forecaster):
    """The global model. ``pretrained`` is internal: a ``TrainedModel`` trained on every
    area partition (``skillcast.engine.partitioned``), adopted by ``fit`` instead of training."""

    name = "lightgbm"
    trains_on_all_series = True  # the cluster engine trains it on every partition's rows at once
    merge_training_rows = staticmethod(merge_training_rows)  # how the cluster engine merges partitions' rows

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
        pretrained: TrainedModel | None = None,
    ):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.seed = seed
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.max_step = max_step
        self.pretrained = pretrained

    @staticmethod
    def _parents(keys: pd.DataFrame) -> np.ndarray:
        """For each series, the row of its area's total for the same measure (-1: none)."""
        is_total = (keys["classification"] == "all").to_numpy()
        total_row = {
            (area, measure): row for row, (area, measure) in enumerate(zip(keys["area"], keys["measure"], strict=True)) if is_total[row]
        }
        return np.array([total_row.get((area, measure), -1) for area, measure in zip(keys["area"], keys["measure"], strict=True)])

    def _layout(self, matrix: SeriesMatrix, categories: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Log levels (forward-filled), each series' area total in logs, category ids, parent rows."""
        logs = forward_fill(np.log1p(matrix.values))
        parent = self._parents(matrix.keys)
        totals = np.where(parent[:, None] >= 0, logs[np.maximum(parent, 0)], np.nan)
        category = np.array([categories.get(label, -1) for label in _labels(matrix.keys)], dtype=float)
        return logs, totals, category, parent

    def training_rows(self, matrix: SeriesMatrix, own: np.ndarray | None = None) -> TrainingRows:
        """The training rows of the series of ``matrix`` (only the ``own`` ones, when given:
        an area partition leaves out the series it carries for other reasons)."""
        own = np.ones(len(matrix.keys), dtype=bool) if own is None else own
        keys = matrix.keys.loc[own].reset_index(drop=True)
        labels = tuple(sorted(set(_labels(keys))))
        logs, totals, category, _ = self._layout(matrix, {label: index for index, label in enumerate(labels)})
        position = np.cumsum(own) - 1
        raw_logs = np.log1p(matrix.values)
        columns = []
        for column in range(1, logs.shape[1] - 1):  # every column, empty or not: partitions line up by column
            target = raw_logs[:, column + 1] - raw_logs[:, column]
            known = np.isfinite(target) & own
            columns.append((position[known], _features_at(logs, totals, column, category)[known], target[known]))
        return TrainingRows(keys=keys, labels=labels, columns=tuple(columns))

    def train(self, rows: TrainingRows) -> TrainedModel:
        """Train on ``rows`` (one machine's, or every partition's merged); deterministic for a seed."""
        categories = {label: index for index, label in enumerate(rows.labels)}
        if rows.size < MIN_TRAINING_ROWS:
            return TrainedModel(booster=None, categories=categories)
        import lightgbm

        features = np.vstack([features for _, features, _ in rows.columns])
        target = np.clip(np.concatenate([target for _, _, target in rows.columns]), -self.max_step, self.max_step)
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
        model.fit(pd.DataFrame(features, columns=FEATURES), target, categorical_feature=["category"])
        return TrainedModel(booster=model, categories=categories)

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        trained = self.pretrained if self.pretrained is not None else self.train(self.training_rows(matrix))
        self.categories_ = trained.categories
        self.booster_ = trained.booster
        self.fallback_ = trained.booster is None

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        logs, totals, category, parent = self._layout(matrix, self.categories_)
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
