"""Reading a folder laid out like ``../shared/data`` into a store: what ``skillcast ingest
all`` and the retraining job share, so both read the same files the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

from skillcast.data.sources.common import SourceResult
from skillcast.data.store import Store


def plan_folder(folder: Path) -> tuple[dict[str, list[Path]], list[tuple[str, str]]]:
    """Which source reads which file of a folder, and every other file with why it is skipped."""
    from skillcast.data.sources.registry import SKIPPED_ON_PURPOSE, load_source, source_names

    files = sorted(path for path in folder.rglob("*") if path.is_file())
    plan: dict[str, list[Path]] = {}
    claimed: set[Path] = set()
    for name in source_names():
        for pattern in load_source(name).FILES:
            for path in sorted(folder.glob(pattern)):
                if path.is_file() and path not in claimed:
                    plan.setdefault(name, []).append(path)
                    claimed.add(path)
    skipped = []
    for path in files:
        if path in claimed:
            continue
        relative = path.relative_to(folder).as_posix()
        reason = next((why for pattern, why in SKIPPED_ON_PURPOSE.items() if fnmatch(relative, pattern)), "not a file skillcast recognises")
        skipped.append((relative, reason))
    if not plan:
        raise FileNotFoundError(f"{folder}: no file here that skillcast recognises")
    return plan, skipped


def ingest_folder(folder: Path, store: Store, on_source: Callable[[str], None] = lambda name: None) -> tuple[list[SourceResult], dict]:
    """Every recognised file of ``folder`` (geography from ``folder/lookups``) into ``store``.

    Readers and the store validate what they read, so a malformed file ends in a
    ``DataError`` naming it, and the store is left as it was.
    """
    from skillcast.data.sources.lookups import load_geography
    from skillcast.data.sources.registry import load_source

    plan, skipped = plan_folder(folder)
    geography = load_geography(folder / "lookups")
    results = []
    for name, files in plan.items():
        on_source(name)
        results.append(load_source(name).read(files, geography))
    manifest = store.write(results, geography, skipped)
    return results, manifest
