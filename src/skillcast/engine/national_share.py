"""Local series as a share of the same category nationally, times the national trend.

Why (measured on the Skills Imperative 2035 panel, rolling origin 2013-2016, h 1-4; see
BENCHMARKS.md): local employment moves mostly with the *same category nationally*
(professional jobs growing, elementary ones shrinking everywhere). Knowing England's
future path for each category would cut MASE from 1.87 (naive) to 1.01, while knowing an
area's own future total only gets 1.46. And a national series is an aggregate: far less
noisy than a local one, so its trend can be estimated, while a local series' own trend
(4-10 noisy points) cannot.

Forecast for series i (area a, category c):

    share_i  x  national_c(t + h)

* ``national_c``: the national series of the same measure, classification and code,
  extrapolated the Theta way: last log level + ``trend_weight`` (0.5, Theta(2)'s fixed
  halving) x its least-squares log slope x h. With fewer than ``min_trend_years``
  observations the slope is not used: a slope from two changes is mostly noise.
* ``share_i``: the mean of value_i / national_c over the last ``share_window`` (3) years:
  the local share barely trends, and its last point is noisy.

The national area is ``national_area`` or, by default, the largest area of each measure
in the last year (England in SI2035, the nation in the demo). A series with no national
counterpart, or the national series itself, gets the Theta trend of its own log level.
Everything is vectorised over series; intervals come from the base class (conformal).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.engine.base import Forecaster
from skillcast.engine.matrix import SeriesMatrix, forward_fill

_TINY = 1e-9


def log_slopes(logs: np.ndarray) -> np.ndarray:
    """Least-squares slope of each row against time (one column a year); missing points
    ignored, 0 with fewer than two points."""
    time = np.broadcast_to(np.arange(logs.shape[1], dtype=float), logs.shape)
    known = np.isfinite(logs)
    count = known.sum(axis=1)
    time_mean = np.where(known, time, 0).sum(axis=1) / np.maximum(count, 1)
    log_mean = np.where(known, logs, 0).sum(axis=1) / np.maximum(count, 1)
    dt = np.where(known, time - time_mean[:, None], 0.0)
    dy = np.where(known, logs - log_mean[:, None], 0.0)
    spread = (dt**2).sum(axis=1)
    return np.where((count >= 2) & (spread > 0), (dt * dy).sum(axis=1) / np.where(spread > 0, spread, 1.0), 0.0)


def _theta_paths(logs: np.ndarray, horizon: int, trend_weight: float) -> np.ndarray:
    """Last log level + weight x least-squares slope x steps; missing points ignored."""
    slope = log_slopes(logs)
    return logs[:, -1][:, None] + trend_weight * slope[:, None] * np.arange(1, horizon + 1)[None, :]


def national_areas(keys: pd.DataFrame, values: np.ndarray, national_area: str | None) -> dict[str, str]:
    """The national area of each measure: ``national_area``, or the area with the largest
    total (classification ``all``) in the last year; a tie goes to the last area code, so
    any subset of the series that holds the winner picks the same one (area partitions)."""
    if national_area is not None:
        return {measure: national_area for measure in keys["measure"].unique()}
    is_total = (keys["classification"] == "all").to_numpy()
    largest: dict[str, tuple[float, str]] = {}
    sizes = forward_fill(values[is_total])[:, -1]
    for area, measure, size in zip(keys["area"].to_numpy()[is_total], keys["measure"].to_numpy()[is_total], sizes, strict=True):
        if np.isfinite(size) and (measure not in largest or (size, area) >= largest[measure]):
            largest[measure] = (float(size), str(area))
    return {measure: area for measure, (_, area) in largest.items()}


def national_context(national_area: str | None, totals: SeriesMatrix | None) -> set[str]:
    """The national area at any year a model may be fitted to, found from the areas' totals
    (``totals``: the ``all`` series; None: there are none) as ``national_areas`` finds it:
    the areas every area partition must carry for a model that reads national series."""
    if national_area is not None:
        return {national_area}
    if totals is None:
        return set()
    areas: set[str] = set()
    for period in totals.periods:
        history, _ = totals.truncate(int(period))
        if len(history.keys):
            areas.update(national_areas(history.keys, history.values, None).values())
    return areas


def national_rows(keys: pd.DataFrame, values: np.ndarray, national_area: str | None) -> np.ndarray:
    """For each series, the row of its national counterpart (its own row if there is none)."""
    national_of_measure = national_areas(keys, values, national_area)
    is_national = keys["area"].to_numpy() == keys["measure"].map(national_of_measure).to_numpy()
    category = list(zip(keys["measure"], keys["classification"], keys["code"], strict=True))
    row_of = {category[row]: row for row in np.flatnonzero(is_national)}
    return np.array([row_of.get(category[row], row) for row in range(len(keys))])


class NationalShareForecaster(Forecaster):
    name = "national_share"

    def __init__(
        self,
        calibration_windows: int = 5,
        levels: tuple[int, ...] = (80, 95),
        national_area: str | None = None,
        trend_weight: float = 0.5,
        share_window: int = 3,
        min_trend_years: int = 4,
    ):
        super().__init__(calibration_windows=calibration_windows, levels=levels)
        self.national_area = national_area
        self.trend_weight = trend_weight
        self.share_window = share_window
        self.min_trend_years = min_trend_years

    def partition_context(self, totals: SeriesMatrix | None) -> set[str]:
        """Areas whose series every area partition needs (``skillcast.engine.partitioned``)."""
        return national_context(self.national_area, totals)

    def _fit_point(self, matrix: SeriesMatrix) -> None:
        self.national_ = national_rows(matrix.keys, matrix.values, self.national_area)

    def _predict_point(self, matrix: SeriesMatrix, horizon: int) -> np.ndarray:
        filled = forward_fill(matrix.values)
        weight = self.trend_weight if matrix.values.shape[1] >= self.min_trend_years else 0.0
        national = self.national_
        unique = np.unique(national)
        paths = np.exp(_theta_paths(np.log(np.maximum(filled[unique], _TINY)), horizon, weight))
        national_paths = paths[np.searchsorted(unique, national)]
        denominator = filled[national]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(denominator > _TINY, filled / np.where(denominator > _TINY, denominator, 1.0), np.nan)
        share[national == np.arange(len(national))] = 1.0
        recent = share[:, -self.share_window :]
        known = np.isfinite(recent)
        mean_share = np.where(known.any(axis=1), np.where(known, recent, 0).sum(axis=1) / np.maximum(known.sum(axis=1), 1), np.nan)
        point = mean_share[:, None] * national_paths
        # No usable share (the national value is zero): keep the series' last value.
        return np.where(np.isfinite(point), point, np.repeat(filled[:, -1:], horizon, axis=1))
