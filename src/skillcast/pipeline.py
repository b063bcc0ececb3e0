"""The main job as pure stages: panel in, backtest, fitted model, forecasts, gaps, bundle out.

No stage reads or writes files; the CLI does I/O around ``run_pipeline`` (Kedro-style), and
tracking (MLflow) is a separate step on the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from skillcast.bundle import ForecastBundle, training_metadata
from skillcast.config import Config
from skillcast.data.geography import Geography
from skillcast.data.schema import observations
from skillcast.engine.backtest import BacktestResult, default_cutoffs, rolling_origin, score
from skillcast.engine.base import Forecaster
from skillcast.engine.factory import make_forecaster
from skillcast.engine.national_mix import MixSignal
from skillcast.engine.nowcast import occupation_mix_signal, with_mix_signal
from skillcast.engine.reconcile import ReconciledForecaster
from skillcast.engine.targets import select_targets
from skillcast.skills.gaps import observed_as_forecast, pipeline_gaps

Progress = Callable[[str], None]

STAGES: tuple[str, ...] = ("prepare", "backtest", "fit", "forecast", "gaps")


@dataclass(frozen=True)
class PipelineResult:
    panel: pd.DataFrame  # the target series the models saw
    cutoffs: list[int]
    backtest: BacktestResult
    metrics: pd.DataFrame
    forecaster: Forecaster
    forecasts: pd.DataFrame  # future years only
    gaps: pd.DataFrame
    bundle: ForecastBundle


def _forecaster(name: str, config: Config, geography: Geography, signal: MixSignal = ()) -> Forecaster:
    """A model by name; reconciled ones also make areas add up to their parents, and
    national_mix gets the newer survey's national mix (``signal``) for its jump-off."""
    model = make_forecaster(name, config.calibration_windows, config.interval_levels, config.seed)
    if isinstance(model, ReconciledForecaster):
        parents = tuple((area, parent) for area in geography.codes() if (parent := geography.parent(area)))
        model.set_params(area_parents=parents)
    return with_mix_signal(model, signal)


def nowcast_signal(panel: pd.DataFrame | None, config: Config) -> MixSignal:
    """England's occupational mix from the APS rows of ``panel`` (e.g. the store's
    ``aps-occupations`` source), when ``config.nowcast_occupation_mix`` and there are any; else none."""
    return occupation_mix_signal(panel) if config.nowcast_occupation_mix and panel is not None else ()


def run_pipeline(panel: pd.DataFrame, geography: Geography, config: Config, progress: Progress = lambda stage: None) -> PipelineResult:
    """Backtest, fit, forecast and gaps on ``panel`` (every source's rows: the targets are
    selected here, and APS occupation rows, if any, become the nowcast signal)."""
    progress("prepare")
    signal = nowcast_signal(panel, config)
    targets = select_targets(observations(panel), config.targets)
    last_year = int(targets["period"].max())
    horizon_to_end = config.end_year - last_year
    if horizon_to_end < 1:
        raise ValueError(f"end_year {config.end_year} is not after the last observed year {last_year}")

    progress("backtest")
    cutoffs = list(config.backtest_cutoffs) or default_cutoffs(targets, config.backtest_horizon)
    models = {name: _forecaster(name, config, geography, signal) for name in dict.fromkeys((*config.models, config.production_model))}
    backtest = rolling_origin(targets, models, cutoffs, config.backtest_horizon, config.production_model)
    metrics = score(backtest)

    progress("fit")
    forecaster = _forecaster(config.production_model, config, geography, signal).fit(targets)

    progress("forecast")
    forecasts = forecaster.predict(horizon_to_end)

    progress("gaps")
    gaps, priorities, shortages = pipeline_gaps(panel, targets, forecasts, geography, config.end_year, config.seed)
    table = pd.concat([observed_as_forecast(targets).assign(basis="observed"), forecasts.assign(basis="forecast")], ignore_index=True)
    metadata = training_metadata(
        targets, config.production_model, config.end_year, cutoffs, config.backtest_horizon, metrics, config.nowcast_until
    )
    bundle = ForecastBundle(forecasts=table, gaps=gaps, geography=geography, metadata=metadata, priorities=priorities, shortages=shortages)
    return PipelineResult(targets, cutoffs, backtest, metrics, forecaster, forecasts, gaps, bundle)
