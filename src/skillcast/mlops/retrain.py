"""The quarterly retraining job (``skillcast retrain --config training/quarterly.toml``).

ingest the data folder → validate (schema, coverage, drift against the champion's data) →
the main job (``pipeline.run_job``: backtest the challenger, its peers and the champion on
the same cutoffs, fit, forecast, gaps, bundle) → register the challenger → compare →
promote only if the gate passes. This module adds only operations to the main job: the
lock and scratch space (``mlops.workspace``), the checks (``mlops.checks``), the MLflow run,
the gate and the aliases.

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
* A delivery that passes validation becomes the store ``HOME/data`` that the CLI's commands
  read (``Store.take_state_of``; the state it replaces is kept whole in its ``history/``); a
  delivery that fails leaves that store as it was.
* Exit codes: 0 promoted, kept or nothing new; 1 failed (validation or a step crashed);
  2 bad input or config; 3 another run holds the lock.

The bundle holds what ``pipeline.run_job`` makes of the store: SI2035 employment forecasts
and the gaps, priorities and shortage ratings of every district and area of districts; a
delivery the gaps cannot be made from still trains (the bundle's gaps stay empty, its
metadata says why, and the report carries a warning line).
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from skillcast.bundle import ForecastBundle
from skillcast.data.schema import SERIES_KEY, DataError, series_count
from skillcast.data.store import Store
from skillcast.engine.backtest import PRODUCTION_NAME
from skillcast.engine.base import Forecaster
from skillcast.engine.engines import engine_or_open
from skillcast.engine.factory import is_model_name
from skillcast.engine.fanout import Engine
from skillcast.mlops.checks import Check, ValidationFailed, fingerprint, gate_checks, validate_delivery
from skillcast.mlops.job_file import RetrainJob
from skillcast.mlops.registry import CHALLENGER, TAG_DECISION, TAG_FINGERPRINT, TAG_KIND, TAG_MASE, TAG_MODEL, TAG_SYNTHETIC, Registry
from skillcast.mlops.report import EXIT_OK, Outcome, render_report
from skillcast.mlops.workspace import LOCK_FILE, TAG_HOST, TAG_LOCK, clean_up_killed_runs, job_lock, scratch_space
from skillcast.pipeline import JobResult, run_job, store_inputs
from skillcast.pipeline.job import forecaster

RETRAIN_STAGES: tuple[str, ...] = ("ingest", "validate", "backtest", "fit", "gaps", "register", "compare", "decide")

Progress = Callable[[str], None]


def _quiet(stage: str) -> None:
    pass


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
            mlflow.log_params(job_params(job, data_dir))
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

    config = job.config
    same = registry.decided(TAG_FINGERPRINT, outcome.fingerprint)
    if same is not None:
        outcome.decision = "nothing new"
        outcome.reason = (
            f"version {same.version} was built from these files and settings (its decision: "
            f"{same.tags.get(TAG_DECISION, 'promoted')}); champion stays {_v(outcome.champion_before)}"
        )
        return

    def stage(name: str) -> None:
        outcome.stage = name
        progress(name)

    stage("ingest")
    store = Store(scratch / "store")
    try:
        _, manifest = ingest_folder(data_dir, store)
    except DataError as error:
        raise ValidationFailed([Check("schema", False, str(error))]) from None
    log_manifest(manifest)

    stage("validate")
    try:
        inputs = store_inputs(store, job.data)
    except (DataError, ValueError) as error:
        raise ValidationFailed([Check("schema", True, "every file read"), Check("training data", False, str(error))]) from None
    reference, champion_estimator, how = None, None, ""
    if outcome.champion_before:
        reference, champion_estimator, how = _champion_data(registry, outcome.champion_before, job, scratch / "champion")
    outcome.validation = validate_delivery(inputs.training, manifest, job.validation, reference, outcome.champion_before)
    if not all(check.passed for check in outcome.validation):
        raise ValidationFailed(outcome.validation)
    outcome.series = series_count(inputs.training)
    kept = Store(config.home / "data")
    kept.take_state_of(store)  # the validated data: what `skillcast gaps`, `report`, ... read next (the old state in its history/)
    outcome.store = f"{kept.directory} now holds this delivery (its earlier state in history/)"

    result = run_job(
        inputs,
        config,
        engine=engine,
        champion=champion_estimator,
        progress=lambda name: stage(name) if name in RETRAIN_STAGES else None,
        extra={"kind": "retrain", "fingerprint": outcome.fingerprint},
    )
    outcome.metrics, outcome.cutoffs, outcome.horizon = result.metrics, result.cutoffs, config.backtest_horizon
    mlflow.log_params(
        {"cutoffs": ",".join(map(str, result.cutoffs)), "series": outcome.series, "champion.backtested_as": how or "no champion"}
    )
    log_job(result, scratch, config.production_model)
    warning = gaps_warning(result.bundle)
    if warning:
        outcome.warnings.append(warning)
        mlflow.set_tag("gaps", "none")
    stage("register")
    register(registry, result, scratch, job, outcome, stage)


def register(registry: Registry, result: JobResult, scratch: Path, job: RetrainJob, outcome: Outcome, stage: Progress) -> None:
    """Register the challenger, compare it with the champion and promote it if the gate passes;
    a failure on the way removes what was registered (the champion is left as it was)."""
    from skillcast.mlops.tracking import log_forecast_model

    config = job.config
    challenger_before = registry.alias(CHALLENGER)
    try:
        _, outcome.version = log_forecast_model(result.bundle, result.forecaster, scratch, config.registered_model)
        registry.tag(
            outcome.version,
            {
                TAG_KIND: "retrain",
                TAG_SYNTHETIC: "false",
                TAG_MODEL: config.production_model,
                TAG_FINGERPRINT: outcome.fingerprint,
                TAG_MASE: f"{result.metrics.set_index('model').loc[PRODUCTION_NAME, 'mase']:.4f}",
            },
        )
        registry.set_challenger(outcome.version)
        stage("compare")
        outcome.gate = gate_checks(result.metrics, job.gate, outcome.champion_before)
        failed = [check for check in outcome.gate if not check.passed]
        stage("decide")
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
        note = undo_registration(registry, outcome.run_id, outcome.version, challenger_before)
        if note:
            outcome.notes.append(note)
        else:
            outcome.version = None
        raise


def log_manifest(manifest: dict) -> None:
    """The data a run read: the store's manifest, and its sources and vintages as tags."""
    import mlflow

    mlflow.log_text(json.dumps(manifest, indent=2, default=str), "data/manifest.json")
    mlflow.set_tags(
        {
            "data.sources": ", ".join(sorted(manifest["sources"])),
            "data.vintages": "; ".join(f"{name} {','.join(info['vintages'])}" for name, info in sorted(manifest["sources"].items())),
        }
    )


def log_job(result: JobResult, scratch: Path, production: str) -> None:
    """The job's backtest (metrics, per-horizon scores, plots) and its tables, into the active MLflow run."""
    import mlflow

    from skillcast.mlops.tracking import log_backtest, log_overall_metrics

    log_overall_metrics(result.metrics)
    by_horizon = log_backtest(result.backtest, scratch, production=production)
    tables = scratch / "tables"
    tables.mkdir()
    result.backtest.forecasts.to_csv(tables / "backtest.csv", index=False)
    result.metrics.to_csv(tables / "metrics.csv", index=False)
    by_horizon.to_csv(tables / "metrics_by_horizon.csv", index=False)
    result.bundle.forecasts.loc[result.bundle.forecasts["basis"] != "observed"].to_csv(tables / "forecasts.csv", index=False)
    mlflow.log_artifacts(str(tables), artifact_path="tables")


def undo_registration(registry: Registry, run_id: str | None, version: str | None, challenger_before: str | None) -> str | None:
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


def job_params(job: RetrainJob, data_dir: Path) -> dict[str, object]:
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
        estimator, how = forecaster(name, job.config), f"rebuilt from its name {name}"
    return reference, estimator, how
