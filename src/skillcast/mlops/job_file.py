"""The retrain and train job file (``training/quarterly.toml``): one typed object a run gets.

Its ``[model]`` table sets ``Config`` fields (``MODEL_KEYS``); ``[data]`` says which ingested
series the model trains on (``pipeline.TrainingData``); ``[validation]`` and ``[gate]`` are the
checks on a delivery and the promotion rule (``mlops.checks``). Where things live (data
folder, ``SKILLCAST_HOME``, the tracking store) comes from the environment or the command
line, never from this file, so one file serves every machine. Any problem is one
``ValueError`` naming the file and the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from skillcast.config import Config
from skillcast.pipeline import TrainingData

# [model] keys of the job file: the Config fields a job may set
MODEL_KEYS = ("production_model", "models", "backtest_cutoffs", "backtest_horizon", "end_year", "calibration_windows", "seed")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ValidationRules(_Section):
    """Checks on a new delivery before anything is trained on it."""

    required_sources: tuple[str, ...] = Field(default=("si2035",), description="sources the folder must provide")
    min_series: int = Field(default=2000, ge=1, description="training series at least")
    max_missing_share: float = Field(default=0.02, ge=0, le=1, description="share of missing training values at most")
    min_series_kept: float = Field(default=0.98, ge=0, le=1, description="share of the champion's series still present")
    revision_threshold: float = Field(default=0.05, gt=0, description="a value moved by more than this share counts as revised")
    max_revised_share: float = Field(default=0.10, ge=0, le=1, description="share of values the champion also saw that may be revised")


class Gate(_Section):
    """When a challenger may replace the champion."""

    max_mase_increase: float = Field(
        default=0.01, ge=0, description="challenger MASE at most this much worse (relative) than the champion's"
    )
    baseline: str | None = Field(default="naive", description="a model the challenger must not be worse than (same tolerance)")
    coverage_80: tuple[float, float] = (0.70, 0.90)
    coverage_95: tuple[float, float] = (0.90, 0.99)

    @field_validator("coverage_80", "coverage_95")
    @classmethod
    def _a_range(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= bounds[0] <= bounds[1] <= 1:
            raise ValueError(f"expected [low, high] with 0 <= low <= high <= 1, got {list(bounds)}")
        return bounds


class RetrainJob(_Section):
    """The one typed object a retrain or train run gets: the Config (environment + [model])
    and the job's own [data], [validation] and [gate] tables."""

    config: Config
    data: TrainingData = TrainingData()
    validation: ValidationRules = ValidationRules()
    gate: Gate = Gate()
    source_file: str | None = None

    @model_validator(mode="after")
    def _baseline_is_backtested(self) -> RetrainJob:
        baseline = self.gate.baseline
        if baseline and baseline not in (*self.config.models, self.config.production_model):
            raise ValueError(f"gate.baseline {baseline!r} must be one of model.models {list(self.config.models)}")
        return self

    @classmethod
    def load(cls, path: Path, base: Config) -> RetrainJob:
        """Read a job file; any problem is one ``ValueError`` naming the file and the field."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such job file (give one with --config)")
        try:
            raw = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path}: not valid TOML: {error}") from None
        model = raw.pop("model", {})
        if not isinstance(model, dict):
            raise ValueError(f"{path}: model: expected a table of settings, got {model!r}")
        unknown = sorted(set(model) - set(MODEL_KEYS))
        if unknown:
            raise ValueError(f"{path}: model.{unknown[0]}: unknown key; expected some of {list(MODEL_KEYS)}")
        try:
            config = Config(**{**base.model_dump(), **model})
        except ValidationError as error:
            raise ValueError(f"{path}: {_first_error(error, 'model')}") from None
        try:
            return cls(config=config, source_file=str(path), **raw)
        except ValidationError as error:
            raise ValueError(f"{path}: {_first_error(error)}") from None

    def settings(self) -> dict:
        """What decides the model (not where things live): part of the fingerprint."""
        config = self.config.model_dump(
            mode="json",
            include={
                "production_model",
                "models",
                "backtest_cutoffs",
                "backtest_horizon",
                "end_year",
                "calibration_windows",
                "seed",
                "interval_levels",
            },
        )
        return {"model": config, **self.model_dump(mode="json", include={"data", "validation", "gate"})}


def _first_error(error: ValidationError, prefix: str = "") -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    return f"{where or 'job'}: {first['msg']} (got {first.get('input')!r})"
