"""`skillcast retrain`: promotion, the gate, idempotence, validation failures, the lock,
a crash mid-run, serving the champion, a real `mlflow server`, and the real data folder.

Most tests share one tracking store in which a module fixture runs the story in order
(first run, the same again, a worse config, the same again, an equally good newer one);
the tests after it check that what they do leaves that registry exactly as it was. The
data folder is SI2035 (the series the job trains on) and the ONS lookups, linked from
the real data; corrupted deliveries replace one file with a damaged copy.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.config import Config
from skillcast.mlops.registry import TAG_DECISION, TAG_FINGERPRINT, TAG_KIND, Registry
from tests.helpers import free_port, lock_held_elsewhere, running_server, serve_command

REPO = Path(__file__).resolve().parents[2]
SI = "skills_imperative_2035"
WIDE = "si2035_employment_2010_2035_wide.csv"

FAST = '[model]\nmodels = ["naive", "national_share"]\n'  # the shipped job's settings minus slow peers
WORSE = '[model]\nproduction_model = "naive"\nmodels = ["naive", "national_share"]\n'
EQUAL = '[model]\nmodels = ["naive", "drift", "national_share"]\n'  # same challenger, other peers: a new fingerprint

runner = CliRunner()


def lay_out(folder: Path, data_dir: Path, wide: str | None = None) -> Path:
    """A folder laid out like the data folder: SI2035 and the lookups, the wide file optionally replaced."""
    (folder / SI).mkdir(parents=True)
    (folder / "lookups").symlink_to(data_dir / "lookups", target_is_directory=True)
    for path in sorted((data_dir / SI).iterdir()):
        if path.name == WIDE and wide is not None:
            (folder / SI / WIDE).write_text(wide)
        else:
            (folder / SI / path.name).symlink_to(path)
    return folder


def retrain(home: Path, job: Path, data: Path, *extra: str):
    return runner.invoke(
        app, ["retrain", "--config", str(job), "--data", str(data), *extra], env={"SKILLCAST_HOME": str(home), "MLFLOW_TRACKING_URI": None}
    )


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs")
    paths = {}
    for name, text in {"fast": FAST, "worse": WORSE, "equal": EQUAL, "seed7": FAST + "seed = 7\n"}.items():
        paths[name] = folder / f"{name}.toml"
        paths[name].write_text(text)
    return paths


@pytest.fixture(scope="module")
def delivery(data_dir, tmp_path_factory):
    return lay_out(tmp_path_factory.mktemp("delivery") / "data", data_dir)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("retrain-home")


@pytest.fixture(scope="module")
def registry(home):
    return Registry(Config(home=home).resolved_tracking_uri())


@pytest.fixture(scope="module")
def story(home, jobs, delivery, registry):
    """Five runs in order; each run's result and the registry after it."""
    steps = {}
    for name, job in (("first", "fast"), ("again", "fast"), ("worse", "worse"), ("worse again", "worse"), ("equal", "equal")):
        started = time.perf_counter()
        result = retrain(home, jobs[job], delivery)
        steps[name] = (result, registry.snapshot(), time.perf_counter() - started)
    return steps


def runs_with(home, decision: str):
    client = MlflowClient(Config(home=home).resolved_tracking_uri())
    experiment = client.get_experiment_by_name("skillcast")
    return client.search_runs([experiment.experiment_id], f"tags.decision = '{decision}'", order_by=["attributes.start_time ASC"])


def test_first_run_registers_and_promotes(story, home):
    result, after, _ = story["first"]
    assert result.exit_code == 0, result.output
    assert "PROMOTED version 1 to champion (was none)" in result.output
    assert after["aliases"] == {"champion": "1"} and after["history"] == ["1"]
    tags = after["versions"]["1"]
    assert tags[TAG_KIND] == "retrain" and tags[TAG_DECISION] == "promoted" and len(tags[TAG_FINGERPRINT]) == 64
    assert f"store     {home / 'data'} now holds this delivery" in result.output


def test_the_validated_delivery_becomes_the_store_the_cli_reads(story, home):
    from skillcast.data.store import Store

    store = Store(home / "data")
    manifest = store.manifest()
    assert set(manifest["sources"]) == {"si2035", "reference"} and manifest["rows"] == len(store.panel()) > 0
    assert store.history(), "the later runs replaced it; each earlier state is kept whole"
    listed = runner.invoke(app, ["data", "list"], env={"SKILLCAST_HOME": str(home)})
    assert listed.exit_code == 0 and "si2035" in listed.output, listed.output


def test_the_run_logs_params_metrics_by_horizon_manifest_plots_and_report(story, home):
    run = runs_with(home, "promoted")[0]
    client = MlflowClient(Config(home=home).resolved_tracking_uri())
    assert run.data.params["production_model"] == "reconciled:national_mix"
    assert run.data.params["cutoffs"] == "2013,2014,2015,2016" and run.data.params["horizon"] == "4"
    metrics = run.data.metrics
    # SI2035 alone here (no APS in this folder, so no nowcast signal): BENCHMARKS.md's reconciled:national_mix
    assert metrics["skillcast.mase"] == pytest.approx(1.589, abs=0.0005), "the headline backtest (BENCHMARKS.md)"
    assert {"skillcast.direction_right", "skillcast.faster_right", "skillcast.mape_last", "skillcast.mase_soc2020_submajor"} <= set(metrics)
    assert metrics["skillcast.mase"] < metrics["naive.mase"]
    assert all(f"skillcast.h{h}.{name}" in metrics for h in (1, 2, 3, 4) for name in ("mase", "smape", "coverage_80", "coverage_95"))
    assert metrics["skillcast.h1.mase"] < metrics["skillcast.h4.mase"], "errors grow with the horizon"
    assert {"skillcast.version", "git.commit", "data.fingerprint", "data.vintages"} <= set(run.data.tags)

    def listed(path):
        return {item.path for item in client.list_artifacts(run.info.run_id, path)}

    assert {"tables/backtest.csv", "tables/forecasts.csv", "tables/metrics.csv", "tables/metrics_by_horizon.csv"} <= listed("tables")
    assert {"plots/mase_by_horizon.png", "plots/coverage_by_horizon.png", "plots/forecast_EN.png"} <= listed("plots")
    assert {"report.txt", "decision.json", "bundle_metadata.json"} <= listed(None)
    manifest = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/data/manifest.json")
    assert [len(file["sha256"]) for file in manifest["sources"]["si2035"]["files"]] == [64, 64, 64]
    assert manifest["sources"]["si2035"]["vintages"] == ["2024-08"]


def test_the_champion_loads_as_a_pyfunc_and_forecasts_to_2035(story, home):
    mlflow.set_tracking_uri(Config(home=home).resolved_tracking_uri())
    model = mlflow.pyfunc.load_model("models:/skillcast/1")
    query = pd.DataFrame({"area": ["EN", "GM_LSIP"], "measure": "employment", "classification": "all", "code": "all", "period": 2035})
    answer = model.predict(query)
    assert (answer["forecast"] > 1e6).all()
    assert ((answer["lo_80"] <= answer["forecast"]) & (answer["forecast"] <= answer["hi_80"])).all()


def test_the_model_the_retrain_registers_is_the_one_the_main_job_fits(story, home, jobs, delivery, tmp_path):
    """One job: the champion the retrain registered is what pipeline.run_job fits for the same store and
    config: the same estimator parameters (the hierarchy and the survey signal included) and identical forecasts."""
    import joblib

    from skillcast.bundle import ForecastBundle
    from skillcast.data.ingest import ingest_folder
    from skillcast.data.store import Store
    from skillcast.mlops.job_file import RetrainJob
    from skillcast.mlops.pyfunc import bundle_dir_of
    from skillcast.pipeline import run_job, store_inputs

    assert story["first"][0].exit_code == 0
    job = RetrainJob.load(jobs["fast"], Config(home=tmp_path / "home"))
    store = Store(tmp_path / "store")
    ingest_folder(delivery, store)
    fitted = run_job(store_inputs(store, job.data), job.config)
    registered = bundle_dir_of("models:/skillcast/1", tmp_path / "download", Config(home=home).resolved_tracking_uri())
    estimator = joblib.load(registered / "forecaster.joblib")
    assert repr(estimator.get_params(deep=True)) == repr(fitted.forecaster.get_params(deep=True))
    served = ForecastBundle.load(registered).forecasts
    mine = fitted.bundle.forecasts
    assert len(served) == len(mine) > 50_000
    pd.testing.assert_frame_equal(served.reset_index(drop=True), mine.reset_index(drop=True), check_exact=True)


def test_the_same_inputs_again_register_nothing(story):
    result, after, seconds = story["again"]
    assert result.exit_code == 0, result.output
    assert "nothing new" in result.output and "version 1 was built from these files and settings" in result.output
    assert after == story["first"][1]
    assert seconds < story["first"][2] / 2, "nothing new is decided before any training"


def test_a_worse_config_is_registered_as_challenger_but_not_promoted(story, home):
    result, after, _ = story["worse"]
    assert result.exit_code == 0, result.output
    assert "KEPT champion version 1" in result.output and "FAIL vs champion" in result.output
    assert after["aliases"] == {"champion": "1", "challenger": "2"} and after["history"] == ["1"]
    assert after["versions"]["2"][TAG_DECISION] == "kept"
    first, worse = runs_with(home, "promoted")[0], runs_with(home, "kept")[0]
    assert worse.data.metrics["champion.mase"] == pytest.approx(first.data.metrics["skillcast.mase"], rel=1e-9), (
        "the champion is refitted on the challenger's own backtest"
    )
    rerun, again, _ = story["worse again"]
    assert rerun.exit_code == 0 and "nothing new" in rerun.output and again == after


def test_an_equally_good_challenger_replaces_the_champion(story):
    result, after, _ = story["equal"]
    assert result.exit_code == 0, result.output
    assert "PROMOTED version 3 to champion (was version 1)" in result.output
    assert after["aliases"] == {"champion": "3"} and after["history"] == ["1", "3"]


SERVE_ONCE = """
import json, sys
from starlette.testclient import TestClient
from serving.service import VERSION_HEADER, SkillcastService
with TestClient(app=SkillcastService.to_asgi(), headers={"Authorization": "Bearer retrain-test-key"}) as client:
    response = client.post("/forecast", json={"area": "EN", "classification": "rqf", "code": "rqf6", "years": [2020, 2035]})
print(json.dumps({"status": response.status_code, "header": response.headers.get(VERSION_HEADER), "body": response.json()}))
"""


def test_the_service_serves_the_champion_and_says_which_version(story, home):
    # In its own process: a second BentoML app in one process clashes over Prometheus metrics.
    environment = {
        **os.environ,
        "SKILLCAST_HOME": str(home),
        "SKILLCAST_MODEL_URI": "models:/skillcast@champion",
        "SKILLCAST_API_KEYS": "retrain-test-key",
    }
    environment.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run([sys.executable, "-c", SERVE_ONCE], cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["status"] == 200, answer
    assert answer["body"]["model_version"] == "3" and answer["header"] == "3"
    assert [row["basis"] for row in answer["body"]["rows"]] == ["observed", "forecast"] and answer["body"]["synthetic"] is False


def _garbled(text: str) -> str:
    lines = text.splitlines()
    cells = lines[100].split(",")
    cells[9] = "12.3x"
    lines[100] = ",".join(cells)
    return "\n".join(lines) + "\n"


def _in_units_not_thousands(text: str) -> str:
    from io import StringIO

    frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    for year in range(2010, 2021):
        frame[str(year)] = (pd.to_numeric(frame[str(year)]) * 1000).astype(str)
    return frame.to_csv(index=False)


def _half_the_rows(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(lines[:1] + lines[1::2]) + "\n"


@pytest.mark.parametrize(
    "damage, check, message",
    [
        (_garbled, "FAIL schema", "value '12.3x': expected a number"),
        (_in_units_not_thousands, "FAIL drift", "100.0% of 24,255 values revised by more than 5%"),
        (_half_the_rows, "FAIL series", "training series (at least 2,000)"),
    ],
)
def test_a_corrupted_delivery_fails_validation_and_changes_nothing(story, home, jobs, registry, data_dir, tmp_path, damage, check, message):
    folder = lay_out(tmp_path / "data", data_dir, wide=damage((data_dir / SI / WIDE).read_text()))
    before = registry.snapshot()
    kept = (home / "data" / "manifest.json").read_text()
    result = retrain(home, jobs["fast"], folder)
    assert result.exit_code == 1, result.output
    assert "FAILED at validate; champion version 3 and the registry left as they were" in result.output
    assert (home / "data" / "manifest.json").read_text() == kept, "the store keeps the last good delivery"
    assert check in result.output and message in result.output and "Traceback" not in result.output
    assert registry.snapshot() == before
    failed = runs_with(home, "failed")[-1]
    assert failed.info.status == "FAILED" and failed.data.tags["decision.stage"] == "validate"


def test_a_crash_after_registering_removes_the_new_version(story, home, jobs, delivery, registry, monkeypatch):
    def crash(self, version):
        raise RuntimeError("tracking store went away")

    monkeypatch.setattr(Registry, "set_challenger", crash)
    before = registry.snapshot()
    result = retrain(home, jobs["seed7"], delivery)
    assert result.exit_code == 1, result.output
    assert "FAILED at register" in result.output and "RuntimeError: tracking store went away" in result.output
    assert registry.snapshot() == before


def test_a_second_run_while_one_holds_the_lock_exits_3(story, home, jobs, delivery, registry):
    before = registry.snapshot()
    with lock_held_elsewhere(home / "retrain.lock") as holder:
        result = retrain(home, jobs["seed7"], delivery)
        assert result.exit_code == 3, result.output
        assert f"another retrain is running (pid {holder} since" in result.output
        assert "Traceback" not in result.output
    assert registry.snapshot() == before


@pytest.mark.parametrize(
    "job, message",
    [
        ("[gate]\nmax_mase_increase = -0.5\n", "gate.max_mase_increase: Input should be greater than or equal to 0"),
        ('[model]\nproduction_model = "prophet"\n', "model.production_model: Value error, unknown model"),
        ("[model]\ncutoffs = [2013]\n", "model.cutoffs: unknown key"),
        ('[gate]\nbaseline = "drift"\n[model]\nmodels = ["naive"]\n', "gate.baseline 'drift' must be one of model.models"),
        ("[gate\n", "not valid TOML"),
    ],
)
def test_a_bad_job_file_is_one_line_naming_the_field_and_exit_2(home, delivery, tmp_path, job, message):
    path = tmp_path / "job.toml"
    path.write_text(job)
    result = retrain(home, path, delivery)
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.output and message in result.output and "Traceback" not in result.output


def test_a_missing_data_folder_is_exit_2(home, jobs, tmp_path):
    result = retrain(home, jobs["fast"], tmp_path / "nowhere")
    assert result.exit_code == 2 and "no such data folder" in result.output


def test_the_service_model_uri_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SKILLCAST_MODEL_URI", "models:/skillcast@champion")
    assert Config.from_env().model_uri == "models:/skillcast@champion"
    monkeypatch.delenv("SKILLCAST_MODEL_URI")
    assert Config.from_env().model_uri is None


@pytest.mark.parametrize(
    "uri, message",
    [("models:/skillcast@nope", "not found"), ("models:/skillcast/99", "not found"), ("runs:/abc/model", "expected models:/NAME@ALIAS")],
)
def test_serve_names_a_missing_model_in_one_line(story, home, uri, message):
    result = runner.invoke(
        app, ["serve", "--model-uri", uri, "--project-dir", str(REPO)], env={"SKILLCAST_HOME": str(home), "MLFLOW_TRACKING_URI": None}
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_train_registers_a_challenger_or_with_promote_a_champion(data_dir, jobs, tmp_path):
    environment = {"SKILLCAST_HOME": str(tmp_path / "home"), "MLFLOW_TRACKING_URI": None}
    store = tmp_path / "store"
    ingested = runner.invoke(
        app, ["ingest", "si2035", str(data_dir / SI / WIDE), "--out", str(store), "--lookups", str(data_dir / "lookups")], env=environment
    )
    assert ingested.exit_code == 0, ingested.output
    promoted = runner.invoke(app, ["train", "--config", str(jobs["fast"]), "--data", str(store), "--promote"], env=environment)
    assert promoted.exit_code == 0, promoted.output
    assert "registered version 1 of skillcast as champion (was none)" in promoted.output
    registered = runner.invoke(app, ["train", "--config", str(jobs["worse"]), "--data", str(store)], env=environment)
    assert registered.exit_code == 0, registered.output
    assert "registered version 2 of skillcast as challenger" in registered.output
    registry = Registry(Config(home=tmp_path / "home").resolved_tracking_uri())
    assert registry.aliases() == {"champion": "1", "challenger": "2"}
    assert registry.version("2").tags[TAG_KIND] == "train"
    missing = runner.invoke(app, ["train", "--data", str(tmp_path / "no-store")], env=environment)
    assert missing.exit_code == 2 and "no skillcast data store here" in missing.output


@pytest.mark.slow
def test_skillcast_serve_follows_the_champion_over_loopback(story, home):
    port = free_port()
    environment = {**os.environ, "SKILLCAST_HOME": str(home), "SKILLCAST_API_KEYS": "retrain-test-key"}
    environment.pop("MLFLOW_TRACKING_URI", None)
    command = serve_command(port, "--model-uri", "models:/skillcast@champion")
    base = f"http://127.0.0.1:{port}"
    with running_server(command, f"{base}/readyz", cwd=REPO, env=environment):
        response = httpx.post(
            f"{base}/forecast", json={"area": "EN", "years": [2035]}, headers={"Authorization": "Bearer retrain-test-key"}, timeout=10
        )
        assert response.status_code == 200, response.text
        assert response.json()["model_version"] == "3" and response.headers["x-skillcast-model-version"] == "3"


@pytest.mark.slow
def test_retrain_against_a_real_mlflow_server(jobs, delivery, tmp_path):
    from skillcast.mlops.pyfunc import load_registered_bundle

    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).parent / "mlflow"),
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'server.db'}",
        "--artifacts-destination",
        str(tmp_path / "artifacts"),
    ]
    with running_server(command, f"{uri}/health"):
        home = tmp_path / "home"
        result = retrain(home, jobs["fast"], delivery, "--tracking-uri", uri)
        assert result.exit_code == 0, result.output
        assert "PROMOTED version 1" in result.output and f"at {uri}" in result.output
        assert Registry(uri).aliases() == {"champion": "1"}
        assert any((tmp_path / "artifacts").rglob("forecasts.parquet")), "the model went through the server's artifact store"
        assert not (home / "mlflow.db").exists(), "nothing was tracked locally"
        bundle = load_registered_bundle("models:/skillcast@champion", uri)
        assert bundle.metadata["registry_version"] == "1" and bundle.metadata["kind"] == "retrain"


@pytest.mark.slow
@pytest.mark.realdata
def test_retrain_on_the_real_data_folder_completes(data_dir, tmp_path, record_property, capsys):
    started = time.perf_counter()
    result = retrain(tmp_path / "home", REPO / "training" / "quarterly.toml", data_dir)
    seconds = time.perf_counter() - started
    record_property("retrain_seconds", round(seconds, 1))
    with capsys.disabled():
        print(f"\nretrain on {data_dir} with training/quarterly.toml: {seconds:.1f} s")
    assert result.exit_code == 0, result.output
    assert "PROMOTED version 1" in result.output
    challenger = next(line for line in result.output.splitlines() if "challenger (reconciled:national_mix)" in line)
    assert challenger.split()[2] == "1.482", (
        "the headline MASE of BENCHMARKS.md (with the APS nowcast of England's mix and the national labour market's total)"
    )
    assert "lightgbm" in result.output, "the shipped job backtests every peer"
    from skillcast.bundle import ForecastBundle
    from skillcast.mlops.pyfunc import bundle_dir_of

    mlflow.set_tracking_uri(Config(home=tmp_path / "home").resolved_tracking_uri())
    served = ForecastBundle.load(bundle_dir_of("models:/skillcast@champion", tmp_path / "served"))
    gm = served.gap_rows("E69000014", "high", [2030])  # Greater Manchester LSIP, as /gaps answers it
    with capsys.disabled():
        print(f"served gaps: {len(served.gaps):,} rows; GM LSIP high 2030: {gm.iloc[0].to_dict() if len(gm) else None}")
    assert (
        not served.gaps.empty
        and len(gm) == 1
        and gm.at[0, "gap"] == pytest.approx(gm.at[0, "demand"] - gm.at[0, "supply"])
        and gm.at[0, "gap_lo_80"] <= gm.at[0, "gap"] <= gm.at[0, "gap_hi_80"]
    )
    # /gaps takes the SI2035 id too (the issue's {"area": "GM_LSIP"}), answered under the ONS code
    assert served.area_code("GM_LSIP", "gaps") == "E69000014"
    assert served.gap_rows("GM_LSIP", "high", [2030]).drop(columns="area").equals(gm.drop(columns="area"))
    # and the champion carries apprenticeship priorities for the same areas
    priorities = served.priority_rows("GM_LSIP")
    assert (
        len(priorities) > 5
        and list(priorities["rank"]) == list(range(1, len(priorities) + 1))
        and priorities["explanation"].str.len().min() > 0
    )


def test_serve_defaults_to_the_champion_when_the_registry_has_one(story, home, tmp_path):
    from skillcast.cli.serve import champion_uri

    assert champion_uri(Config(home=home)) == "models:/skillcast@champion"
    empty = tmp_path / "empty-home"
    assert champion_uri(Config(home=empty)) is None
    assert not (empty / "mlflow.db").exists()  # asking never creates a store
