"""MLflow: log a pipeline run and register its model. The only module that talks to MLflow
when training (the service reads bundles; ``mlflow_model`` holds the pyfunc class).
"""

from __future__ import annotations

import json
import warnings
from importlib import resources
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import joblib
import pandas as pd

from skillcast.config import Config
from skillcast.pipeline import PipelineResult


@dataclass(frozen=True)
class TrackedRun:
    run_id: str
    experiment_id: str
    model_uri: str
    model_version: str | None


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _experiment_id(config: Config) -> str:
    import mlflow

    experiment = mlflow.get_experiment_by_name(config.experiment)
    if experiment is not None:
        return experiment.experiment_id
    location = config.artifact_location() if not config.tracking_uri else None
    return mlflow.create_experiment(config.experiment, artifact_location=location)


def log_pipeline_run(config: Config, result: PipelineResult, run_name: str, register: bool = True) -> TrackedRun:
    """Log params, metrics, tables and the model; register it as ``config.registered_model``."""
    import mlflow
    from mlflow.models import infer_signature

    from skillcast import __version__
    from skillcast.mlflow_model import QUERY_COLUMNS

    config.home.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(config.resolved_tracking_uri())
    experiment_id = _experiment_id(config)
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
                "skillcast.version": __version__,
                "git.commit": _git_commit(),
                "data.sources": "; ".join(result.bundle.metadata["sources"]),
                "data.synthetic": str(result.bundle.metadata["synthetic"]).lower(),
            }
        )
        for row in result.metrics.itertuples():
            for metric in ("mase", "smape", "coverage_80", "coverage_95", "seconds"):
                value = getattr(row, metric)
                if pd.notna(value):
                    mlflow.log_metric(f"{row.model}.{metric}", float(value))

        scratch_dir = Path(scratch)
        tables = scratch_dir / "tables"
        tables.mkdir()
        result.backtest.forecasts.to_csv(tables / "backtest.csv", index=False)
        result.metrics.to_csv(tables / "metrics.csv", index=False)
        result.gaps.to_csv(tables / "gaps.csv", index=False)
        mlflow.log_artifacts(str(tables), artifact_path="tables")

        bundle_dir = result.bundle.save(scratch_dir / "bundle")
        joblib.dump(result.forecaster, bundle_dir / "forecaster.joblib")
        example = result.bundle.forecasts.loc[result.bundle.forecasts["basis"] == "forecast", QUERY_COLUMNS].head(3)
        answer = result.bundle.forecasts.merge(example, on=QUERY_COLUMNS).head(3)
        with warnings.catch_warnings():
            # MLflow hints that int columns cannot hold missing values; ``period`` never is missing.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            signature = infer_signature(example, answer[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]])
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(resources.files("skillcast") / "mlflow_model_code.py"),  # not imported here: it registers on import
            artifacts={"bundle": str(bundle_dir)},
            signature=signature,
            input_example=example,
            pip_requirements=[f"skillcast=={__version__}"],
            registered_model_name=config.registered_model if register else None,
        )
        mlflow.log_text(json.dumps(result.bundle.metadata, indent=2, default=str), "bundle_metadata.json")
        version = getattr(info, "registered_model_version", None)
        model_uri = f"models:/{config.registered_model}/{version}" if version else info.model_uri
        return TrackedRun(run.info.run_id, experiment_id, model_uri, str(version) if version else None)
