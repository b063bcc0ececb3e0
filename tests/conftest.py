"""Shared fixtures: tiny panels with known answers, the demo pipeline run once, real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillcast.config import Config
from skillcast.data.demo import demo_panel
from skillcast.pipeline import PipelineResult, run_pipeline

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
def demo_result(demo, demo_config) -> PipelineResult:
    panel, geography = demo
    return run_pipeline(panel, geography, demo_config)


@pytest.fixture(scope="session")
def bundle_dir(demo_result, demo_config) -> Path:
    return demo_result.bundle.save(demo_config.bundle)
