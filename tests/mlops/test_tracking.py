"""MLflow tracking and registry against a local SQLite store in a temporary folder."""

import mlflow
import pandas as pd
import pytest

from skillcast.config import Config
from skillcast.mlops.tracking import log_pipeline_run


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
    assert run.data.params["production_model"] == "reconciled:national_mix"
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
    from skillcast.mlops.tracking import log_backtest_run

    config = Config(home=tmp_path / "home")
    run_id = log_backtest_run(
        config,
        demo_result.backtest,
        demo_result.metrics,
        {"production_model": config.production_model, "cutoffs": "2017,2018,2019,2020"},
        manifest={"sources": {"demo": {"files": []}}},
    )
    client = mlflow.MlflowClient(config.resolved_tracking_uri())
    run = client.get_run(run_id)
    assert run.data.tags["job.kind"] == "backtest" and run.data.tags["skillcast.version"]
    assert run.data.metrics["skillcast.h1.mase"] < run.data.metrics["skillcast.h4.mase"]
    artifacts = {item.path for path in ("tables", "plots", "data") for item in client.list_artifacts(run_id, path)}
    assert {"tables/backtest.csv", "plots/mase_by_horizon.png", "data/manifest.json"} <= artifacts
    assert client.search_registered_models() == [], "a backtest registers nothing"


# What skillcast 0.1 logged as the pyfunc's "model from code" file (src/skillcast/mlflow_model_code.py
# before the layered layout), word for word: models registered then carry it as their code.
CODE_BEFORE_THE_LAYOUT = '''"""MLflow "model from code" entry point: MLflow runs this file to build the served model."""

import mlflow.models

from skillcast.mlflow_model import SkillcastModel

mlflow.models.set_model(SkillcastModel())
'''


def test_a_champion_registered_before_the_layered_layout_still_loads(demo_result, tmp_path):
    """Its logged code imports ``skillcast.mlflow_model``: loading it must still work, as a
    pyfunc (MLflow runs that code) and as the service loads it (the bundle inside)."""
    from skillcast.mlops.pyfunc import load_registered_bundle

    config = Config(home=tmp_path / "home")
    code = tmp_path / "mlflow_model_code.py"
    code.write_text(CODE_BEFORE_THE_LAYOUT)
    bundle_dir = demo_result.bundle.save(tmp_path / "bundle")
    mlflow.set_tracking_uri(config.resolved_tracking_uri())
    experiment = mlflow.create_experiment("old", artifact_location=config.artifact_location())
    with mlflow.start_run(experiment_id=experiment):
        mlflow.pyfunc.log_model(
            name="model", python_model=str(code), artifacts={"bundle": str(bundle_dir)}, registered_model_name=config.registered_model
        )
    mlflow.MlflowClient(config.resolved_tracking_uri()).set_registered_model_alias(config.registered_model, "champion", "1")

    model = mlflow.pyfunc.load_model(f"models:/{config.registered_model}@champion")
    query = pd.DataFrame({"area": ["DM_EN"], "measure": "employment", "classification": "all", "code": "all", "period": [2030]})
    expected = demo_result.forecasts.merge(query, on=list(query.columns))["forecast"].tolist()
    assert model.predict(query)["forecast"].tolist() == pytest.approx(expected)
    served = load_registered_bundle(f"models:/{config.registered_model}@champion", config.resolved_tracking_uri(), tmp_path / "dl")
    assert served.metadata["registry_version"] == "1"
    pd.testing.assert_frame_equal(served.forecasts, demo_result.bundle.forecasts)
