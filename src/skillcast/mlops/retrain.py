"""The quarterly retraining job (``skillcast retrain --config training/quarterly.toml``).

ingest the data folder → validate (schema, coverage, drift against the champion's data) →
backtest the challenger, its peers and the champion on the same cutoffs → fit → register
the challenger → compare → promote only if the gate in the config passes.

What it guarantees, because a scheduler runs it unattended:

* A failure at any step leaves the champion alias, the registry and so the served model
  exactly as they were: nothing is registered before the data are validated, a version
  registered by a run that then fails is deleted again (and the challenger alias put
  back), and moving the champion alias is the last thing a run does.
* The same inputs twice do nothing the second time: each version records a fingerprint
  of the files it was built from and of the job's settings; a run that finds its own
  fingerprint in the registry reports "nothing new" and registers nothing.
* A fingerprint counts as done only once its version has a decision (or is the champion):
  a run killed (``kill -9``) after registering leaves a version without one, and the
  next run on the same home removes it, marks the killed run KILLED in MLflow and
  empties the killed run's scratch folder (``HOME/scratch``) before it starts.
* Two runs at once cannot happen on one home: the job holds an exclusive lock on
  ``HOME/retrain.lock`` for its whole length; a second run exits 3 at once. Runs on
  different homes that share a tracking store cannot both promote: the champion is read
  again just before the alias moves, and a run whose champion moved meanwhile fails
  (exit 1) without promoting, leaving its inputs to be judged again by the next run.
* Exit codes: 0 promoted, kept or nothing new; 1 failed (validation or a step crashed);
  2 bad input or config; 3 another run holds the lock.

The "previous vintage" that drift is measured against is the data the champion was
trained on (the observed rows in its bundle), not whatever was ingested last, so a
rejected delivery can never become the reference for the next one.

Today the job trains on what ``skillcast backtest`` measures: SI2035 employment (all,
SOC 2020 major and sub-major groups, RQF), observations only. Its bundle holds those
series with forecasts to ``end_year`` and the skills gaps (demand - supply with 80%/95%
intervals) of every area ``gaps.analyse`` supports (the 296 districts and every area made
of them: counties, combined authorities, LSIPs, LEPs, regions, England), with each area's
warnings (the alignment check) and the apprenticeship priorities of every area not flagged,
computed from the same store (``bundle_gaps``). If the gaps
cannot be computed from a delivery (no APS, say), the job still runs: the bundle's gaps
stay empty, its metadata says why, and the report carries a warning line.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import tempfile
import time
import tomllib
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from skillcast.bundle import ForecastBundle, training_metadata
from skillcast.config import Config
from skillcast.data.geography import Geography
from skillcast.data.schema import SERIES_KEY, DataError, observations, series_count
from skillcast.data.store import Store, sha256
from skillcast.engine.backtest import PRODUCTION_NAME, BacktestResult, default_cutoffs, rolling_origin, score
from skillcast.engine.base import Forecaster
from skillcast.engine.engines import engine_or_open
from skillcast.engine.factory import is_model_name, make_forecaster
from skillcast.engine.fanout import Engine, LocalEngine
from skillcast.engine.national_mix import MixSignal
from skillcast.engine.nowcast import APS_SOURCE, with_mix_signal
from skillcast.mlops.registry import CHALLENGER, TAG_DECISION, TAG_FINGERPRINT, TAG_KIND, TAG_MASE, TAG_MODEL, TAG_SYNTHETIC, Registry
from skillcast.pipeline import nowcast_signal
from skillcast.skills.gap_table import GAP_DTYPES

EXIT_OK, EXIT_FAILED = 0, 1  # the CLI adds 2 (bad input) and 3 (lock held)
LOCK_FILE = "retrain.lock"
SCRATCH_DIR = "scratch"  # HOME/scratch: a run's temporary files, emptied when the next run takes the lock
TAG_LOCK = "skillcast.lock"  # on each retrain/train run: the lock it held, so a later run can tell it is dead
TAG_HOST = "skillcast.host"
RETRAIN_STAGES: tuple[str, ...] = ("ingest", "validate", "backtest", "fit", "register", "compare", "decide")
TRAIN_STAGES: tuple[str, ...] = ("read store", "backtest", "fit", "register")
CHAMPION_MODEL = "champion"  # the champion's rows in this run's backtest
GAP_COLUMNS = GAP_DTYPES  # the gaps table's columns and dtypes (skills.gap_table)

# [model] keys of the job file: the Config fields a job may set
MODEL_KEYS = ("production_model", "models", "backtest_cutoffs", "backtest_horizon", "end_year", "calibration_windows", "seed")

Progress = Callable[[str], None]


def _quiet(stage: str) -> None:
    pass


# -- the job file ---------------------------------------------------------------------
class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrainingData(_Section):
    """Which ingested series the model trains on."""

    source: str = "si2035"
    measure: str = "employment"
    classifications: tuple[str, ...] = ("all", "soc2020_major", "soc2020_submajor", "rqf")


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


# -- the lock -------------------------------------------------------------------------
class LockHeld(RuntimeError):
    """Another run holds the job lock."""


@contextmanager
def job_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the block, or raise ``LockHeld`` at once.

    The kernel drops the lock when the holder exits, however it exits, so a crashed run
    never leaves a stale lock behind; the file itself stays (deleting it would race).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "holder unknown"
            raise LockHeld(
                f"another retrain is running ({holder}; lock {path}); nothing was changed, try again when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}")
        handle.flush()
        yield
    finally:
        handle.close()


@contextmanager
def scratch_space(home: Path) -> Iterator[Path]:
    """A run's temporary folder, ``HOME/scratch/run-PID``, for everything it writes on the way
    (the throw-away store, the champion's download, MLflow's staging copies).

    Taken under the job lock, so whatever is in ``HOME/scratch`` then was left by a run that
    was killed: it is removed first. Python's ``tempfile`` points here for the run (MLflow
    stages models through it), and back when the run ends.
    """
    import shutil

    root = Path(home) / SCRATCH_DIR
    if root.exists():
        shutil.rmtree(root, ignore_errors=True)
    folder = root / f"run-{os.getpid()}"
    folder.mkdir(parents=True)
    before = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = before
        shutil.rmtree(root, ignore_errors=True)


def clean_up_killed_runs(registry: Registry, experiment: str, lock: Path) -> list[str]:
    """What runs killed on this home left behind, found and removed under its lock.

    * a run still RUNNING in MLflow that held this lock on this host is dead (the lock is
      ours now): it is marked KILLED, with the decision "failed";
    * a version with a fingerprint but no decision, not the champion, whose run is not
      running any more, was registered by a killed run: it is deleted (the challenger alias
      is put back on the newest decided version, or removed).

    Returns one note per thing cleaned (printed in the report).
    """
    import socket

    from mlflow.entities import RunStatus

    client = registry.client
    notes: list[str] = []
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        running = client.search_runs([found.experiment_id], "attributes.status = 'RUNNING'", max_results=1000)
        for run in running:
            tags = run.data.tags
            if tags.get(TAG_LOCK) == str(lock.resolve()) and tags.get(TAG_HOST) == socket.gethostname():
                client.set_tag(run.info.run_id, "decision", "failed")
                client.set_tag(run.info.run_id, "decision.reason", "killed: found still RUNNING by a later run that holds its lock")
                client.set_terminated(run.info.run_id, RunStatus.to_string(RunStatus.KILLED))
                notes.append(f"run {run.info.run_id} was killed mid-way: marked KILLED")
    champion = registry.champion()
    undecided = [
        item for item in registry.versions() if TAG_FINGERPRINT in item.tags and TAG_DECISION not in item.tags and item.version != champion
    ]
    for item in undecided:
        status = _run_status(client, item.run_id)
        if status == "RUNNING":
            continue  # a live run elsewhere (another home on this tracking store) is still deciding it
        decided = [other.version for other in registry.versions() if TAG_DECISION in other.tags and other.version != champion]
        challenger = registry.alias(CHALLENGER)
        registry.discard(item.version, challenger if challenger != item.version else (decided[-1] if decided else None))
        notes.append(f"version {item.version} was registered by a run killed before its decision: removed")
    return notes


def _run_status(client, run_id: str | None) -> str | None:
    if not run_id:
        return None
    try:
        return client.get_run(run_id).info.status
    except Exception:  # noqa: BLE001 - a run that is gone is not running
        return None


# -- the outcome ----------------------------------------------------------------------
@dataclass
class Check:
    name: str
    passed: bool
    detail: str


class ValidationFailed(Exception):
    def __init__(self, checks: list[Check]):
        self.checks = checks
        failed = [check for check in checks if not check.passed]
        super().__init__("; ".join(f"{check.name}: {check.detail}" for check in failed))


@dataclass
class Outcome:
    decision: str = "failed"  # promoted | kept | nothing new | failed
    reason: str = ""
    exit_code: int = EXIT_FAILED
    stage: str = "start"  # the stage reached (the failing one, if failed)
    fingerprint: str = ""
    champion_before: str | None = None
    champion_after: str | None = None
    version: str | None = None  # registered by this run
    data: str = ""
    validation: list[Check] = field(default_factory=list)
    gate: list[Check] = field(default_factory=list)
    metrics: pd.DataFrame | None = None
    cutoffs: list[int] = field(default_factory=list)
    horizon: int = 0
    series: int = 0
    run_id: str | None = None
    tracking_uri: str = ""
    started: float = field(default_factory=time.perf_counter)  # when the lock was taken
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # did not fail the run (e.g. no gaps from these data)


# -- the pure parts -------------------------------------------------------------------
def fingerprint(job: RetrainJob, data_dir: Path, files: list[Path]) -> str:
    """Checksums of the files read (and of the lookups), the job's settings, the version."""
    from skillcast import __version__

    digest = hashlib.sha256()
    digest.update(json.dumps({"settings": job.settings(), "skillcast": __version__}, sort_keys=True).encode())
    for path in sorted(set(files) | set((data_dir / "lookups").glob("*.csv"))):
        digest.update(f"{path.relative_to(data_dir).as_posix()}\0{sha256(path)}\n".encode())
    return digest.hexdigest()


def training_panel(store: Store, data: TrainingData) -> pd.DataFrame:
    """The series the model trains on: observations only (never a publisher's projection)."""
    panel = observations(store.source_panel(data.source))
    panel = panel.loc[(panel["measure"] == data.measure) & panel["classification"].isin(data.classifications)].reset_index(drop=True)
    if panel.empty:
        raise DataError(f"source {data.source!r} has no {data.measure} observations with classifications {list(data.classifications)}")
    return panel


def validate_delivery(
    panel: pd.DataFrame, manifest: dict, rules: ValidationRules, reference: pd.DataFrame | None, champion: str | None
) -> list[Check]:
    """Coverage and drift checks on the training series; ``reference`` is the champion's data."""
    checks = [
        Check(
            "schema",
            True,
            f"{sum(len(info['files']) for info in manifest['sources'].values())} files read; every row met the data contract",
        )
    ]
    missing_sources = sorted(set(rules.required_sources) - set(manifest["sources"]))
    checks.append(
        Check(
            "sources",
            not missing_sources,
            f"missing {missing_sources}" if missing_sources else f"{', '.join(rules.required_sources)} present",
        )
    )
    series = series_count(panel)
    checks.append(Check("series", series >= rules.min_series, f"{series:,} training series (at least {rules.min_series:,})"))
    missing = float(panel["value"].isna().mean())
    checks.append(
        Check("missing", missing <= rules.max_missing_share, f"{missing:.1%} of values missing (at most {rules.max_missing_share:.1%})")
    )
    if reference is None or reference.empty:
        checks.append(Check("drift", True, "not checked: no champion trained on these series yet"))
        return checks
    last, reference_last = int(panel["period"].max()), int(reference["period"].max())
    checks.append(Check("last year", last >= reference_last, f"data end in {last} (champion v{champion}'s in {reference_last})"))
    present = pd.MultiIndex.from_frame(panel[SERIES_KEY].drop_duplicates())
    before = pd.MultiIndex.from_frame(reference[SERIES_KEY].drop_duplicates())
    kept = float(before.isin(present).mean())
    checks.append(
        Check(
            "series kept",
            kept >= rules.min_series_kept,
            f"{kept:.1%} of champion v{champion}'s {len(before):,} series still present (at least {rules.min_series_kept:.0%})",
        )
    )
    both = panel.merge(reference, on=SERIES_KEY + ["period"], suffixes=("", "_before")).dropna(subset=["value", "value_before"])
    if both.empty:
        checks.append(Check("drift", False, f"no value in common with champion v{champion}'s data"))
        return checks
    moved = (both["value"] - both["value_before"]).abs() / both["value_before"].abs().clip(lower=1.0)
    revised = float((moved > rules.revision_threshold).mean())
    checks.append(
        Check(
            "drift",
            revised <= rules.max_revised_share,
            f"{revised:.1%} of {len(both):,} values revised by more than {rules.revision_threshold:.0%} "
            f"since champion v{champion}'s data (at most {rules.max_revised_share:.0%})",
        )
    )
    return checks


def gate_checks(metrics: pd.DataFrame, gate: Gate, champion: str | None) -> list[Check]:
    """The promotion rule; every check must pass. The challenger's rows are ``skillcast``."""
    rows = metrics.set_index("model")
    challenger = rows.loc[PRODUCTION_NAME]
    checks = []
    limit = 1 + gate.max_mase_increase
    if CHAMPION_MODEL in rows.index:
        reference = rows.loc[CHAMPION_MODEL, "mase"]
        checks.append(
            Check(
                "vs champion",
                bool(challenger["mase"] <= reference * limit),
                f"MASE {challenger['mase']:.3f} vs champion v{champion} {reference:.3f}: "
                f"{challenger['mase'] / reference - 1:+.1%} (worse by at most {gate.max_mase_increase:.1%})",
            )
        )
    else:
        checks.append(Check("vs champion", True, "no champion yet: a challenger that passes the rest becomes the first"))
    if gate.baseline:
        reference = rows.loc[gate.baseline, "mase"]
        checks.append(
            Check(
                f"vs {gate.baseline}",
                bool(challenger["mase"] <= reference * limit),
                f"MASE {challenger['mase']:.3f} vs {reference:.3f}: {challenger['mase'] / reference - 1:+.1%}",
            )
        )
    for level, (low, high) in ((80, gate.coverage_80), (95, gate.coverage_95)):
        value = challenger[f"coverage_{level}"]
        checks.append(Check(f"{level}% coverage", bool(low <= value <= high), f"{value:.3f} (between {low:.2f} and {high:.2f})"))
    return checks


def _gap_table(gaps: pd.DataFrame | None) -> pd.DataFrame:
    """``GAP_COLUMNS`` with their dtypes (an empty table when ``gaps`` is None)."""
    if gaps is None:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in GAP_COLUMNS.items()})
    return gaps[list(GAP_COLUMNS)].astype(GAP_COLUMNS).reset_index(drop=True)


def _survey_years(signal) -> str:
    """What the nowcast's survey covers, for the bundle's metadata (it moves the year after the
    last observation only where the survey has that year, comparable: engine.nowcast)."""
    years = sorted({int(year) for *_, year, _ in signal})
    return f"APS occupational mix {years[0]}-{years[-1]}" if years else "none"


def bundle_gaps(store: Store, config: Config) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict, pd.DataFrame | None]:
    """The skills gaps and apprenticeship priorities of every area ``gaps.analyse`` supports,
    from an ingested store.

    Drives ``gap_inputs.real_inputs`` and ``gaps.analyse`` as ``skillcast gaps --area all``
    does (its default draws and seed; the job's model, calibration windows and end year),
    then ranks each area's occupations as ``skillcast priorities`` does.
    Demand is forecast by ``gaps.fit_demand``, not taken from the job's own forecast: that
    one is on SI2035 ids without the qualification bands and merged areas analyse needs.
    Returns (gaps or None, priorities or None, what to record in the bundle metadata, the local
    shortage ratings of every area or None); any failure on the data gives None and the reason,
    never an exception.
    """
    from skillcast.skills.gap_inputs import SOURCES, TABLES, real_inputs
    from skillcast.skills.gaps import GapSettings, analyse, fit_demand
    from skillcast.skills.priorities import rank_areas

    try:
        sources, tables = store.available(SOURCES, TABLES)
        inputs = real_inputs(sources, store.geography(), tables)
        settings = GapSettings(
            end_year=config.end_year,
            model=config.production_model,
            calibration_windows=config.calibration_windows,
            nowcast=config.nowcast_occupation_mix,
        )
        analysis = analyse(inputs, settings, fit_demand(inputs, settings), inputs.areas)
        gaps = _gap_table(analysis.gaps)
    except Exception as error:  # noqa: BLE001 - gaps are an extra: a delivery they cannot be made from still trains
        return None, None, {"error": f"{type(error).__name__}: {error}"}, None
    info = {
        "areas": int(gaps["area"].nunique()),
        "rows": len(gaps),
        "draws": settings.draws,
        "seed": settings.seed,
        "aliases": {alias: code for alias, code in inputs.aliases.items() if code in set(gaps["area"])},
        "demand": f"gaps.fit_demand ({settings.model}) on SI2035's units; districts by small-area estimation, areas their sums",
        "demand_nowcast": _survey_years(inputs.mix_signal) if settings.nowcast else "off",
        "basis": str(gaps["gap_basis"].iloc[0]) if len(gaps) else None,
        "notes": list(analysis.notes),
        "warnings": {area: list(texts) for area, texts in analysis.warnings.items()},
        "flagged": sorted(analysis.flagged),
    }
    try:
        priorities = rank_areas(list(inputs.areas), analysis, inputs, settings)
        info["priorities_areas"] = int(priorities["area"].nunique()) if not priorities.empty else 0
    except Exception as error:  # noqa: BLE001 - as for gaps: an extra, the reason is recorded
        priorities = None
        info["priorities_error"] = f"{type(error).__name__}: {error}"
    try:
        shortages = inputs.shortages()
        info["shortages_areas"] = int(shortages["area"].nunique())
    except Exception as error:  # noqa: BLE001 - as for gaps
        shortages = None
        info["shortages_error"] = f"{type(error).__name__}: {error}"
    return gaps, priorities, info, shortages


def build_bundle(
    panel: pd.DataFrame,
    forecasts: pd.DataFrame,
    geography: Geography,
    metadata: dict,
    gaps: pd.DataFrame | None = None,
    priorities: pd.DataFrame | None = None,
    shortages: pd.DataFrame | None = None,
) -> ForecastBundle:
    """What the service answers from: observed and forecast rows, the gaps table
    (``GAP_COLUMNS``; from ``bundle_gaps``, empty when none could be computed) and the
    apprenticeship priorities (empty when none)."""
    observed = panel[SERIES_KEY + ["period"]].copy()
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        observed[column] = panel["value"].to_numpy()
    table = pd.concat([observed.assign(basis="observed"), forecasts.assign(basis="forecast")], ignore_index=True)
    return ForecastBundle(
        forecasts=table,
        gaps=_gap_table(gaps),
        geography=geography,
        metadata=metadata,
        priorities=priorities if priorities is not None else pd.DataFrame(),
        shortages=shortages if shortages is not None else pd.DataFrame(),
    )


def backtest_models(
    job: RetrainJob,
    panel: pd.DataFrame,
    champion: Forecaster | None = None,
    on_start: Callable[[str, int], None] | None = None,
    engine: Engine | None = None,
    signal: MixSignal = (),
) -> tuple[BacktestResult, pd.DataFrame, list[int]]:
    """The challenger, its peers and (when given) the champion on the same cutoffs, on
    ``engine`` (default: this process; the same answers on a Dask cluster); ``signal``:
    the nowcast's survey mix for national_mix (``pipeline.nowcast_signal``)."""
    config = job.config
    names = list(dict.fromkeys((*config.models, config.production_model)))
    models: dict[str, Forecaster] = {
        name: with_mix_signal(make_forecaster(name, config.calibration_windows, config.interval_levels, config.seed), signal)
        for name in names
    }
    if champion is not None:
        models[CHAMPION_MODEL] = champion
    cutoffs = list(config.backtest_cutoffs) or default_cutoffs(panel, config.backtest_horizon)
    last = int(panel["period"].max())
    if max(cutoffs) + 1 > last:
        raise DataError(f"backtest cutoff {max(cutoffs)} leaves no observed year to test (data end in {last})")
    result = rolling_origin(panel, models, cutoffs, config.backtest_horizon, config.production_model, on_start=on_start, engine=engine)
    return result, score(result), cutoffs


def fit_bundle(
    job: RetrainJob,
    panel: pd.DataFrame,
    geography: Geography,
    metrics: pd.DataFrame,
    cutoffs: list[int],
    extra: dict,
    store: Store | None = None,
    engine: Engine | None = None,
) -> tuple[Forecaster, ForecastBundle]:
    """Fit the production model (on ``engine``) and build its bundle; with ``store``, the gaps from it too
    (``metadata["gaps"]["error"]`` says why they are empty when they could not be made)."""
    config = job.config
    last = int(panel["period"].max())
    if config.end_year <= last:
        raise DataError(f"end_year {config.end_year} is not after the last observed year {last}")
    model = make_forecaster(config.production_model, config.calibration_windows, config.interval_levels, config.seed)
    model = with_mix_signal(model, store_signal(store, config))
    forecaster, forecasts = (engine or LocalEngine()).fit_forecast(panel, model, config.end_year - last)
    metadata = {
        **training_metadata(
            panel, config.production_model, config.end_year, cutoffs, config.backtest_horizon, metrics, config.nowcast_until
        ),
        "training_data": job.data.model_dump(mode="json"),
        **extra,
    }
    gaps, priorities, gap_info, shortages = (
        bundle_gaps(store, config) if store is not None else (None, None, {"error": "no store given"}, None)
    )
    metadata["gaps"] = gap_info
    metadata["note"] = (
        "forecasts: SI2035 employment series (SI2035 area ids); gaps: demand - supply by qualification band "
        "for every district and every area of districts (ONS codes), from gaps.analyse on the same store"
        if gaps is not None
        else f"forecasts: SI2035 employment series; gaps empty: they could not be computed from these data ({gap_info['error']})"
    )
    return forecaster, build_bundle(panel, forecasts, geography, metadata, gaps, priorities, shortages)


def store_signal(store: Store | None, config: Config) -> MixSignal:
    """The nowcast's survey mix from the store's APS occupations (none without a store or the source)."""
    return nowcast_signal(store.available((APS_SOURCE,))[0].get(APS_SOURCE), config) if store is not None else ()


def gaps_warning(bundle: ForecastBundle) -> str | None:
    error = bundle.metadata.get("gaps", {}).get("error")
    return f"no gaps in the bundle (/gaps answers no rows): {error}" if error else None


def _champion_data(registry: Registry, champion: str, job: RetrainJob, folder: Path) -> tuple[pd.DataFrame, Forecaster, str]:
    """The champion's training data (its bundle's observed rows) and an unfitted copy of its
    estimator, refitted at each cutoff so it is judged on exactly the challenger's backtest."""
    import joblib
    from sklearn.base import clone

    from skillcast.mlops.pyfunc import bundle_dir_of

    bundle_dir = bundle_dir_of(f"models:/{registry.name}/{champion}", folder)
    bundle = ForecastBundle.load(bundle_dir)
    rows = bundle.forecasts.loc[
        (bundle.forecasts["basis"] == "observed")
        & (bundle.forecasts["measure"] == job.data.measure)
        & bundle.forecasts["classification"].isin(job.data.classifications)
    ]
    reference = rows[SERIES_KEY + ["period"]].assign(value=rows["forecast"].to_numpy())
    try:
        estimator, how = clone(joblib.load(bundle_dir / "forecaster.joblib")), "its own estimator"
    except Exception:  # noqa: BLE001 - any unpickling problem (older code, missing file): fall back to its name
        name = registry.version(champion).tags.get(TAG_MODEL) or str(bundle.metadata.get("model", ""))
        if not is_model_name(name):
            raise
        config = job.config
        estimator, how = (
            make_forecaster(name, config.calibration_windows, config.interval_levels, config.seed),
            f"rebuilt from its name {name}",
        )
    return reference, estimator, how


# -- the job --------------------------------------------------------------------------
def run_retrain(job: RetrainJob, data_dir: Path, progress: Progress = _quiet, engine: Engine | None = None) -> Outcome:
    """Run the whole job; bad input raises (exit 2), ``LockHeld`` (exit 3), else an ``Outcome``.

    Everything after the lock is logged to one MLflow run, including failures. Backtest
    and fit run on ``engine``, else on the one ``job.config.engine`` names (a cluster is
    only started once there is something to train; its failure fails the run, exit 1).
    """
    from skillcast.data.ingest import plan_folder

    config = job.config
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data_dir}: no such data folder (give one with --data or SKILLCAST_DATA_DIR)")
    with job_lock(config.home / LOCK_FILE), scratch_space(config.home):
        outcome = Outcome(tracking_uri=config.resolved_tracking_uri())
        plan, skipped = plan_folder(data_dir)
        if not (data_dir / "lookups").is_dir():
            raise FileNotFoundError(f"{data_dir}: no lookups/ folder (the ONS lookups the areas are matched with)")
        files = [path for paths in plan.values() for path in paths]
        outcome.fingerprint = fingerprint(job, data_dir, files)
        outcome.data = (
            f"{data_dir}: {len(files)} files for {len(plan)} sources, {len(skipped)} skipped; fingerprint {outcome.fingerprint[:12]}"
        )
        with engine_or_open(engine, config.engine_settings()) as active:
            _run_tracked(job, data_dir, outcome, progress, active)
        return outcome


def _run_tracked(job: RetrainJob, data_dir: Path, outcome: Outcome, progress: Progress, engine: Engine | None = None) -> None:
    import mlflow

    from skillcast.mlops.tracking import code_tags, start_tracking

    config = job.config
    registry = Registry(outcome.tracking_uri, config.registered_model)
    run = None
    status = "FAILED"
    with tempfile.TemporaryDirectory(prefix="skillcast-retrain-") as scratch:
        try:
            outcome.notes.extend(clean_up_killed_runs(registry, config.experiment, config.home / LOCK_FILE))
            outcome.champion_before = outcome.champion_after = registry.champion()
            experiment_id = start_tracking(config)
            run = mlflow.start_run(experiment_id=experiment_id, run_name=f"retrain {datetime.now(UTC):%Y-%m-%d %H:%M}")
            outcome.run_id = run.info.run_id
            mlflow.log_params(_params(job, data_dir))
            mlflow.set_tags(
                {
                    **code_tags(),
                    "job.kind": "retrain",
                    TAG_LOCK: str((config.home / LOCK_FILE).resolve()),
                    TAG_HOST: socket.gethostname(),
                    "data.fingerprint": outcome.fingerprint,
                    "data.synthetic": "false",
                    "champion.before": outcome.champion_before or "none",
                }
            )
            _steps(job, data_dir, registry, outcome, Path(scratch), progress, engine)
            outcome.exit_code = EXIT_OK
            status = "FINISHED"
        except ValidationFailed as error:
            outcome.stage = "validate"  # a reader's schema check during ingest counts as validation too
            outcome.validation = error.checks
            outcome.decision, outcome.reason = "failed", f"validation failed: {error}"
        except Exception as error:  # noqa: BLE001 - any crash: report it in one line, keep the traceback in the run
            outcome.decision, outcome.reason = "failed", f"{outcome.stage} failed: {type(error).__name__}: {error}"
            _log_quietly(lambda: mlflow.log_text(traceback.format_exc(), "error.txt"))
        finally:
            outcome.champion_after = _safe(registry.champion, outcome.champion_before)
            outcome.seconds = time.perf_counter() - outcome.started
            if run is not None:
                _log_quietly(lambda: _log_outcome(job, outcome))
                _log_quietly(lambda: mlflow.end_run(status=status))


def _steps(
    job: RetrainJob, data_dir: Path, registry: Registry, outcome: Outcome, scratch: Path, progress: Progress, engine: Engine | None = None
) -> None:
    import mlflow

    from skillcast.data.ingest import ingest_folder
    from skillcast.mlops.tracking import log_backtest, log_forecast_model, log_overall_metrics

    config = job.config
    same = registry.decided(TAG_FINGERPRINT, outcome.fingerprint)
    if same is not None:
        outcome.decision = "nothing new"
        outcome.reason = (
            f"version {same.version} was built from these files and settings (its decision: "
            f"{same.tags.get(TAG_DECISION, 'promoted')}); champion stays {_v(outcome.champion_before)}"
        )
        return

    outcome.stage = "ingest"
    progress("ingest")
    store = Store(scratch / "store")
    try:
        _, manifest = ingest_folder(data_dir, store)
    except DataError as error:
        raise ValidationFailed([Check("schema", False, str(error))]) from None
    mlflow.log_text(json.dumps(manifest, indent=2, default=str), "data/manifest.json")
    mlflow.set_tags(
        {
            "data.sources": ", ".join(sorted(manifest["sources"])),
            "data.vintages": "; ".join(f"{name} {','.join(info['vintages'])}" for name, info in sorted(manifest["sources"].items())),
        }
    )

    outcome.stage = "validate"
    progress("validate")
    try:
        panel = training_panel(store, job.data)
    except (DataError, ValueError) as error:
        raise ValidationFailed([Check("schema", True, "every file read"), Check("training data", False, str(error))]) from None
    reference, champion_estimator, how = None, None, ""
    if outcome.champion_before:
        reference, champion_estimator, how = _champion_data(registry, outcome.champion_before, job, scratch / "champion")
    outcome.validation = validate_delivery(panel, manifest, job.validation, reference, outcome.champion_before)
    if not all(check.passed for check in outcome.validation):
        raise ValidationFailed(outcome.validation)
    outcome.series = series_count(panel)

    outcome.stage = "backtest"
    progress("backtest")
    backtest, metrics, cutoffs = backtest_models(job, panel, champion_estimator, engine=engine, signal=store_signal(store, config))
    outcome.metrics, outcome.cutoffs, outcome.horizon = metrics, cutoffs, config.backtest_horizon
    mlflow.log_params({"cutoffs": ",".join(map(str, cutoffs)), "series": outcome.series, "champion.backtested_as": how or "no champion"})
    log_overall_metrics(metrics)
    by_horizon = log_backtest(backtest, scratch, production=config.production_model)
    tables = scratch / "tables"
    tables.mkdir()
    backtest.forecasts.to_csv(tables / "backtest.csv", index=False)
    metrics.to_csv(tables / "metrics.csv", index=False)
    by_horizon.to_csv(tables / "metrics_by_horizon.csv", index=False)

    outcome.stage = "fit"
    progress("fit")
    forecaster, bundle = fit_bundle(
        job, panel, store.geography(), metrics, cutoffs, {"kind": "retrain", "fingerprint": outcome.fingerprint}, store=store, engine=engine
    )
    warning = gaps_warning(bundle)
    if warning:
        outcome.warnings.append(warning)
        mlflow.set_tag("gaps", "none")
    bundle.forecasts.loc[bundle.forecasts["basis"] != "observed"].to_csv(tables / "forecasts.csv", index=False)
    mlflow.log_artifacts(str(tables), artifact_path="tables")

    outcome.stage = "register"
    progress("register")
    challenger_before = registry.alias(CHALLENGER)
    try:
        _, outcome.version = log_forecast_model(bundle, forecaster, scratch, config.registered_model)
        registry.tag(
            outcome.version,
            {
                TAG_KIND: "retrain",
                TAG_SYNTHETIC: "false",
                TAG_MODEL: config.production_model,
                TAG_FINGERPRINT: outcome.fingerprint,
                TAG_MASE: f"{metrics.set_index('model').loc[PRODUCTION_NAME, 'mase']:.4f}",
            },
        )
        registry.set_challenger(outcome.version)

        outcome.stage = "compare"
        progress("compare")
        outcome.gate = gate_checks(metrics, job.gate, outcome.champion_before)
        failed = [check for check in outcome.gate if not check.passed]

        outcome.stage = "decide"
        progress("decide")
        if failed:
            registry.tag(outcome.version, {TAG_DECISION: "kept"})
            outcome.decision = "kept"
            outcome.reason = f"champion {_v(outcome.champion_before)} kept; challenger version {outcome.version} failed " + "; ".join(
                f"{check.name} ({check.detail})" for check in failed
            )
        else:
            # compare-and-swap: refused (ChampionMoved, the run fails) if the champion is no longer the one just compared with
            registry.promote(outcome.version, expected=outcome.champion_before)
            outcome.decision = "promoted"  # from here on the run is committed; the tag below is bookkeeping
            _log_quietly(lambda: registry.tag(outcome.version, {TAG_DECISION: "promoted"}))
            outcome.reason = f"version {outcome.version} passed every gate check; champion was {_v(outcome.champion_before)}"
    except BaseException:
        note = _undo_registration(registry, outcome.run_id, outcome.version, challenger_before)
        if note:
            outcome.notes.append(note)
        else:
            outcome.version = None
        raise


def _undo_registration(registry: Registry, run_id: str | None, version: str | None, challenger_before: str | None) -> str | None:
    """Delete what a run registered (found by its run id too, in case registering failed
    half-way) unless it already is the champion, and put the challenger alias back.
    Returns a note when that is impossible (the original failure is what gets reported)."""
    try:
        champion = registry.champion()
        mine = {item.version for item in registry.versions() if run_id and item.run_id == run_id}
        mine |= {version} if version else set()
        for item in sorted(mine - {champion}, key=int):
            registry.discard(item, challenger_before)
        return None
    except Exception as error:  # noqa: BLE001
        return f"what this run registered could not be removed ({error}); check `skillcast models list`"


def _params(job: RetrainJob, data_dir: Path) -> dict[str, object]:
    config = job.config
    return {
        "config_file": job.source_file or "(defaults)",
        "data_dir": str(data_dir),
        "production_model": config.production_model,
        "models": ",".join(config.models),
        "horizon": config.backtest_horizon,
        "end_year": config.end_year,
        "calibration_windows": config.calibration_windows,
        "seed": config.seed,
        "engine": config.engine,
        "data.source": job.data.source,
        "data.measure": job.data.measure,
        "data.classifications": ",".join(job.data.classifications),
        **{f"validation.{key}": value for key, value in job.validation.model_dump(mode="json").items()},
        **{f"gate.{key}": value for key, value in job.gate.model_dump(mode="json").items()},
    }


def _log_outcome(job: RetrainJob, outcome: Outcome) -> None:
    import mlflow

    mlflow.set_tags(
        {
            "decision": outcome.decision,
            "decision.reason": outcome.reason[:4000],
            "decision.stage": outcome.stage,
            "champion.after": outcome.champion_after or "none",
            "challenger.version": outcome.version or "none",
        }
    )
    mlflow.log_text(render_report(outcome, job), "report.txt")
    mlflow.log_dict(
        {
            "decision": outcome.decision,
            "reason": outcome.reason,
            "exit_code": outcome.exit_code,
            "stage": outcome.stage,
            "champion_before": outcome.champion_before,
            "champion_after": outcome.champion_after,
            "version": outcome.version,
            "fingerprint": outcome.fingerprint,
            "validation": [vars(check) for check in outcome.validation],
            "gate": [vars(check) for check in outcome.gate],
        },
        "decision.json",
    )


def _log_quietly(action: Callable[[], object]) -> None:
    """Best effort for the bookkeeping after a failure: the failure is what gets reported."""
    try:
        action()
    except Exception:  # noqa: BLE001
        pass


def _safe(read: Callable[[], str | None], fallback: str | None) -> str | None:
    try:
        return read()
    except Exception:  # noqa: BLE001 - the store may be what failed
        return fallback


def _v(version: str | None) -> str:
    return f"version {version}" if version else "none"


# -- train: the same model, from a store, no gate -------------------------------------
@dataclass(frozen=True)
class Trained:
    version: str
    run_id: str
    metrics: pd.DataFrame
    cutoffs: list[int]
    series: int
    promoted: bool
    champion_before: str | None
    warnings: tuple[str, ...] = ()


def run_train(job: RetrainJob, store: Store, promote: bool = False, progress: Progress = _quiet, engine: Engine | None = None) -> Trained:
    """Backtest, fit and register the production model on an ingested store (``skillcast
    ingest``); the version becomes challenger, or champion with ``promote`` (no gate: a
    deliberate choice by a person, logged as such). Takes the job lock like retrain.
    Backtest and fit run on ``engine``, else on the one ``job.config.engine`` names."""
    import mlflow

    from skillcast.mlops.tracking import code_tags, log_backtest, log_forecast_model, log_overall_metrics, start_tracking

    config = job.config
    with (
        job_lock(config.home / LOCK_FILE),
        scratch_space(config.home),
        tempfile.TemporaryDirectory(prefix="skillcast-train-") as scratch,
        engine_or_open(engine, config.engine_settings()) as active,
    ):
        progress("read store")
        panel = training_panel(store, job.data)
        geography = store.geography()
        manifest = store.manifest()
        registry = Registry(config.resolved_tracking_uri(), config.registered_model)
        champion_before = registry.champion()
        progress("backtest")
        backtest, metrics, cutoffs = backtest_models(job, panel, engine=active, signal=store_signal(store, config))
        progress("fit")
        forecaster, bundle = fit_bundle(job, panel, geography, metrics, cutoffs, {"kind": "train"}, store=store, engine=active)
        progress("register")
        experiment_id = start_tracking(config)
        scratch_dir = Path(scratch)
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"train {datetime.now(UTC):%Y-%m-%d %H:%M}") as run:
            mlflow.log_params({**_params(job, store.directory), "cutoffs": ",".join(map(str, cutoffs)), "series": series_count(panel)})
            mlflow.set_tags({**code_tags(), "job.kind": "train", "data.synthetic": "false", "promote": str(promote).lower()})
            mlflow.log_text(json.dumps(manifest, indent=2, default=str), "data/manifest.json")
            log_overall_metrics(metrics)
            log_backtest(backtest, scratch_dir, production=config.production_model)
            tables = scratch_dir / "tables"
            tables.mkdir()
            backtest.forecasts.to_csv(tables / "backtest.csv", index=False)
            metrics.to_csv(tables / "metrics.csv", index=False)
            bundle.forecasts.loc[bundle.forecasts["basis"] != "observed"].to_csv(tables / "forecasts.csv", index=False)
            mlflow.log_artifacts(str(tables), artifact_path="tables")
            challenger_before = registry.alias(CHALLENGER)
            version = None
            try:
                _, version = log_forecast_model(bundle, forecaster, scratch_dir, config.registered_model)
                mase = metrics.set_index("model").loc[PRODUCTION_NAME, "mase"]
                registry.tag(
                    version,
                    {
                        TAG_KIND: "train",
                        TAG_SYNTHETIC: "false",
                        TAG_MODEL: config.production_model,
                        TAG_MASE: f"{mase:.4f}",
                        TAG_DECISION: "promoted by hand" if promote else "registered",
                    },
                )
                registry.set_challenger(version)
                if promote:
                    registry.promote(version)
            except BaseException:
                _undo_registration(registry, run.info.run_id, version, challenger_before)
                raise
            mlflow.set_tags({"decision": "promoted by hand" if promote else "registered", "challenger.version": version})
        warning = gaps_warning(bundle)
        return Trained(
            version, run.info.run_id, metrics, cutoffs, series_count(panel), promote, champion_before, (warning,) if warning else ()
        )


# -- the report -----------------------------------------------------------------------
def render_report(outcome: Outcome, job: RetrainJob) -> str:
    """One screen, plain text (the same in a terminal, a cron mail and the MLflow run)."""
    lines = [f"skillcast retrain — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, job {job.source_file or '(defaults)'}"]
    lines.append(f"data      {outcome.data}")
    for index, check in enumerate(outcome.validation):
        lines.append(f"{'validate' if index == 0 else '':10}{'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    if outcome.metrics is not None:
        config = job.config
        first, last = min(outcome.cutoffs), max(outcome.cutoffs)
        lines.append(f"backtest  {outcome.series:,} series, cutoffs {first}-{last}, horizon {outcome.horizon}")
        lines.append(f"{'':10}{'model':40} {'MASE':>6} {'sMAPE%':>7} {'cov80':>6} {'cov95':>6}")
        table = outcome.metrics.set_index("model")
        order = [PRODUCTION_NAME, CHAMPION_MODEL] + sorted(
            name for name in table.index if name not in (PRODUCTION_NAME, CHAMPION_MODEL, config.production_model)
        )
        labels = {PRODUCTION_NAME: f"challenger ({config.production_model})", CHAMPION_MODEL: f"champion v{outcome.champion_before}"}
        for name in order:
            if name in table.index:
                row = table.loc[name]
                lines.append(
                    f"{'':10}{labels.get(name, name):40} {row['mase']:6.3f} {row['smape']:7.2f} {row['coverage_80']:6.3f} {row['coverage_95']:6.3f}"
                )
    for index, check in enumerate(outcome.gate):
        lines.append(f"{'gate' if index == 0 else '':10}{'ok  ' if check.passed else 'FAIL'} {check.name}: {check.detail}")
    verdict = {
        "promoted": f"PROMOTED version {outcome.version} to champion (was {_v(outcome.champion_before)})",
        "kept": f"KEPT champion {_v(outcome.champion_after)}; version {outcome.version} stays challenger",
        "nothing new": f"KEPT champion {_v(outcome.champion_after)}: nothing new",
        "failed": f"FAILED at {outcome.stage}; "
        + (
            f"CHAMPION CHANGED from {_v(outcome.champion_before)} to {_v(outcome.champion_after)}"
            if outcome.champion_after != outcome.champion_before
            else f"champion {_v(outcome.champion_after)} and the registry left as they were"
            if not outcome.notes
            else f"champion {_v(outcome.champion_after)} unchanged; the registry needs a look (see note)"
        ),
    }[outcome.decision]
    lines.append(f"decision  {verdict}")
    lines.append(f"why       {outcome.reason}")
    lines.extend(f"warning   {warning}" for warning in outcome.warnings)
    lines.extend(f"note      {note}" for note in outcome.notes)
    where = f"run {outcome.run_id} at {outcome.tracking_uri}" if outcome.run_id else f"no run logged ({outcome.tracking_uri})"
    lines.append(f"mlflow    {where}; {outcome.seconds:.1f} s; exit {outcome.exit_code}")
    return "\n".join(lines)
