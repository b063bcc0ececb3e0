"""Writing files and folders so that a reader never sees half of one and a failure leaves the old one.

Two primitives, used by every writer in skillcast:

* ``atomic_file(path)`` yields a temp path in the target's folder; when the block ends
  without error the file gets its mode and is ``os.replace``d onto ``path`` (atomic on one
  filesystem); on any error it is removed and the old file, if any, stays as it was. Tables,
  reports, workbooks, the API key file and the NOMIS cache are written through it.
* ``atomic_folder(path)`` yields an empty staging folder beside ``path``; when the block ends
  without error the old folder is renamed aside, the staging folder renamed into place and
  the old one removed. ``keep`` names entries of the old folder moved into the new one at the
  swap (the store's ``history/``), and moved back if the swap fails; with ``replace=False`` a
  folder that appeared meanwhile wins (two processes caching the same download). An error
  inside the block removes the staging folder and touches nothing else. Bundles, the demo's
  outputs, the store and the served-bundle cache are written through it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the key file is written through here by `skillcast keys`, and `skillcast serve` must not load pandas
    import pandas as pd

SHARED = 0o644  # a table, report or workbook is meant to be read by others
PRIVATE = 0o600  # the API key file: its owner only


@contextmanager
def atomic_file(path: Path, mode: int = SHARED) -> Iterator[Path]:
    """A temp path beside ``path``, moved onto it (with ``mode``) when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(temp)
        os.chmod(temp, mode)  # mkstemp makes the file private
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """CSV, or Parquet for ``*.parquet``, written atomically."""
    with atomic_file(path) as temp:
        if Path(path).suffix.lower() == ".parquet":
            frame.to_parquet(temp, index=False)
        else:
            frame.to_csv(temp, index=False)


def write_text(path: Path, text: str, mode: int = SHARED) -> None:
    """UTF-8 text written atomically, exactly as given (no newline translation)."""
    with atomic_file(path, mode) as temp, open(temp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


@contextmanager
def atomic_folder(path: Path, keep: tuple[str, ...] = (), replace: bool = True) -> Iterator[Path]:
    """An empty staging folder beside ``path``, swapped in for it when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)  # left by a process of this pid that was killed
    staging.mkdir()
    try:
        yield staging
        if path.exists() and not replace:
            return  # another writer got there first; its folder stands (the finally removes ours)
        _swap(path, staging, keep)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(path: Path, staging: Path, keep: tuple[str, ...]) -> None:
    """Carry ``keep`` over, then old folder aside, staging in, old removed; carried entries go back on failure."""
    carried = [name for name in keep if (path / name).exists() and not (staging / name).exists()]
    previous = path.with_name(f".{path.name}.previous-{os.getpid()}")
    moved: list[str] = []
    try:
        for name in carried:
            os.rename(path / name, staging / name)
            moved.append(name)
        if path.exists():
            os.rename(path, previous)
        os.rename(staging, path)
    except BaseException:
        if previous.exists() and not path.exists():
            os.rename(previous, path)
        for name in moved:
            os.rename(staging / name, path / name)
        raise
    shutil.rmtree(previous, ignore_errors=True)
