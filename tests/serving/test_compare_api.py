"""POST /compare (#25) on the demo bundle: the area, its parents, neighbours of its own type and picked areas."""

import pytest
from starlette.testclient import TestClient

from tests.helpers import service_app

KEY = "test-key-for-compare"


@pytest.fixture(scope="module")
def client(bundle_dir, tmp_path_factory):
    settings = {
        "SKILLCAST_BUNDLE": str(bundle_dir),
        "SKILLCAST_API_KEYS": KEY,
        "SKILLCAST_API_KEYS_FILE": str(tmp_path_factory.mktemp("k") / "n.json"),
    }
    with service_app(settings) as app, TestClient(app=app, headers={"Authorization": f"Bearer {KEY}"}) as test_client:
        yield test_client


def test_compare_on_the_same_indicators_as_the_served_gaps(client):
    answer = client.post("/compare", json={"area": "DM_R1_01", "with_areas": ["DM_R2"]}).json()
    rows = {row["area"]: row for row in answer["rows"]}
    assert rows["DM_R1_01"]["role"] == "this area" and rows["DM_R1"]["role"] == rows["DM_EN"]["role"] == "parent"
    assert sum(row["role"] == "statistical neighbour" for row in rows.values()) == 5 and rows["DM_R2"]["role"] == "picked"
    gaps = client.post("/gaps", json={"area": "DM_R1_01", "years": [2030]}).json()["rows"]
    high = next(row for row in gaps if row["band"] == "high")
    jobs = sum(row["demand"] for row in gaps if row["band"] in ("low", "intermediate", "high"))
    assert rows["DM_R1_01"]["high_gap_per_1000"] == pytest.approx(high["gap"] / jobs * 1000)
    assert rows["DM_R1_01"]["inactivity_rate"] is not None and answer["year"] == 2030


def test_compare_refuses_an_unknown_field(client):
    response = client.post("/compare", json={"area": "DM_R1_01", "with": ["DM_R2"]})
    assert response.status_code == 400 and response.json()["error"]["field"] == "with"
