"""Long panel <-> series-by-period matrix, the shape the models compute on.

Models work on a dense float matrix (one row a series, one column a year, NaN where a year
is missing) because vectorised arithmetic over all series at once is what keeps the engine
fast on 100k+ series; the long frame stays the contract at every boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.data.schema import SERIES_KEY


def forward_fill(values: np.ndarray) -> np.ndarray:
    """Carry each row's last observation forward over missing years (leading gaps stay NaN)."""
    index = np.where(np.isnan(values), 0, np.arange(values.shape[1])[None, :])
    np.maximum.accumulate(index, axis=1, out=index)
    return values[np.arange(values.shape[0])[:, None], index]


@dataclass(frozen=True)
class SeriesMatrix:
    keys: pd.DataFrame  # one row a series: SERIES_KEY columns
    periods: np.ndarray  # the years, ascending, consecutive
    values: np.ndarray  # len(keys) x len(periods), NaN = not observed

    @classmethod
    def from_panel(cls, panel: pd.DataFrame) -> SeriesMatrix:
        if panel.empty:
            raise ValueError("cannot build a series matrix from an empty panel")
        wide = panel.set_index(SERIES_KEY + ["period"])["value"].unstack("period")
        periods = np.arange(int(panel["period"].min()), int(panel["period"].max()) + 1)
        wide = wide.reindex(columns=periods)
        wide = wide.loc[wide.notna().any(axis=1)]
        return cls(keys=wide.index.to_frame(index=False), periods=periods, values=wide.to_numpy(dtype="float64"))

    @property
    def last_period(self) -> int:
        return int(self.periods[-1])

    def last_observed(self) -> np.ndarray:
        """The most recent observed value of each series."""
        observed = ~np.isnan(self.values)
        last_index = self.values.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)
        return self.values[np.arange(len(self.values)), last_index]

    def scales(self) -> np.ndarray:
        """Mean absolute one-step change (the MASE scale), with a floor so flat series work.

        The floor (1 person, or 0.1% of the level) keeps scaled errors finite for flat or
        single-point series without letting them dominate.
        """
        steps = np.abs(np.diff(self.values, axis=1))
        with np.errstate(invalid="ignore"):
            count = np.sum(~np.isnan(steps), axis=1)
            mean_step = np.where(count > 0, np.nansum(steps, axis=1) / np.maximum(count, 1), 0.0)
        level = np.abs(self.last_observed())
        return np.maximum.reduce([mean_step, 0.001 * level, np.ones_like(level)])

    def to_long(self, periods: np.ndarray, columns: dict[str, np.ndarray]) -> pd.DataFrame:
        """A long frame of ``SERIES_KEY, period`` + one column per matrix in ``columns``."""
        n_series, n_periods = len(self.keys), len(periods)
        frame = self.keys.loc[self.keys.index.repeat(n_periods)].reset_index(drop=True)
        frame["period"] = np.tile(periods.astype("int64"), n_series)
        for name, matrix in columns.items():
            frame[name] = matrix.reshape(-1)
        return frame

    def truncate(self, last_period: int) -> tuple[SeriesMatrix, np.ndarray]:
        """The matrix as it was known at ``last_period``, and which rows of ``self`` it keeps.

        Series with no observation up to then are dropped: nobody could have forecast them.
        """
        keep_columns = self.periods <= last_period
        values = self.values[:, keep_columns]
        rows = np.flatnonzero(~np.isnan(values).all(axis=1))
        truncated = SeriesMatrix(keys=self.keys.iloc[rows].reset_index(drop=True), periods=self.periods[keep_columns], values=values[rows])
        return truncated, rows
