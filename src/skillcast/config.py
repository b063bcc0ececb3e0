"""The one typed configuration object, built once at the edge (CLI, service) and passed down.

Nothing reads the environment except ``Config.from_env``; no module keeps global state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from skillcast.engine.targets import DEFAULT_TARGETS

if TYPE_CHECKING:
    from skillcast.engine.engines import EngineSettings


SERVICE_VARIABLES = {  # environment variable -> Config field, for the service's limits and timeouts
    "SKILLCAST_API_RATE_PER_KEY": "api_rate_per_key",
    "SKILLCAST_API_BURST_PER_KEY": "api_burst_per_key",
    "SKILLCAST_API_CONCURRENCY_PER_KEY": "api_concurrency_per_key",
    "SKILLCAST_API_HEAVY_CONCURRENCY": "api_heavy_concurrency",
    "SKILLCAST_API_TIMEOUT": "api_timeout",
    "SKILLCAST_API_HEADER_TIMEOUT": "api_header_timeout",
    "SKILLCAST_API_BODY_TIMEOUT": "api_body_timeout",
    "SKILLCAST_API_DRAIN_SECONDS": "api_drain_seconds",
}


class Config(BaseModel):
    """Everything a run needs to know. Immutable: derive a changed copy with ``model_copy``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default=Path("../shared/data"), description="real data (read-only), SKILLCAST_DATA_DIR")
    home: Path = Field(default=Path(".skillcast"), description="project-local state: tracking store, outputs")
    bundle: Path | None = Field(
        default=None, description="forecast bundle the service answers from, SKILLCAST_BUNDLE; None = home/demo/bundle"
    )
    tracking_uri: str | None = Field(default=None, description="MLflow tracking URI; None = SQLite under home")
    experiment: str = "skillcast"
    registered_model: str = "skillcast"
    seed: int = Field(default=20240601, ge=0)
    backtest_cutoffs: tuple[int, ...] = Field(default=(), description="empty = the last 4 years that leave a full horizon")
    backtest_horizon: int = Field(default=4, ge=1, le=20)
    end_year: int = Field(default=2035, ge=2000, le=2100)
    nowcast_until: int = Field(
        default=2026,
        ge=2000,
        le=2100,
        description="'today' for labels: model years after the last observation up to this year are 'nowcast', later ones "
        "'forecast'; a setting, not the clock, so a rerun labels alike (docs/forecasting.md)",
    )
    nowcast_occupation_mix: bool = Field(
        default=True,
        description="national_mix moves England's occupational mix one year past the last observed year with the APS "
        "(store source aps-occupations) when the data have it; measured in BENCHMARKS.md",
    )
    nowcast_national: bool = Field(
        default=True,
        description="national_mix takes England's total path from the ONS labour market series (store source national-lms) "
        "when the data have them: the trend method chosen on decades of history, the jump-off at the last observed national "
        "year, and a national part of the intervals (engine.national_total; measured in BENCHMARKS.md)",
    )
    models: tuple[str, ...] = ("naive", "drift", "lightgbm", "national_share", "national_mix")
    production_model: str = Field(default="reconciled:national_mix", description="the model `train` registers, reported as 'skillcast'")
    calibration_windows: int = Field(default=5, ge=1, le=20, description="internal cutoffs used to calibrate intervals")
    interval_levels: tuple[int, ...] = (80, 95)
    targets: tuple[tuple[str, str], ...] = DEFAULT_TARGETS
    engine: Literal["local", "dask"] = Field(
        default="local", description="where backtest/train/retrain run: this process, or a Dask cluster (skillcast[dask]), SKILLCAST_ENGINE"
    )
    scheduler: str | None = Field(
        default=None, description="Dask scheduler address (tcp://host:8786), SKILLCAST_SCHEDULER; None = a LocalCluster started for the run"
    )
    dask_workers: int | None = Field(default=None, ge=1, description="workers of that LocalCluster (one thread each); None = one per core")
    dask_partitions: int | None = Field(
        default=None,
        ge=1,
        description="area partitions of the panel; None = 4 per worker thread, at least one per 20,000 series, none under 1,000",
    )
    dask_retries: int = Field(default=2, ge=0, le=10, description="times a failed task is retried before the run fails")
    shared_dir: Path | None = Field(
        default=None, description="folder every Dask worker can read, for the run's Parquet panel, SKILLCAST_SHARED_DIR; None = home/dask"
    )
    model_uri: str | None = Field(
        default=None,
        description="registered model the service answers from (e.g. models:/skillcast@champion), SKILLCAST_MODEL_URI; wins over bundle",
    )
    model_version: str | None = Field(
        default=None,
        description="registered version of the bundle served (set by `skillcast serve` with the bundle it resolved), SKILLCAST_MODEL_VERSION",
    )
    api_keys_file: Path | None = Field(
        default=None, description="hashed API keys (`skillcast keys`), SKILLCAST_API_KEYS_FILE; None = home/api_keys.json"
    )
    api_keys: tuple[SecretStr, ...] = Field(
        default=(), description="extra accepted API keys, SKILLCAST_API_KEYS (comma-separated); hashed when read"
    )
    api_max_batch: int = Field(default=100, ge=1, le=10000, description="most areas one batch call may ask for (more: 413)")
    api_max_body_bytes: int = Field(default=1_000_000, ge=1024, description="largest request body accepted (more: 413)")
    api_rate_per_key: float = Field(
        default=50.0, gt=0, description="requests per second one API key may make, on average (more: 429), SKILLCAST_API_RATE_PER_KEY"
    )
    api_burst_per_key: int = Field(
        default=100, ge=1, description="requests one key may make at once above that rate, SKILLCAST_API_BURST_PER_KEY"
    )
    api_concurrency_per_key: int = Field(
        default=8, ge=1, description="requests of one key answered at the same time (more: 429), SKILLCAST_API_CONCURRENCY_PER_KEY"
    )
    api_heavy_concurrency: int = Field(
        default=1, ge=1, description="spreadsheet exports built at the same time by one worker (more: 503), SKILLCAST_API_HEAVY_CONCURRENCY"
    )
    api_max_export_areas: int = Field(default=12, ge=1, le=1000, description="most areas one spreadsheet export may hold (more: 413)")
    api_timeout: float = Field(
        default=30.0, gt=0, description="seconds a request may take before it is answered 504, SKILLCAST_API_TIMEOUT"
    )
    api_header_timeout: float = Field(
        default=10.0, gt=0, description="seconds a client has to send a request's headers, SKILLCAST_API_HEADER_TIMEOUT"
    )
    api_body_timeout: float = Field(
        default=10.0, gt=0, description="seconds a client may pause while sending a body (more: 408), SKILLCAST_API_BODY_TIMEOUT"
    )
    api_drain_seconds: float = Field(
        default=3.0, ge=0, description="after SIGTERM: seconds the service keeps answering (readyz 503) before it stops accepting"
    )
    chromium: Path | None = Field(
        default=None, description="the Chromium that prints PDF reports, SKILLCAST_CHROMIUM; None = /usr/bin/chromium"
    )
    api_cors_origins: tuple[str, ...] = Field(
        default=(), description="origins of browser apps allowed to call the API (CORS), SKILLCAST_CORS_ORIGINS (comma-separated)"
    )

    @field_validator("models")
    @classmethod
    def _known_models(cls, models: tuple[str, ...]) -> tuple[str, ...]:
        # imported here: the service builds a Config too and must not load the training stack
        from skillcast.engine.factory import BASE_MODELS, is_model_name

        unknown = [name for name in models if not is_model_name(name)]
        if unknown:
            raise ValueError(f"unknown model(s) {unknown}; expected some of {sorted(BASE_MODELS)} (optionally 'reconciled:NAME')")
        return models

    @field_validator("production_model")
    @classmethod
    def _known_production(cls, name: str) -> str:
        return cls._known_models((name,))[0]

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> Config:
        if self.scheduler and self.engine != "dask":
            raise ValueError(
                f"a Dask scheduler ({self.scheduler}) is set but the engine is {self.engine!r}; use engine 'dask' or drop the scheduler"
            )
        return self

    def resolved_shared_dir(self) -> Path:
        """Where a Dask run writes the panel its workers read (must be visible to every worker)."""
        return (self.shared_dir or self.home / "dask").resolve()

    def engine_settings(self) -> EngineSettings:
        """What ``skillcast.engine.engines.open_engine`` needs to open this run's engine."""
        from skillcast.engine.engines import EngineSettings

        return EngineSettings(
            kind=self.engine,
            scheduler=self.scheduler,
            workers=self.dask_workers,
            partitions=self.dask_partitions,
            retries=self.dask_retries,
            shared_dir=self.resolved_shared_dir(),
        )

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        """Defaults, then SKILLCAST_DATA_DIR / _HOME / _BUNDLE / _MODEL_URI / _ENGINE / _SCHEDULER / _SHARED_DIR /
        _API_KEYS(_FILE), _CHROMIUM, the service settings (``SERVICE_VARIABLES``, _CORS_ORIGINS) and MLFLOW_TRACKING_URI, then ``overrides``."""
        values: dict[str, object] = {}
        if os.environ.get("SKILLCAST_DATA_DIR"):
            values["data_dir"] = Path(os.environ["SKILLCAST_DATA_DIR"])
        if os.environ.get("SKILLCAST_HOME"):
            values["home"] = Path(os.environ["SKILLCAST_HOME"])
        if os.environ.get("SKILLCAST_BUNDLE"):
            values["bundle"] = Path(os.environ["SKILLCAST_BUNDLE"])
        if os.environ.get("SKILLCAST_MODEL_URI"):
            values["model_uri"] = os.environ["SKILLCAST_MODEL_URI"]
        if os.environ.get("SKILLCAST_MODEL_VERSION"):
            values["model_version"] = os.environ["SKILLCAST_MODEL_VERSION"]
        if os.environ.get("MLFLOW_TRACKING_URI"):
            values["tracking_uri"] = os.environ["MLFLOW_TRACKING_URI"]
        for variable, name in (
            ("SKILLCAST_ENGINE", "engine"),
            ("SKILLCAST_SCHEDULER", "scheduler"),
            ("SKILLCAST_SHARED_DIR", "shared_dir"),
        ):
            if os.environ.get(variable):
                values[name] = os.environ[variable]
        if os.environ.get("SKILLCAST_CHROMIUM"):
            values["chromium"] = Path(os.environ["SKILLCAST_CHROMIUM"])
        if os.environ.get("SKILLCAST_API_KEYS_FILE"):
            values["api_keys_file"] = Path(os.environ["SKILLCAST_API_KEYS_FILE"])
        if os.environ.get("SKILLCAST_API_KEYS"):
            values["api_keys"] = tuple(SecretStr(key.strip()) for key in os.environ["SKILLCAST_API_KEYS"].split(",") if key.strip())
        for variable, name in SERVICE_VARIABLES.items():
            if os.environ.get(variable):
                values[name] = os.environ[variable]
        if os.environ.get("SKILLCAST_CORS_ORIGINS"):
            values["api_cors_origins"] = tuple(
                origin.strip() for origin in os.environ["SKILLCAST_CORS_ORIGINS"].split(",") if origin.strip()
            )
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def resolved_tracking_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri
        return f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    def resolved_bundle(self) -> Path:
        """The bundle folder the service falls back to: SKILLCAST_BUNDLE, else the demo's under ``home``."""
        return (self.bundle or self.home / "demo" / "bundle").resolve()

    def resolved_api_keys_file(self) -> Path:
        return (self.api_keys_file or self.home / "api_keys.json").resolve()

    def artifact_location(self) -> str:
        """Where a new experiment keeps its artifacts when the store is the local default."""
        return (self.home / "mlartifacts").resolve().as_uri()
