"""Rolling-origin backtests: how good each model would have been, cutoff by cutoff.

For every cutoff, each model is fitted on the observations up to and including the cutoff
(it never sees a later period) and forecasts the next ``horizon`` years, which are then
compared with what was observed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.data.schema import SERIES_KEY, observations
from skillcast.engine.base import Forecaster
from skillcast.engine.fanout import Engine, ForecastRequest, LocalEngine
from skillcast.engine.matrix import SeriesMatrix

PRODUCTION_NAME = "skillcast"
EXPORT_COLUMNS: list[str] = SERIES_KEY + ["cutoff", "period", "value", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]


@dataclass(frozen=True)
class BacktestResult:
    forecasts: pd.DataFrame  # EXPORT_COLUMNS
    scales: pd.DataFrame  # SERIES_KEY + cutoff + scale (mean absolute one-step change up to the cutoff)
    seconds: dict[str, float]  # wall time per model over all cutoffs


def default_cutoffs(panel: pd.DataFrame, horizon: int, count: int = 4) -> list[int]:
    """The last ``count`` cutoffs that still leave ``horizon`` observed years after them."""
    last = int(observations(panel)["period"].max())
    return list(range(last - horizon - count + 1, last - horizon + 1))


def _mase_scales(history: SeriesMatrix, cutoff: int) -> pd.DataFrame:
    steps = np.abs(np.diff(history.values, axis=1))
    count = np.sum(~np.isnan(steps), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(count > 0, np.nansum(steps, axis=1) / count, np.nan)
    frame = history.keys.copy()
    frame["cutoff"] = cutoff
    frame["scale"] = scale
    return frame


def rolling_origin(
    panel: pd.DataFrame,
    models: dict[str, Forecaster],
    cutoffs: Iterable[int],
    horizon: int,
    production: str,
    on_start: Callable[[str, int], None] | None = None,
    engine: Engine | None = None,
) -> BacktestResult:
    """Backtest every model at every cutoff; ``production``'s rows are repeated as ``skillcast``.

    The fits run on ``engine`` (default: this process, ``fanout.LocalEngine``); a cluster
    engine gives the same forecasts, and ``seconds`` are then its tasks' compute time.
    """
    if production not in models:
        raise ValueError(f"production model {production!r} is not among the backtested models {sorted(models)}")
    observed = observations(panel)
    actuals = observed[SERIES_KEY + ["period", "value"]]
    full = SeriesMatrix.from_panel(observed)
    cutoffs = list(cutoffs)
    scales, seconds = [], {name: 0.0 for name in models}
    for cutoff in cutoffs:
        if not (observed["period"] <= cutoff).any():
            raise ValueError(f"cutoff {cutoff} is before the first observed year {int(observed['period'].min())}")
        scales.append(_mase_scales(full.truncate(cutoff)[0], cutoff))
    requests = [ForecastRequest(name, model, horizon, cutoff) for cutoff in cutoffs for name, model in models.items()]
    answers = (engine or LocalEngine()).forecast(
        panel, requests, on_start=(lambda request: on_start(request.name, request.cutoff)) if on_start else None
    )
    forecasts = []
    for request, answer in zip(requests, answers, strict=True):
        seconds[request.name] += answer.seconds
        predicted = answer.frame.merge(actuals, on=SERIES_KEY + ["period"], how="inner")
        predicted["cutoff"] = request.cutoff
        predicted["model"] = request.name
        forecasts.append(predicted)
    table = pd.concat(forecasts, ignore_index=True)
    production_rows = table.loc[table["model"] == production].assign(model=PRODUCTION_NAME)
    table = pd.concat([table, production_rows], ignore_index=True)[EXPORT_COLUMNS]
    seconds[PRODUCTION_NAME] = seconds[production]
    return BacktestResult(forecasts=table, scales=pd.concat(scales, ignore_index=True), seconds=seconds)


def score(result: BacktestResult, by: list[str] | None = None) -> pd.DataFrame:
    """MASE, sMAPE and interval coverage per model (and per ``by`` columns, e.g. ``["horizon"]``).

    MASE: per series and cutoff, mean absolute error over the horizons divided by the mean
    absolute one-step change of that series up to the cutoff; then the mean over series and
    cutoffs. Series with no change before the cutoff (scale 0 or unknown) cannot be scaled
    and are left out of MASE, counted in ``unscaled``.
    """
    frame = result.forecasts.merge(result.scales, on=SERIES_KEY + ["cutoff"], how="left")
    frame["horizon"] = frame["period"] - frame["cutoff"]
    error = (frame["value"] - frame["forecast"]).abs()
    frame["scaled_error"] = error / frame["scale"].where(frame["scale"] > 0)
    denominator = frame["value"].abs() + frame["forecast"].abs()
    frame["smape"] = np.where(denominator > 0, 200.0 * error / denominator.where(denominator > 0, 1.0), 0.0)
    for level in (80, 95):
        frame[f"in_{level}"] = (frame["value"] >= frame[f"lo_{level}"]) & (frame["value"] <= frame[f"hi_{level}"])
    groups = ["model"] + (by or [])
    per_series = frame.groupby(groups + SERIES_KEY + ["cutoff"], sort=False).agg(
        mase=("scaled_error", "mean"), smape=("smape", "mean"), coverage_80=("in_80", "mean"), coverage_95=("in_95", "mean")
    )
    table = per_series.groupby(groups).agg(
        mase=("mase", "mean"),
        smape=("smape", "mean"),
        coverage_80=("coverage_80", "mean"),
        coverage_95=("coverage_95", "mean"),
        windows=("mase", "size"),
        unscaled=("mase", lambda values: int(values.isna().sum())),
    )
    table = table.reset_index()
    table["seconds"] = table["model"].map(result.seconds)
    return table
