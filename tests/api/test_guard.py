"""The request guard on its own, in front of a tiny ASGI app: per-key limits, time limits
and what the access log and metrics say about them (issue #17, finding 5)."""

import asyncio
import json
import logging

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from skillcast.api.guard import GuardSettings, _instruments, guard_stack
from skillcast.api.keys import KeySource
from skillcast.api.limits import KeyLimits

KEYS = {"alpha": "key-alpha", "beta": "key-beta"}


async def quick(request):
    return JSONResponse({"ok": True})


async def slow(request):
    await asyncio.sleep(float(request.query_params.get("seconds", "1")))
    return JSONResponse({"ok": True})


def client_for(settings: GuardSettings) -> TestClient:
    app = Starlette(routes=[Route("/quick", quick, methods=["GET", "POST"]), Route("/slow", slow)])
    keys = KeySource(None, tuple(KEYS.values()))
    return TestClient(guard_stack(app, keys, settings))


def access_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == "skillcast.access"]


@pytest.fixture
def caplog_access(caplog):
    logger = logging.getLogger("skillcast.access")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_a_key_over_its_rate_gets_429_with_retry_after_and_other_keys_do_not():
    client = client_for(GuardSettings(limits=KeyLimits(rate=1, burst=3, concurrency=10)))
    alpha = {"Authorization": f"Bearer {KEYS['alpha']}"}
    assert [client.get("/quick", headers=alpha).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/quick", headers=alpha)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "too_many_requests" and "per second" in refused.json()["error"]["message"]
    assert client.get("/quick", headers={"Authorization": f"Bearer {KEYS['beta']}"}).status_code == 200


def test_a_key_over_its_requests_at_once_gets_429():
    limits = KeyLimits(rate=1000, burst=1000, concurrency=1)
    release = limits.admit("env-1")  # one request of this key still in progress
    client = client_for(GuardSettings(limits=limits))
    refused = client.get("/quick", headers={"Authorization": f"Bearer {KEYS['alpha']}"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1" and "in progress" in refused.text
    release()
    assert client.get("/quick", headers={"Authorization": f"Bearer {KEYS['alpha']}"}).status_code == 200


def test_the_limiter_refills_at_its_rate():
    now = [0.0]
    limits = KeyLimits(rate=2, burst=2, concurrency=5, clock=lambda: now[0])
    limits.admit("k")()
    limits.admit("k")()
    with pytest.raises(Exception, match="over its limit"):
        limits.admit("k")
    now[0] = 0.5  # one token back after half a second at 2 per second
    limits.admit("k")()


def test_a_request_over_the_time_limit_is_answered_logged_and_counted_as_504(caplog_access):
    """Finding 5: the client got 504 but the access log and metrics said 500 with 0 bytes."""
    client = client_for(GuardSettings(timeout=0.3))
    response = client.get("/slow", params={"seconds": "5"}, headers={"Authorization": f"Bearer {KEYS['alpha']}"})
    assert response.status_code == 504 and response.json()["error"]["code"] == "timeout"
    line = next(line for line in access_lines(caplog_access) if line["path"] == "/slow")
    assert line["status"] == 504 and line["bytes"] == len(response.content) > 0 and line["ms"] < 3000
    counted = _instruments().requests.labels(endpoint="other", status="504")._value.get()
    assert counted >= 1


def test_a_stalled_body_is_408():
    """The guard reads the body itself: a client that stops sending half-way is refused in time."""
    from skillcast.api.guard import ApiGuard

    async def app(scope, receive, send):  # pragma: no cover - never reached
        raise AssertionError("the endpoint saw a stalled body")

    guard = ApiGuard(app, KeySource(None, (KEYS["alpha"],)), GuardSettings(body_timeout=0.2))
    parts = [{"type": "http.request", "body": b'{"a": ', "more_body": True}]
    sent = []

    async def receive():
        if parts:
            return parts.pop(0)
        await asyncio.sleep(5)  # the rest never comes

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/quick", "headers": [(b"authorization", f"Bearer {KEYS['alpha']}".encode())]}
    asyncio.run(asyncio.wait_for(guard(scope, receive, send), 3))
    assert sent[0]["status"] == 408 and json.loads(sent[1]["body"])["error"]["code"] == "request_timeout"
