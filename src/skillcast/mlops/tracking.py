"""MLflow: log a run (the demo job, train, retrain) and register its model. With
``registry`` the only modules that talk to MLflow when training (``pyfunc`` holds the
pyfunc class and what the service needs to load a registered bundle).

Every run records the package version and git commit, metrics per model (MASE overall, by
classification and by horizon; direction and faster-than-area-total right for SOC
sub-majors and MAPE at the last horizon) and per model and horizon, plots, tables and the
model; ``retrain`` adds the data manifest and its decision.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import joblib
import pandas as pd

from skillcast.bundle import ForecastBundle
from skillcast.config import Config
from skillcast.engine.backtest import PRODUCTION_NAME, BacktestResult, score
from skillcast.engine.base import Forecaster
from skillcast.pipeline import JobResult


@dataclass(frozen=True)
class TrackedRun:
    run_id: str
    experiment_id: str
    model_uri: str
    model_version: str | None


def _git_commit() -> str:
    """The checkout's commit; looked up beside this file so a job started from cron (another
    working directory) still records it."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True, cwd=Path(__file__).resolve().parent
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _experiment_id(config: Config) -> str:
    import mlflow

    experiment = mlflow.get_experiment_by_name(config.experiment)
    if experiment is not None:
        return experiment.experiment_id
    location = config.artifact_location() if not config.tracking_uri else None
    return mlflow.create_experiment(config.experiment, artifact_location=location)


def start_tracking(config: Config) -> str:
    """Point MLflow at the configured store (SQLite under home by default); the experiment id."""
    import mlflow

    if not config.tracking_uri:
        config.home.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(config.resolved_tracking_uri())
    return _experiment_id(config)


def code_tags() -> dict[str, str]:
    from skillcast import __version__

    return {"skillcast.version": __version__, "git.commit": _git_commit()}


def log_backtest(backtest: BacktestResult, scratch: Path, production: str | None = None) -> pd.DataFrame:
    """Metrics per model and per model and horizon (``MODEL.hN.METRIC``), and their plots.

    Returns the per-horizon table; the overall metrics are the caller's (``score``).
    """
    import mlflow

    by_horizon = score(backtest, by=["horizon"])
    values: dict[str, float] = {}
    for row in by_horizon.itertuples():
        for metric in ("mase", "smape", "coverage_80", "coverage_95", "direction_right", "faster_right", "mape_last"):
            value = getattr(row, metric)
            if pd.notna(value):
                values[f"{row.model}.h{int(row.horizon)}.{metric}"] = float(value)
    mlflow.log_metrics(values)
    plots = scratch / "plots"
    plots.mkdir(exist_ok=True)
    _plot_by_horizon(by_horizon, plots, production)
    mlflow.log_artifacts(str(plots), artifact_path="plots")
    return by_horizon


OVERALL_METRICS = ("mase", "smape", "coverage_80", "coverage_95", "seconds", "direction_right", "faster_right", "mape_last")


def log_overall_metrics(metrics: pd.DataFrame) -> None:
    """``MODEL.METRIC`` for ``OVERALL_METRICS`` and every ``mase_<classification>`` / ``mase_h<h>`` column of ``score``."""
    import mlflow

    names = [name for name in metrics.columns if name in OVERALL_METRICS or name.startswith("mase_")]
    values = {
        f"{record['model']}.{name}": float(record[name])
        for record in metrics.to_dict("records")
        for name in names
        if pd.notna(record[name])
    }
    mlflow.log_metrics(values)


def log_forecast_model(
    bundle: ForecastBundle, forecaster: Forecaster, scratch: Path, registered_model: str | None
) -> tuple[str, str | None]:
    """Log the pyfunc (bundle + fitted forecaster), registered when a name is given.

    Returns the model URI (``models:/NAME/VERSION`` when registered) and the version.
    """
    import mlflow
    from mlflow.models import infer_signature

    from skillcast import __version__
    from skillcast.mlops.pyfunc import QUERY_COLUMNS

    bundle_dir = bundle.save(scratch / "bundle")
    joblib.dump(forecaster, bundle_dir / "forecaster.joblib")
    example = bundle.forecasts.loc[bundle.forecasts["basis"] == "forecast", QUERY_COLUMNS].head(3)
    answer = bundle.forecasts.merge(example, on=QUERY_COLUMNS).head(3)
    with warnings.catch_warnings():
        # MLflow hints that int columns cannot hold missing values; ``period`` never is missing.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(example, answer[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]])
    info = mlflow.pyfunc.log_model(
        name="model",
        python_model=str(resources.files("skillcast.mlops") / "pyfunc_code.py"),  # not imported here: it registers on import
        artifacts={"bundle": str(bundle_dir)},
        signature=signature,
        input_example=example,
        pip_requirements=[f"skillcast=={__version__}"],
        registered_model_name=registered_model,
    )
    mlflow.log_text(json.dumps(bundle.metadata, indent=2, default=str), "bundle_metadata.json")
    plots = scratch / "forecast_plots"
    plots.mkdir(exist_ok=True)
    if _plot_forecast(bundle.forecasts, plots):
        mlflow.log_artifacts(str(plots), artifact_path="plots")
    version = getattr(info, "registered_model_version", None)
    if version is None or registered_model is None:
        return info.model_uri, None
    return f"models:/{registered_model}/{version}", str(version)


def log_backtest_run(
    config: Config,
    result: BacktestResult,
    metrics: pd.DataFrame,
    params: dict[str, object],
    manifest: dict | None = None,
    run_name: str = "backtest",
) -> str:
    """One MLflow run for a backtest on its own (``skillcast backtest``): params, metrics per
    model and horizon, plots, the export and, when given, the store's data manifest."""
    import mlflow

    experiment_id = start_tracking(config)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run, tempfile.TemporaryDirectory() as scratch:
        mlflow.log_params(params)
        mlflow.set_tags({**code_tags(), "job.kind": "backtest"})
        if manifest is not None:
            mlflow.log_text(json.dumps(manifest, indent=2, default=str), "data/manifest.json")
        log_overall_metrics(metrics)
        scratch_dir = Path(scratch)
        log_backtest(result, scratch_dir, production=str(params.get("production_model")) if params.get("production_model") else None)
        tables = scratch_dir / "tables"
        tables.mkdir()
        result.forecasts.to_csv(tables / "backtest.csv", index=False)
        metrics.to_csv(tables / "metrics.csv", index=False)
        mlflow.log_artifacts(str(tables), artifact_path="tables")
        return run.info.run_id


def log_pipeline_run(config: Config, result: JobResult, run_name: str, register: bool = True) -> TrackedRun:
    """Log params, metrics, tables and the model; register it as ``config.registered_model``."""
    import mlflow

    from skillcast.mlops.registry import TAG_KIND, TAG_MASE, TAG_MODEL, TAG_SYNTHETIC, Registry

    experiment_id = start_tracking(config)
    synthetic = bool(result.bundle.metadata["synthetic"])
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run, tempfile.TemporaryDirectory() as scratch:
        mlflow.log_params(
            {
                "production_model": config.production_model,
                "models": ",".join(config.models),
                "cutoffs": ",".join(str(cutoff) for cutoff in result.cutoffs),
                "horizon": config.backtest_horizon,
                "end_year": config.end_year,
                "calibration_windows": config.calibration_windows,
                "seed": config.seed,
                "series": result.bundle.metadata["series"],
            }
        )
        mlflow.set_tags(
            {
                **code_tags(),
                "job.kind": "demo" if synthetic else "pipeline",
                "data.sources": "; ".join(result.bundle.metadata["sources"]),
                "data.synthetic": str(synthetic).lower(),
            }
        )
        log_overall_metrics(result.metrics)
        scratch_dir = Path(scratch)
        log_backtest(result.backtest, scratch_dir, production=config.production_model)

        tables = scratch_dir / "tables"
        tables.mkdir()
        result.backtest.forecasts.to_csv(tables / "backtest.csv", index=False)
        result.metrics.to_csv(tables / "metrics.csv", index=False)
        result.gaps.to_csv(tables / "gaps.csv", index=False)
        mlflow.log_artifacts(str(tables), artifact_path="tables")

        model_uri, version = log_forecast_model(
            result.bundle, result.forecaster, scratch_dir, config.registered_model if register else None
        )
        if version:
            production = result.metrics.loc[result.metrics["model"] == PRODUCTION_NAME, "mase"]
            Registry(config.resolved_tracking_uri(), config.registered_model).tag(
                version,
                {
                    TAG_KIND: "demo" if synthetic else "pipeline",
                    TAG_SYNTHETIC: str(synthetic).lower(),
                    TAG_MODEL: config.production_model,
                    **({TAG_MASE: f"{float(production.iloc[0]):.4f}"} if len(production) else {}),
                },
            )
        return TrackedRun(run.info.run_id, experiment_id, model_uri, version)


# -- plots (matplotlib's object API: no pyplot, no global backend state) ------------------
def _plot_by_horizon(by_horizon: pd.DataFrame, folder: Path, production: str | None) -> None:
    from matplotlib.figure import Figure

    table = by_horizon.loc[by_horizon["model"] != PRODUCTION_NAME]
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    for model, rows in table.groupby("model", sort=True):
        axes.plot(rows["horizon"], rows["mase"], marker="o", linewidth=2.5 if model == production else 1.2, label=model)
    axes.set(xlabel="years ahead", ylabel="MASE", title="Backtest error by horizon (lower is better)")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(folder / "mase_by_horizon.png", dpi=100)

    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    for level, style in ((80, "-"), (95, "--")):
        for model, rows in table.groupby("model", sort=True):
            if production is None or model == production:
                axes.plot(rows["horizon"], rows[f"coverage_{level}"], style, marker="o", label=f"{model} {level}%")
        axes.axhline(level / 100, color="grey", linestyle=":", linewidth=1)
    axes.set(xlabel="years ahead", ylabel="share of actuals inside the interval", title="Interval coverage by horizon (dotted: nominal)")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(folder / "coverage_by_horizon.png", dpi=100)


def _plot_forecast(forecasts: pd.DataFrame, folder: Path) -> bool:
    """Observed and forecast total for the largest area, with its 80% and 95% intervals."""
    from matplotlib.figure import Figure

    totals = forecasts.loc[(forecasts["classification"] == "all") & (forecasts["code"] == "all")]
    if totals.empty:
        return False
    measure = "employment" if (totals["measure"] == "employment").any() else str(totals["measure"].iloc[0])
    totals = totals.loc[totals["measure"] == measure]
    area = str(totals.groupby("area")["forecast"].max().idxmax())
    rows = totals.loc[totals["area"] == area].sort_values("period")
    observed, ahead = rows.loc[rows["basis"] == "observed"], rows.loc[rows["basis"] != "observed"]  # nowcast and forecast
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    axes.fill_between(ahead["period"], ahead["lo_95"] / 1e6, ahead["hi_95"] / 1e6, alpha=0.2, label="95% interval")
    axes.fill_between(ahead["period"], ahead["lo_80"] / 1e6, ahead["hi_80"] / 1e6, alpha=0.35, label="80% interval")
    axes.plot(observed["period"], observed["forecast"] / 1e6, color="black", label="observed")
    axes.plot(ahead["period"], ahead["forecast"] / 1e6, color="tab:blue", label="nowcast and forecast")
    axes.set(xlabel="year", ylabel=f"{measure} (millions)", title=f"{area}: {measure}, all categories")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(folder / f"forecast_{area}.png", dpi=100)
    return True
