"""Rolling-origin backtests: how good each model would have been, cutoff by cutoff.

For every cutoff, each model is fitted on the observations up to and including the cutoff
(it never sees a later period) and forecasts the next ``horizon`` years, which are then
compared with what was observed.

Besides MASE, sMAPE and interval coverage, ``score`` reports the measures the US Bureau of
Labor Statistics publishes for its occupational projections, for SOC sub-major groups, on
the change from the cutoff year to the last horizon: "direction right" (the forecast
grows where the outcome grew, falls where it fell) and "faster than the area's total
right" (the occupation outgrows its area's total in the forecast exactly when it did in
the outcome; the total is the model's own forecast of the area's ``all`` series), and
MAPE at the last horizon.
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
SUB_MAJORS: tuple[str, ...] = ("soc2020_submajor", "soc2010_submajor")  # the occupations "direction right" is scored on
EXPORT_COLUMNS: list[str] = SERIES_KEY + [
    "cutoff",
    "value_at_cutoff",  # the series' value in the cutoff year: what "direction right" measures change from
    "period",
    "value",
    "model",
    "forecast",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
]


@dataclass(frozen=True)
class BacktestResult:
    forecasts: pd.DataFrame  # EXPORT_COLUMNS
    scales: pd.DataFrame  # SERIES_KEY + cutoff + scale (mean absolute one-step change up to the cutoff) + value_at_cutoff
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
    frame["value_at_cutoff"] = history.values[:, -1] if history.values.shape[1] else np.nan
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
    scales = pd.concat(scales, ignore_index=True)
    table = pd.concat(forecasts, ignore_index=True).merge(
        scales[SERIES_KEY + ["cutoff", "value_at_cutoff"]], on=SERIES_KEY + ["cutoff"], how="left"
    )
    production_rows = table.loc[table["model"] == production].assign(model=PRODUCTION_NAME)
    table = pd.concat([table, production_rows], ignore_index=True)[EXPORT_COLUMNS]
    seconds[PRODUCTION_NAME] = seconds[production]
    return BacktestResult(forecasts=table, scales=scales, seconds=seconds)


def score(result: BacktestResult, by: list[str] | None = None) -> pd.DataFrame:
    """Accuracy per model (and per ``by`` columns, e.g. ``["horizon"]`` or ``["classification"]``).

    * ``mase``: per series and cutoff, mean absolute error over the horizons divided by the
      mean absolute one-step change of that series up to the cutoff; then the mean over
      series and cutoffs. Series with no change before the cutoff (scale 0 or unknown)
      cannot be scaled and are left out, counted in ``unscaled``. ``smape``, and
      ``coverage_80`` / ``coverage_95``: the share of outcomes inside the intervals.
    * At each group's last horizon (``last_horizon``), for SOC sub-major series
      (``SUB_MAJORS``): ``direction_right``, the share whose forecast change since the
      cutoff year has the sign of the outcome's (a forecast of no change at all makes no
      call and is left out: naive has none); ``faster_right``, the share whose forecast
      grows faster than the model's forecast of the area's total (``all``) exactly when the
      outcome grew faster than the area's actual total. ``mape_last``: mean absolute
      percentage error there, all series. NaN where there is nothing to score.
    * Without ``by``, also ``mase_<classification>`` and ``mase_h<h>`` for each
      classification and horizon in the result.
    """
    frame = _scored_rows(result)
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
    last = frame.loc[frame["horizon"] == frame.groupby(groups)["horizon"].transform("max")]
    table = table.join(
        last.groupby(groups).agg(
            last_horizon=("horizon", "max"),
            direction_right=("direction_right", "mean"),
            faster_right=("faster_right", "mean"),
            mape_last=("ape", "mean"),
        )
    )
    table = table.reset_index()
    if not by:
        per_model = per_series.reset_index()
        for classification, rows in per_model.groupby("classification", sort=True):
            table[f"mase_{classification}"] = table["model"].map(rows.groupby("model")["mase"].mean())
        by_horizon = frame.groupby(["model", "horizon"])["scaled_error"].mean()
        for horizon in sorted(frame["horizon"].unique()):
            table[f"mase_h{int(horizon)}"] = table["model"].map(by_horizon.xs(horizon, level="horizon"))
    table["seconds"] = table["model"].map(result.seconds)
    return table


def _scored_rows(result: BacktestResult) -> pd.DataFrame:
    """Every forecast with its scale, horizon, scaled error, sMAPE, interval hits, absolute
    percentage error and (sub-majors) whether its direction and its pace against the area's
    total were right."""
    scales = result.scales.drop(
        columns=[column for column in result.scales if column in result.forecasts and column not in SERIES_KEY + ["cutoff"]]
    )
    frame = result.forecasts.merge(scales, on=SERIES_KEY + ["cutoff"], how="left")
    if "value_at_cutoff" not in frame:
        frame["value_at_cutoff"] = np.nan
    frame["horizon"] = frame["period"] - frame["cutoff"]
    error = (frame["value"] - frame["forecast"]).abs()
    frame["scaled_error"] = error / frame["scale"].where(frame["scale"] > 0)
    denominator = frame["value"].abs() + frame["forecast"].abs()
    frame["smape"] = np.where(denominator > 0, 200.0 * error / denominator.where(denominator > 0, 1.0), 0.0)
    for level in (80, 95):
        frame[f"in_{level}"] = (frame["value"] >= frame[f"lo_{level}"]) & (frame["value"] <= frame[f"hi_{level}"])
    frame["ape"] = 100.0 * error / frame["value"].where(frame["value"] > 0)
    # each row's area total (same model, area, measure, cutoff and year), forecast and actual
    total_columns = {"forecast": "total_forecast", "value": "total_value", "value_at_cutoff": "total_at_cutoff"}
    totals = frame.loc[frame["classification"] == "all", ["model", "area", "measure", "cutoff", "period", *total_columns]]
    frame = frame.merge(totals.rename(columns=total_columns), on=["model", "area", "measure", "cutoff", "period"], how="left")
    start, total_start = (
        frame["value_at_cutoff"].where(frame["value_at_cutoff"] > 0),
        frame["total_at_cutoff"].where(frame["total_at_cutoff"] > 0),
    )
    occupation = frame["classification"].isin(SUB_MAJORS) & start.notna()
    calls = occupation & (frame["forecast"] != start)  # a forecast of no change makes no call on the direction (naive)
    frame["direction_right"] = ((frame["forecast"] > start) == (frame["value"] > start)).astype(float).where(calls)
    forecast_faster = frame["forecast"] / start > frame["total_forecast"] / total_start
    actual_faster = frame["value"] / start > frame["total_value"] / total_start
    with_total = occupation & total_start.notna() & frame["total_forecast"].notna()
    frame["faster_right"] = (forecast_faster == actual_faster).astype(float).where(with_total)
    return frame
