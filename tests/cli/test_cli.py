"""The command line: the demo end to end, and one-line errors with exit code 2."""

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.config import Config

runner = CliRunner()


@pytest.mark.slow
def test_demo_runs_end_to_end_and_registers_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DEMO DATA" in result.output and "registered as models:/skillcast/1" in result.output
    for name in ("forecasts.csv", "gaps.csv", "backtest.csv", "metrics.csv", "README.txt", "bundle/metadata.json"):
        assert (out / name).is_file(), name
    gaps = pd.read_csv(out / "gaps.csv")
    assert gaps["source"].str.contains("SYNTHETIC").all()
    config = Config.from_env()
    versions = mlflow.MlflowClient(config.resolved_tracking_uri()).search_model_versions("name='skillcast'")
    assert len(versions) == 1
    assert not list(tmp_path.glob(".demo.*")), "no staging folders left behind"


def test_demo_without_tracking_replaces_its_output_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path / "home"))
    out = tmp_path / "demo"
    out.mkdir()
    (out / "stale.csv").write_text("old")
    result = runner.invoke(app, ["demo", "--out", str(out), "--no-track"])
    assert result.exit_code == 0, result.output
    assert not (out / "stale.csv").exists() and (out / "gaps.csv").is_file()
    assert not (tmp_path / "home" / "mlflow.db").exists()


def test_the_demo_command_is_the_main_job_on_the_demo_inputs(tmp_path, monkeypatch, bundle_dir):
    """`skillcast demo` writes what pipeline.run_job makes of the demo inputs: the same bundle, row for row."""
    from skillcast.bundle import ForecastBundle

    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--no-track"])
    assert result.exit_code == 0, result.output
    written, job = ForecastBundle.load(tmp_path / "demo" / "bundle"), ForecastBundle.load(bundle_dir)  # bundle_dir: run_job's, saved
    for name in ("forecasts", "gaps", "priorities", "shortages"):
        pd.testing.assert_frame_equal(getattr(written, name), getattr(job, name), check_exact=True)
    assert written.metadata["gaps"] == job.metadata["gaps"] and written.metadata["gaps"]["rows"] > 1000


def test_serve_with_a_missing_bundle_is_one_line_and_exit_2(tmp_path):
    result = runner.invoke(app, ["serve", "--bundle", str(tmp_path / "nowhere"), "--project-dir", "."])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a forecast bundle" in lines[0]
    assert "Traceback" not in result.output


def test_bad_configuration_is_one_line_and_exit_2(monkeypatch, tmp_path):
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path))
    result = runner.invoke(app, ["demo", "--no-track", "--out", str(tmp_path / "out"), "--seed", "-1"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "setting seed" in lines[0] and "-1" in lines[0]
