"""What a retrain run ends with (``Outcome``) and its report: one screen of plain text, the same in
a terminal, a cron mail and the MLflow run."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from skillcast.engine.backtest import PRODUCTION_NAME
from skillcast.mlops.checks import Check
from skillcast.mlops.job_file import RetrainJob
from skillcast.pipeline import CHAMPION_MODEL

EXIT_OK, EXIT_FAILED = 0, 1  # the CLI adds 2 (bad input) and 3 (lock held)


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
    store: str = ""  # the store the validated delivery became (what the CLI's commands read next)


def render_report(outcome: Outcome, job: RetrainJob) -> str:
    """One screen: the data, validation, backtest, gate, decision, warnings and notes of a run."""
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
    if outcome.store:
        lines.append(f"store     {outcome.store}")
    where = f"run {outcome.run_id} at {outcome.tracking_uri}" if outcome.run_id else f"no run logged ({outcome.tracking_uri})"
    lines.append(f"mlflow    {where}; {outcome.seconds:.1f} s; exit {outcome.exit_code}")
    return "\n".join(lines)


def _v(version: str | None) -> str:
    return f"version {version}" if version else "none"
