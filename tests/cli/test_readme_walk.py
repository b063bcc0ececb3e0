"""The README's real-data walk (#25): `areas` with no store, the missing store named in one line,
key names refused in one line (or all made), and tables readable in an 80-column terminal."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from tests.cli.test_gaps_cli import one_line_error

runner = CliRunner(env={"COLUMNS": "80", "MLFLOW_TRACKING_URI": ""})


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """A fresh clone's state: no store, no registry, no bundle, no keys; nothing read from the real data folder."""
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    return {"SKILLCAST_HOME": str(home), "SKILLCAST_DATA_DIR": str(tmp_path / "no-data"), "SKILLCAST_BUNDLE": str(tmp_path / "no-bundle")}


def tmp_home(env: dict) -> Path:
    return Path(env["SKILLCAST_HOME"])


def readable(output: str) -> None:
    """Fits 80 columns and nothing was cut short with an ellipsis."""
    assert max(len(line) for line in output.splitlines()) <= 80, output
    assert "…" not in output, output


def whole_words(output: str, text: str) -> None:
    """Every word of ``text`` is on some line of ``output`` whole (a squeezed column cuts words into pieces)."""
    for word in text.split():
        assert re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", output), f"{word!r} not whole in:\n{output}"


# -- areas with no store --------------------------------------------------------------------------


@pytest.mark.realdata
def test_areas_needs_no_store_it_lists_the_data_folders_lookups(empty_home, data_dir):
    env = {**empty_home, "SKILLCAST_DATA_DIR": str(data_dir)}
    result = runner.invoke(app, ["areas", "leeds"], env=env)
    assert result.exit_code == 0, result.output
    assert "--area 'leeds' means E08000035" in result.output
    assert f"areas from the ONS lookups in {data_dir / 'lookups'}" in " ".join(result.output.split())
    readable(result.output)
    everything = runner.invoke(app, ["areas"], env=env)
    assert everything.exit_code == 0 and "418 areas" in everything.output, everything.output  # as from an ingested store
    assert list(tmp_home(empty_home).iterdir()) == [], "listing areas writes nothing"


def test_areas_with_no_store_and_no_lookups_lists_the_bundle_serve_would_serve(empty_home, bundle_dir):
    result = runner.invoke(app, ["areas", "ashvale"], env={**empty_home, "SKILLCAST_BUNDLE": str(bundle_dir)})
    assert result.exit_code == 0, result.output
    assert "DM_R1_01" in result.output and f"areas from the bundle {bundle_dir.resolve()}" in " ".join(result.output.split())
    readable(result.output)


def test_areas_take_the_champions_bundle_before_the_lookups(empty_home, bundle_dir, monkeypatch):
    import skillcast.cli.areas as areas_cli

    monkeypatch.setattr(areas_cli, "_champion_bundle", lambda config: (bundle_dir, "7"))
    result = runner.invoke(app, ["areas", "--type", "region"], env=empty_home)
    assert result.exit_code == 0, result.output
    assert "areas from the bundle of champion version 7" in " ".join(result.output.split()) and "DM_R1" in result.output


def test_areas_with_nothing_at_all_say_so_in_one_line(empty_home):
    one_line_error(runner.invoke(app, ["areas"], env=empty_home), "no areas to list: no store at")


def test_a_missing_default_store_names_the_ingest_that_makes_it(empty_home):
    for command in (["gaps", "--area", "leeds"], ["priorities", "--area", "leeds"], ["shortages", "--area", "leeds"], ["data", "list"]):
        result = runner.invoke(app, command, env=empty_home)
        one_line_error(result, f"`skillcast ingest all {empty_home['SKILLCAST_DATA_DIR']}`")
        assert "make retrain" in result.output and "--demo" in result.output


# -- key names ------------------------------------------------------------------------------------


def test_keys_several_names_make_one_key_each(empty_home):
    result = runner.invoke(app, ["keys", "create", "planning-gm", "planning-wy"], env=empty_home)
    assert result.exit_code == 0, result.output
    keys = [line for line in result.output.splitlines() if line.startswith("sk_")]
    assert len(keys) == 2 and len(set(keys)) == 2
    stored = json.loads((tmp_home(empty_home) / "api_keys.json").read_text())["keys"]
    assert [key["name"] for key in stored] == ["planning-gm", "planning-wy"]
    assert result.output.strip().splitlines()[-1] == keys[-1], "the last line is a key, for `| tail -1`"


@pytest.mark.parametrize(
    "names, message",
    [
        (["my-laptop"], "key name 'my-laptop' is already used"),
        (["fresh", "my-laptop"], "key name 'my-laptop' is already used"),
        (["twin", "twin"], "key name 'twin' is given twice"),
        (["fine", "not fine"], "key name 'not fine': expected letters"),
    ],
)
def test_a_taken_repeated_or_bad_key_name_is_one_line_and_makes_no_key(empty_home, names, message):
    first = runner.invoke(app, ["keys", "create", "my-laptop"], env=empty_home)
    assert first.exit_code == 0, first.output
    path = tmp_home(empty_home) / "api_keys.json"
    before = path.read_text()
    result = runner.invoke(app, ["keys", "create", *names], env=empty_home)
    one_line_error(result, message)
    assert not any(line.startswith("sk_") for line in result.output.splitlines())
    assert path.read_text() == before, "nothing written"


def test_a_revoked_name_stays_taken_and_revoking_twice_says_so(empty_home):
    assert runner.invoke(app, ["keys", "create", "old-tool"], env=empty_home).exit_code == 0
    assert "revoked at" in runner.invoke(app, ["keys", "revoke", "old-tool"], env=empty_home).output
    again = runner.invoke(app, ["keys", "revoke", "old-tool"], env=empty_home)
    assert again.exit_code == 0 and "already revoked" in again.output and "nothing changed" in again.output
    one_line_error(runner.invoke(app, ["keys", "create", "old-tool"], env=empty_home), "(revoked at")
    listed = runner.invoke(app, ["keys", "list"], env=empty_home)
    assert listed.exit_code == 0 and listed.output.count("UTC") == 2, listed.output  # created and revoked, whole
    readable(listed.output)


# -- 80 columns -----------------------------------------------------------------------------------


def test_demo_priorities_with_budget_and_scenario_fit_80_columns_whole(empty_home, tmp_path):
    scenario = tmp_path / "more-level3.toml"
    scenario.write_text('name = "more level 3"\n[[completions]]\nlevel = "level3"\npeople_per_year = 5000\n')
    out = tmp_path / "priorities.csv"
    arguments = ["priorities", "--demo", "--area", "DM_R2_03", "--budget", "2500000", "--scenario", str(scenario), "--draws", "50"]
    result = runner.invoke(app, [*arguments, "--out", str(out)], env=empty_home)
    assert result.exit_code == 0, result.output
    readable(result.output)
    ranking = pd.read_csv(out, dtype={"occupation": str}).query("scenario == 'more level 3'").head(15)
    for title in ranking["title"]:
        whole_words(result.output, title)
    whole_words(result.output, "rank occupation allocation starts")
    assert "left out to fit 80 columns" in " ".join(result.output.split()) and "Why, rank by rank" in result.output
    assert ranking["explanation"].iloc[0].split()[0] in result.output  # the reasons, under the table


def test_demo_gaps_with_a_scenario_and_shortages_fit_80_columns_whole(empty_home, tmp_path):
    scenario = tmp_path / "more-level3.toml"
    scenario.write_text('name = "more level 3"\n[[completions]]\nlevel = "level3"\npeople_per_year = 5000\n')
    gaps = runner.invoke(app, ["gaps", "--demo", "--area", "DM_R1_01", "--scenario", str(scenario), "--draws", "50"], env=empty_home)
    assert gaps.exit_code == 0, gaps.output
    readable(gaps.output)
    whole_words(gaps.output, "DM_R1_01 intermediate observed")
    assert re.search(r"DM_R1_01\s+intermediate\s+2030\s", gaps.output), gaps.output
    out = tmp_path / "shortages.csv"
    shortages = runner.invoke(app, ["shortages", "--demo", "--area", "DM_R1_02", "--out", str(out)], env=empty_home)
    assert shortages.exit_code == 0, shortages.output
    readable(shortages.output)
    for row in pd.read_csv(out, dtype={"occupation": str}).itertuples():  # the demo's occupations have codes, no titles
        assert re.search(
            rf"^{row.occupation}\s+{row.rating}\s+{re.escape(f'{row.shortage_score:+.2f}')}\s*$", shortages.output, re.MULTILINE
        ), row
    assert "What moves each score" in shortages.output


@pytest.mark.realdata
def test_real_data_list_and_areas_fit_80_columns_whole(real_store, empty_home):
    listed = runner.invoke(app, ["data", "list", "--data", str(real_store.path)], env=empty_home)
    assert listed.exit_code == 0, listed.output
    readable(listed.output)
    manifest = json.loads((real_store.path / "manifest.json").read_text())
    for name, info in manifest["sources"].items():
        whole_words(listed.output, name)
        assert re.search(rf"^{re.escape(name)}\s+{len(info['files'])}\s+{info['rows']:,}\s", listed.output, re.MULTILINE), name
    whole_words(listed.output, manifest["sources"]["aps-soc2020"]["vintages"][0])
    regions = runner.invoke(app, ["areas", "--type", "region", "--data", str(real_store.path)], env=empty_home)
    assert regions.exit_code == 0, regions.output
    readable(regions.output)
    whole_words(regions.output, "E12000003 Yorkshire and The Humber")
    assert f"areas from the store {real_store.path}" in " ".join(regions.output.split())
    out = empty_home["SKILLCAST_HOME"] + "/leeds.csv"
    shortages = runner.invoke(app, ["shortages", "--data", str(real_store.path), "--area", "leeds", "--out", out], env=empty_home)
    assert shortages.exit_code == 0, shortages.output
    readable(shortages.output)
    for title in pd.read_csv(out)["title"]:  # whole, where they were cut at 40 characters and squeezed
        whole_words(shortages.output, title)
