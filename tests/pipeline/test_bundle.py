import pandas as pd
import pytest

from skillcast.bundle import ForecastBundle, InvalidQuery, UnknownArea


def test_save_and_load_round_trip(demo_result, tmp_path):
    saved = demo_result.bundle.save(tmp_path / "bundle")
    loaded = ForecastBundle.load(saved)
    pd.testing.assert_frame_equal(loaded.gaps, demo_result.bundle.gaps)
    assert loaded.metadata["model"] == demo_result.bundle.metadata["model"]
    assert loaded.geography.name("DM_R1_01") == "Ashvale (synthetic)"


def test_a_failed_save_leaves_the_previous_bundle_in_place(demo_result, tmp_path, monkeypatch):
    target = demo_result.bundle.save(tmp_path / "bundle")
    before = {path.name: path.read_bytes() for path in target.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        demo_result.bundle.save(target)
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before


def test_unknown_area_suggests_areas_by_name_never_by_code(demo_result):
    with pytest.raises(UnknownArea) as raised:
        demo_result.bundle.gap_rows("Ashvale Town")
    assert any(line.startswith("DM_R1_01 = Ashvale") for line in raised.value.suggestions)
    with pytest.raises(UnknownArea) as raised:
        demo_result.bundle.gap_rows("DM_R1_1")  # looks like DM_R1_01's code: not a reason to suggest it
    assert raised.value.suggestions == []
    assert demo_result.bundle.area_code("ashvale", "gaps") == "DM_R1_01"  # a name answers like its code


@pytest.mark.parametrize("query, field", [({"band": "medium"}, "band"), ({"years": [2050]}, "years")])
def test_bad_gap_queries_name_the_field(demo_result, query, field):
    with pytest.raises(InvalidQuery) as raised:
        demo_result.bundle.gap_rows("DM_EN", **query)
    assert raised.value.field == field


def test_forecast_query_names_an_unknown_code(demo_result):
    with pytest.raises(InvalidQuery, match="code: 'rqf9' not available"):
        demo_result.bundle.forecast_rows("DM_EN", "employment", "rqf", "rqf9")


def test_load_of_a_folder_that_is_not_a_bundle_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a forecast bundle"):
        ForecastBundle.load(tmp_path)


def test_an_alias_answers_under_the_code_it_stands_for(demo_result):
    from dataclasses import replace

    bundle = replace(demo_result.bundle, metadata={**demo_result.bundle.metadata, "gaps": {"aliases": {"DEMO_NATION": "DM_EN"}}})
    assert bundle.area_code("DEMO_NATION", "gaps") == "DM_EN"
    assert bundle.gap_records("DEMO_NATION", "high") == bundle.gap_records("DM_EN", "high")
    assert bundle.area_code("demo_nation", "gaps") == "DM_EN" and bundle.area_code("dm_r1_01", "forecasts") == "DM_R1_01"  # any case
    with pytest.raises(UnknownArea):
        demo_result.bundle.gap_records("DEMO_NATION")  # without the alias it is unknown


def test_the_demo_bundle_carries_priorities_for_its_local_areas(demo_result, tmp_path):
    from skillcast.bundle import ForecastBundle

    loaded = ForecastBundle.load(demo_result.bundle.save(tmp_path / "bundle"))
    ranked = loaded.priority_rows("DM_R1_01")
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1)) and ranked["score"].is_monotonic_decreasing
    table = loaded.area_table()
    assert table.set_index("area").at["DM_R1_01", "priorities"] and set(table["type"]) >= {"nation", "region"}
    with pytest.raises(InvalidQuery, match="type"):
        loaded.area_table("galaxy")


def test_nowcast_labels_come_from_the_metadata_and_survive_a_round_trip(demo_result, tmp_path):
    import pandas as pd

    from skillcast.bundle import ForecastBundle, label_nowcast

    frame = pd.DataFrame({"period": [2020, 2021, 2026, 2027], "basis": ["observed", "forecast", "forecast", "forecast"]})
    assert list(label_nowcast(frame, 2026, "period")["basis"]) == ["observed", "nowcast", "nowcast", "forecast"]
    assert list(label_nowcast(frame, None, "period")["basis"]) == list(frame["basis"]), "no 'today', no relabelling"
    supply = pd.DataFrame({"year": [2021, 2022, 2030], "basis": ["observed", "projected", "projected"]})
    assert list(label_nowcast(supply, 2026, "year")["basis"]) == ["observed", "nowcast", "projected"]

    bundle = demo_result.bundle
    assert bundle.metadata["nowcast_until"] == 2026 and bundle.metadata["last_observed_year"] == 2024
    for table, year in ((bundle.forecasts, "period"), (bundle.gaps, "year")):
        assert set(table.loc[table["basis"] == "nowcast", year]) == {2025, 2026}
        assert set(table["basis"]) == {"observed", "nowcast", "forecast"}
    loaded = ForecastBundle.load(bundle.save(tmp_path / "bundle"))
    pd.testing.assert_frame_equal(loaded.forecasts, bundle.forecasts)
    unlabelled = ForecastBundle(forecasts=frame, gaps=bundle.gaps.iloc[:0], geography=bundle.geography, metadata={})
    assert list(unlabelled.forecasts["basis"]) == list(frame["basis"]), "a bundle without nowcast_until (made before) is left as it was"


def test_a_service_start_builds_no_areas_rows_and_a_request_builds_its_own_only(demo_result, tmp_path):
    """The indexes find each area's rows at start (warm) and build an area's on its first
    request; the answers are the table's own rows."""
    bundle = ForecastBundle.load(demo_result.bundle.save(tmp_path / "bundle")).warm()
    assert bundle._forecast_index.built == 0 and bundle._gap_index.built == 0 and bundle._priority_index.built == 0
    assert len(bundle._gap_index) == demo_result.bundle.gaps["area"].nunique()
    area = str(bundle.gaps["area"].iloc[-1])
    rows = bundle.gap_records(area, "high")
    assert bundle._gap_index.built == 1 and bundle._forecast_index.built == 0
    expected = bundle.gaps.loc[(bundle.gaps["area"] == area) & (bundle.gaps["band"] == "high")]
    assert [row["year"] for row in rows] == expected["year"].tolist()
    assert [row["gap"] for row in rows] == pytest.approx(expected["gap"].tolist())
    series = bundle.forecasts.iloc[0]
    records = bundle.forecast_records(series["area"], series["measure"], series["classification"], series["code"])
    same = bundle.forecasts.loc[
        (bundle.forecasts[["area", "measure", "classification", "code"]] == series[["area", "measure", "classification", "code"]]).all(
            axis=1
        )
    ].sort_values("period")
    assert [row["year"] for row in records] == same["period"].tolist() and bundle._forecast_index.built == 1
    assert [row["value"] for row in records] == pytest.approx(same["forecast"].tolist())
    table = bundle.classification_table()
    assert int(table["areas"].max()) == bundle.forecasts["area"].nunique() and bundle._forecast_index.built == 1
