"""How accurate the figures of one area have been: a rolling-origin backtest of its demand, scored
for the area (the report's accuracy table) or read from a bundle's metadata."""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.data.schema import observations

BASELINE_MODEL = "naive"
PRODUCTION_LABEL = "skillcast"  # backtest.PRODUCTION_NAME: the production model's rows
ACCURACY_COLUMNS: list[str] = [
    "area",
    "scope",
    "model",
    "mase",
    "smape",
    "coverage_80",
    "coverage_95",
    "direction_right",  # SOC sub-major groups at the last horizon (backtest.score)
    "faster_right",
    "mape_last",
    "series",
    "cutoffs",
    "horizon",
    "windows",
]


def demand_backtest(
    history: pd.DataFrame,
    model: str,
    *,
    calibration_windows: int = 5,
    levels: tuple[int, ...] = (80, 95),
    seed: int = 0,
    horizon: int = 4,
    cutoffs: list[int] | None = None,
    area_parents: tuple[tuple[str, str], ...] = (),
    mix_signal: tuple = (),
    national_signal: tuple = (),
):
    """Rolling-origin backtest of the production ``model`` and the naive baseline on observed demand.

    ``history``: the engine's demand history (``gaps.DemandForecast.history``: every area,
    so the model sees what it sees in production: the national series its shares use, and
    ``area_parents`` for the bottom-up sums; ``mix_signal``: the nowcast's survey mix, as
    ``gaps.fit_demand`` uses it, one year past each cutoff; ``national_signal``: the national labour
    market, years up to each cutoff). Score one area with ``accuracy_table``.
    Returns (``backtest.BacktestResult``, cutoffs).
    """
    # imported here: the service builds workbooks from this module and must not load the training stack for it
    from skillcast.engine.backtest import default_cutoffs, rolling_origin
    from skillcast.engine.factory import make_forecaster

    panel = observations(history)
    cutoffs = list(cutoffs or default_cutoffs(panel, horizon))
    models = {BASELINE_MODEL: make_forecaster(BASELINE_MODEL, calibration_windows, levels, seed)}
    models[model] = make_forecaster(
        model, calibration_windows, levels, seed, area_parents=tuple(area_parents), mix_signal=mix_signal, national_signal=national_signal
    )
    return rolling_origin(panel, models, cutoffs, horizon, model), cutoffs


def accuracy_table(result, area: str, cutoffs: list[int], horizon: int, model: str) -> pd.DataFrame:
    """MASE, sMAPE and 80%/95% coverage of the production model and the naive baseline on
    ``area``'s own series of a backtest (``backtest.rolling_origin``) that covered it.

    Two scopes: every demand series of the area (total, occupations, qualifications), and
    its qualification bands and levels (what the report charts). ``ACCURACY_COLUMNS``.
    """
    from skillcast.engine.backtest import BacktestResult, score

    frames = []
    scopes = {"all demand series": None, "qualification bands and levels": ("qualification_band", "qualification_level")}
    for scope, classifications in scopes.items():
        keep = (result.forecasts["area"] == area) & (result.forecasts["measure"] == "employment")
        if classifications:
            keep &= result.forecasts["classification"].isin(classifications)
        forecasts = result.forecasts.loc[keep & result.forecasts["model"].isin([PRODUCTION_LABEL, BASELINE_MODEL])]
        if forecasts.empty:
            continue
        scales = result.scales.loc[result.scales["area"] == area]
        metrics = score(BacktestResult(forecasts=forecasts, scales=scales, seconds=result.seconds))
        series = forecasts.groupby(["measure", "classification", "code"]).ngroups
        metrics = metrics.assign(
            area=area, scope=scope, series=series, cutoffs=f"{min(cutoffs)}-{max(cutoffs)}" if cutoffs else "", horizon=horizon
        )
        metrics["model"] = metrics["model"].replace({PRODUCTION_LABEL: f"{PRODUCTION_LABEL} ({model})" if model else PRODUCTION_LABEL})
        frames.append(metrics)
    if not frames:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    order = {name: index for index, name in enumerate(table["model"].unique()) if name != BASELINE_MODEL}
    table = table.assign(_order=table["model"].map(order).fillna(len(order))).sort_values(
        ["scope", "_order"], kind="stable", ascending=[True, True]
    )
    return table[ACCURACY_COLUMNS].reset_index(drop=True)


def accuracy_basis(
    table: pd.DataFrame,
    cutoffs: list[int],
    horizon: int,
    trained_on: str,
    supply_note: str = "Supply (APS, five years) is too short to backtest.",
) -> str:
    """What the accuracy figures rest on, in one plain sentence."""
    if table.empty:
        return "No backtest could be run for this area."
    main = table.loc[table["scope"] == "all demand series"]
    row = (main if len(main) else table).iloc[0]
    return (
        f"Rolling-origin backtest of demand: at each of {len(cutoffs)} past forecast origins ({min(cutoffs)}-{max(cutoffs)}) "
        f"the model was fitted only on the years up to that origin ({trained_on}) and forecast 1-{horizon} years ahead, "
        f"then compared with what was published. {int(row['series'])} demand series of this area x {len(cutoffs)} origins = "
        f"{int(row['windows'])} forecast windows. {supply_note}".rstrip()
    )


def accuracy_from_metadata(area: str, metadata: dict) -> tuple[pd.DataFrame, str]:
    """The bundle's own backtest (all its series), in ``ACCURACY_COLUMNS``, and what it rests on."""
    backtest = metadata.get("backtest") or {}
    metrics = pd.DataFrame(backtest.get("metrics") or [])
    if metrics.empty or "model" not in metrics:
        return pd.DataFrame(columns=ACCURACY_COLUMNS), "This bundle holds no backtest."
    metrics = metrics.loc[metrics["model"].isin([PRODUCTION_LABEL, BASELINE_MODEL])].copy()
    cutoffs = list(backtest.get("cutoffs") or [])
    model = metadata.get("model", "")
    metrics["model"] = metrics["model"].replace({PRODUCTION_LABEL: f"{PRODUCTION_LABEL} ({model})" if model else PRODUCTION_LABEL})
    metrics = metrics.assign(
        area="all areas in the bundle",
        scope="every series the bundle was trained on",
        series=metadata.get("series", np.nan),
        cutoffs=f"{min(cutoffs)}-{max(cutoffs)}" if cutoffs else "",
        horizon=backtest.get("horizon", np.nan),
    )
    for column in ACCURACY_COLUMNS:
        if column not in metrics:
            metrics[column] = np.nan
    basis = (
        f"The bundle's own rolling-origin backtest over every series it was trained on ({metadata.get('series', '?')} series, "
        f"origins {', '.join(map(str, cutoffs))}, 1-{backtest.get('horizon', '?')} years ahead): not this area alone."
    )
    return metrics[ACCURACY_COLUMNS].reset_index(drop=True), basis
