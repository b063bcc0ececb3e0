"""The store a real-data benchmark reads: the one given with ``--store``, or the data folder
ingested into a temporary store first, as ``skillcast ingest all`` does (so a benchmark can be
run on a fresh clone with nothing but ``../shared/data``)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typer.testing import CliRunner

from skillcast.cli.main import app


@contextmanager
def ingested_store(data: str, store: str | None) -> Iterator[Path]:
    if store:
        yield Path(store)
        return
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp) / "data"
        result = CliRunner().invoke(app, ["ingest", "all", data, "--out", str(folder)])
        if result.exit_code:
            raise SystemExit(result.output)
        yield folder
