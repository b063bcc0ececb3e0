"""MLflow tracking and registry against a local SQLite store in a temporary folder."""

import mlflow
import pandas as pd
import pytest

from skillcast.config import Config
from skillcast.tracking import log_pipeline_run


@pytest.fixture(scope="module")
def tracked(demo_result, tmp_path_factory):
    config = Config(home=tmp_path_factory.mktemp("tracking-home"))
    first = log_pipeline_run(config, demo_result, run_name="test")
    second = log_pipeline_run(config, demo_result, run_name="test again")
    return config, first, second


def test_each_run_registers_a_new_version(tracked):
    config, first, second = tracked
    assert (first.model_version, second.model_version) == ("1", "2")
    client = mlflow.MlflowClient(config.resolved_tracking_uri())
    versions = client.search_model_versions(f"name='{config.registered_model}'")
    assert sorted(str(version.version) for version in versions) == ["1", "2"]


def test_run_holds_params_metrics_tags_and_tables(tracked):
    config, first, _ = tracked
    run = mlflow.MlflowClient(config.resolved_tracking_uri()).get_run(first.run_id)
    assert run.data.params["production_model"] == "reconciled:national_share"
    assert run.data.params["cutoffs"] == "2017,2018,2019,2020"
    assert 0 < run.data.metrics["skillcast.mase"] < run.data.metrics["naive.mase"]
    assert run.data.tags["data.synthetic"] == "true"
    artifacts = {item.path for item in mlflow.MlflowClient(config.resolved_tracking_uri()).list_artifacts(first.run_id, "tables")}
    assert artifacts == {"tables/backtest.csv", "tables/gaps.csv", "tables/metrics.csv"}


def test_the_artifacts_live_under_the_project_home_not_the_working_directory(tracked, tmp_path):
    config, _, _ = tracked
    assert (config.home / "mlflow.db").is_file()
    assert any((config.home / "mlartifacts").rglob("metadata.json"))


def test_registered_model_loads_as_pyfunc_and_answers(tracked, demo_result):
    config, _, second = tracked
    mlflow.set_tracking_uri(config.resolved_tracking_uri())
    model = mlflow.pyfunc.load_model(second.model_uri)
    query = pd.DataFrame(
        {"area": ["DM_EN", "DM_R1_01"], "measure": "employment", "classification": "all", "code": "all", "period": [2030, 2035]}
    )
    answer = model.predict(query)
    expected = demo_result.forecasts.merge(query, on=list(query.columns))
    assert answer["forecast"].tolist() == pytest.approx(expected["forecast"].tolist())
    assert (answer["lo_80"] <= answer["forecast"]).all()


def test_a_backtest_alone_logs_one_run_with_metrics_by_horizon_and_plots(demo_result, tmp_path):
    from skillcast.tracking import log_backtest_run

    config = Config(home=tmp_path / "home")
    run_id = log_backtest_run(config, demo_result.backtest, demo_result.metrics,
                              {"production_model": config.production_model, "cutoffs": "2017,2018,2019,2020"},
                              manifest={"sources": {"demo": {"files": []}}})
    client = mlflow.MlflowClient(config.resolved_tracking_uri())
    run = client.get_run(run_id)
    assert run.data.tags["job.kind"] == "backtest" and run.data.tags["skillcast.version"]
    assert run.data.metrics["skillcast.h1.mase"] < run.data.metrics["skillcast.h4.mase"]
    artifacts = {item.path for path in ("tables", "plots", "data") for item in client.list_artifacts(run_id, path)}
    assert {"tables/backtest.csv", "plots/mase_by_horizon.png", "data/manifest.json"} <= artifacts
    assert client.search_registered_models() == [], "a backtest registers nothing"
