"""Shared fixtures: tiny panels with known answers, the demo pipeline run once, real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillcast.config import Config
from skillcast.data.demo import demo_panel
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
def real_bundle_dir(data_dir, tmp_path_factory) -> Path:
    """A bundle holding the real gaps and priorities of every area (#15), as the retrain builds them, and no
    forecasts: what the service, the report and /ui answer from. About a minute and a half."""
    import pandas as pd
    from typer.testing import CliRunner

    from skillcast.bundle import ForecastBundle
    from skillcast.cli.main import app
    from skillcast.data.store import Store
    from skillcast.pipeline import store_inputs
    from skillcast.pipeline.job import gaps as gaps_stage

    store = tmp_path_factory.mktemp("real-bundle-store") / "data"
    result = CliRunner().invoke(app, ["ingest", "all", str(data_dir), "--out", str(store)])
    assert result.exit_code == 0, result.output
    config = Config(home=tmp_path_factory.mktemp("real-bundle-home"))
    gaps, priorities, shortages, info = gaps_stage(store_inputs(Store(store)), config)
    assert gaps is not None, info
    columns = ["area", "measure", "classification", "code", "period", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "basis"]
    bundle = ForecastBundle(
        forecasts=pd.DataFrame(columns=columns),
        gaps=gaps,
        geography=Store(store).geography(),
        metadata={"model": config.production_model, "synthetic": False, "gaps": info},
        priorities=priorities,
        shortages=shortages,
    )
    return bundle.save(tmp_path_factory.mktemp("real-bundle") / "bundle")
