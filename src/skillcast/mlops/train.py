"""``skillcast train``: the main job on an ingested store, registered; no validation, no gate.

The same job as the quarterly retrain (``pipeline.run_job`` on ``pipeline.store_inputs``),
for a person who has ingested a store and wants its model registered: the version becomes
challenger, or champion with ``promote`` (a deliberate choice, logged as such). It takes
the retrain's lock, so it never runs beside a retrain on the same home.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from skillcast.data.schema import series_count
from skillcast.data.store import Store
from skillcast.engine.backtest import PRODUCTION_NAME
from skillcast.engine.engines import engine_or_open
from skillcast.engine.fanout import Engine
from skillcast.mlops.job_file import RetrainJob
from skillcast.mlops.registry import CHALLENGER, TAG_DECISION, TAG_KIND, TAG_MASE, TAG_MODEL, TAG_SYNTHETIC, Registry
from skillcast.mlops.retrain import gaps_warning, job_params, log_job, undo_registration
from skillcast.mlops.workspace import LOCK_FILE, job_lock, scratch_space
from skillcast.pipeline import run_job, store_inputs

TRAIN_STAGES: tuple[str, ...] = ("read store", "backtest", "fit", "gaps", "register")


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


def run_train(
    job: RetrainJob, store: Store, promote: bool = False, progress: Callable[[str], None] = lambda stage: None, engine: Engine | None = None
) -> Trained:
    """Backtest, fit and register the production model on ``store``; the job runs on ``engine``,
    else on the one ``job.config.engine`` names."""
    import mlflow

    from skillcast.mlops.tracking import code_tags, log_forecast_model, start_tracking

    config = job.config
    with (
        job_lock(config.home / LOCK_FILE),
        scratch_space(config.home),
        tempfile.TemporaryDirectory(prefix="skillcast-train-") as scratch,
        engine_or_open(engine, config.engine_settings()) as active,
    ):
        progress("read store")
        inputs = store_inputs(store, job.data)
        manifest = store.manifest()
        registry = Registry(config.resolved_tracking_uri(), config.registered_model)
        champion_before = registry.champion()
        result = run_job(
            inputs, config, engine=active, progress=lambda name: progress(name) if name in TRAIN_STAGES else None, extra={"kind": "train"}
        )
        progress("register")
        experiment_id = start_tracking(config)
        scratch_dir = Path(scratch)
        series = series_count(result.panel)
        with mlflow.start_run(experiment_id=experiment_id, run_name=f"train {datetime.now(UTC):%Y-%m-%d %H:%M}") as run:
            mlflow.log_params({**job_params(job, store.directory), "cutoffs": ",".join(map(str, result.cutoffs)), "series": series})
            mlflow.set_tags({**code_tags(), "job.kind": "train", "data.synthetic": "false", "promote": str(promote).lower()})
            mlflow.log_text(json.dumps(manifest, indent=2, default=str), "data/manifest.json")
            log_job(result, scratch_dir, config.production_model)
            challenger_before = registry.alias(CHALLENGER)
            version = None
            try:
                _, version = log_forecast_model(result.bundle, result.forecaster, scratch_dir, config.registered_model)
                registry.tag(
                    version,
                    {
                        TAG_KIND: "train",
                        TAG_SYNTHETIC: "false",
                        TAG_MODEL: config.production_model,
                        TAG_MASE: f"{result.metrics.set_index('model').loc[PRODUCTION_NAME, 'mase']:.4f}",
                        TAG_DECISION: "promoted by hand" if promote else "registered",
                    },
                )
                registry.set_challenger(version)
                if promote:
                    registry.promote(version)
            except BaseException:
                undo_registration(registry, run.info.run_id, version, challenger_before)
                raise
            mlflow.set_tags({"decision": "promoted by hand" if promote else "registered", "challenger.version": version})
        warning = gaps_warning(result.bundle)
        return Trained(
            version, run.info.run_id, result.metrics, result.cutoffs, series, promote, champion_before, (warning,) if warning else ()
        )
