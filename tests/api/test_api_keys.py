"""API keys: issued once, stored hashed, revocable, checked against every stored digest."""

import json

import pytest
from typer.testing import CliRunner

from skillcast.api.keys import KeyFileError, KeyRing, KeySource, StoredKey, Verdict, create_key, digest, list_keys, revoke_key
from skillcast.cli.main import app


def test_a_created_key_is_accepted_by_name_and_only_its_digest_is_stored(tmp_path):
    path = tmp_path / "keys.json"
    key = create_key(path, "tool-a")
    assert key.startswith("sk_") and len(key) > 40
    stored = json.loads(path.read_text())["keys"]
    assert stored == [{"name": "tool-a", "sha256": digest(key), "created": stored[0]["created"], "revoked": None}]
    check = KeySource(path).ring().check(key)
    assert check.verdict is Verdict.ACCEPTED and check.name == "tool-a"
    assert KeySource(path).ring().check(key + "x").verdict is Verdict.UNKNOWN


def test_a_revoked_key_is_refused_as_revoked_not_unknown(tmp_path):
    path = tmp_path / "keys.json"
    key = create_key(path, "tool-a")
    source = KeySource(path)
    revoke_key(path, "tool-a")
    assert source.ring().check(key).verdict is Verdict.REVOKED  # the source re-reads the changed file
    assert list_keys(path)[0].revoked


def test_environment_keys_are_hashed_and_a_revocation_in_the_file_wins(tmp_path):
    path = tmp_path / "keys.json"
    source = KeySource(path, ("alpha", "beta"))
    assert source.ring().check("beta").name == "env-2"
    assert all(key.sha256 != "beta" for key in source.ring().keys)
    path.write_text(json.dumps({"keys": [StoredKey(name="leaked", sha256=digest("beta"), revoked="2026-11-23T00:00:00+00:00").__dict__]}))
    assert source.ring().check("beta").verdict is Verdict.REVOKED


def test_a_broken_or_unreadable_key_file_refuses_every_key(tmp_path):
    """Fails closed: the last good ring may hold a key revoked since (finding 10 of issue #17)."""
    path = tmp_path / "keys.json"
    key = create_key(path, "tool-a")
    source = KeySource(path)
    assert source.ring().check(key).verdict is Verdict.ACCEPTED
    good = path.read_text()
    path.write_text("{not json")
    with pytest.raises(KeyFileError, match="not a skillcast key file"):
        source.ring()
    with pytest.raises(ValueError, match="not a skillcast key file"):
        list_keys(path)
    path.unlink()
    path.mkdir()  # not readable as a file at all
    with pytest.raises(KeyFileError, match="cannot be read"):
        source.ring()
    path.rmdir()
    path.write_text(good)
    assert source.ring().check(key).verdict is Verdict.ACCEPTED


def test_a_service_started_with_a_broken_key_file_refuses_rather_than_failing_to_start(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text("[]")
    source = KeySource(path, ("env-key",))
    with pytest.raises(KeyFileError):
        source.ring()


def test_every_stored_digest_is_compared(monkeypatch):
    """No early exit: the time of a check does not depend on where (or whether) it matches."""
    import skillcast.api.keys as module

    compared = []
    real = module.hmac.compare_digest
    monkeypatch.setattr(module.hmac, "compare_digest", lambda a, b: compared.append(a) or real(a, b))
    ring = KeyRing([StoredKey(name=f"k{i}", sha256=digest(f"key{i}")) for i in range(5)])
    assert ring.check("key0").verdict is Verdict.ACCEPTED
    assert len(compared) == 5


@pytest.mark.parametrize("name", ["", "has space", "../escape", "x" * 65])
def test_bad_key_names_are_refused(tmp_path, name):
    with pytest.raises(ValueError, match="key name"):
        create_key(tmp_path / "keys.json", name)


def test_keys_cli_creates_lists_and_revokes(tmp_path):
    runner = CliRunner()
    path = tmp_path / "keys.json"
    created = runner.invoke(app, ["keys", "create", "board-paper", "--file", str(path)])
    assert created.exit_code == 0, created.output
    key = created.output.strip().splitlines()[-1]
    assert KeySource(path).ring().check(key).name == "board-paper"
    listed = runner.invoke(app, ["keys", "list", "--file", str(path)])
    assert "board-paper" in listed.output and key not in listed.output
    assert runner.invoke(app, ["keys", "create", "board-paper", "--file", str(path)]).exit_code == 2  # name taken
    assert runner.invoke(app, ["keys", "revoke", "nobody", "--file", str(path)]).exit_code == 2
    assert runner.invoke(app, ["keys", "revoke", "board-paper", "--file", str(path)]).exit_code == 0
    assert KeySource(path).ring().check(key).verdict is Verdict.REVOKED
