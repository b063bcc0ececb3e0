"""The registered model: an MLflow pyfunc wrapping the forecast bundle and fitted forecaster.

Loading it needs only skillcast installed; ``predict`` takes rows of
``area, measure, classification, code, period`` and returns them with ``forecast`` and
the interval bounds (NaN where the bundle has no such series or year).
"""

from __future__ import annotations

from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from skillcast.bundle import ForecastBundle

QUERY_COLUMNS = ["area", "measure", "classification", "code", "period"]
ANSWER_COLUMNS = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]


class SkillcastModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        self.bundle = ForecastBundle.load(Path(context.artifacts["bundle"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        query = model_input[QUERY_COLUMNS].astype({"period": "int64"})
        table = self.bundle.forecasts[QUERY_COLUMNS + ANSWER_COLUMNS]
        return query.merge(table, on=QUERY_COLUMNS, how="left")


def bundle_dir_of(model_uri: str) -> Path:
    """Download a registered skillcast model and return the bundle folder inside it."""
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))
    candidates = [path.parent for path in local.rglob("metadata.json")]
    if not candidates:
        raise FileNotFoundError(f"{model_uri}: no forecast bundle inside this model")
    return candidates[0]
