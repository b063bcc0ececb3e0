import pandas as pd
import pytest

from skillcast.data.demo import SYNTHETIC_SOURCE, demo_panel


def national(panel: pd.DataFrame, measure: str, classification: str) -> pd.DataFrame:
    rows = panel.loc[(panel["area"] == "DM_EN") & (panel["measure"] == measure) & (panel["classification"] == classification)]
    return rows.pivot(index="period", columns="code", values="value")


def test_same_seed_same_panel_other_seed_other_panel(demo):
    panel, _ = demo
    pd.testing.assert_frame_equal(panel, demo_panel()[0])
    assert not panel["value"].equals(demo_panel(seed=7)[0]["value"])


def test_every_row_says_it_is_synthetic(demo):
    panel, geography = demo
    assert (panel["source"] == SYNTHETIC_SOURCE).all() and "SYNTHETIC" in SYNTHETIC_SOURCE
    assert all("synthetic" in name for name in geography.areas["name"])


def test_calibrated_to_published_national_facts(demo):
    panel, _ = demo
    jobs = national(panel, "employment", "all")["all"]
    assert jobs[2020] == pytest.approx(29.86e6, rel=0.005)
    rqf = national(panel, "employment", "rqf")
    high = rqf[["rqf4", "rqf5", "rqf6", "rqf7", "rqf8"]].sum(axis=1) / rqf.sum(axis=1)
    assert 0.45 <= high[2020] <= 0.50
    assert 0.7 <= (high[2024] - high[2010]) / 14 * 100 <= 1.3, "RQF4+ share should rise about a point a year"
    assert rqf["none"][2024] / rqf.sum(axis=1)[2024] < rqf["none"][2010] / rqf.sum(axis=1)[2010]
    nvq = national(panel, "population", "nvq")
    nvq4 = nvq["nvq4"] / nvq.sum(axis=1)
    assert nvq4[2017] == pytest.approx(0.386, abs=0.015) and nvq4[2021] == pytest.approx(0.437, abs=0.015)


def test_categories_add_to_totals_and_areas_to_parents(demo):
    panel, geography = demo
    totals = panel.loc[panel["classification"] == "all"].set_index(["area", "measure", "period"])["value"]
    for classification in ("soc2020_major", "rqf", "nvq", "age_band", "age_band|nvq"):
        parts = panel.loc[panel["classification"] == classification].groupby(["area", "measure", "period"])["value"].sum()
        assert (parts - totals.loc[parts.index]).abs().max() == 0, classification
    by_area = panel.set_index(["area", "measure", "classification", "code", "period"])["value"]
    for parent in ("DM_R1", "DM_R2", "DM_EN"):
        children = geography.children(parent)
        summed = panel.loc[panel["area"].isin(children)].groupby(["measure", "classification", "code", "period"])["value"].sum()
        assert (summed - by_area.loc[parent].loc[summed.index]).abs().max() == 0, parent


def test_a_dozen_areas_in_two_regions_under_one_nation(demo):
    _, geography = demo
    types = geography.areas["type"].value_counts()
    assert types["area"] == 12 and types["region"] == 2 and types["nation"] == 1
