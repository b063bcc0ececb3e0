"""The main job as pure stages: panel in, backtest, fitted model, forecasts, gaps, bundle out.

No stage reads or writes files; the CLI does I/O around ``run_pipeline`` (Kedro-style), and
tracking (MLflow) is a separate step on the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from skillcast.backtest import BacktestResult, default_cutoffs, rolling_origin, score
from skillcast.bundle import ForecastBundle, training_metadata
from skillcast.config import Config
from skillcast.forecasters import Forecaster, ReconciledForecaster, make_forecaster
from skillcast.gaps import observed_as_forecast, pipeline_gaps
from skillcast.geography import Geography
from skillcast.qualifications import add_qualification_bands
from skillcast.schema import observations

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


def select_targets(panel: pd.DataFrame, targets: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The (measure, classification) series the engine forecasts, qualification bands added."""
    enriched = add_qualification_bands(panel)
    wanted = pd.MultiIndex.from_tuples(targets, names=["measure", "classification"])
    keep = pd.MultiIndex.from_frame(enriched[["measure", "classification"]]).isin(wanted)
    selected = enriched.loc[keep].reset_index(drop=True)
    if selected.empty:
        raise ValueError(f"the panel has none of the target series {list(targets)}")
    return selected


def _forecaster(name: str, config: Config, geography: Geography) -> Forecaster:
    """A model by name; reconciled ones also make areas add up to their parents."""
    model = make_forecaster(name, config.calibration_windows, config.interval_levels, config.seed)
    if isinstance(model, ReconciledForecaster):
        parents = tuple((area, parent) for area in geography.codes() if (parent := geography.parent(area)))
        model.set_params(area_parents=parents)
    return model


def run_pipeline(panel: pd.DataFrame, geography: Geography, config: Config, progress: Progress = lambda stage: None) -> PipelineResult:
    progress("prepare")
    targets = select_targets(observations(panel), config.targets)
    last_year = int(targets["period"].max())
    horizon_to_end = config.end_year - last_year
    if horizon_to_end < 1:
        raise ValueError(f"end_year {config.end_year} is not after the last observed year {last_year}")

    progress("backtest")
    cutoffs = list(config.backtest_cutoffs) or default_cutoffs(targets, config.backtest_horizon)
    models = {name: _forecaster(name, config, geography) for name in dict.fromkeys((*config.models, config.production_model))}
    backtest = rolling_origin(targets, models, cutoffs, config.backtest_horizon, config.production_model)
    metrics = score(backtest)

    progress("fit")
    forecaster = _forecaster(config.production_model, config, geography).fit(targets)

    progress("forecast")
    forecasts = forecaster.predict(horizon_to_end)

    progress("gaps")
    gaps, priorities = pipeline_gaps(panel, targets, forecasts, geography, config.end_year, config.seed)
    table = pd.concat(
        [observed_as_forecast(targets).assign(basis="observed"), forecasts.assign(basis="forecast")], ignore_index=True
    )
    metadata = training_metadata(targets, config.production_model, config.end_year, cutoffs, config.backtest_horizon, metrics)
    bundle = ForecastBundle(forecasts=table, gaps=gaps, geography=geography, metadata=metadata, priorities=priorities)
    return PipelineResult(targets, cutoffs, backtest, metrics, forecaster, forecasts, gaps, bundle)
