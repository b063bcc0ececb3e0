"""What a retrain checks: a delivery before anything is trained on it, and a challenger before it is promoted.

* ``fingerprint``: the files read, the lookups, the job's settings and the code version, so
  the same inputs twice do nothing the second time.
* ``validate_delivery``: schema, sources, coverage, missing values, and drift against the
  data the champion was trained on (never against whatever was ingested last, so a rejected
  delivery cannot become the reference for the next one).
* ``gate_checks``: the promotion rule of the job file's ``[gate]``; every check must pass.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from skillcast.data.schema import SERIES_KEY, series_count
from skillcast.data.store import sha256
from skillcast.engine.backtest import PRODUCTION_NAME
from skillcast.mlops.job_file import Gate, RetrainJob, ValidationRules
from skillcast.pipeline import CHAMPION_MODEL


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


def fingerprint(job: RetrainJob, data_dir: Path, files: list[Path]) -> str:
    """Checksums of the files read (and of the lookups), the job's settings, the version."""
    from skillcast import __version__

    digest = hashlib.sha256()
    digest.update(json.dumps({"settings": job.settings(), "skillcast": __version__}, sort_keys=True).encode())
    for path in sorted(set(files) | set((data_dir / "lookups").glob("*.csv"))):
        digest.update(f"{path.relative_to(data_dir).as_posix()}\0{sha256(path)}\n".encode())
    return digest.hexdigest()


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
