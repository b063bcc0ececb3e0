"""What every request to the prediction service passes through before and after its endpoint.

One plain ASGI middleware (added to the BentoML service with ``add_asgi_middleware``) does,
in order:

1. **request id** - the caller's ``X-Request-ID`` when it is a short safe token, else a new
   one; echoed in the response header so a planning tool can quote it in a support call;
2. **auth** - ``Authorization: Bearer KEY`` checked against the key ring (``api_keys``):
   401 without a (known) key, 403 for a revoked one; health, metrics, the OpenAPI document
   and the static page stay open;
3. **body limit** - a body over ``max_body_bytes`` is answered 413 before any endpoint
   reads it (chunked bodies are counted as they arrive, not trusted by their header);
4. **metrics** - ``skillcast_requests_total{endpoint,status}`` and a latency histogram per
   endpoint, next to BentoML's own on ``/metrics``; paths that are not routes are counted
   as ``other`` so a scanner cannot blow up the label set;
5. **access log** - one JSON line per request on the ``skillcast.access`` logger: time,
   request id, method, path, status, milliseconds, bytes, client and the key's *name*
   (never the key).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from skillcast.api.keys import KeySource, Verdict

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS: frozenset[str] = frozenset({"/livez", "/readyz", "/healthz", "/metrics", "/docs.json", "/docs", "/", "/ui", "/ui/"})
OPEN_PREFIXES: tuple[str, ...] = ("/static_content/", "/ui/")  # the page and its scripts hold no data
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
ACCESS_LOGGER = "skillcast.access"


class _Metrics:
    """Prometheus instruments, made on first use: BentoML sets its multiprocess folder
    after the service module is imported, and instruments made earlier would not show."""

    def __init__(self) -> None:
        import prometheus_client

        self.requests = prometheus_client.Counter(
            "skillcast_requests_total", "Requests answered by the skillcast service, by endpoint and HTTP status", ["endpoint", "status"]
        )
        self.latency = prometheus_client.Histogram(
            "skillcast_request_duration_seconds",
            "Time to answer a request, by endpoint",
            ["endpoint"],
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
        )


_metrics: _Metrics | None = None  # one set per process: prometheus refuses duplicate names


def _instruments() -> _Metrics:
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


def access_logger() -> logging.Logger:
    """The access log: JSON lines on stderr, set up once, independent of BentoML's logging."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class PayloadTooLarge(Exception):
    pass


class ApiGuard:
    """ASGI middleware; ``routes`` are the paths counted under their own name in metrics."""

    def __init__(
        self,
        app: ASGIApp,
        keys: KeySource,
        routes: Iterable[str] = (),
        max_body_bytes: int = 1_000_000,
        open_paths: Iterable[str] = OPEN_PATHS,
        open_prefixes: Iterable[str] = OPEN_PREFIXES,
    ):
        self.app = app
        self.keys = keys
        self.routes = frozenset(routes)
        self.max_body_bytes = max_body_bytes
        self.open_paths = frozenset(open_paths)
        self.open_prefixes = tuple(open_prefixes)
        self.log = access_logger()

    def _endpoint(self, path: str) -> str:
        if path in self.routes or path in self.open_paths:
            return path
        return "other"

    def _is_open(self, path: str) -> bool:
        return path in self.open_paths or path.startswith(self.open_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
        offered = headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _SAFE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        path = scope.get("path", "")
        outcome = {"status": 500, "bytes": 0}
        key_name: str | None = None

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (REQUEST_ID_HEADER.encode(), request_id.encode())]}
            elif message["type"] == "http.response.body":
                outcome["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            if not self._is_open(path):
                key_name, refusal = self._authorise(headers.get("authorization", ""))
                if refusal is not None:
                    await self._refuse(send_with_id, *refusal, request_id)
                    return
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._refuse(
                    send_with_id, 413, f"request body of {int(declared):,} bytes is over the limit of {self.max_body_bytes:,}", request_id
                )
                return
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                try:
                    receive = await self._buffered(receive)
                except PayloadTooLarge:
                    await self._refuse(send_with_id, 413, f"request body is over the limit of {self.max_body_bytes:,} bytes", request_id)
                    return
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            endpoint = self._endpoint(path)
            instruments = _instruments()
            instruments.requests.labels(endpoint=endpoint, status=str(outcome["status"])).inc()
            instruments.latency.labels(endpoint=endpoint).observe(elapsed)
            client = scope.get("client") or ("", 0)
            self.log.info(
                json.dumps(
                    {
                        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "request_id": request_id,
                        "method": scope.get("method", ""),
                        "path": path,
                        "status": outcome["status"],
                        "ms": round(elapsed * 1000, 2),
                        "bytes": outcome["bytes"],
                        "client": client[0],
                        "key": key_name,
                    }
                )
            )

    def _authorise(self, header: str) -> tuple[str | None, tuple[int, str] | None]:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, (401, "missing API key: send 'Authorization: Bearer KEY' (ask the service's operator for a key)")
        check = self.keys.ring().check(token)
        if check.verdict is Verdict.ACCEPTED:
            return check.name, None
        if check.verdict is Verdict.REVOKED:
            return check.name, (403, f"API key {check.name!r} has been revoked; ask the service's operator for a new one")
        return None, (401, "unknown API key")

    async def _buffered(self, receive: Receive) -> Receive:
        """Read the whole body first (bounded by the limit, whatever the headers said) and
        hand the endpoint a ``receive`` that replays it: a too-large body is refused before
        any endpoint has seen a byte of it."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return self._replay([message], receive)
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.max_body_bytes:
                raise PayloadTooLarge
            chunks.append(body)
            if not message.get("more_body", False):
                return self._replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}], receive)

    @staticmethod
    def _replay(messages: list[Message], receive: Receive) -> Receive:
        """The buffered messages first, then the real channel (which reports the disconnect)."""
        pending = list(messages)

        async def replay() -> Message:
            if pending:
                return pending.pop(0)
            return await receive()

        return replay

    @staticmethod
    async def _refuse(send: Send, status: int, message: str, request_id: str) -> None:
        body = json.dumps({"error": message, "request_id": request_id}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="skillcast"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
