"""Where a retrain or train run works, and what a killed run left behind.

* ``job_lock``: one run at a time on a home (an exclusive ``flock`` on ``HOME/retrain.lock``);
  a second run gets ``LockHeld`` at once (the CLI's exit 3).
* ``scratch_space``: a run's temporary folder ``HOME/scratch/run-PID``; whatever is there
  when the lock is taken was left by a killed run and is removed first.
* ``clean_up_killed_runs``: MLflow runs still RUNNING under this lock are marked KILLED, and
  versions registered by a killed run before its decision are removed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from skillcast.mlops.registry import CHALLENGER, TAG_DECISION, TAG_FINGERPRINT, Registry

LOCK_FILE = "retrain.lock"
SCRATCH_DIR = "scratch"  # HOME/scratch: a run's temporary files, emptied when the next run takes the lock
TAG_LOCK = "skillcast.lock"  # on each retrain/train run: the lock it held, so a later run can tell it is dead
TAG_HOST = "skillcast.host"


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
