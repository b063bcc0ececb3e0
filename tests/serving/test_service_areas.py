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
