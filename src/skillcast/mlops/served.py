"""Which bundle ``skillcast serve`` serves, found without importing MLflow when it can be.

Importing MLflow and opening its store takes seconds (most of an instance's start), and
the answer is usually already on disk: the version an alias points at is one row of the
registry, and its bundle is downloaded once per version (``pyfunc.served_bundle``). So:

* ``alias_version`` reads the alias directly: a read-only query of a SQLite store, or one
  call of the tracking server's REST API (``GET /api/2.0/mlflow/registered-models/alias``);
  None for any other store or any surprise, and the caller asks MLflow instead;
* ``served_bundle`` returns the cached bundle of that version when there is one, and
  otherwise resolves and downloads through MLflow.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

BUNDLE_MARK = "metadata.json"  # written last into a cached bundle: its presence means complete


def alias_version(tracking_uri: str, name: str, alias: str) -> str | None:
    """The version ``name@alias`` points at, read without MLflow; None when that cannot be done here."""
    try:
        if tracking_uri.startswith("sqlite:///"):
            path = Path(tracking_uri.removeprefix("sqlite:///"))  # sqlite:////abs/path or sqlite:///relative/path
            if not path.is_file():
                return None
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as connection:
                row = connection.execute(
                    "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?", (name, alias)
                ).fetchone()
            return str(row[0]) if row else None
        if tracking_uri.startswith(("http://", "https://")):
            import httpx

            response = httpx.get(
                f"{tracking_uri.rstrip('/')}/api/2.0/mlflow/registered-models/alias?name={quote(name)}&alias={quote(alias)}", timeout=10
            )
            if response.status_code != 200:
                return None
            return str(response.json()["model_version"]["version"])
    except (sqlite3.Error, OSError, ValueError, KeyError):
        return None
    except Exception:  # noqa: BLE001 - anything unexpected (httpx errors, an odd store): MLflow itself is asked instead
        return None
    return None


def served_bundle(model_uri: str, tracking_uri: str, cache: Path) -> tuple[Path, str, str]:
    """(bundle folder, model name, version) of ``model_uri``: from the cache when the version
    is known and downloaded, else through MLflow (``pyfunc.served_bundle``)."""
    path = model_uri.removeprefix("models:/")
    if model_uri.startswith("models:/"):
        if "@" in path:
            name, alias = path.split("@", 1)
            version = alias_version(tracking_uri, name, alias)
        else:
            name, _, version = path.partition("/")
            version = version if version.isdigit() else None
        if version is not None:
            folder = Path(cache) / name / version / "bundle"
            if (folder / BUNDLE_MARK).is_file():
                return folder, name, version
    from skillcast.mlops.pyfunc import served_bundle as download

    return download(model_uri, tracking_uri, cache)
