"""`skillcast backtest` on the real SI2035 data in a store."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.engine.backtest import EXPORT_COLUMNS

runner = CliRunner()


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "data"
    files = [str(data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv")]
    result = runner.invoke(app, ["ingest", "si2035", *files, "--out", str(out), "--lookups", str(data_dir / "lookups")])
    assert result.exit_code == 0, result.output
    return out


def test_backtest_prints_metrics_and_exports_every_forecast(store, tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    export = tmp_path / "backtest.csv"
    result = runner.invoke(
        app,
        [
            "backtest",
            "--data",
            str(store),
            "--cutoffs",
            "2013:2016",
            "--horizon",
            "4",
            "--models",
            "naive,drift",
            "--production",
            "drift",
            "--export",
            str(export),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2,205 series" in result.output and "MASE" in result.output
    frame = pd.read_csv(export)
    assert list(frame.columns) == EXPORT_COLUMNS
    assert set(frame["model"]) == {"naive", "drift", "skillcast"}
    assert set(frame["cutoff"]) == {2013, 2014, 2015, 2016}
    assert (frame["period"] > frame["cutoff"]).all() and (frame["period"] - frame["cutoff"]).max() == 4
    assert len(frame.query("model == 'naive'")) == 2205 * 4 * 4
    naive_mase_line = next(line for line in result.output.splitlines() if line.startswith("│ naive"))
    assert "1.870" in naive_mase_line  # statsforecast's Naive on the same setup (issue #4)
    assert "50.5%" in naive_mase_line, "naive's faster-than-area-total right at h 4 (issue #14's table)"
    for title in ("MASE by classification", "MASE by horizon", "Interval coverage by horizon", "faster", "direc-"):
        assert title in result.output, title
    scores = pd.read_csv(tmp_path / "backtest.metrics.csv").set_index("model")
    assert scores.at["naive", "mase_all"] == pytest.approx(2.806, abs=5e-4) and scores.at["naive", "last_horizon"] == 4
    assert {"direction_right", "faster_right", "mape_last", "mase_soc2020_submajor", "mase_h4"} <= set(scores.columns)
    # the backtest is one MLflow run with per-model metrics and the store's manifest
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{(tmp_path / 'home' / 'mlflow.db').resolve()}")
    runs = client.search_runs([client.get_experiment_by_name("skillcast").experiment_id])
    assert len(runs) == 1 and runs[0].data.params["cutoffs"] == "2013,2014,2015,2016"
    assert runs[0].data.metrics["naive.mase"] == pytest.approx(1.870, abs=5e-4)
    assert runs[0].data.metrics["naive.faster_right"] == pytest.approx(0.505, abs=5e-4)
    assert runs[0].data.metrics["drift.h4.direction_right"] == pytest.approx(0.571, abs=5e-4)
    assert runs[0].data.metrics["naive.mase_soc2020_submajor"] == pytest.approx(1.775, abs=5e-4)


def test_a_long_horizon_from_one_cutoff(store, tmp_path, monkeypatch):
    """Issue #14's test B: cutoff 2013, 1-7 years ahead (SI2035 is observed to 2020)."""
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path))
    arguments = ["backtest", "--data", str(store), "--no-track", "--cutoffs", "2013", "--horizon", "7", "--models", "naive"]
    result = runner.invoke(app, [*arguments, "--production", "naive"])
    assert result.exit_code == 0, result.output
    assert "h7" in result.output and "2.955" in result.output  # naive's MASE at h 1-7 (issue #14)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cutoffs", "2016:2013"], "--cutoffs: '2016:2013' is not a year list"),
        (["--cutoffs", "2020"], "leaves no observed year to test"),
        (
            ["--cutoffs", "2013:2016", "--horizon", "7"],
            "--horizon: 7 years after cutoff 2016 goes past the last observed year 2020; at most 4",
        ),
        (["--source", "nowhere"], "source 'nowhere' is not in the store"),
        (["--models", "naive,prophet"], "unknown model"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(store, arguments, message, tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path))
    result = runner.invoke(app, ["backtest", "--data", str(store), "--no-track", *arguments])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
