"""The Dask engine (issue #9): same answers as one machine, data read in the workers,
progress, a killed worker survived or failed cleanly, and the optional extra.

Most tests share one LocalCluster of two single-threaded worker processes on 127.0.0.1;
the failure tests start their own, because they kill its workers.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.config import Config
from skillcast.data.demo import demo_panel
from skillcast.data.schema import SERIES_KEY, observations
from skillcast.engine.backtest import rolling_origin, score
from skillcast.engine.engines import open_engine
from skillcast.engine.factory import make_forecaster
from skillcast.engine.fanout import ClusterError, EngineUnavailable, ForecastRequest, LocalEngine, require_dask
from skillcast.engine.partitioned import plan_partitions, run_in_process, tasks_for, totals_matrix, write_panel
from skillcast.engine.targets import select_targets
from skillcast.pipeline import demo_inputs
from skillcast.pipeline.job import forecaster
from tests.helpers import free_port, make_panel

distributed = pytest.importorskip("distributed")
from skillcast.engine.dask_engine import DaskEngine  # noqa: E402 - only with the extra

runner = CliRunner()
PER_SERIES = ["naive", "drift", "national_share", "reconciled:national_share"]


@pytest.fixture(scope="module")
def targets() -> pd.DataFrame:
    """The demo's target series: a nation, two regions, twelve districts; totals, SOC, RQF, bands."""
    panel, _ = demo_panel()
    return select_targets(observations(panel), Config().targets)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1", silence_logs=logging.ERROR
    ) as local:
        yield local.scheduler_address


def local_forecasts(panel, requests):
    return [answer.frame for answer in LocalEngine().forecast(panel, requests)]


class Recorder:
    """A ClusterProgress that keeps what it hears."""

    def __init__(self):
        self.where, self.done = [], []

    def connected(self, description):
        self.where.append(description)

    def task_done(self, done, total, label):
        self.done.append((done, total, label))


# -- partitions, without a cluster --------------------------------------------------------
def test_partitions_keep_areas_whole_balanced_in_order_and_linked_areas_together():
    sizes = pd.Series({"A": 10, "B": 10, "C": 10, "D": 10, "E": 40, "F": 10, "G": 10})
    assert plan_partitions(sizes, 3) == [("A", "B", "C"), ("D", "E"), ("F", "G")]  # whole areas, in order, ~1/3 of series each
    linked = plan_partitions(sizes, 7, links=[("A", "G"), ("C", "G")])
    assert any({"A", "C", "G"} <= set(part) for part in linked), linked
    assert len(plan_partitions(sizes, 50)) == len(sizes)  # never more partitions than areas


def test_the_parquet_panel_has_a_row_group_per_partition_and_a_task_reads_only_its_areas(targets, tmp_path):
    plan = plan_partitions(targets.drop_duplicates(SERIES_KEY).groupby("area").size(), 4)
    path = tmp_path / "panel.parquet"
    write_panel(targets, path, plan)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_row_groups == len(plan) and metadata.num_rows == len(targets)
    request = ForecastRequest("national_share", make_forecaster("national_share"), 3, cutoff=2016)
    tasks = tasks_for(request, str(path), plan, np.sort(targets["period"].unique()), totals_matrix(targets))
    task = next(task for task in tasks if "DM_EN" not in task.areas)
    assert task.context == ("DM_EN",), "national_share needs the nation's series in every partition"
    matrix, own = task.read()
    assert set(matrix.keys["area"]) == set(task.areas) | {"DM_EN"}
    assert set(matrix.keys.loc[own, "area"]) == set(task.areas)
    assert matrix.periods[0] == targets["period"].min() and matrix.last_period == 2016, "the whole panel's years up to the cutoff"


@pytest.mark.parametrize("name", PER_SERIES + ["lightgbm", "ensemble", "national_mix", "reconciled:national_mix"])
def test_partitioned_in_process_equals_local_exactly(targets, tmp_path, name):
    requests = [ForecastRequest(name, make_forecaster(name, seed=7), 4, cutoff) for cutoff in (2015, None)]
    for answer, expected in zip(run_in_process(targets, requests, tmp_path, partitions=5), local_forecasts(targets, requests), strict=True):
        pd.testing.assert_frame_equal(answer.frame, expected, check_exact=True)


def test_national_mix_with_a_nowcast_signal_is_the_same_partitioned(targets, tmp_path):
    signal = tuple(
        ("employment", "soc2020_major", str(major), year, -2.0 + 0.01 * major * (year - 2015))
        for major in range(1, 10)
        for year in (2016, 2017)
    )
    model = make_forecaster("reconciled:national_mix", mix_signal=signal)
    requests = [ForecastRequest("skillcast", model, 4, 2016)]
    [answer] = run_in_process(targets, requests, tmp_path, partitions=4)
    pd.testing.assert_frame_equal(answer.frame, local_forecasts(targets, requests)[0], check_exact=True)
    plain = local_forecasts(targets, [ForecastRequest("plain", make_forecaster("reconciled:national_mix"), 4, 2016)])[0]
    assert not np.allclose(plain["forecast"], answer.frame["forecast"]), "the signal moved the occupations"


def test_areas_reconciled_to_their_parents_share_a_partition_and_match_local(tmp_path):
    panel, geography = demo_panel()
    inputs = demo_inputs(panel, geography)
    targets = inputs.training
    model = forecaster("reconciled:national_share", Config(), inputs.hierarchy())  # with area_parents, as the demo job fits it
    assert model.area_parents
    requests = [ForecastRequest("skillcast", model, 3, 2017)]
    [answer] = run_in_process(targets, requests, tmp_path, partitions=6)
    pd.testing.assert_frame_equal(answer.frame, local_forecasts(targets, requests)[0], check_exact=True)


def test_ets_per_series_fits_are_the_same_partitioned(tmp_path):
    rng = np.random.default_rng(5)
    series = {(area, "employment", "all", "all"): list(1000 + np.cumsum(rng.normal(5, 20, 9))) for area in "ABCDEF"}
    panel = make_panel(series)
    requests = [ForecastRequest("ets", make_forecaster("ets", calibration_windows=2), 3)]
    [answer] = run_in_process(panel, requests, tmp_path, partitions=3)
    pd.testing.assert_frame_equal(answer.frame, local_forecasts(panel, requests)[0], check_exact=True)


# -- on a 2-worker LocalCluster ------------------------------------------------------
def test_backtest_on_dask_equals_local_exactly_for_per_series_models(targets, cluster, tmp_path):
    models = {name: make_forecaster(name, seed=3) for name in PER_SERIES}
    local = rolling_origin(targets, models, [2015, 2016], 4, "reconciled:national_share")
    recorder = Recorder()
    with DaskEngine(scheduler=cluster, partitions=4, shared_dir=tmp_path, progress=recorder) as engine:
        remote = rolling_origin(targets, models, [2015, 2016], 4, "reconciled:national_share", engine=engine)
        assert len(engine.last_run["partitions"]) == 4
        run_folder = engine._run_dir
        assert run_folder is not None and any(run_folder.glob("panel-*.parquet"))
    assert not run_folder.exists(), "the run folder goes with the engine"
    pd.testing.assert_frame_equal(remote.forecasts, local.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(score(remote).drop(columns="seconds"), score(local).drop(columns="seconds"), check_exact=True)
    assert remote.seconds["naive"] > 0, "seconds are the tasks' compute time on the workers"
    # progress came from the cluster, task by task, ending with all of them
    assert recorder.where and "2 workers" in recorder.where[0]
    counts = [done for done, _, _ in recorder.done]
    assert counts == list(range(1, len(counts) + 1)) and recorder.done[-1][0] == recorder.done[-1][1] == 2 * 4 * 4
    assert any("national_share @ 2016: partition" in label for _, _, label in recorder.done)


def test_global_lightgbm_on_dask_equals_local_within_tolerance_zero(targets, cluster, tmp_path):
    """Tolerance for the global model: none. Its training rows are merged in the whole
    panel's order with the whole panel's category ids, so LightGBM (deterministic=True,
    one thread, fixed seed) trains the same trees and every forecast is bit-identical."""
    requests = [
        ForecastRequest("lightgbm", make_forecaster("lightgbm", seed=11), 4, 2016),
        ForecastRequest("reconciled:lightgbm", make_forecaster("reconciled:lightgbm", seed=11), 4),
    ]
    recorder = Recorder()
    with DaskEngine(scheduler=cluster, partitions=3, shared_dir=tmp_path, progress=recorder) as engine:
        answers = engine.forecast(targets, requests)
        tasks = engine.last_run["tasks"]
    for answer, expected in zip(answers, local_forecasts(targets, requests), strict=True):
        pd.testing.assert_frame_equal(answer.frame, expected, check_exact=True, rtol=0, atol=0)
    labels = [label for _, _, label in recorder.done]
    # one training per calibration window and the fit: 2010-2016 has 4 windows leaving 3+ years of history, 2010-2024 five
    assert sum("train lightgbm" in label for label in labels) == (4 + 1) + (5 + 1)
    assert sum("training rows, partition" in label for label in labels) == 2 * 3
    assert len(tasks) == 2 * 3 and sum(task["series"] for task in tasks) == 2 * targets.drop_duplicates(SERIES_KEY).shape[0]
    assert all(
        answer.seconds > sum(task["seconds"] for task in tasks if task["request"] == request.label)
        for answer, request in zip(answers, requests, strict=True)
    ), "seconds include the trainings"


def test_national_mix_on_dask_chooses_its_share_smoothing_on_every_partition_at_once(targets, cluster, tmp_path):
    """national_mix validates one share smoothing on every series together: the cluster merges each
    partition's validation errors in the whole panel's order (the global-model protocol), so it
    chooses what one machine chooses and every forecast is bit-identical."""
    requests = [
        ForecastRequest("national_mix", make_forecaster("national_mix"), 4, 2016),
        ForecastRequest("reconciled:national_mix", make_forecaster("reconciled:national_mix"), 4),
    ]
    recorder = Recorder()
    with DaskEngine(scheduler=cluster, partitions=3, shared_dir=tmp_path, progress=recorder) as engine:
        answers = engine.forecast(targets, requests)
    for answer, expected in zip(answers, local_forecasts(targets, requests), strict=True):
        pd.testing.assert_frame_equal(answer.frame, expected, check_exact=True, rtol=0, atol=0)
    labels = [label for _, _, label in recorder.done]
    # one choice per calibration window and the fit: 2010-2016 has 4 windows of 3+ years, 2010-2024 five
    assert sum("train national_mix" in label for label in labels) == (4 + 1) + (5 + 1)


def test_fit_forecast_on_dask_returns_the_estimator_and_local_forecasts(targets, cluster, tmp_path):
    model = make_forecaster("reconciled:national_share")
    expected = model.fit(targets).predict(6)
    with DaskEngine(scheduler=cluster, partitions=4, shared_dir=tmp_path) as engine:
        estimator, frame = engine.fit_forecast(targets, make_forecaster("reconciled:national_share"), 6)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert estimator.get_params()["base"].name == "national_share" and not hasattr(estimator, "matrix_")


def test_no_scheduler_starts_a_local_cluster_and_closes_it(targets, tmp_path):
    config = Config(home=tmp_path, engine="dask", dask_workers=2, dask_partitions=2)
    small = targets.loc[targets["area"].isin(["DM_EN", "DM_R1", "DM_R1_01"])]
    with open_engine(config.engine_settings()) as engine:
        assert engine.name == "dask" and engine._cluster is None, "nothing starts before the first forecast"
        frame = engine.forecast(small, [ForecastRequest("naive", make_forecaster("naive"), 2)])[0].frame
        cluster = engine._cluster
        assert len(cluster.workers) == 2
    assert cluster.status.name == "closed" and engine._client is None
    pd.testing.assert_frame_equal(frame, local_forecasts(small, [ForecastRequest("naive", make_forecaster("naive"), 2)])[0])


def test_an_unreachable_scheduler_is_one_clear_error(targets, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    with DaskEngine(scheduler=address, shared_dir=tmp_path, connect_timeout="1s") as engine:
        with pytest.raises(ClusterError, match=f"cannot reach the Dask scheduler at {address}"):
            engine.forecast(targets, [ForecastRequest("naive", make_forecaster("naive"), 2)])


def test_a_task_that_keeps_failing_names_itself_after_its_retries(targets, cluster, tmp_path):
    broken = make_forecaster("drift").set_params(damping="not a number")
    with DaskEngine(scheduler=cluster, partitions=2, retries=1, shared_dir=tmp_path) as engine:
        with pytest.raises(ClusterError, match=r"'drift @ 2016: partition \d/2' failed on the cluster after its retries: TypeError"):
            engine.forecast(targets, [ForecastRequest("drift", broken, 2, 2016)])


def test_workers_that_cannot_read_the_shared_folder_are_one_clear_error(targets, cluster, tmp_path, monkeypatch):
    monkeypatch.setattr("skillcast.engine.dask_engine._readable", _never_readable)
    with DaskEngine(scheduler=cluster, partitions=2, shared_dir=tmp_path) as engine:
        with pytest.raises(ClusterError, match="cannot read .*panel-.*parquet: set SKILLCAST_SHARED_DIR"):
            engine.forecast(targets, [ForecastRequest("naive", make_forecaster("naive"), 2)])


def _never_readable(path: str) -> bool:
    return False


# -- the command line -------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "data"
    wide = data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv"
    result = runner.invoke(app, ["ingest", "si2035", str(wide), "--out", str(out), "--lookups", str(data_dir / "lookups")])
    assert result.exit_code == 0, result.output
    return out


def test_backtest_engine_dask_exports_exactly_the_local_forecasts(store, cluster, tmp_path):
    environment = {"SKILLCAST_HOME": str(tmp_path / "home"), "MLFLOW_TRACKING_URI": None}
    common = ["backtest", "--data", str(store), "--cutoffs", "2015:2016", "--models", "naive,national_share", "--no-track"]
    local = runner.invoke(app, [*common, "--export", str(tmp_path / "local.csv")], env=environment)
    assert local.exit_code == 0, local.output
    remote = runner.invoke(app, [*common, "--export", str(tmp_path / "dask.csv"), "--scheduler", cluster], env=environment)
    assert remote.exit_code == 0, remote.output
    assert f"Dask scheduler {cluster}" in remote.output and "2 workers" in remote.output
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
    assert not any((tmp_path / "home" / "dask").glob("run-*")), "the run folder is removed"


def test_train_on_dask_registers_the_same_model_as_local(store, cluster, tmp_path):
    import mlflow

    from skillcast.bundle import ForecastBundle
    from skillcast.mlops.pyfunc import bundle_dir_of
    from tests.mlops.test_retrain import FAST

    (tmp_path / "fast.toml").write_text(FAST)
    bundles = {}
    for engine in ("local", "dask"):
        environment = {"SKILLCAST_HOME": str(tmp_path / engine), "MLFLOW_TRACKING_URI": None}
        options = ["--scheduler", cluster] if engine == "dask" else []
        result = runner.invoke(app, ["train", "--config", str(tmp_path / "fast.toml"), "--data", str(store), *options], env=environment)
        assert result.exit_code == 0, result.output
        assert "registered version 1 of skillcast as challenger" in result.output
        mlflow.set_tracking_uri(Config(home=tmp_path / engine).resolved_tracking_uri())
        bundles[engine] = ForecastBundle.load(bundle_dir_of("models:/skillcast/1", tmp_path / f"{engine}-download"))
    assert "cluster: " in result.output, "the cluster's progress is shown"
    pd.testing.assert_frame_equal(bundles["dask"].forecasts, bundles["local"].forecasts, check_exact=True)
    metrics = {engine: pd.DataFrame(bundle.metadata["backtest"]["metrics"]).drop(columns="seconds") for engine, bundle in bundles.items()}
    pd.testing.assert_frame_equal(metrics["dask"], metrics["local"], check_exact=True)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--engine", "spark"], "setting engine: Input should be 'local' or 'dask'"),
        (["--engine", "local", "--scheduler", "tcp://127.0.0.1:1"], "is set but the engine is 'local'"),
    ],
)
def test_bad_engine_options_are_one_line_and_exit_2(arguments, message, tmp_path):
    result = runner.invoke(app, ["backtest", "--data", str(tmp_path), *arguments], env={"SKILLCAST_HOME": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("command", [["backtest"], ["train"], ["retrain", "--config", "training/quarterly.toml"]])
def test_engine_dask_without_the_extra_is_one_line_and_exit_2(command, tmp_path, monkeypatch):
    for module in ("dask", "distributed"):
        monkeypatch.setitem(sys.modules, module, None)  # as if `pip install skillcast` had no [dask]
    with pytest.raises(EngineUnavailable):
        require_dask()
    result = runner.invoke(app, [*command, "--data", str(tmp_path), "--engine", "dask"], env={"SKILLCAST_HOME": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert "pip install 'skillcast[dask]'" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


# -- a worker killed mid-run ------------------------------------------------------------
def slow_partition(marker: str, *args, **kwargs):
    """Runs on a worker: says which process it is, works slowly, then does the real work."""
    from skillcast.engine.partitioned import forecast_partition

    Path(marker).write_text(str(os.getpid()))
    time.sleep(1.5)
    return forecast_partition(*args, **kwargs)


class Killer(threading.Thread):
    """Kills (SIGKILL) the first worker process that starts a slow partition, once."""

    def __init__(self, marker: Path):
        super().__init__(daemon=True)
        self.marker, self.killed = marker, None

    def run(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.killed is None:
            if self.marker.exists() and self.marker.read_text().strip():
                self.killed = int(self.marker.read_text())
                os.kill(self.killed, signal.SIGKILL)
            time.sleep(0.05)


def killable_cluster(allowed_failures: int):
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        return distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1", silence_logs=logging.CRITICAL
        )


@pytest.mark.slow
def test_a_worker_killed_mid_run_is_survived_with_the_same_answers(targets, tmp_path, monkeypatch):
    marker = tmp_path / "worker.pid"
    monkeypatch.setattr("skillcast.engine.partitioned.forecast_partition", partial(slow_partition, str(marker)))
    requests = [ForecastRequest("reconciled:national_share", make_forecaster("reconciled:national_share"), 4, 2016)]
    killer = Killer(marker)
    with (
        killable_cluster(allowed_failures=3) as cluster,
        DaskEngine(scheduler=cluster.scheduler_address, partitions=4, shared_dir=tmp_path) as engine,
    ):
        pids_before = set(engine.client.run(os.getpid).values())
        killer.start()
        [answer] = engine.forecast(targets, requests)
        killer.join(timeout=1)
    assert killer.killed in pids_before, "a worker really was killed while it ran a partition"
    monkeypatch.undo()
    pd.testing.assert_frame_equal(answer.frame, local_forecasts(targets, requests)[0], check_exact=True)


@pytest.mark.slow
def test_a_retrain_whose_worker_dies_fails_in_one_line_and_leaves_the_registry_alone(data_dir, tmp_path, monkeypatch):
    from skillcast.mlops.registry import Registry
    from tests.mlops.test_retrain import FAST, lay_out

    delivery = lay_out(tmp_path / "data", data_dir)
    (tmp_path / "fast.toml").write_text(FAST)
    (tmp_path / "seed7.toml").write_text(FAST + "seed = 7\n")
    environment = {"SKILLCAST_HOME": str(tmp_path / "home"), "MLFLOW_TRACKING_URI": None}
    registry = Registry(Config(home=tmp_path / "home").resolved_tracking_uri())
    with killable_cluster(allowed_failures=0) as cluster:
        address = cluster.scheduler_address
        first = runner.invoke(
            app, ["retrain", "--config", str(tmp_path / "fast.toml"), "--data", str(delivery), "--scheduler", address], env=environment
        )
        assert first.exit_code == 0, first.output
        assert "PROMOTED version 1" in first.output and f"Dask scheduler {address}" in first.output
        challenger = next(line for line in first.output.splitlines() if "challenger (reconciled:national_mix)" in line)
        assert challenger.split()[2] == "1.589", "the headline backtest, on the cluster"
        before = registry.snapshot()
        assert before["aliases"] == {"champion": "1"}

        marker = tmp_path / "worker.pid"
        monkeypatch.setattr("skillcast.engine.partitioned.forecast_partition", partial(slow_partition, str(marker)))
        killer = Killer(marker)
        killer.start()
        failed = runner.invoke(
            app, ["retrain", "--config", str(tmp_path / "seed7.toml"), "--data", str(delivery), "--scheduler", address], env=environment
        )
        killer.join(timeout=1)
    assert killer.killed is not None
    assert failed.exit_code == 1, failed.output
    why = next(line for line in failed.output.splitlines() if line.startswith("why"))
    assert "backtest failed: ClusterError" in why and "KilledWorker" in why and "Traceback" not in failed.output
    assert "FAILED at backtest; champion version 1 and the registry left as they were" in failed.output
    assert registry.snapshot() == before
