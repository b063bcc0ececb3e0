"""`skillcast areas [QUERY]`: list areas, find one by name, explain ambiguity; one-line errors."""

import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.data.store import Store
from tests.cli.test_gaps_cli import one_line_error

runner = CliRunner()


@pytest.fixture(scope="module")
def geography_store(geography, tmp_path_factory):
    """A store holding only the real geography (no sources): all `areas` reads."""
    out = tmp_path_factory.mktemp("areas-store") / "data"
    Store(out).write([], geography)
    return out


def test_a_district_is_found_by_name_with_its_type_and_parents(geography_store):
    result = runner.invoke(app, ["areas", "leeds", "--data", str(geography_store)], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "E08000035" in result.output
    assert (
        "--area 'leeds' means E08000035: Leeds (district, upper tier) - in West Yorkshire CA, West Yorkshire LSIP, "
        "Leeds City Region LEP, Yorkshire and The Humber" in " ".join(result.output.split())
    )


def test_an_ambiguous_name_lists_every_candidate(geography_store):
    result = runner.invoke(app, ["areas", "West Midlands", "--data", str(geography_store)], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "E47000007" in result.output and "E12000005" in result.output
    assert "is ambiguous" in result.output and "'West Midlands CA' or 'West Midlands region'" in " ".join(result.output.split())


def test_the_list_holds_every_english_area_and_can_be_cut_by_type(geography_store):
    everything = runner.invoke(app, ["areas", "--data", str(geography_store)], terminal_width=250)
    assert everything.exit_code == 0 and "418 areas" in everything.output  # 296 + 21 + 15 + 38 + 38 + 9 + England
    counties = runner.invoke(app, ["areas", "--type", "county", "--data", str(geography_store)], terminal_width=250)
    assert "21 areas of type county" in counties.output and "Surrey" in counties.output and "Leeds" not in counties.output


def test_demo_areas_and_bad_input(tmp_path):
    result = runner.invoke(app, ["areas", "--demo", "ashvale"], terminal_width=250)
    assert result.exit_code == 0 and "DM_R1_01" in result.output
    one_line_error(runner.invoke(app, ["areas", "--demo", "Ashvale Town"]), "did you mean: DM_R1_01 = Ashvale")
    one_line_error(runner.invoke(app, ["areas", "--demo", "--type", "galaxy"]), "--type: 'galaxy' is not an area type")
    one_line_error(runner.invoke(app, ["areas", "--demo", "--data", str(tmp_path)]), "choose one source of areas")


def test_gaps_take_a_name(tmp_path):
    out = tmp_path / "gaps.csv"
    result = runner.invoke(app, ["gaps", "--demo", "--area", "ashvale", "--year", "2030", "--draws", "50", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "DM_R1_01" in out.read_text()
