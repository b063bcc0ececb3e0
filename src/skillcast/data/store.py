"""The processed store: what ``skillcast ingest`` writes and every later stage reads.

Layout of a store folder::

    panel.parquet          every ingested source's rows, in the data contract
    geography.parquet      areas (lookups + areas sources define), memberships.parquet,
                           successors.parquet (retired district code -> the code replacing it)
    tables/NAME.parquet    reference tables that are not annual counts
    sources/NAME.parquet   each source's own rows (``panel.parquet`` is their union)
    manifest.json          sources, files, checksums, rows, suppressed cells, vintages, time
    history/STAMP/         every earlier state of the above, kept whole

Writing never loses anything: the new state is built in a staging folder beside the store
(``data.atomic.atomic_folder``), the old state is copied into ``history/``, and the new
folder is swapped in with ``history/`` carried over. A failure before the swap (bad input,
a full disk) leaves the store exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from skillcast.data.atomic import atomic_folder
from skillcast.data.bundle_files import GEOGRAPHY_FILE, MEMBERSHIPS_FILE, SUCCESSORS_FILE
from skillcast.data.geography import Geography, read_geography
from skillcast.data.schema import DataError, series_count, validate
from skillcast.data.sources.common import SourceResult

PANEL_FILE = "panel.parquet"
MANIFEST_FILE = "manifest.json"
STATE = (PANEL_FILE, GEOGRAPHY_FILE, MEMBERSHIPS_FILE, SUCCESSORS_FILE, MANIFEST_FILE, "sources", "tables")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Store:
    directory: Path

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_FILE

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict:
        if not self.exists():
            raise FileNotFoundError(f"{self.directory}: no skillcast data store here (no {MANIFEST_FILE}); run `skillcast ingest` first")
        return json.loads(self.manifest_path.read_text())

    def panel(self) -> pd.DataFrame:
        self.manifest()
        return pd.read_parquet(self.directory / PANEL_FILE)

    def source_panel(self, source: str) -> pd.DataFrame:
        """One ingested source's rows."""
        manifest = self.manifest()
        if source not in manifest["sources"]:
            raise ValueError(f"source {source!r} is not in the store {self.directory}; it holds {sorted(manifest['sources'])}")
        return pd.read_parquet(self.directory / "sources" / f"{source}.parquet")

    def available(self, sources: tuple[str, ...], tables: tuple[str, ...] = ()) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
        """The panels of those ``sources`` and the ``tables`` this store holds (the others are skipped)."""
        manifest = self.manifest()
        panels = {name: self.source_panel(name) for name in sources if name in manifest["sources"]}
        return panels, {name: self.table(name) for name in tables if name in manifest.get("tables", [])}

    def geography(self) -> Geography:
        """The areas; successors let district data of earlier boundaries add up to today's areas."""
        self.manifest()
        return read_geography(self.directory)

    def table(self, name: str) -> pd.DataFrame:
        path = self.directory / "tables" / f"{name}.parquet"
        if not path.is_file():
            raise FileNotFoundError(f"{self.directory}: no table {name!r}; tables here: {self.manifest().get('tables', [])}")
        return pd.read_parquet(path)

    def history(self) -> list[str]:
        folder = self.directory / "history"
        return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []

    def write(self, results: list[SourceResult], geography: Geography, skipped: list[tuple[str, str]] | None = None) -> dict:
        """Add (or replace) the sources in ``results``; keep everything else and all history."""
        from skillcast import __version__

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        previous = self.manifest() if self.exists() else {"sources": {}}
        with atomic_folder(self.directory, keep=("history",)) as staging:
            (staging / "sources").mkdir()
            (staging / "tables").mkdir()
            sources = dict(previous.get("sources", {}))
            replaced = {result.source for result in results}
            for name in sources:
                if name not in replaced:
                    shutil.copy2(self.directory / "sources" / f"{name}.parquet", staging / "sources" / f"{name}.parquet")
            for table in previous.get("tables", []):
                if previous.get("table_sources", {}).get(table) not in replaced:
                    shutil.copy2(self.directory / "tables" / f"{table}.parquet", staging / "tables" / f"{table}.parquet")
            table_sources = {table: owner for table, owner in previous.get("table_sources", {}).items() if owner not in replaced}
            extra_areas = [pd.read_parquet(self.directory / GEOGRAPHY_FILE)] if self.exists() else []
            for result in results:
                result.panel.to_parquet(staging / "sources" / f"{result.source}.parquet", index=False)
                for table_name, table in result.tables.items():
                    table.to_parquet(staging / "tables" / f"{table_name}.parquet", index=False)
                    table_sources[table_name] = result.source
                if result.areas is not None:
                    extra_areas.append(result.areas)
                sources[result.source] = _describe(result, stamp)

            panels = [pd.read_parquet(path) for path in sorted((staging / "sources").glob("*.parquet"))]
            panels = [panel for panel in panels if not panel.empty]
            panel = validate(pd.concat(panels, ignore_index=True), source="store") if panels else pd.DataFrame()
            panel.to_parquet(staging / PANEL_FILE, index=False)
            areas = pd.concat([geography.areas.reset_index(drop=True), *extra_areas], ignore_index=True).drop_duplicates(
                "area", keep="first"
            )
            replace(geography, areas=areas).write(staging)
            unknown = sorted(set(panel["area"]) - set(areas["area"])) if not panel.empty else []
            manifest = {
                "created": stamp,
                "skillcast_version": __version__,
                "rows": len(panel),
                "series": series_count(panel) if not panel.empty else 0,
                "sources": sources,
                "tables": sorted(table_sources),
                "table_sources": table_sources,
                "areas_without_geography": unknown[:50],
                "skipped_files": [{"path": path, "reason": reason} for path, reason in (skipped or [])],
                "previous": previous.get("created"),
            }
            (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))
            self._keep_in_history(previous.get("created"))
        return manifest

    def take_state_of(self, other: Store) -> dict:
        """``other``'s state (a store ingested and validated elsewhere: the retrain's scratch
        store) becomes this store's, as ``write`` would have made it; the state it replaces
        goes to ``history/`` and nothing of ``other`` changes."""
        previous = self.manifest() if self.exists() else {}
        manifest = {**other.manifest(), "previous": previous.get("created")}
        with atomic_folder(self.directory, keep=("history",)) as staging:
            for name in STATE:
                source = other.directory / name
                if source.is_dir():
                    shutil.copytree(source, staging / name)
                elif source.exists() and name != MANIFEST_FILE:
                    shutil.copy2(source, staging / name)
            (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))
            if previous.get("created") != manifest["created"]:
                self._keep_in_history(previous.get("created"))
        return manifest

    def _keep_in_history(self, previous_stamp: str | None) -> None:
        """The state about to be replaced, copied whole into ``history/<its creation stamp>``."""
        if not previous_stamp:
            return
        kept = self.directory / "history" / previous_stamp
        kept.mkdir(parents=True)
        for name in STATE:
            source = self.directory / name
            if source.is_dir():
                shutil.copytree(source, kept / name)
            elif source.exists():
                shutil.copy2(source, kept / name)


def _describe(result: SourceResult, stamp: str) -> dict:
    panel = result.panel
    return {
        "ingested": stamp,
        "files": [{"path": str(path), "sha256": sha256(path), "bytes": path.stat().st_size} for path in result.files],
        "rows": len(panel),
        "series": series_count(panel) if not panel.empty else 0,
        "periods": [int(panel["period"].min()), int(panel["period"].max())] if not panel.empty else [],
        "last_observed": result.last_observed or _last_observed_year(panel),
        "vintages": sorted(panel["vintage"].unique().tolist()) if "vintage" in panel.columns and not panel.empty else [],
        "suppressed": dict(result.suppressed),
        "unmatched_areas": sorted(result.unmatched_areas),
        "tables": sorted(result.tables),
        "notes": result.notes,
    }


def _last_observed_year(panel: pd.DataFrame) -> str:
    """The last year a source observed (a publisher's projections are not observations), as text."""
    if panel.empty:
        return ""
    observed = panel.loc[~panel["projection"].astype(bool)] if "projection" in panel.columns else panel
    return str(int(observed["period"].max())) if not observed.empty else ""


def check_not_inside(store_dir: Path, inputs: list[Path]) -> None:
    """Refuse to write a store into a folder being read from (e.g. the read-only data)."""
    store = store_dir.resolve()
    for path in inputs:
        if store == path.resolve() or path.resolve() in store.parents:
            raise DataError(f"{store_dir}: the store may not be inside the input {path}; choose another --out")
