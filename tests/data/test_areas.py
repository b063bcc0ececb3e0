"""Every council's area (#15): districts, counties, regions, LEPs, LSIPs, combined authorities
and England, built from the 296 districts of 2023, adding up."""

import pandas as pd
import pytest

from skillcast.data.aggregate import sum_districts, to_districts
from skillcast.data.geography import Geography
from skillcast.data.sources import aps_qualifications
from skillcast.data.sources.lookups import ENGLAND


def _links(geography, kind):
    links = geography.district_membership
    return links.loc[links["type"] == kind]


# -- areas ------------------------------------------------------------------------------------


def test_every_area_type_is_built_from_the_296_districts(geography):
    assert len(geography.districts()) == 296
    expected = {"region": 9, "lsip": 38, "mca": 15, "lep": 38, "county": 21, "country": 1}
    for kind, count in expected.items():
        assert _links(geography, kind)["area"].nunique() == count, kind
    assert set(_links(geography, "country")["district"]) == set(geography.districts())


@pytest.mark.parametrize("kind", ["region", "lsip", "country"])
def test_regions_lsips_and_england_are_partitions_of_the_districts(geography, kind):
    links = _links(geography, kind)
    assert sorted(links["district"]) == geography.districts()  # each district exactly once


def test_counties_hold_each_two_tier_district_once(geography):
    links = _links(geography, "county")
    assert len(links) == 164 and not links["district"].duplicated().any()
    assert links["district"].str.startswith("E07").all()
    two_tier = [code for code in geography.districts() if code.startswith("E07")]
    assert sorted(links["district"]) == sorted(two_tier)  # every lower-tier district has its county
    surrey = next(code for code in geography.codes("county") if geography.name(code) == "Surrey")
    assert len(geography.districts_of(surrey)) == 11
    # upper tier: the 21 counties and every unitary, metropolitan and London district
    upper = [code for code in (*geography.codes("county"), *geography.districts()) if geography.is_upper_tier(code)]
    assert len(upper) == 21 + 296 - 164


def test_counties_replaced_by_unitaries_are_former_counties(geography):
    former = {geography.name(code): code for code in geography.codes("former_county")}
    assert sorted(former) == ["Buckinghamshire", "Cumbria", "Dorset", "North Yorkshire", "Northamptonshire", "Somerset"]
    assert sorted(geography.name(code) for code in geography.districts_of(former["Cumbria"])) == ["Cumberland", "Westmorland and Furness"]


def test_leps_are_the_2021_leps_with_seven_districts_in_two(geography):
    links = _links(geography, "lep")
    assert links["district"].nunique() == 296 and len(links) == 303
    primary = links.loc[links["primary"]]
    assert sorted(primary["district"]) == geography.districts()  # the primary links are a partition of England
    twice = links.loc[~links["primary"], "district"].map(geography.name)
    assert sorted(twice) == sorted(
        ["Cannock Chase", "East Staffordshire", "Lichfield", "Tamworth", "Bromsgrove", "Redditch", "Wyre Forest"]
    )
    name = {geography.name(code): code for code in geography.codes("lep")}
    leeds_city_region = sorted(geography.name(code) for code in geography.districts_of(name["Leeds City Region"]))
    assert leeds_city_region == ["Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"]  # 2021: York, Craven, Harrogate, Selby left
    assert "Rutland" in {geography.name(code) for code in geography.districts_of(name["Greater Lincolnshire"])}


def test_lep_sums_of_districts_match_the_published_lep_figures(data_dir, geography):
    """The APS publishes LEP rows on the 2021 LEPs: the sum of each LEP's districts is within 1.2%
    (suppressed district cells) in every year, for all 38 (with the 2020 lookup nine were off by up to 91%)."""
    result = aps_qualifications.read([data_dir / name for name in aps_qualifications.FILES], geography)
    people = result.panel.loc[(result.panel["classification"] == "nvq") & (result.panel["measure"] == "population")]
    people = people.fillna({"value": 0.0})  # suppressed district cells count as none, as in the published LEP rows
    districts = to_districts(people, geography).panel.groupby(["area", "period"], as_index=False)["value"].sum()
    ours = sum_districts(districts, _links(geography, "lep"), keys=["period"], values=["value"])
    published = people.loc[people["area"].isin(geography.codes("lep"))].groupby(["area", "period"])["value"].sum()
    ratio = published / ours.set_index(["area", "period"])["value"]
    assert ratio.index.get_level_values(0).nunique() == 38
    assert ratio.between(0.998, 1.012).all(), ratio.loc[~ratio.between(0.998, 1.012)]


def test_districts_add_up_to_every_area_and_england(geography):
    districts = geography.districts()
    frame = pd.DataFrame({"area": districts, "period": 2020, "value": [float(index % 7 + 1) for index in range(len(districts))]})
    sums = sum_districts(frame, geography.district_membership, keys=["period"], values=["value"]).set_index("area")["value"]
    total = frame["value"].sum()
    assert sums[ENGLAND] == total
    for kind in ("region", "lsip"):
        assert sums.loc[geography.codes(kind)].sum() == total
    links = geography.district_membership
    primary_leps = links.loc[(links["type"] == "lep") & links["primary"]]
    assert sum_districts(frame, primary_leps, ["period"], ["value"])["value"].sum() == total  # LEPs: only the primary links add up


def test_old_district_codes_add_up_to_the_2023_district(geography):
    allerdale, carlisle, copeland = "E07000026", "E07000028", "E07000029"
    panel = pd.DataFrame(
        {
            "area": [allerdale, carlisle, copeland, allerdale],
            "measure": "population",
            "classification": "all",
            "code": "all",
            "period": [2017, 2017, 2017, 2018],
            "value": [1.0, 2.0, 3.0, 4.0],
        }
    )
    result = to_districts(panel, geography)
    cumberland = result.panel.set_index(["area", "period"])["value"]
    assert cumberland[("E06000063", 2017)] == 6.0
    assert ("E06000063", 2018) not in cumberland.index and result.incomplete == 1  # a year with a district missing is left out


def test_memberships_written_before_weights_read_with_defaults():
    areas = pd.DataFrame({"area": ["A", "B"], "name": ["A", "B"], "type": ["lad", "lsip"], "parent": ["", ""]})
    links = pd.DataFrame({"area": ["A"], "member_of": ["B"], "type": ["lsip"]})
    geography = Geography.from_frame(areas, memberships=links)
    assert geography.memberships[["weight", "primary"]].iloc[0].tolist() == [1.0, True]
