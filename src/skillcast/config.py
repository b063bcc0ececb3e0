"""The one typed configuration object, built once at the edge (CLI, service) and passed down.

Nothing reads the environment except ``Config.from_env``; no module keeps global state.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_TARGETS: tuple[tuple[str, str], ...] = (
    ("employment", "all"),
    ("employment", "soc2020_major"),
    ("employment", "rqf"),
    ("employment", "qualification_level"),
    ("employment", "qualification_band"),
    ("population", "all"),
    ("population", "nvq"),
    ("population", "qualification_level"),
    ("population", "qualification_band"),
)


class Config(BaseModel):
    """Everything a run needs to know. Immutable: derive a changed copy with ``model_copy``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default=Path("../shared/data"), description="real data (read-only), SKILLCAST_DATA_DIR")
    home: Path = Field(default=Path(".skillcast"), description="project-local state: tracking store, outputs")
    bundle: Path = Field(default=Path(".skillcast/demo/bundle"), description="forecast bundle the service answers from, SKILLCAST_BUNDLE")
    tracking_uri: str | None = Field(default=None, description="MLflow tracking URI; None = SQLite under home")
    experiment: str = "skillcast"
    registered_model: str = "skillcast"
    seed: int = Field(default=20240601, ge=0)
    backtest_cutoffs: tuple[int, ...] = Field(default=(), description="empty = the last 4 years that leave a full horizon")
    backtest_horizon: int = Field(default=4, ge=1, le=20)
    end_year: int = Field(default=2035, ge=2000, le=2100)
    models: tuple[str, ...] = ("naive", "drift", "lightgbm", "national_share")
    production_model: str = Field(default="reconciled:national_share", description="the model `train` registers, reported as 'skillcast'")
    calibration_windows: int = Field(default=5, ge=1, le=20, description="internal cutoffs used to calibrate intervals")
    interval_levels: tuple[int, ...] = (80, 95)
    targets: tuple[tuple[str, str], ...] = DEFAULT_TARGETS
    model_uri: str | None = Field(default=None, description="registered model the service answers from (e.g. models:/skillcast@champion), SKILLCAST_MODEL_URI; wins over bundle")

    @field_validator("models")
    @classmethod
    def _known_models(cls, models: tuple[str, ...]) -> tuple[str, ...]:
        from skillcast.forecasters import BASE_MODELS, is_model_name

        unknown = [name for name in models if not is_model_name(name)]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; expected some of {sorted(BASE_MODELS)} (optionally 'reconciled:NAME')")
        return models

    @field_validator("production_model")
    @classmethod
    def _known_production(cls, name: str) -> str:
        return cls._known_models((name,))[0]

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Defaults, then SKILLCAST_DATA_DIR / _HOME / _BUNDLE / _MODEL_URI and MLFLOW_TRACKING_URI, then ``overrides``."""
        values: dict[str, object] = {}
        if os.environ.get("SKILLCAST_DATA_DIR"):
            values["data_dir"] = Path(os.environ["SKILLCAST_DATA_DIR"])
        if os.environ.get("SKILLCAST_HOME"):
            values["home"] = Path(os.environ["SKILLCAST_HOME"])
        if os.environ.get("SKILLCAST_BUNDLE"):
            values["bundle"] = Path(os.environ["SKILLCAST_BUNDLE"])
        if os.environ.get("SKILLCAST_MODEL_URI"):
            values["model_uri"] = os.environ["SKILLCAST_MODEL_URI"]
        if os.environ.get("MLFLOW_TRACKING_URI"):
            values["tracking_uri"] = os.environ["MLFLOW_TRACKING_URI"]
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def resolved_tracking_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    def artifact_location(self) -> str:
        """Where a new experiment keeps its artifacts when the store is the local default."""
        return (self.home / "mlartifacts").resolve().as_uri()
