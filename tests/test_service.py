"""The BentoML service: in-process through its ASGI app, and once as a real `bentoml serve`."""

import os
import sys
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.helpers import free_port, running_server

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client(bundle_dir):
    os.environ["SKILLCAST_BUNDLE"] = str(bundle_dir)
    try:
        from serving.service import SkillcastService

        with TestClient(app=SkillcastService.to_asgi()) as test_client:
            yield test_client
    finally:
        os.environ.pop("SKILLCAST_BUNDLE", None)


def test_gaps_for_an_area_band_and_years(client, demo_result):
    response = client.post("/gaps", json={"area": "DM_EN", "band": "high", "years": [2024, 2030]})
    assert response.status_code == 200
    body = response.json()
    assert body["area"] == "DM_EN" and body["synthetic"] is True
    assert [(row["band"], row["year"]) for row in body["rows"]] == [("high", 2024), ("high", 2030)]
    expected = demo_result.gaps.query("area == 'DM_EN' and band == 'high' and year == 2030").iloc[0]
    row = body["rows"][1]
    assert row["gap"] == pytest.approx(expected["gap"]) and row["gap"] == pytest.approx(row["demand"] - row["supply"])
    assert row["gap_lo_95"] <= row["gap_lo_80"] <= row["gap"] <= row["gap_hi_80"] <= row["gap_hi_95"]


def test_gaps_band_and_years_are_optional(client):
    body = client.post("/gaps", json={"area": "DM_R2_03"}).json()
    assert len(body["rows"]) == 8 * len(range(2010, 2036))


def test_forecast_for_a_series(client):
    response = client.post("/forecast", json={"area": "DM_R1_01", "classification": "rqf", "code": "rqf6", "years": [2024, 2035]})
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [row["basis"] for row in rows] == ["observed", "forecast"]
    assert rows[1]["lo_80"] <= rows[1]["value"] <= rows[1]["hi_80"]


@pytest.mark.parametrize(
    "path, payload, status, text",
    [
        ("/gaps", {"area": "DM_R1_1"}, 404, "DM_R1_01"),
        ("/gaps", {"area": "DM_EN", "band": "medium"}, 400, "band"),
        ("/gaps", {"area": "DM_EN", "years": [2050]}, 400, "years"),
        ("/gaps", {"area": "DM_EN", "years": [1066]}, 400, "years"),
        ("/gaps", {"band": "high"}, 400, "area"),
        ("/forecast", {"area": "DM_EN", "code": "nope"}, 400, "code"),
        ("/forecast", {"area": "Atlantis"}, 404, "not in this model"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(client, path, payload, status, text):
    response = client.post(path, json=payload)
    assert response.status_code == status
    assert text in response.text


def test_malformed_json_is_400_not_500(client):
    response = client.post("/gaps", content=b"{area: DM_EN", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_health_endpoints(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.slow
def test_real_bentoml_serve_answers_over_loopback(bundle_dir):
    port = free_port()
    command = [sys.executable, "-m", "skillcast.cli", "serve", "--port", str(port), "--bundle", str(bundle_dir), "--project-dir", str(REPO)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, f"{base}/readyz", cwd=REPO):
        response = httpx.post(f"{base}/gaps", json={"area": "DM_EN", "band": "high", "years": [2030]}, timeout=10)
        assert response.status_code == 200
        assert response.json()["rows"][0]["year"] == 2030
        assert httpx.post(f"{base}/gaps", json={"area": "nowhere"}, timeout=10).status_code == 404
        metrics = httpx.get(f"{base}/metrics", timeout=10)
        assert metrics.status_code == 200 and "bentoml" in metrics.text
