from pathlib import Path

import pytest
from pydantic import ValidationError

from skillcast.config import Config


def test_environment_then_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("SKILLCAST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    config = Config.from_env(tracking_uri="sqlite:///elsewhere.db")
    assert config.data_dir == tmp_path / "data" and config.home == tmp_path / "home"
    assert config.resolved_tracking_uri() == "sqlite:///elsewhere.db"
    assert Config.from_env().resolved_tracking_uri() == "http://127.0.0.1:5999"


def test_default_tracking_store_is_sqlite_under_home(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = Config(home=tmp_path)
    assert config.resolved_tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert config.artifact_location() == (tmp_path / "mlartifacts").resolve().as_uri()


def test_unknown_model_names_are_rejected():
    with pytest.raises(ValidationError, match="unknown model"):
        Config(models=("naive", "prophet"))


def test_config_is_immutable():
    with pytest.raises(ValidationError):
        Config().seed = 3  # type: ignore[misc]
    assert Config().model_copy(update={"seed": 3}).seed == 3 and Path(".skillcast") == Config().home
