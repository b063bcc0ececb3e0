"""Scenarios as answers (#25): POST /gaps, /priorities and /labour-reserve with a typed scenario, on the demo bundle."""

import pytest
from starlette.testclient import TestClient

from tests.helpers import service_app

KEY = "test-key-for-scenarios"
GRADUATES = {"name": "keep graduates", "retention": [{"level": "level4plus", "people_per_year": 20000, "from_year": 2026}]}


@pytest.fixture(scope="module")
def client(bundle_dir, tmp_path_factory):
    settings = {
        "SKILLCAST_BUNDLE": str(bundle_dir),
        "SKILLCAST_API_KEYS": KEY,
        "SKILLCAST_API_KEYS_FILE": str(tmp_path_factory.mktemp("k") / "none.json"),
        "SKILLCAST_API_TIMEOUT": "120",
    }
    with service_app(settings) as app, TestClient(app=app, headers={"Authorization": f"Bearer {KEY}"}) as test_client:
        yield test_client


def test_a_scenario_moves_the_gap_it_should_and_carries_ranges(client):
    response = client.post("/gaps", json={"area": "DM_R1_01", "scenario": GRADUATES})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scenario"]["name"] == "keep graduates" and body["scenario"]["retention"][0]["people_per_year"] == 20000
    assert "SYNTHETIC" in body["scenario_inputs"] and "common random numbers" in body["effect_method"]
    effects = {(row["band"], row["year"]): row for row in body["effects"]}
    later = effects["high", 2030]
    assert later["effect"] < -50_000, "20,000 more graduates a year from 2026 narrow the high-band gap"
    assert later["effect_lo_80"] <= later["effect"] <= later["effect_hi_80"]
    assert abs(effects["high", 2025]["effect"]) < 1e-6, "nothing moves before the scenario starts"
    assert abs(effects["low", 2030]["effect"]) < abs(later["effect"]) / 10
    scenario = {(row["band"], row["year"]): row for row in body["rows"]}
    baseline = {(row["band"], row["year"]): row for row in body["baseline_rows"]}
    assert scenario["high", 2030]["gap"] == pytest.approx(baseline["high", 2030]["gap"] + later["effect"])
    assert scenario["high", 2030]["gap_lo_80"] < scenario["high", 2030]["gap"] < scenario["high", 2030]["gap_hi_80"]
    served = client.post("/gaps", json={"area": "DM_R1_01", "band": "high", "years": [2030]}).json()["rows"][0]
    assert baseline["high", 2030]["gap"] == pytest.approx(served["gap"], rel=0.05), "its baseline is the served figure"


def test_a_demand_scenario_reorders_priorities_and_echoes_itself(client):
    scenario = {"name": "care grows", "demand": [{"occupation": "6", "growth_pct_per_year": 5}]}
    body = client.post("/priorities", json={"area": "DM_R1_01", "scenario": scenario})
    assert body.status_code == 200, body.text
    answer = body.json()
    assert answer["scenario"]["demand"][0]["occupation"] == "6"
    grown = {row["occupation"]: row for row in answer["rows"]}["6"]
    before = {row["occupation"]: row for row in answer["baseline_rows"]}["6"]
    assert grown["openings"] > before["openings"] and grown["rank"] <= before["rank"]


def test_the_activity_lever_answers_on_the_labour_reserve(client):
    scenario = {"name": "to England's rates", "activity": {"to_england": True}}
    body = client.post("/labour-reserve", json={"area": "DM_R1_01", "scenario": scenario}).json()
    rows = {(row["measure"], row["level"]): row for row in body["rows"]}
    assert rows["at_scenario_rates", "all"]["value"] == pytest.approx(rows["at_england_rates", "all"]["value"])
    lower = {"name": "inactivity 15%", "activity": {"inactivity_rate": 0.15}}
    more = client.post("/labour-reserve", json={"area": "DM_R1_01", "scenario": lower}).json()
    value = {(row["measure"], row["level"]): row for row in more["rows"]}["at_scenario_rates", "all"]
    assert value["value"] > rows["at_scenario_rates", "all"]["value"] and value["lo_80"] < value["value"] < value["hi_80"]
    assert more["scenario"]["activity"]["inactivity_rate"] == 0.15 and len(more["scenario_fill"]) == 3


@pytest.mark.parametrize(
    ("path", "scenario", "field"),
    [
        ("/gaps", {"name": "x", "retention": [{"level": "level4plus", "peple_per_year": 5}]}, "peple_per_year"),
        ("/labour-reserve", {"name": "x", "activity": {"inactivity_rate": 1.5}}, "inactivity_rate"),
        ("/gaps", {"name": "x", "demand": [{"occupation": "99", "growth_pct_per_year": 1}]}, "scenario.demand[0].occupation"),
        ("/gaps", {"name": "baseline", "retention": [{"level": "level3", "people_per_year": 5}]}, "scenario.name"),
        ("/gaps", {"name": "empty"}, "scenario"),
        ("/labour-reserve", GRADUATES, "scenario.activity"),
    ],
)
def test_bad_scenario_input_is_a_400_naming_the_field(client, path, scenario, field):
    response = client.post(path, json={"area": "DM_R1_01", "scenario": scenario})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert field in (error["field"] or "") + " " + error["message"], error
