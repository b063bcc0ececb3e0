"""The registered model: an MLflow pyfunc wrapping the forecast bundle and fitted forecaster.

Loading it needs only skillcast installed; ``predict`` takes rows of
``area, measure, classification, code, period`` and returns them with ``forecast`` and
the interval bounds (NaN where the bundle has no such series or year).
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow.pyfunc
import pandas as pd

from skillcast.bundle import ForecastBundle
from skillcast.data.atomic import atomic_folder

QUERY_COLUMNS = ["area", "measure", "classification", "code", "period"]
ANSWER_COLUMNS = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]


class SkillcastModel(mlflow.pyfunc.PythonModel):
    def load_context(self, context) -> None:
        self.bundle = ForecastBundle.load(Path(context.artifacts["bundle"]))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        query = model_input[QUERY_COLUMNS].astype({"period": "int64"})
        table = self.bundle.forecasts[QUERY_COLUMNS + ANSWER_COLUMNS]
        return query.merge(table, on=QUERY_COLUMNS, how="left")


def bundle_dir_of(model_uri: str, dst_path: Path | None = None, tracking_uri: str | None = None) -> Path:
    """Download a registered skillcast model and return the bundle folder inside it."""
    local = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=model_uri, dst_path=str(dst_path) if dst_path else None, tracking_uri=tracking_uri, registry_uri=tracking_uri
        )
    )
    candidates = [path.parent for path in local.rglob("metadata.json") if (path.parent / "forecasts.parquet").is_file()]
    if not candidates:
        raise FileNotFoundError(f"{model_uri}: no forecast bundle inside this model")
    return candidates[0]


def resolve_model_uri(model_uri: str, tracking_uri: str) -> tuple[str, str]:
    """``models:/NAME@ALIAS`` or ``models:/NAME/VERSION`` -> (NAME, VERSION), checked to exist.

    Resolving the alias once, then loading that version, means a service reports exactly
    the version it loaded even if the alias moves while it starts.
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if not model_uri.startswith("models:/"):
        raise ValueError(f"model URI {model_uri!r}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
    path = model_uri[len("models:/") :]
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        if "@" in path:
            name, alias = path.split("@", 1)
            return name, str(client.get_model_version_by_alias(name, alias).version)
        name, _, version = path.partition("/")
        if not version.isdigit():
            raise ValueError(f"model URI {model_uri!r}: expected models:/NAME@ALIAS or models:/NAME/VERSION")
        return name, str(client.get_model_version(name, version).version)
    except MlflowException as error:
        raise FileNotFoundError(f"model URI {model_uri!r} not found in {tracking_uri}: {error.message}") from None


def load_registered_bundle(model_uri: str, tracking_uri: str, dst_path: Path | None = None) -> ForecastBundle:
    """The forecast bundle of a registered version, with ``registry_version`` and
    ``model_uri`` added to its metadata so the service can say what it serves."""
    name, version = resolve_model_uri(model_uri, tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    bundle = ForecastBundle.load(bundle_dir_of(f"models:/{name}/{version}", dst_path))
    bundle.metadata.update({"registry_version": version, "registered_model": name, "model_uri": model_uri})
    return bundle


SERVED_KEPT = 3  # bundle versions kept in the serving cache (the current one and two to roll back to)


def served_bundle(model_uri: str, tracking_uri: str, cache: Path) -> tuple[Path, str, str]:
    """Resolve ``model_uri`` once and return (bundle folder, model name, version).

    The bundle of each version is downloaded once into ``cache/NAME/VERSION/bundle``
    (written beside and renamed into place, so a half-downloaded copy is never used), so
    ``skillcast serve`` hands the server a plain folder: the server never imports MLflow
    and a restart on the same version downloads nothing. Older versions beyond
    ``SERVED_KEPT`` are removed.
    """
    import shutil

    name, version = resolve_model_uri(model_uri, tracking_uri)
    folder = Path(cache) / name
    target = folder / version / "bundle"
    if not (target / "metadata.json").is_file():
        with atomic_folder(target, replace=False) as staging:  # another instance may put the same version there first: it stands
            mlflow.set_tracking_uri(tracking_uri)  # models:/ downloads resolve the model through the default registry
            mlflow.set_registry_uri(tracking_uri)
            (staging / "download").mkdir()
            found = bundle_dir_of(f"models:/{name}/{version}", staging / "download", tracking_uri)
            for item in found.iterdir():
                item.rename(staging / item.name)
            metadata = json.loads((staging / "metadata.json").read_text())
            metadata.update({"registry_version": version, "registered_model": name})
            (staging / "metadata.json").write_text(json.dumps(metadata, indent=2, default=str))
            shutil.rmtree(staging / "download")
    versions = sorted((path for path in folder.iterdir() if path.is_dir() and path.name.isdigit()), key=lambda path: int(path.name))
    for old in versions[:-SERVED_KEPT]:
        if old.name != version:
            shutil.rmtree(old, ignore_errors=True)
    return target, name, version
