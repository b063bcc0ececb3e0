"""`skillcast retrain` run unattended (issue #17): a run killed mid-way, and two runs on
different homes sharing one tracking store.

Each test has its own home and store, with the SI2035 files and lookups of the real data
folder (linked, as in test_retrain.py) and the fast job settings.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from skillcast.config import Config
from skillcast.mlops.job_file import RetrainJob
from skillcast.mlops.registry import TAG_DECISION, TAG_FINGERPRINT, TAG_KIND, TAG_SYNTHETIC, Registry
from skillcast.mlops.retrain import run_retrain
from tests.mlops.test_retrain import FAST, lay_out, retrain

REPO = Path(__file__).resolve().parents[2]

KILLED_AFTER_FINGERPRINT = """
import os, signal, sys
from skillcast.mlops import registry
from skillcast.mlops.registry import TAG_FINGERPRINT

tag = registry.Registry.tag
def tag_then_die(self, version, tags):
    tag(self, version, tags)
    if TAG_FINGERPRINT in tags:
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 right after the fingerprint tag, as an operator might
registry.Registry.tag = tag_then_die
from skillcast.cli.main import app
app(sys.argv[1:])
"""


@pytest.fixture(scope="module")
def delivery(data_dir, tmp_path_factory):
    return lay_out(tmp_path_factory.mktemp("delivery") / "data", data_dir)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    path = tmp_path_factory.mktemp("job") / "fast.toml"
    path.write_text(FAST)
    return path


def test_a_run_killed_after_its_fingerprint_tag_does_not_poison_later_runs(delivery, job, tmp_path):
    """Finding 2: later runs printed 'KEPT ... nothing new (its decision: unknown)' and never gated that delivery.
    Finding 10: the killed run stayed RUNNING in MLflow and its scratch files stayed behind."""
    home = tmp_path / "home"
    environment = {key: value for key, value in os.environ.items() if key != "MLFLOW_TRACKING_URI"}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_FINGERPRINT, "retrain", "--config", str(job), "--data", str(delivery)],
        env={**environment, "SKILLCAST_HOME": str(home)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    registry = Registry(Config(home=home).resolved_tracking_uri())
    assert TAG_DECISION not in registry.version("1").tags and registry.champion() is None
    left = [path for path in (home / "scratch").rglob("*") if path.is_file()]

    result = retrain(home, job, delivery)
    assert result.exit_code == 0, result.output
    assert "nothing new" not in result.output
    assert left, "the killed run left its scratch files under SKILLCAST_HOME/scratch (not in /tmp), for the next run to remove"
    assert "PROMOTED version 2 to champion (was none)" in result.output
    assert "was killed mid-way: marked KILLED" in result.output and "version 1 was registered by a run killed" in result.output
    assert [item.version for item in registry.versions()] == ["2"] and registry.champion() == "2"
    assert registry.version("2").tags[TAG_DECISION] == "promoted"
    client = MlflowClient(Config(home=home).resolved_tracking_uri())
    experiment = client.get_experiment_by_name("skillcast")
    statuses = sorted(run.info.status for run in client.search_runs([experiment.experiment_id]))
    assert statuses == ["FINISHED", "KILLED"]
    assert not (home / "scratch").exists(), "a finished run leaves no scratch behind"

    again = retrain(home, job, delivery)  # and the delivery is now judged: a rerun is 'nothing new'
    assert again.exit_code == 0 and "nothing new" in again.output and "its decision: promoted" in again.output


def test_two_runs_on_different_homes_cannot_both_promote(delivery, job, tmp_path):
    """Finding 6: two retrains with different SKILLCAST_HOME on one tracking store both promoted;
    the second replaced the first's champion without being compared with it."""
    store = f"sqlite:///{tmp_path / 'shared.db'}"
    config = Config(home=tmp_path / "home-b", tracking_uri=store)
    registry = Registry(store)
    other: list[str] = []

    def another_run_promotes_meanwhile(stage: str) -> None:
        if stage == "compare":  # run B has compared with 'no champion'; now run A (another home) promotes its version
            version = str(registry.client.create_model_version(registry.name, source="file:///elsewhere", run_id=None).version)
            registry.tag(version, {TAG_KIND: "retrain", TAG_SYNTHETIC: "false", TAG_DECISION: "promoted"})
            registry.promote(version)
            other.append(version)

    outcome = run_retrain(RetrainJob.load(job, config), delivery, progress=another_run_promotes_meanwhile)
    assert other == ["2"], "run A promoted while run B was deciding"
    assert outcome.exit_code == 1 and outcome.decision == "failed", outcome.reason
    assert "champion moved from none to version 2" in outcome.reason
    assert registry.champion() == "2" and registry.history() == ["2"], "run A's champion stands"
    assert [item.version for item in registry.versions()] == ["2"], "run B's version was removed again"
    assert registry.decided(TAG_FINGERPRINT, outcome.fingerprint) is None, "its inputs will be judged by the next run"
