"""Geography, the SI2035 reader, the processed store and `skillcast ingest` on real data."""

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.data.schema import DataError
from skillcast.data.sources import si2035
from skillcast.data.store import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def si2035_result(data_dir, geography):
    return si2035.read([data_dir / name for name in si2035.FILES], geography)


def test_geography_knows_every_area_type(geography):
    counts = geography.areas["type"].value_counts()
    assert counts["lsip"] == 38 and counts["mca"] == 15 and counts["lep"] == 38 and counts["region"] == 9
    assert "E07000223" in geography.members("E69000001")  # Adur in Brighton/East Sussex/West Sussex LSIP
    assert geography.parent("E07000223") == "E12000008" and geography.parent("E12000008") == "E92000001"


def test_names_match_codes_across_boundary_changes(geography):
    match = geography.match_names(["Newcastle", "Newcastle upon Tyne", "Stockton", "Allerdale", "Barnsley", "Glasgow City", "Na h"], "lad")
    assert match.codes["Newcastle"] == "E07000195"  # Newcastle-under-Lyme: the other Newcastle is given in full
    assert match.codes["Stockton"] == "E06000004" and match.codes["Allerdale"] == "E07000026"
    assert match.codes["Barnsley"] == "E08000016"  # the 2011-2023 code, not its 2024 successor
    assert geography.current("E07000026") == "E06000063"  # Allerdale is now Cumberland
    assert match.unmatched == ["Glasgow City", "Na h"]  # Scotland is not in the England and Wales lookups


def test_counties_never_become_the_district_whose_name_starts_like_theirs(geography):
    match = geography.match_names(["Surrey", "Derbyshire", "Staffordshire", "Suffolk", "Barrow", "Southend"], "lad")
    assert sorted(match.unmatched) == ["Derbyshire", "Staffordshire", "Suffolk", "Surrey"]
    assert [geography.name(match.codes[name]) for name in ("Barrow", "Southend")] == ["Barrow-in-Furness", "Southend-on-Sea"]


def test_renamed_areas_with_the_same_boundary_match(geography):
    match = geography.match_names(["Norfolk and Suffolk ", "Enterprise M3 LEP (including all of Surrey)"], "lsip")
    assert [geography.name(code) for code in match.codes.values()] == ["Enterprise M3", "New Anglia"]


def test_aggregation_uses_each_lookups_own_year(geography):
    mca_districts = set(geography.memberships.query("type == 'mca'")["area"])
    assert geography.as_of("E08000016", mca_districts) == "E08000038"  # Barnsley in the 2025 CA lookup


def test_si2035_requirement_matches_the_published_england_figures(si2035_result):
    panel = si2035_result.panel
    england = panel.loc[(panel["area"] == "EN") & (panel["period"] == 2035)]
    total = england.loc[england["classification"] == "all"].set_index("measure")["value"]
    assert total["net_change"] == pytest.approx(2.21e6, rel=0.005)
    assert total["replacement_demand"] == pytest.approx(14.99e6, rel=0.001)
    assert total["total_requirement"] == pytest.approx(17.20e6, rel=0.001)
    by_level = england.loc[(england["classification"] == "rqf") & (england["measure"] == "total_requirement")].set_index("code")["value"]
    assert by_level["rqf7"] == pytest.approx(5.74e6, rel=0.002) and by_level["rqf1"] == pytest.approx(-0.32e6, rel=0.01)
    assert england["projection"].all()


def test_si2035_areas_are_named_and_linked_to_ons_codes(si2035_result, geography):
    codes = si2035_result.tables["si2035_area_codes"].set_index("area_id")["ons_code"]
    assert geography.name(codes["GM_LSIP"]) == "Greater Manchester"
    assert codes["EN"] == "E92000001"
    assert any("North of Tyne" in name for name in si2035_result.unmatched_areas)  # abolished 2024: reported, not guessed


def test_store_keeps_every_earlier_state(tmp_path, si2035_result, geography):
    store = Store(tmp_path / "store")
    first = store.write([si2035_result], geography)
    second = store.write([si2035_result], geography)
    assert store.history() == [first["created"]]
    assert second["previous"] == first["created"]
    kept = json.loads((tmp_path / "store" / "history" / first["created"] / "manifest.json").read_text())
    assert kept["created"] == first["created"]
    assert len(store.panel()) == len(si2035_result.panel) == second["rows"]
    info = second["sources"]["si2035"]
    assert len(info["files"]) == 3 and all(len(file["sha256"]) == 64 for file in info["files"])


def test_a_store_takes_the_state_of_another_keeping_its_own_in_history(tmp_path, si2035_result, geography):
    kept, scratch = Store(tmp_path / "kept"), Store(tmp_path / "scratch")
    old = kept.write([si2035_result], geography)
    new = scratch.write([si2035_result], geography)
    scratch_files = {path.relative_to(scratch.directory): path.read_bytes() for path in scratch.directory.rglob("*") if path.is_file()}
    taken = kept.take_state_of(scratch)
    assert taken["created"] == new["created"] != old["created"] and taken["previous"] == old["created"]
    assert kept.history() == [old["created"]] and kept.manifest() == taken
    assert (kept.directory / "panel.parquet").read_bytes() == scratch_files[Path("panel.parquet")]
    assert kept.geography().areas.equals(scratch.geography().areas)
    after = {path.relative_to(scratch.directory): path.read_bytes() for path in scratch.directory.rglob("*") if path.is_file()}
    assert after == scratch_files, "the scratch store is only read"


def test_bad_input_leaves_the_store_exactly_as_it_was(tmp_path, data_dir, si2035_result, geography):
    out = tmp_path / "store"
    Store(out).write([si2035_result], geography)
    before = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    broken = tmp_path / "si2035_employment_2010_2035_wide.csv"
    broken.write_text((data_dir / si2035.FILES[0]).read_text().replace("73.865", "seventy", 1))
    result = runner.invoke(app, ["ingest", "si2035", str(broken), "--out", str(out), "--lookups", str(data_dir / "lookups")])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "line 2, column '2010', value 'seventy'" in errors[0] and "Traceback" not in result.output
    after = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert after == before


def test_a_store_inside_the_input_folder_is_refused(tmp_path, data_dir):
    result = runner.invoke(app, ["ingest", "all", str(tmp_path), "--out", str(tmp_path / "inside")])
    assert result.exit_code == 2 and "may not be inside the input" in result.output


def test_store_without_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no skillcast data store here"):
        Store(tmp_path).panel()


def test_reader_rejects_a_file_it_does_not_know(tmp_path, geography):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not a Skills Imperative 2035 file"):
        si2035.read([other], geography)


def test_panel_round_trips_through_parquet_with_contract_dtypes(tmp_path, si2035_result, geography):
    Store(tmp_path).write([si2035_result], geography)
    panel = Store(tmp_path).panel()
    assert panel["period"].dtype == "int64" and panel["projection"].dtype == bool
    pd.testing.assert_frame_equal(panel.reset_index(drop=True), si2035_result.panel.reset_index(drop=True), check_dtype=False)


def test_districts_add_up_to_an_lsip_through_boundary_changes(geography):
    from skillcast.data.aggregate import aggregate_districts

    cumbria = next(code for code in geography.codes("lsip") if geography.name(code) == "Cumbria")
    members = geography.members(cumbria)  # 2023 districts: Cumberland, Westmorland and Furness
    old_codes = [code for code, new in geography.successor.items() if new in members and code.startswith("E07")]
    assert len(old_codes) >= 6  # the six pre-2023 Cumbrian districts
    panel = pd.DataFrame(
        {
            "area": old_codes,
            "measure": "population",
            "classification": "all",
            "code": "all",
            "period": 2017,
            "value": [float(index + 1) for index in range(len(old_codes))],
        }
    )
    result = aggregate_districts(panel, geography, "lsip")
    row = result.panel.loc[result.panel["area"] == cumbria].iloc[0]
    assert row["value"] == sum(range(1, len(old_codes) + 1))
    partial = aggregate_districts(panel.iloc[1:], geography, "lsip")
    assert cumbria not in set(partial.panel["area"]) and partial.incomplete == 1


def test_two_step_boundary_changes_are_covered(geography):
    from skillcast.data.aggregate import aggregate_districts

    # Somerset 2023 replaced Mendip, Sedgemoor, South Somerset and Somerset West and Taunton,
    # which itself (2019) replaced Taunton Deane and West Somerset.
    regions = geography.memberships.loc[geography.memberships["type"] == "region"]
    members = set(regions.loc[regions["member_of"] == "E12000009", "area"])  # the South West
    published_2020 = sorted((members - {"E06000066"}) | {"E07000187", "E07000188", "E07000189", "E07000246"})
    panel = pd.DataFrame(
        {"area": published_2020, "measure": "population", "classification": "all", "code": "all", "period": 2020, "value": 1.0}
    )
    result = aggregate_districts(panel, geography, "region")
    assert result.panel["value"].tolist() == [float(len(published_2020))] and result.incomplete == 0
