"""The service on real data (#15): every council's area answers by name, with its basis and warnings."""

import pytest
from starlette.testclient import TestClient

from tests.helpers import service_app

KEY = "test-key-for-real-areas"


@pytest.fixture(scope="module")
def client(real_bundle_dir, tmp_path_factory):
    settings = {
        "SKILLCAST_BUNDLE": str(real_bundle_dir),
        "SKILLCAST_API_KEYS": KEY,
        "SKILLCAST_API_KEYS_FILE": str(tmp_path_factory.mktemp("k") / "none.json"),
    }
    with service_app(settings) as app, TestClient(app=app, headers={"Authorization": f"Bearer {KEY}"}) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("area", "code"),
    [
        ("Leeds", "E08000035"),
        ("greater manchester", "E47000001"),
        ("E07000148", "E07000148"),
        ("North Yorkshire", "E06000065"),
        ("South West", "E12000009"),
        ("Leeds City Region", "E37000050"),
        ("Devon and Torbay", "E47000015"),
        ("GM_LSIP", "E69000014"),
    ],
)
def test_an_area_answers_by_name_with_demand_supply_gap_intervals_and_basis(client, area, code):
    response = client.post("/gaps", json={"area": area, "years": [2030]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["area"] == code and body["gap_basis"] == "workplace" and body["flagged"] is False
    high = next(row for row in body["rows"] if row["band"] == "high")
    assert high["demand"] > 0 and high["supply"] > 0 and high["gap_lo_80"] < high["gap"] < high["gap_hi_80"]
    assert high["gap_basis"] == "workplace" and high["imbalance"] is not None


def test_every_combined_authority_answers(client):
    listed = client.get("/areas", params={"type": "mca"}).json()["areas"]
    assert len(listed) == 15 and all(row["gaps"] for row in listed)
    for row in listed:
        assert client.post("/gaps", json={"area": row["code"], "band": "high", "years": [2030]}).status_code == 200


def test_misaligned_areas_carry_their_warning_and_are_in_no_ranking(client):
    # Enterprise M3 and Dorset fail the check as published and are repaired (#23): warned, not flagged, ranked
    body = client.post("/gaps", json={"area": "Enterprise M3 LSIP", "band": "high", "years": [2030]}).json()
    assert body["flagged"] is False and "repaired: jobs taken from" in body["warnings"][0]
    dorset = client.get("/areas", params={"q": "Dorset LSIP"}).json()["areas"][0]
    assert dorset["code"] == "E69000008" and not dorset["flagged"] and dorset["priorities"]
    refused = client.post("/priorities", json={"area": "E06000053"})  # the Isles of Scilly: no APS survey, still flagged
    assert refused.status_code == 400 and "failed the alignment check" in refused.text
    assert client.post("/priorities", json={"area": "Leeds", "top": 3}).status_code == 200


def test_names_are_found_and_ambiguity_is_a_400_listing_candidates(client):
    found = client.get("/areas", params={"q": "leeds"}).json()
    assert found["resolved"] == "E08000035"
    assert found["areas"][0]["description"].startswith("Leeds (district, upper tier) - in West Yorkshire CA")
    ambiguous = client.post("/gaps", json={"area": "West Midlands"})
    assert ambiguous.status_code == 400 and "E47000007" in ambiguous.text and "E12000005" in ambiguous.text
    assert ambiguous.json()["error"]["code"] == "ambiguous_area" and ambiguous.json()["error"]["field"] == "area"
    assert client.get("/areas", params={"q": "Atlantis"}).status_code == 404
    short = client.post("/shortages", json={"area": "West Midlands"})
    assert short.status_code == 400 and "E47000007" in short.text


def test_shortages_of_a_district_by_name_with_drivers_and_its_basis(client):
    body = client.post("/shortages", json={"area": "Croydon"})
    assert body.status_code == 200, body.text
    answer = body.json()
    assert answer["area"] == "E09000008" and len(answer["rows"]) >= 20
    top = answer["rows"][0]
    assert top["rating"] in ("shortage", "recruitment difficulty") and "x England's" in top["drivers"]
    assert "its own LEA" in top["area_basis"]  # a London borough is its own local education authority
    assert client.post("/shortages", json={"area": "Atlantis"}).status_code == 404


@pytest.mark.parametrize(
    ("area", "code"),
    [("Cornwall", "E06000052"), ("Leeds", "E08000035"), ("Greater Manchester", "E47000001"), ("Kingston upon Hull", "E06000010")],
)
def test_the_labour_reserve_of_a_council_against_england_and_its_gaps(client, area, code):
    response = client.post("/labour-reserve", json={"area": area})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["area"] == code and body["year"] == 2025
    rows = {(row["measure"], row["level"]): row for row in body["rows"]}
    reserve, unemployed, inactive = rows["reserve", "all"], rows["unemployed", "all"], rows["inactive_wanting_job", "all"]
    assert reserve["period"] == "2024-04/2025-03" and reserve["source"] == "aps-soc2020"
    assert reserve["value"] == pytest.approx(unemployed["value"] + inactive["value"])
    assert reserve["lo_80"] < reserve["value"] < reserve["hi_80"]
    rate = rows["inactivity_rate", "all"]
    assert 0.1 < rate["value"] < 0.4 and rate["england"] == pytest.approx(0.2169, abs=0.002)
    by_level = sum(row["value"] for (measure, _), row in rows.items() if measure == "reserve_by_level")
    assert by_level == pytest.approx(reserve["value"])
    assert 0 < rows["young_reserve", "all"]["value"] < reserve["value"]
    assert rows["inactivity_trend", "all"]["period"] == "Jan-Dec 2018-2022"
    assert {row["band"] for row in body["fill"]} >= {"low", "intermediate", "high"}
    for row in body["fill"]:
        assert 0 <= row["filled"] <= max(row["gap"], 0) + 1e-6 and row["filled"] <= row["at_england_rates"] + 1e-6
    assert 0.2 < body["assumptions"]["wants_job_share"] < 0.25 and body["assumptions"]["relative_out_of_work"]["none"] == 2.0


@pytest.mark.parametrize(
    ("area", "code"),
    [("Cornwall", "E06000052"), ("Leeds", "E08000035"), ("Greater Manchester", "E47000001"), ("Kingston upon Hull", "E06000010")],
)
def test_five_million_pounds_become_starts_by_route_at_real_funding_bands(client, area, code):
    response = client.post("/priorities", json={"area": area, "budget": 5_000_000})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (
        body["area"] == code and body["funding"]["products"] > 600 and body["funding"]["route_shares"] == {"foundation": 0.1, "unit": 0.05}
    )
    rows, purchases = body["rows"], body["purchases"]
    assert sum(row["allocation"] for row in rows) == pytest.approx(5_000_000)
    assert sum(row["allocation"] for row in purchases) == pytest.approx(5_000_000), "every pound is bought with"
    for row in purchases:
        assert row["starts"] == pytest.approx(row["allocation"] / row["cost_per_start"]) and 500 <= row["cost_per_start"] <= 27000
        assert row["basis"] and (row["products"] > 0) == ("stated" not in row["basis"])
    routes = {row["route"] for row in purchases}
    assert {"apprenticeship", "foundation"} <= routes, routes  # caring, construction or digital occupations: foundation apprenticeships
    for row in rows:
        assert row["starts"] == pytest.approx(row["starts_apprenticeship"] + row["starts_foundation"] + row["starts_unit"])
        own = [item for item in purchases if item["occupation"] == row["occupation"]]
        assert sum(item["starts"] for item in own) == pytest.approx(row["starts"])
    care = [item for item in purchases if item["occupation"] == "61" and item["route"] == "apprenticeship" and item["level"] == 2]
    assert care and "for this occupation" in care[0]["basis"], "care's level 2 starts are priced at its own standards' bands"
    doubled = client.post("/priorities", json={"area": area, "budget": 5_000_000, "routes": {"foundation": 0.2, "unit": 0.0}}).json()
    foundation = sum(item["allocation"] for item in doubled["purchases"] if item["route"] == "foundation")
    before = sum(item["allocation"] for item in purchases if item["route"] == "foundation")
    assert foundation == pytest.approx(2 * before) and not any(item["route"] == "unit" for item in doubled["purchases"])
    stated = client.post("/priorities", json={"area": area, "budget": 5_000_000, "costs": {"level2": 6000}}).json()["purchases"]
    assert all(item["cost_per_start"] == 6000 for item in stated if item["route"] == "apprenticeship" and item["level"] == 2)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"routes": {"foundation": 0.8, "unit": 0.4}}, "routes"),
        ({"routes": {"foundation": 1.5}}, "routes.foundation"),
        ({"routes": {"short": 0.1}}, "routes.short"),
        ({"costs": {"level2": -1}}, "costs.level2"),
    ],
)
def test_bad_route_shares_or_costs_are_a_400_naming_the_field(client, query, field):
    response = client.post("/priorities", json={"area": "Leeds", "budget": 5_000_000, **query})
    assert response.status_code == 400 and field in response.text, response.text
    assert client.post("/priorities", json={"area": "Leeds", "routes": {"foundation": 0.2}}).status_code == 400  # no budget


def test_the_labour_reserve_where_inactivity_is_above_englands(client):
    leeds = client.post("/labour-reserve", json={"area": "Leeds"}).json()
    cornwall = client.post("/labour-reserve", json={"area": "Cornwall", "history": True}).json()
    at_rates = {row["measure"]: row for row in leeds["rows"] if row["level"] == "all"}["at_england_rates"]
    assert 20_000 < at_rates["value"] < 60_000 and at_rates["lo_80"] < at_rates["value"] < at_rates["hi_80"]
    periods = {row["period"] for row in cornwall["rows"] if row["measure"] == "reserve"}
    assert {"Jan-Dec 2018", "Jan-Dec 2022", "2022-04/2023-03", "2024-04/2025-03"} <= periods
    cornwall_now = [row for row in cornwall["rows"] if row["measure"] == "at_england_rates" and row["year"] == 2025]
    assert cornwall_now and cornwall_now[0]["value"] == 0  # Cornwall's inactivity (about 20%) is below England's


def test_labour_reserve_refuses_bad_input_by_field(client):
    assert client.post("/labour-reserve", json={"area": "Atlantis"}).status_code == 404
    bad_year = client.post("/labour-reserve", json={"area": "Leeds", "year": 2099})
    assert bad_year.status_code == 400 and "year" in bad_year.text
    unknown = client.post("/labour-reserve", json={"area": "Leeds", "years": [2030]})
    assert unknown.status_code in (400, 422) and "years" in unknown.text


def test_compare_puts_a_district_beside_its_parents_and_statistical_neighbours(client):
    body = client.post("/compare", json={"area": "Leeds", "with_areas": ["Birmingham"]})
    assert body.status_code == 200, body.text
    answer = body.json()
    rows = answer["rows"]
    roles = [row["role"] for row in rows]
    assert rows[0]["area"] == "E08000035" and roles[0] == "this area"
    parents = {row["area"] for row in rows if row["role"] == "parent"}
    assert {"E47000003", "E69000037", "E92000001"} <= parents, "West Yorkshire CA, its LSIP and England"
    near = [row for row in rows if row["role"] == "statistical neighbour"]
    assert len(near) == 5 and all(row["type"] == "lad" for row in near)
    assert [row["distance"] for row in near] == sorted(row["distance"] for row in near)
    assert rows[-1]["name"] == "Birmingham" and rows[-1]["role"] == "picked"
    for row in rows:
        assert row["jobs"] > 0 and 0 < row["high_share_jobs"] < 1 and row["high_gap_per_1000"] is not None
    assert "standardised" in answer["neighbours_method"]
    assert client.post("/compare", json={"area": "Leeds", "with_areas": ["Atlantis"]}).status_code == 404
    assert client.post("/compare", json={"area": "Leeds", "year": 2099}).status_code == 400
