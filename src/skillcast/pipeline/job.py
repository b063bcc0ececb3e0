"""The main job as pure stages: inputs in; backtest, fitted model, forecasts, gaps, priorities,
shortages and the bundle out.

``skillcast demo``, ``skillcast train``, the quarterly ``retrain`` and the benchmarks all
call ``run_job``; they differ only by their inputs (``pipeline.inputs``: the synthetic demo
or an ingested store). No stage reads or writes a file: the callers do the I/O around the
job (Kedro-style), and operations (the lock, the MLflow run, the gate, the aliases) stay in
``skillcast.mlops``.

    backtest  every model in the config (and a champion, when given) at the same cutoffs
    fit       the production model on every training series, on the given engine
    forecast  to ``config.end_year``
    gaps      demand - supply of every area the gap inputs support, with the priorities and
              shortage ratings of every area; a delivery they cannot be made from still
              trains (the gaps stay empty and the metadata says why)
    bundle    observed and forecast rows, gaps, priorities, shortages, geography, metadata
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from skillcast.bundle import ForecastBundle, training_metadata
from skillcast.config import Config
from skillcast.data.schema import DataError
from skillcast.data.vintage import with_staleness
from skillcast.engine.backtest import BacktestResult, default_cutoffs, rolling_origin, score
from skillcast.engine.base import Forecaster
from skillcast.engine.factory import make_forecaster
from skillcast.engine.fanout import Engine, LocalEngine
from skillcast.engine.national_mix import MixSignal
from skillcast.engine.national_total import NationalSignal, nowcast_years
from skillcast.pipeline.inputs import JobInputs
from skillcast.skills.funding import funding_description
from skillcast.skills.gap_table import typed_gaps
from skillcast.skills.gaps import GapSettings, analyse, demand_areas, demand_forecast, observed_as_forecast
from skillcast.skills.priorities import rank_areas

Progress = Callable[[str], None]
STAGES: tuple[str, ...] = ("backtest", "fit", "forecast", "gaps", "labour reserve", "bundle")
CHAMPION_MODEL = "champion"  # the champion's rows in a backtest that judges a challenger against it


def _quiet(stage: str) -> None:
    pass


@dataclass(frozen=True)
class JobResult:
    panel: pd.DataFrame  # the target series the models saw
    cutoffs: list[int]
    backtest: BacktestResult
    metrics: pd.DataFrame
    forecaster: Forecaster
    forecasts: pd.DataFrame  # future years only
    gaps: pd.DataFrame
    bundle: ForecastBundle


def forecaster(
    name: str,
    config: Config,
    hierarchy: tuple[tuple[str, str], ...] = (),
    signal: MixSignal = (),
    national: NationalSignal = (),
    nowcast_years: int = 0,
) -> Forecaster:
    """A model by name with everything that shapes it: the config's calibration, levels and seed,
    the areas' ``hierarchy`` (reconciled models sum parents from children), the survey ``signal``
    and the ``national`` labour market signal, known ``nowcast_years`` past the last local year
    (0 in a backtest: at a cutoff only years up to it were known)."""
    return make_forecaster(
        name,
        config.calibration_windows,
        config.interval_levels,
        config.seed,
        area_parents=hierarchy,
        mix_signal=signal,
        national_signal=national,
        nowcast_years=nowcast_years,
    )


def models(
    config: Config, hierarchy: tuple[tuple[str, str], ...] = (), signal: MixSignal = (), national: NationalSignal = ()
) -> dict[str, Forecaster]:
    """The config's peers and its production model, each made as ``forecaster`` makes it (for a backtest)."""
    return {
        name: forecaster(name, config, hierarchy, signal, national) for name in dict.fromkeys((*config.models, config.production_model))
    }


def backtest(
    training: pd.DataFrame,
    candidates: dict[str, Forecaster],
    config: Config,
    engine: Engine | None = None,
    on_start: Callable[[str, int], None] | None = None,
) -> tuple[BacktestResult, pd.DataFrame, list[int]]:
    """Every candidate at the config's cutoffs (default: the last four that leave a full horizon)."""
    cutoffs = list(config.backtest_cutoffs) or default_cutoffs(training, config.backtest_horizon)
    last = int(training["period"].max())
    if max(cutoffs) + 1 > last:
        raise DataError(f"backtest cutoff {max(cutoffs)} leaves no observed year to test (data end in {last})")
    result = rolling_origin(
        training, candidates, cutoffs, config.backtest_horizon, config.production_model, on_start=on_start, engine=engine
    )
    return result, score(result), cutoffs


def fit(training: pd.DataFrame, model: Forecaster, config: Config, engine: Engine | None = None) -> tuple[Forecaster, pd.DataFrame]:
    """The production model fitted on every training series and its forecasts to ``config.end_year``."""
    last = int(training["period"].max())
    if config.end_year <= last:
        raise DataError(f"end_year {config.end_year} is not after the last observed year {last}")
    return (engine or LocalEngine()).fit_forecast(training, model, config.end_year - last)


def gap_settings(config: Config, draws: int = 1000, seed: int | None = None, basis: str | None = None, end_year: int | None = None):
    """The gaps analysis's settings from the config: the production model, its calibration and nowcast."""
    return GapSettings(
        end_year=end_year if end_year is not None else config.end_year,
        model=config.production_model,
        calibration_windows=config.calibration_windows,
        nowcast=config.nowcast_occupation_mix,
        nowcast_national=config.nowcast_national,
        draws=draws,
        seed=seed if seed is not None else config.seed,
        basis=basis,
    )


def gaps(inputs: JobInputs, config: Config, training: pd.DataFrame | None = None, forecasts: pd.DataFrame | None = None):
    """(gaps or None, priorities or None, shortages or None, what the metadata records, the funding bands) for every area
    the gap inputs support; any failure on the data gives None and the reason, never an exception.
    ``training`` and ``forecasts``: the job's own, which are the demand where areas carry it themselves
    (``gaps.demand_forecast``); without them the demand model is fitted here."""
    try:
        gap_inputs = inputs.gap_inputs()
        settings = gap_settings(config)
        demand = demand_forecast(gap_inputs, settings, training, forecasts)
        areas = demand_areas(gap_inputs, demand)
        analysis = analyse(gap_inputs, settings, demand, areas)
        table = typed_gaps(analysis.gaps)
    except Exception as error:  # noqa: BLE001 - gaps are an extra: a delivery they cannot be made from still trains
        return None, None, None, {"error": f"{type(error).__name__}: {error}"}, pd.DataFrame()
    info = {
        "areas": int(table["area"].nunique()),
        "rows": len(table),
        "draws": settings.draws,
        "seed": settings.seed,
        "aliases": {alias: code for alias, code in gap_inputs.aliases.items() if code in set(table["area"])},
        "demand": demand.description,
        "demand_nowcast": _survey_years(gap_inputs.mix_signal) if settings.nowcast else "off",
        "basis": str(table["gap_basis"].iloc[0]) if len(table) else None,
        "notes": list(analysis.notes),
        "warnings": {area: list(texts) for area, texts in analysis.warnings.items()},
        "flagged": sorted(analysis.flagged),
    }
    priorities = shortages = None
    try:
        priorities = rank_areas(areas, analysis, gap_inputs, settings)
        info["priorities_areas"] = int(priorities["area"].nunique()) if not priorities.empty else 0
    except Exception as error:  # noqa: BLE001 - as for gaps: an extra, the reason is recorded
        info["priorities_error"] = f"{type(error).__name__}: {error}"
    try:
        shortages = gap_inputs.shortages([gap_inputs.national, *areas])
        info["shortages_areas"] = int(shortages["area"].nunique())
    except Exception as error:  # noqa: BLE001 - as for gaps
        info["shortages_error"] = f"{type(error).__name__}: {error}"
    info["funding"] = funding_description(gap_inputs.funding)
    return table, priorities, shortages, info, gap_inputs.funding


def reserve(inputs: JobInputs) -> tuple[pd.DataFrame | None, dict]:
    """Every area's labour reserve (``skills.labour_reserve``) and what the metadata records; None and the
    reason when the inputs have no survey or it cannot be made, never an exception (an extra, as the gaps)."""
    if inputs.labour_reserve is None:
        return None, {"error": "these inputs carry no labour survey (the demo has none)"}
    try:
        return inputs.labour_reserve()
    except Exception as error:  # noqa: BLE001 - an extra: the delivery still trains, the reason is recorded
        return None, {"error": f"{type(error).__name__}: {error}"}


def national_description(signal: NationalSignal, last: dict[str, str], last_local: int, jump: int) -> dict:
    """What the metadata says about the national path: its source, each series' last period, the jump-off."""
    if not signal:
        return {"national_path": {"source": "none: England's total follows the local model's own trend"}}
    return {
        "national_path": {
            "source": "ONS Labour Market Statistics (A01: workforce jobs DYDC, LFS employment MGRZ, unemployment rate MGSX), UK",
            "last_observed": last,
            "local_last_year": last_local,
            "nowcast_years": [last_local + step for step in range(1, jump + 1)],
            "scaled_to_england": "England's total grows as UK workforce jobs (England's share of the UK held at its "
            "last local year; 85.3% of UK employment in Oct-Dec 2025, A01 table 22)",
        }
    }


def _survey_years(signal: MixSignal) -> str:
    """What the nowcast's survey covers, for the bundle's metadata."""
    years = sorted({int(year) for *_, year, _ in signal})
    return f"APS occupational mix {years[0]}-{years[-1]}" if years else "none"


def bundle(
    inputs: JobInputs,
    config: Config,
    training: pd.DataFrame,
    forecasts: pd.DataFrame,
    cutoffs: list[int],
    metrics: pd.DataFrame,
    gap_results: tuple,
    extra: dict | None = None,
    reserve_result: tuple[pd.DataFrame | None, dict] = (None, {"error": "not computed"}),
) -> ForecastBundle:
    """What the service answers from: observed and forecast rows, the gaps (empty with the reason
    when none could be made), priorities, shortages, geography and how it was all made."""
    table, priorities, shortages, info, funding = gap_results
    metadata = {
        **training_metadata(
            training, config.production_model, config.end_year, cutoffs, config.backtest_horizon, metrics, config.nowcast_until
        ),
        **inputs.description,
        **(extra or {}),
        "gaps": info,
        "labour_reserve": reserve_result[1],
        "data_vintage": with_staleness(inputs.description.get("data_vintage", []), config.nowcast_until),
        "note": f"forecasts: {inputs.forecasts_note}; gaps: {inputs.gaps_note}"
        if table is not None
        else f"forecasts: {inputs.forecasts_note}; gaps empty: they could not be computed from these data ({info['error']})",
    }
    observed = observed_as_forecast(training).assign(basis="observed")
    return ForecastBundle(
        forecasts=pd.concat([observed, forecasts.assign(basis="forecast")], ignore_index=True),
        gaps=typed_gaps(table),
        geography=inputs.geography,
        metadata=metadata,
        priorities=priorities if priorities is not None else pd.DataFrame(),
        shortages=shortages if shortages is not None else pd.DataFrame(),
        labour_reserve=reserve_result[0] if reserve_result[0] is not None else pd.DataFrame(),
        funding=funding,
    )


def run_job(
    inputs: JobInputs,
    config: Config,
    *,
    engine: Engine | None = None,
    champion: Forecaster | None = None,
    progress: Progress = _quiet,
    on_start: Callable[[str, int], None] | None = None,
    extra: dict | None = None,
) -> JobResult:
    """Backtest, fit, forecast, gaps and bundle on ``inputs`` (``champion``, when given, is backtested
    beside the candidates as ``CHAMPION_MODEL``); ``extra`` goes into the bundle's metadata."""
    hierarchy, signal = inputs.hierarchy(), inputs.mix_signal(config.nowcast_occupation_mix)
    national, national_last = inputs.national_signal(config.nowcast_national)
    training = inputs.training
    progress("backtest")
    candidates = models(config, hierarchy, signal, national)
    if champion is not None:
        candidates[CHAMPION_MODEL] = champion
    result, metrics, cutoffs = backtest(training, candidates, config, engine, on_start)
    progress("fit")
    jump = nowcast_years(national, int(training["period"].max()))
    production = forecaster(config.production_model, config, hierarchy, signal, national, jump)
    fitted, forecasts = fit(training, production, config, engine)
    progress("forecast")  # the forecasts come with the fit (one engine call); the stage is named for the progress display
    progress("gaps")
    gap_results = gaps(inputs, config, training, forecasts)
    progress("labour reserve")
    reserve_result = reserve(inputs)
    progress("bundle")
    national_info = national_description(national, national_last, int(training["period"].max()), jump)
    made = bundle(inputs, config, training, forecasts, cutoffs, metrics, gap_results, {**national_info, **(extra or {})}, reserve_result)
    return JobResult(training, cutoffs, result, metrics, fitted, forecasts, made.gaps, made)
