"""Shared fixtures: tiny panels with known answers, the demo pipeline run once, real data.

The real data folder is ingested once a session (``real_store``) and its geography loaded once
(``geography``); both are shared by every test that asks, so no test may write to them. A test
that would write to the store takes its own copy (``shutil.copytree(real_store.path, ...)``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pytest

from skillcast.config import Config
from skillcast.data.demo import demo_panel
from skillcast.data.geography import Geography
from skillcast.pipeline import JobResult, demo_inputs, run_job

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder; skipped when absent, but a failure in CI (CI=true)."""
    path = Path(os.environ.get("SKILLCAST_DATA_DIR", REPO.parent / "shared" / "data"))
    if not (path / "README.md").is_file():
        message = f"real data not found at {path} (set SKILLCAST_DATA_DIR to the shared/data folder)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


class IngestedStore(NamedTuple):
    """A store `skillcast ingest all` wrote, and what the command printed."""

    path: Path
    output: str


@pytest.fixture(scope="session")
def real_store(data_dir, tmp_path_factory) -> IngestedStore:
    """The real data folder through `skillcast ingest all`, once a session (about 12-20 s): the store
    every real-data test of gaps, supply, demand, reports and the bundle reads. Read it, never write it."""
    from typer.testing import CliRunner

    from skillcast.cli.main import app

    out = tmp_path_factory.mktemp("real-store") / "data"
    result = CliRunner().invoke(app, ["ingest", "all", str(data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return IngestedStore(out, result.output)


@pytest.fixture(scope="session")
def geography(data_dir) -> Geography:
    """The real geography, from the data folder's ONS lookups, once a session. Shared: never modify it."""
    from skillcast.data.sources.lookups import load_geography

    return load_geography(data_dir / "lookups")


@pytest.fixture(scope="session")
def demo():
    return demo_panel()


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory) -> Config:
    home = tmp_path_factory.mktemp("skillcast-home")
    return Config(home=home, bundle=home / "bundle")


@pytest.fixture(scope="session")
def demo_result(demo, demo_config) -> JobResult:
    panel, geography = demo
    return run_job(demo_inputs(panel, geography), demo_config)


@pytest.fixture(scope="session")
def bundle_dir(demo_result, demo_config) -> Path:
    return demo_result.bundle.save(demo_config.bundle)


@pytest.fixture(scope="session")
def real_bundle_dir(real_store, tmp_path_factory) -> Path:
    """A bundle holding the real gaps, priorities and labour reserve of every area (#15, #25), as the retrain builds them, and no
    forecasts: what the service, the report and /ui answer from. About a minute and a half."""
    import pandas as pd

    from skillcast.bundle import ForecastBundle
    from skillcast.data.store import Store
    from skillcast.pipeline import store_inputs
    from skillcast.pipeline.job import gaps as gaps_stage
    from skillcast.pipeline.job import reserve as reserve_stage

    store = real_store.path
    config = Config(home=tmp_path_factory.mktemp("real-bundle-home"))
    inputs = store_inputs(Store(store))
    gaps, priorities, shortages, info, funding = gaps_stage(inputs, config)
    assert gaps is not None, info
    reserve, reserve_info = reserve_stage(inputs)
    assert reserve is not None, reserve_info
    columns = ["area", "measure", "classification", "code", "period", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "basis"]
    bundle = ForecastBundle(
        forecasts=pd.DataFrame(columns=columns),
        gaps=gaps,
        geography=Store(store).geography(),
        metadata={"model": config.production_model, "synthetic": False, "gaps": info, "labour_reserve": reserve_info},
        priorities=priorities,
        shortages=shortages,
        labour_reserve=reserve,
        funding=funding,
    )
    return bundle.save(tmp_path_factory.mktemp("real-bundle") / "bundle")
