"""The BentoML service: in-process through its ASGI app, and once as a real `bentoml serve`."""

import io
import json
import logging
import os
from pathlib import Path

import httpx
import pandas as pd
import pytest
from starlette.testclient import TestClient

from skillcast.api.keys import create_key, revoke_key
from tests.helpers import free_port, running_server, serve_command, service_app

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENT_KEY = "test-key-from-environment"
CORS_ORIGIN = "https://planner.example.org"


@pytest.fixture(scope="module")
def keys_file(tmp_path_factory):
    """A key file with one valid and one revoked key (created through the real key API)."""
    path = tmp_path_factory.mktemp("keys") / "api_keys.json"
    valid = create_key(path, "planning-tool")
    revoked = create_key(path, "old-tool")
    revoke_key(path, "old-tool")
    return path, valid, revoked


@pytest.fixture(scope="module")
def app(bundle_dir, keys_file):
    path, _, _ = keys_file
    settings = {
        "SKILLCAST_BUNDLE": str(bundle_dir),
        "SKILLCAST_API_KEYS": ENVIRONMENT_KEY,
        "SKILLCAST_API_KEYS_FILE": str(path),
        "SKILLCAST_CORS_ORIGINS": CORS_ORIGIN,
        "SKILLCAST_API_RATE_PER_KEY": "100000",  # the per-key limits are tested on their own (test_guard.py)
        "SKILLCAST_API_BURST_PER_KEY": "100000",
        "SKILLCAST_API_CONCURRENCY_PER_KEY": "1000",
    }
    with service_app(settings) as app:
        yield app


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app=app, headers={"Authorization": f"Bearer {ENVIRONMENT_KEY}"}) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def anonymous(app):
    with TestClient(app=app) as test_client:
        yield test_client


# -- answers ---------------------------------------------------------------------------------


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


def test_an_area_may_be_given_by_name_in_any_case(client):
    by_code = client.post("/gaps", json={"area": "DM_R1_01", "band": "high"}).json()
    by_name = client.post("/gaps", json={"area": "  ashvale ", "band": "high"}).json()
    assert by_name["area"] == "DM_R1_01" and by_name["rows"] == by_code["rows"]
    forecast = client.post("/forecast", json={"area": "Demoland"}).json()
    assert forecast["area"] == "DM_EN"
    csv = client.get("/download/gaps.csv", params={"area": "Ashvale", "band": "high"})
    assert csv.status_code == 200 and set(pd.read_csv(io.StringIO(csv.text))["area"]) == {"DM_R1_01"}


def test_areas_are_found_by_name_with_get_and_post(client):
    found = client.get("/areas", params={"q": "ashvale"})
    assert found.status_code == 200
    body = found.json()
    assert body["resolved"] == "DM_R1_01" and body["areas"][0]["code"] == "DM_R1_01"
    assert body["areas"][0]["description"].startswith("Ashvale (synthetic) (area) - in Northern Uplands")
    assert client.post("/areas", json={"q": "ashvale"}).json() == body
    listed = client.get("/areas").json()["areas"]
    assert {row["code"] for row in listed} >= {"DM_EN", "DM_R1", "DM_R1_01"} and len(listed) == len(
        client.post("/areas", json={}).json()["areas"]
    )
    missing = client.get("/areas", params={"q": "Ashvale Town"})
    assert missing.status_code == 404 and "did you mean: DM_R1_01" in missing.text


def test_get_areas_needs_a_key_like_every_data_endpoint(anonymous):
    assert anonymous.get("/areas", params={"q": "ashvale"}).status_code == 401


def test_gaps_band_and_years_are_optional(client):
    body = client.post("/gaps", json={"area": "DM_R2_03"}).json()
    assert len(body["rows"]) == 8 * len(range(2010, 2036))


def test_forecast_for_a_series(client, demo_result):
    response = client.post("/forecast", json={"area": "DM_R1_01", "classification": "rqf", "code": "rqf6", "years": [2024, 2035]})
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [row["basis"] for row in rows] == ["observed", "forecast"]
    assert rows[1]["lo_80"] <= rows[1]["value"] <= rows[1]["hi_80"]
    expected = demo_result.forecasts.query("area == 'DM_R1_01' and classification == 'rqf' and code == 'rqf6' and period == 2035")
    assert rows[1]["value"] == pytest.approx(float(expected["forecast"].iloc[0]))


def test_years_between_the_last_observation_and_today_are_nowcasts(client):
    """The demo is observed to 2024; Config.nowcast_until (2026) is 'today': 2025-2026 are nowcasts, not forecasts."""
    body = {"area": "DM_R1_01", "classification": "rqf", "code": "rqf6", "years": [2024, 2025, 2026, 2027]}
    rows = client.post("/forecast", json=body).json()["rows"]
    assert [row["basis"] for row in rows] == ["observed", "nowcast", "nowcast", "forecast"]
    assert all(row["lo_80"] <= row["value"] <= row["hi_80"] for row in rows[1:]), "nowcasts carry intervals like forecasts"
    gaps = client.post("/gaps", json={"area": "DM_EN", "band": "high", "years": [2025, 2027]}).json()["rows"]
    assert [row["basis"] for row in gaps] == ["nowcast", "forecast"]
    assert client.post("/model", json={}).json()["nowcast_until"] == 2026


def test_batch_forecast_and_gaps_answer_each_area_like_the_single_call(client):
    areas = ["DM_EN", "DM_R1", "DM_R2_03"]
    batch = client.post("/gaps/batch", json={"areas": areas, "band": "high", "years": [2030]})
    assert batch.status_code == 200
    results = batch.json()["results"]
    assert [result["area"] for result in results] == areas
    for result in results:
        single = client.post("/gaps", json={"area": result["area"], "band": "high", "years": [2030]}).json()
        assert result["rows"] == single["rows"]
    forecasts = client.post("/forecast/batch", json={"areas": areas, "classification": "rqf", "code": "rqf4", "years": [2035]}).json()[
        "results"
    ]
    assert [len(result["rows"]) for result in forecasts] == [1, 1, 1]
    assert forecasts[0]["rows"][0]["value"] > forecasts[1]["rows"][0]["value"]  # the nation is bigger than its region


def test_priorities_are_ranked_explained_and_allocate_a_budget(client, demo_result):
    body = client.post("/priorities", json={"area": "DM_R1_01", "budget": 1_000_000}).json()
    rows = body["rows"]
    expected = demo_result.bundle.priorities.query("area == 'DM_R1_01'").sort_values("rank")
    assert [row["occupation"] for row in rows] == list(expected["occupation"])
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    assert all(row["explanation"] for row in rows)
    assert sum(row["allocation"] for row in rows) == pytest.approx(1_000_000)
    assert body["allocation_method"]
    top = client.post("/priorities", json={"area": "DM_R1_01", "top": 3}).json()["rows"]
    assert [row["occupation"] for row in top] == [row["occupation"] for row in rows[:3]] and top[0]["allocation"] is None


def test_shortages_answer_ratings_by_name_and_refuse_bad_input(client, demo_result):
    body = client.post("/shortages", json={"area": "DM_R1_01"})
    assert body.status_code == 200, body.text
    rows = body.json()["rows"]
    expected = demo_result.bundle.shortages.query("area == 'DM_R1_01'")
    assert len(rows) == len(expected) > 0 and {row["rating"] for row in rows} <= {"shortage", "recruitment difficulty", "no shortage"}
    assert all(row["drivers"] for row in rows) and body.json()["synthetic"] is True
    missing = client.post("/shortages", json={"area": "Ashvale Town"})
    assert missing.status_code == 404 and "did you mean: DM_R1_01" in missing.text
    bad = client.post("/shortages", json={"area": "DM_R1_01", "rating": "dire"})
    assert bad.status_code == 400 and "rating" in bad.text
    absolute = client.post("/priorities", json={"area": "DM_R1_01", "mode": "absolute", "budget": 100000}).json()["rows"]
    assert {row["mode"] for row in absolute} == {"absolute"} and sum(row["allocation"] for row in absolute) == pytest.approx(100000)
    assert all(row["starts"] == pytest.approx(row["allocation"] / row["cost_per_start"]) for row in absolute)
    assert client.post("/priorities", json={"area": "DM_R1_01", "mode": "loud"}).status_code == 400


def test_areas_list_codes_names_types_and_parents(client, demo_result):
    areas = client.post("/areas", json={}).json()["areas"]
    codes = {area["code"] for area in areas}
    assert codes == set(demo_result.bundle.gaps["area"]) | set(demo_result.bundle.forecasts["area"])
    region = next(area for area in areas if area["code"] == "DM_R1_01")
    assert region["parent"] == "DM_R1" and region["gaps"] and region["forecasts"]
    regions = client.post("/areas", json={"type": "region"}).json()["areas"]
    assert {area["code"] for area in regions} == {"DM_R1", "DM_R2"}


def test_classifications_are_the_valid_inputs_of_forecast(client):
    rows = client.post("/classifications", json={}).json()["rows"]
    labels = {(row["classification"], row["code"]): row["label"] for row in rows}
    assert labels[("rqf", "rqf4")] == "RQF level 4"
    for row in rows[:: max(1, len(rows) // 8)]:  # a sample: each listed series answers /forecast
        response = client.post(
            "/forecast", json={"area": "DM_EN", "measure": row["measure"], "classification": row["classification"], "code": row["code"]}
        )
        assert response.status_code == 200, response.text


def test_model_reports_version_vintage_metrics_and_training_time(client, demo_result):
    body = client.post("/model", json={}).json()
    assert body["model"] == demo_result.bundle.metadata["model"]
    assert body["trained_at"] == demo_result.bundle.metadata["trained_at"]
    assert body["last_observed_year"] == 2024 and body["synthetic"] is True
    models = {row["model"] for row in body["backtest"]["metrics"]}
    assert "skillcast" in models and "naive" in models
    assert body["model_version"] is None  # a bundle folder, not a registered model
    # the data vintage: the demo's one source, its last period, stale against "today" (2026) as 2024 is two years back
    assert body["data_vintage"] == [
        {"source": "demo", "what": "the demo's SYNTHETIC series", "last_period": "2024", "year": 2024, "stale": True}
    ]


def test_every_answer_names_the_data_vintage(client):
    for path, query in (("/forecast", {"area": "DM_EN"}), ("/gaps", {"area": "DM_EN"}), ("/priorities", {"area": "DM_EN"})):
        body = client.post(path, json=query).json()
        assert body["data_to"] == "the demo's SYNTHETIC series to 2024 (older than 2 years)", path


def test_csv_downloads_match_the_json_answers(client):
    response = client.get("/download/gaps.csv", params={"area": ["DM_EN", "DM_R1"], "band": "high", "years": "2024,2030"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = pd.read_csv(io.StringIO(response.text))
    assert list(table["area"]) == ["DM_EN", "DM_EN", "DM_R1", "DM_R1"]
    single = client.post("/gaps", json={"area": "DM_R1", "band": "high", "years": [2030]}).json()["rows"][0]
    assert table.iloc[3]["gap"] == pytest.approx(single["gap"])
    forecast = pd.read_csv(
        io.StringIO(client.get("/download/forecast.csv", params={"area": "DM_EN", "classification": "rqf", "code": "rqf4"}).text)
    )
    assert forecast["year"].is_monotonic_increasing and set(forecast["basis"]) == {"observed", "nowcast", "forecast"}
    # the demo is observed to 2024 and "today" is 2026 (Config.nowcast_until): 2025-2026 are nowcasts
    assert list(forecast.loc[forecast["basis"] == "nowcast", "year"]) == [2025, 2026]
    assert forecast.loc[forecast["basis"] == "forecast", "year"].min() == 2027
    priorities = pd.read_csv(io.StringIO(client.get("/download/priorities.csv", params={"area": "DM_R1_01", "budget": 5000}).text))
    assert priorities["allocation"].sum() == pytest.approx(5000)


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, payload, status, text",
    [
        ("/gaps", {"area": "Ashvale Town"}, 404, "did you mean: DM_R1_01"),
        ("/gaps", {"area": "DM_EN", "band": "medium"}, 400, "band"),
        ("/gaps", {"area": "DM_EN", "years": [2050]}, 400, "years"),
        ("/gaps", {"area": "DM_EN", "years": [1066]}, 400, "years"),
        ("/gaps", {"band": "high"}, 400, "area"),
        ("/forecast", {"area": "DM_EN", "code": "nope"}, 400, "code"),
        ("/forecast", {"area": "Atlantis"}, 404, "not a known area name or code"),
        ("/gaps/batch", {"areas": ["DM_EN", "Atlantis"]}, 404, "Atlantis"),
        ("/gaps/batch", {"areas": []}, 400, "areas"),
        ("/gaps/batch", {"areas": ["DM_EN"] * 101}, 413, "most is 100"),
        ("/forecast/batch", {"areas": ["DM_EN"] * 500}, 413, "split the batch"),
        ("/priorities", {"area": "DM_EN", "budget": -5}, 400, "budget"),
        ("/areas", {"type": "galaxy"}, 400, "type"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(client, path, payload, status, text):
    response = client.post(path, json=payload)
    assert response.status_code == status
    assert text in response.text


@pytest.mark.parametrize(
    "params, status, text",
    [
        ({"area": "Ashvale Town"}, 404, "did you mean"),
        ({}, 400, "area"),
        ({"area": "DM_EN", "years": "twenty"}, 400, "years"),
        ({"area": "DM_EN", "band": "medium"}, 400, "band"),
        ({"area": ["DM_EN"] * 101}, 413, "most is 100"),
    ],
)
def test_bad_downloads_get_a_4xx_naming_the_problem(client, params, status, text):
    response = client.get("/download/gaps.csv", params=params)
    assert response.status_code == status
    assert text in response.text


def test_malformed_json_is_400_not_500(client):
    response = client.post("/gaps", content=b"{area: DM_EN", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_an_oversized_body_is_413_before_any_endpoint_reads_it(client):
    body = json.dumps({"area": "DM_EN", "padding": "x" * 1_100_000}).encode()
    assert client.post("/gaps", content=body, headers={"content-type": "application/json"}).status_code == 413

    def chunks():  # no content-length: counted as it arrives
        for _ in range(20):
            yield b" " * 100_000

    assert client.post("/gaps", content=chunks(), headers={"content-type": "application/json"}).status_code == 413


# -- auth ----------------------------------------------------------------------------------------


def test_no_key_is_401_and_says_how_to_send_one(anonymous):
    response = anonymous.post("/gaps", json={"area": "DM_EN"})
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.get("/download/gaps.csv", params={"area": "DM_EN"}).status_code == 401


def test_an_unknown_or_malformed_key_is_401(anonymous):
    assert anonymous.post("/gaps", json={"area": "DM_EN"}, headers={"Authorization": "Bearer sk_guess"}).status_code == 401
    assert anonymous.post("/gaps", json={"area": "DM_EN"}, headers={"Authorization": f"Basic {ENVIRONMENT_KEY}"}).status_code == 401


def test_a_key_from_the_file_is_accepted_and_a_revoked_one_is_403(anonymous, keys_file):
    _, valid, revoked = keys_file
    assert anonymous.post("/gaps", json={"area": "DM_EN"}, headers={"Authorization": f"Bearer {valid}"}).status_code == 200
    response = anonymous.post("/gaps", json={"area": "DM_EN"}, headers={"Authorization": f"Bearer {revoked}"})
    assert response.status_code == 403 and "old-tool" in response.text and revoked not in response.text


def test_revoking_a_key_takes_effect_without_a_restart(anonymous, keys_file):
    path, _, _ = keys_file
    key = create_key(path, "short-lived")
    headers = {"Authorization": f"Bearer {key}"}
    assert anonymous.post("/areas", json={}, headers=headers).status_code == 200
    revoke_key(path, "short-lived")
    assert anonymous.post("/areas", json={}, headers=headers).status_code == 403


def test_health_and_docs_stay_open(anonymous):
    assert anonymous.get("/livez").status_code == 200
    assert anonymous.get("/readyz").status_code == 200
    spec = anonymous.get("/docs.json")
    assert spec.status_code == 200
    assert {"/forecast", "/gaps", "/priorities", "/areas", "/classifications", "/model", "/gaps/batch", "/forecast/batch"} <= set(
        spec.json()["paths"]
    )


def test_the_key_file_holds_hashes_not_keys(keys_file):
    path, valid, revoked = keys_file
    text = path.read_text()
    assert valid not in text and revoked not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# -- observability -------------------------------------------------------------------------------


def test_request_id_is_echoed_and_the_access_log_names_the_key_not_the_key(client, caplog):
    logger = logging.getLogger("skillcast.access")
    logger.addHandler(caplog.handler)
    try:
        response = client.post("/gaps", json={"area": "DM_EN", "years": [2030]}, headers={"X-Request-ID": "trace-123"})
        generated = client.post("/areas", json={})
    finally:
        logger.removeHandler(caplog.handler)
    assert response.headers["x-request-id"] == "trace-123"
    assert len(generated.headers["x-request-id"]) == 32  # a new id when the caller sends none
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "skillcast.access"]
    mine = next(line for line in lines if line["request_id"] == "trace-123")
    assert mine["path"] == "/gaps" and mine["status"] == 200 and mine["key"] == "env-1" and mine["ms"] > 0
    assert ENVIRONMENT_KEY not in caplog.text


def test_an_unsafe_request_id_is_replaced(client):
    response = client.post("/areas", json={}, headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"


# -- issue #17: one error object, media types, unknown fields, CORS, security headers ------------


def _is_error_object(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field"} and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def test_every_refusal_is_the_one_error_object(client, anonymous):
    assert _is_error_object(client.post("/gaps", json={"area": "DM_XX"}), 404, "unknown_area")["field"] == "area"
    assert _is_error_object(client.post("/gaps", json={"area": "DM_EN", "years": [2050]}), 400)["field"] == "years"
    assert _is_error_object(client.post("/gaps/batch", json={"areas": ["DM_EN"] * 101}), 413)["field"] == "areas"
    _is_error_object(client.post("/gaps", content=b"{area", headers={"content-type": "application/json"}), 400)
    _is_error_object(anonymous.post("/gaps", json={"area": "DM_EN"}), 401, "unauthorized")
    _is_error_object(client.get("/download/gaps.csv", params={"area": "DM_XX"}), 404, "unknown_area")
    _is_error_object(client.get("/no/such/endpoint"), 404, "not_found")
    assert _is_error_object(client.get("/gaps"), 405, "method_not_allowed") and client.get("/gaps").headers["allow"] == "POST"


def test_a_multipart_or_form_body_is_415_not_500(client):
    """Finding 4: every POST answered 500 to multipart/form-data."""
    multipart = client.post("/gaps", files={"area": ("area.txt", b"DM_EN")})
    assert _is_error_object(multipart, 415, "unsupported_media_type")["field"] == "content-type"
    form = client.post("/forecast", data={"area": "DM_EN"})
    _is_error_object(form, 415)
    assert client.post("/areas", content=b"{}").status_code == 200  # no content-type at all is read as JSON


def test_an_unknown_field_is_400_naming_it_not_ignored(client):
    """Finding 10: {"year": 2030} (a typo of years) returned every row."""
    error = _is_error_object(client.post("/gaps", json={"area": "DM_EN", "year": 2030}), 400)
    assert error["field"] == "year" and "unknown field" in error["message"]
    assert _is_error_object(client.post("/model", json={"verbose": True}), 400)["field"] == "verbose"
    assert _is_error_object(client.post("/gaps/batch", json={"areas": ["DM_EN"], "bands": "high"}), 400)["field"] == "bands"


def test_a_cors_preflight_passes_the_key_check_when_cors_is_configured(anonymous):
    """Finding 8: the preflight OPTIONS got 401, so browser apps on another origin could not call the API."""
    preflight = anonymous.options(
        "/gaps",
        headers={
            "Origin": CORS_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == CORS_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    refused = anonymous.post("/gaps", json={"area": "DM_EN"}, headers={"Origin": CORS_ORIGIN})  # the real call still needs a key ...
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == CORS_ORIGIN  # ... and the browser can read why
    other = anonymous.options("/gaps", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


def test_every_answer_carries_the_security_headers_and_the_docs_load_nothing_from_elsewhere(client, anonymous):
    """Finding 10: no CSP / nosniff / frame headers; the docs page loaded a third-party tag manager."""
    for response in (client.post("/areas", json={}), anonymous.get("/docs"), anonymous.get("/ui/"), anonymous.post("/gaps", json={})):
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-frame-options"] == "DENY"
    page = anonymous.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert "googletagmanager" not in page.text and "https://" not in page.text and "<script>" not in page.text
    assert anonymous.get("/").text == page.text  # BentoML's own index (with the tag manager) is replaced
    for script in ("/docs/assets/swagger-ui-bundle.js", "/docs/init.js"):
        assert anonymous.get(script).status_code == 200


def test_an_unreadable_key_file_refuses_every_key_until_it_is_fixed(anonymous, keys_file, caplog):
    """Finding 10: an unreadable key file silently kept the old keys (a revoked key still worked)."""
    path, valid, _ = keys_file
    good = path.read_bytes()
    headers = {"Authorization": f"Bearer {valid}"}
    try:
        path.write_text('{"keys": [')  # half-written
        response = anonymous.post("/areas", json={}, headers=headers)
        assert _is_error_object(response, 503, "keys_unavailable")
        assert str(path) not in response.text  # the caller is not told where the keys live ...
    finally:
        path.write_bytes(good)
    assert anonymous.post("/areas", json={}, headers=headers).status_code == 200  # ... and it recovers when the file is fixed


def test_spreadsheet_exports_are_bounded_in_size_and_built_one_at_a_time(client):
    """Finding 5: three concurrent 48-area exports ran past the time limit; nothing bounded them."""
    import bentoml

    too_big = client.get("/download/export.xlsx", params={"area": ["DM_EN"] * 13})
    assert _is_error_object(too_big, 413)["field"] == "area"
    service = bentoml.get_current_service()
    assert service.heavy.acquire(blocking=False)  # another export is being built
    try:
        busy = client.get("/download/export.xlsx", params={"area": "DM_R1_01"})
        assert _is_error_object(busy, 503, "busy") and int(busy.headers["retry-after"]) > 0
    finally:
        service.heavy.release()
    assert client.get("/download/export.xlsx", params={"area": "DM_R1_01"}).status_code == 200


LEAN_SERVER = """
import json, sys
from starlette.testclient import TestClient
from serving.service import SkillcastService
with TestClient(app=SkillcastService.to_asgi(), headers={"Authorization": "Bearer lean-key"}) as client:
    statuses = [client.post(path, json=body).status_code for path, body in (
        ("/gaps", {"area": "DM_EN"}), ("/forecast", {"area": "DM_EN"}), ("/priorities", {"area": "DM_R1_01", "budget": 1000}),
        ("/areas", {}), ("/classifications", {}), ("/model", {}))]
    statuses += [client.get(path, params={"area": "DM_R1_01"}).status_code for path in (
        "/download/gaps.csv", "/download/forecast.csv", "/download/priorities.csv", "/download/export.xlsx")]
heavy = sorted(name for name in ("mlflow", "sklearn", "lightgbm", "statsmodels") if name in sys.modules)
print(json.dumps({"statuses": statuses, "heavy": heavy}))
"""


def test_the_server_process_loads_neither_mlflow_nor_the_training_stack(bundle_dir):
    """Finding 11: the served champion held 865 MB; the service loaded the whole MLflow model and the training stack.
    (The resident size and the time to ready are measured in benchmarks/bench_api.py.)"""
    import subprocess
    import sys

    environment = {
        **os.environ,
        "SKILLCAST_BUNDLE": str(bundle_dir),
        "SKILLCAST_API_KEYS": "lean-key",
        "SKILLCAST_API_KEYS_FILE": str(bundle_dir / "no-keys.json"),
    }
    environment.pop("SKILLCAST_MODEL_URI", None)
    done = subprocess.run([sys.executable, "-c", LEAN_SERVER], cwd=REPO, env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["statuses"] == [200] * 10, answer
    assert answer["heavy"] == [], f"the server process imported {answer['heavy']}"


EXEC_PROBE = """
import json, os, sys
def stop(path, argv, env):  # in place of the exec: report what `skillcast serve` loaded, then end
    heavy = sorted(name for name in ("pandas", "numpy", "pyarrow", "sklearn", "mlflow", "bentoml", "skillcast.bundle") if name in sys.modules)
    print(json.dumps({"heavy": heavy, "worker": argv[1:3]}), flush=True)
    os._exit(0)
os.execve = stop
bundle, repo, port = sys.argv[1:4]
sys.argv = ["skillcast", "serve", "--bundle", bundle, "--project-dir", repo, "--port", port]
from skillcast.cli.entry import main
main()
"""


def test_skillcast_serve_reaches_the_server_without_loading_pandas_or_the_training_stack(bundle_dir):
    """Everything `skillcast serve` imports before it execs the server is time before /readyz
    (the ready time is measured in benchmarks/bench_api.py): the console script starts serve
    from its own module, and its checks need neither pandas nor the engine."""
    import subprocess
    import sys

    environment = {**os.environ, "SKILLCAST_API_KEYS": "probe-key"}
    environment.pop("SKILLCAST_MODEL_URI", None)
    command = [sys.executable, "-c", EXEC_PROBE, str(bundle_dir), str(REPO), str(free_port())]
    done = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["worker"] == ["-m", "_bentoml_impl.worker.service"], answer
    assert answer["heavy"] == [], f"skillcast serve imported {answer['heavy']} before the server"


# -- a real server ---------------------------------------------------------------------------


@pytest.mark.slow
def test_real_bentoml_serve_answers_over_loopback(bundle_dir, keys_file):
    path, valid, _ = keys_file
    port = free_port()
    command = serve_command(port, "--bundle", str(bundle_dir), "--api-keys-file", str(path))
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {valid}"}
    with running_server(command, f"{base}/readyz", cwd=REPO):
        response = httpx.post(f"{base}/gaps", json={"area": "DM_EN", "band": "high", "years": [2030]}, headers=headers, timeout=10)
        assert response.status_code == 200
        assert response.json()["rows"][0]["year"] == 2030 and response.headers["x-request-id"]
        assert httpx.post(f"{base}/gaps", json={"area": "nowhere"}, headers=headers, timeout=10).status_code == 404
        assert httpx.post(f"{base}/gaps", json={"area": "DM_EN"}, timeout=10).status_code == 401
        assert httpx.post(f"{base}/gaps/batch", json={"areas": ["DM_EN"] * 101}, headers=headers, timeout=10).status_code == 413
        metrics = httpx.get(f"{base}/metrics", timeout=10)
        assert metrics.status_code == 200 and "bentoml" in metrics.text
        counted = [line for line in metrics.text.splitlines() if line.startswith("skillcast_requests_total{")]
        assert any('endpoint="/gaps"' in line and 'status="200"' in line for line in counted), counted
        assert any('endpoint="/gaps"' in line and 'status="401"' in line for line in counted), counted
        assert any('endpoint="/gaps/batch"' in line and 'status="413"' in line for line in counted), counted


def test_the_spreadsheet_download_has_every_sheet_for_the_area(client):
    from openpyxl import load_workbook

    response = client.get("/download/export.xlsx", params={"area": "DM_R1_01"})
    assert response.status_code == 200 and "spreadsheetml" in response.headers["content-type"]
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert {"about", "forecasts", "gaps", "priorities", "backtest", "sources"} <= set(workbook.sheetnames)
    gaps = pd.DataFrame(list(workbook["gaps"].values)[1:], columns=list(workbook["gaps"].values)[0])
    assert set(gaps.iloc[:, 0]) == {"DM_R1_01"}
    assert client.get("/download/export.xlsx", params={"area": "Atlantis"}).status_code == 404


# -- fuzzing: no input makes the service answer 5xx ---------------------------------------------


def test_fuzzed_requests_from_the_openapi_document_never_get_a_5xx(app, client):
    """schemathesis generates requests (valid and invalid) for every operation in /docs.json
    and sends them to the app in process; none may be answered with a 5xx.

    Last in this module on purpose: schemathesis runs the app's lifespan for each call, and
    BentoML forgets its service instance at each shutdown, which the download app needs. (The CSV
    downloads are in the document too, so their query strings are fuzzed as well.)"""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/docs.json", app)
    failures, calls = [], []
    infrastructure = {"/metrics", "/healthz", "/livez", "/readyz"}  # BentoML's own, no input; /metrics needs a real server
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if op.path not in infrastructure]
    assert len(operations) >= 11

    def fuzz(operation):
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def send(case):
            response = case.call(headers={"Authorization": f"Bearer {ENVIRONMENT_KEY}"})
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{operation.label}: {response.status_code} for body {case.body!r} query {case.query!r}")

        send()

    for operation in operations:
        fuzz(operation)
    assert len(calls) >= 8 * 10, "the fuzzer sent too few requests to mean anything"
    assert not failures, "\n".join(failures[:10])
