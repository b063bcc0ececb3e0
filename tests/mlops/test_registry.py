"""The registry: promotion, rollback as an undo, refusals, and the `skillcast models` commands.

Versions here are registered without artifacts (the alias logic never reads them), each
test in its own copy of one SQLite store migrated once for the module, so the file runs
in seconds.
"""

import shutil

import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.config import Config
from skillcast.mlops.registry import CHALLENGER, TAG_KIND, TAG_SYNTHETIC, Registry, RegistryError
from tests.helpers import lock_held_elsewhere

runner = CliRunner()


@pytest.fixture(scope="module")
def migrated_store(tmp_path_factory):
    """An empty MLflow SQLite store, migrated once (migrating takes ~2 s; copying, nothing)."""
    home = tmp_path_factory.mktemp("template")
    Registry(Config(home=home).resolved_tracking_uri()).versions()
    return home / "mlflow.db"


@pytest.fixture
def home(tmp_path, migrated_store):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(migrated_store, home / "mlflow.db")
    return home


@pytest.fixture
def registry(home):
    return Registry(Config(home=home).resolved_tracking_uri(), "skillcast")


def add_versions(registry: Registry, count: int, synthetic: bool = False) -> list[str]:
    if not registry.versions():
        registry.client.create_registered_model(registry.name)
    made = []
    for _ in range(count):
        version = str(registry.client.create_model_version(registry.name, source="file:///nowhere", run_id=None).version)
        registry.tag(version, {TAG_KIND: "test", TAG_SYNTHETIC: str(synthetic).lower()})
        made.append(version)
    return made


def cli(home, *arguments):
    return runner.invoke(app, list(arguments), env={"SKILLCAST_HOME": str(home), "MLFLOW_TRACKING_URI": None})


def test_promote_moves_the_champion_and_records_the_order(registry):
    add_versions(registry, 2)
    registry.set_challenger("2")
    assert registry.promote("1") is None
    assert registry.promote("2") == "1"
    assert registry.champion() == "2" and registry.history() == ["1", "2"]
    assert CHALLENGER not in registry.aliases(), "a promoted challenger is no longer the challenger"
    assert "skillcast.promoted_at" in registry.version("2").tags


def test_rollback_without_a_version_is_an_undo_back_through_the_champions(registry):
    add_versions(registry, 3)
    for version in ("1", "2", "3"):
        registry.promote(version)
    assert registry.rollback() == ("3", "2")
    assert registry.rollback() == ("2", "1")
    assert registry.champion() == "1"
    with pytest.raises(RegistryError, match="no earlier champion"):
        registry.rollback()
    assert registry.champion() == "1"


def test_rollback_to_a_named_version_can_itself_be_undone(registry):
    add_versions(registry, 3)
    registry.promote("2")
    registry.promote("3")
    assert registry.rollback("1") == ("3", "1")
    assert registry.rollback() == ("1", "3")


def test_refusals_leave_everything_as_it_was(registry):
    with pytest.raises(RegistryError, match="no champion yet"):
        registry.rollback()
    add_versions(registry, 1)
    add_versions(registry, 1, synthetic=True)
    assert registry.rollback("1") == (None, "1"), "naming a version makes a first champion by hand"
    before = registry.snapshot()
    with pytest.raises(RegistryError, match="no version '7'; versions: 1, 2"):
        registry.rollback("7")
    with pytest.raises(RegistryError, match="SYNTHETIC"):
        registry.rollback("2")
    with pytest.raises(RegistryError, match="already the champion"):
        registry.rollback("1")
    assert registry.snapshot() == before


def test_a_failed_champion_move_puts_everything_back(registry, monkeypatch):
    add_versions(registry, 2)
    registry.promote("1")
    registry.set_challenger("2")
    before = registry.snapshot()
    move = registry.client.set_registered_model_alias

    def refuse_champion(name, alias, version):
        if alias == "champion":
            raise ConnectionError("tracking server went away")
        return move(name, alias, version)

    monkeypatch.setattr(registry.client, "set_registered_model_alias", refuse_champion)
    with pytest.raises(ConnectionError):
        registry.promote("2")
    with pytest.raises(ConnectionError):
        registry.rollback("2")
    assert registry.snapshot() == before, "history, challenger alias and tags as they were"


def test_discard_removes_a_version_and_restores_the_challenger(registry):
    add_versions(registry, 2)
    registry.set_challenger("1")
    registry.set_challenger("2")
    registry.discard("2", challenger_before="1")
    assert [item.version for item in registry.versions()] == ["1"]
    assert registry.alias(CHALLENGER) == "1"


def test_models_list_and_rollback_commands(home, registry):
    add_versions(registry, 3)
    add_versions(registry, 1, synthetic=True)
    registry.promote("1")
    registry.promote("3")
    listed = cli(home, "models", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert any(line.split()[:2] == ["3", "champion"] for line in lines)
    assert "SYNTHETIC" in next(line for line in lines if line.split()[:2] == ["4", "-"])
    assert "champion: 3  (champions so far: 1 -> 3)" in listed.output

    moved = cli(home, "models", "rollback")
    assert moved.exit_code == 0, moved.output
    assert "version 3 -> version 1" in moved.output and registry.champion() == "1"

    named = cli(home, "models", "rollback", "2")
    assert named.exit_code == 0 and registry.champion() == "2"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["models", "rollback", "9"], "no version '9'"),
        (["models", "rollback", "4"], "SYNTHETIC"),
        (["models", "rollback"], "no earlier champion"),
    ],
)
def test_bad_rollbacks_are_one_line_exit_2_and_change_nothing(home, registry, arguments, message):
    add_versions(registry, 3)
    add_versions(registry, 1, synthetic=True)
    registry.promote("1")
    before = registry.snapshot()
    result = cli(home, *arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert registry.snapshot() == before


def test_models_list_on_an_empty_store(home):
    result = cli(home, "models", "list")
    assert result.exit_code == 0 and "no versions of 'skillcast'" in result.output


def test_rollback_is_refused_while_a_retrain_holds_the_lock(home, registry):
    add_versions(registry, 2)
    registry.promote("1")
    registry.promote("2")
    with lock_held_elsewhere(home / "retrain.lock"):
        result = cli(home, "models", "rollback")
        assert result.exit_code == 3, result.output
        assert "another retrain is running (pid" in result.output
        assert registry.champion() == "2"
    assert cli(home, "models", "rollback").exit_code == 0, "the lock goes with its holder"
    assert registry.champion() == "1"
