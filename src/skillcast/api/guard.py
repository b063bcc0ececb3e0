"""What every request to the prediction service passes through before and after its endpoint.

One plain ASGI middleware (added to the BentoML service with ``add_asgi_middleware``; no
``BaseHTTPMiddleware``, so no extra task or copy per request) does, in order:

1. **request id** - the caller's ``X-Request-ID`` when it is a short safe token, else a new
   one; echoed in the response header so a planning tool can quote it in a support call;
2. **security headers** on every answer: ``Content-Security-Policy`` (this origin only, no
   framing), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, no referrer;
3. **drain** - after SIGTERM (``skillcast.api.drain``) ``/readyz`` answers 503 and every
   answer carries ``Connection: close``, so callers and proxies move away before it stops;
4. **auth** - ``Authorization: Bearer KEY`` checked against the key ring (``api_keys``):
   401 without a (known) key, 403 for a revoked one, 503 when the key file cannot be read;
   health, metrics, the OpenAPI document, the docs and the static page stay open;
5. **media type** - a JSON endpoint refuses any body that is not ``application/json`` (415);
6. **per-key limits** - a rate and a number of requests at once per key (429, Retry-After);
7. **body limit** - a body over ``max_body_bytes`` is answered 413 before any endpoint
   reads it (chunked bodies are counted as they arrive); a body that stalls for
   ``body_timeout`` seconds is answered 408;
8. **time limit** - a request not answered within ``timeout`` seconds gets 504, and is
   logged and counted as 504;
9. **metrics** - ``skillcast_requests_total{endpoint,status}`` and a latency histogram per
   endpoint, next to BentoML's own on ``/metrics``; paths that are not routes are counted
   as ``other`` so a scanner cannot blow up the label set;
10. **access log** - one JSON line per request on the ``skillcast.access`` logger: time,
    request id, method, path, status, milliseconds, bytes, client and the key's *name*
    (never the key).

Every refusal is the one error object of ``skillcast.api.errors``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from skillcast.api.errors import ApiError, error_body
from skillcast.api.keys import KeyFileError, KeySource, Verdict
from skillcast.api.limits import KeyLimits
from skillcast.api.protocol import STATE_KEY as HEADER_TIMEOUT_KEY

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS: frozenset[str] = frozenset(
    {"/livez", "/readyz", "/healthz", "/metrics", "/docs.json", "/openapi.json", "/docs", "/", "/ui", "/ui/"}
)
OPEN_PREFIXES: tuple[str, ...] = ("/static_content/", "/ui/", "/docs/")  # pages and their scripts hold no data
REWRITES: dict[str, str] = {
    "/docs.json": "/openapi.json",
    "/": "/docs/",
    "/docs": "/docs/",
}  # BentoML's own pages at these paths are replaced
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
ACCESS_LOGGER = "skillcast.access"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
JSON_TYPES = frozenset({"application/json", ""})  # no content-type at all is read as JSON, as curl -d users expect


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


@dataclass(frozen=True)
class GuardSettings:
    """What the guard enforces; built from ``skillcast.config.Config`` by the service."""

    max_body_bytes: int = 1_000_000
    timeout: float = 30.0
    body_timeout: float = 10.0
    header_timeout: float = 10.0  # read by skillcast.api.protocol from the lifespan state
    limits: KeyLimits | None = None
    json_routes: frozenset[str] = frozenset()  # POST endpoints that take a JSON body
    routes: frozenset[str] = frozenset()  # counted under their own name in metrics
    open_paths: frozenset[str] = OPEN_PATHS
    open_prefixes: tuple[str, ...] = OPEN_PREFIXES
    rewrites: dict[str, str] = field(default_factory=lambda: dict(REWRITES))


class _Outcome:
    __slots__ = ("status", "bytes", "started")

    def __init__(self) -> None:
        self.status, self.bytes, self.started = 500, 0, False


class ApiGuard:
    """ASGI middleware in front of the whole service (see the module docstring).

    ``draining`` is asked on every request: true once the process was told to stop."""

    def __init__(self, app: ASGIApp, keys: KeySource, settings: GuardSettings | None = None, draining: Callable[[], bool] = lambda: False):
        self.app = app
        self.keys = keys
        self.settings = settings or GuardSettings()
        self.draining = draining
        self.log = access_logger()

    def _endpoint(self, path: str) -> str:
        if path in self.settings.routes or path in self.settings.open_paths:
            return path
        return "other"

    def _is_open(self, path: str) -> bool:
        return path in self.settings.open_paths or path.startswith(self.settings.open_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and isinstance(scope.get("state"), dict):
                scope["state"][HEADER_TIMEOUT_KEY] = self.settings.header_timeout
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
        offered = headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _SAFE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        path = scope.get("path", "")
        outcome = _Outcome()
        key_name: str | None = None
        closing = self.draining()
        extra = [*SECURITY_HEADERS, (REQUEST_ID_HEADER.encode(), request_id.encode())]
        if closing:
            extra.append((b"connection", b"close"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome.status, outcome.started = message["status"], True
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body":
                outcome.bytes += len(message.get("body", b""))
            await send(message)

        release: Callable[[], None] | None = None
        try:
            if closing and path == "/readyz":
                raise ApiError(503, "this instance is shutting down; use another one", code="draining")
            if path in self.settings.rewrites and scope.get("method") in ("GET", "HEAD"):
                scope = {**scope, "path": self.settings.rewrites[path], "raw_path": self.settings.rewrites[path].encode()}
            elif not self._is_open(path):
                key_name = self._authorise(headers.get("authorization", ""))
                if scope.get("method") == "POST" and path in self.settings.json_routes:
                    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
                    if media_type not in JSON_TYPES:
                        raise ApiError(415, f"content-type {media_type!r}: this endpoint takes application/json", field="content-type")
                    if not media_type:  # read as JSON, as BentoML did: the endpoints parse JSON by the header
                        scope = {**scope, "headers": [*scope.get("headers", []), (b"content-type", b"application/json")]}
                if self.settings.limits is not None and key_name is not None:
                    release = self.settings.limits.admit(key_name)
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                receive = await self._buffered(receive, headers.get("content-length", ""))
            await self._answer_in_time(scope, receive, send_with_headers)
        except ApiError as error:
            await self._refuse(send_with_headers, error, outcome)
        except TimeoutError:
            message = f"not answered within {self.settings.timeout:g} s; ask for fewer areas or years, or try again later"
            await self._refuse(send_with_headers, ApiError(504, message), outcome)
            outcome.status = 504  # also when the answer had begun: the log says what the caller got
        finally:
            if release is not None:
                release()
            self._record(scope, path, request_id, outcome, key_name, time.perf_counter() - started)

    async def _answer_in_time(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the endpoint in its own task and stop waiting for it at the deadline: an
        endpoint busy in a thread cannot be interrupted, but its caller gets the 504 on time
        (the thread's late answer is dropped)."""
        task = asyncio.ensure_future(self.app(scope, receive, send))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.settings.timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            task.cancel()
            raise TimeoutError
        task.result()

    def _record(self, scope: Scope, path: str, request_id: str, outcome: _Outcome, key_name: str | None, elapsed: float) -> None:
        endpoint = self._endpoint(path)
        instruments = _instruments()
        instruments.requests.labels(endpoint=endpoint, status=str(outcome.status)).inc()
        instruments.latency.labels(endpoint=endpoint).observe(elapsed)
        client = scope.get("client") or ("", 0)
        self.log.info(
            json.dumps(
                {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "request_id": request_id,
                    "method": scope.get("method", ""),
                    "path": path,
                    "status": outcome.status,
                    "ms": round(elapsed * 1000, 2),
                    "bytes": outcome.bytes,
                    "client": client[0],
                    "key": key_name,
                }
            )
        )

    def _authorise(self, header: str) -> str:
        """The key's name, or ``ApiError`` 401 / 403 (or 503 when the key file is unreadable)."""
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401,
                "missing API key: send 'Authorization: Bearer KEY' (ask the service's operator for a key)",
                field="authorization",
                headers={"www-authenticate": 'Bearer realm="skillcast"'},
            )
        try:
            check = self.keys.ring().check(token)
        except KeyFileError as error:
            self.log.error(json.dumps({"error": "key file unreadable; refusing every key until it is fixed", "detail": str(error)}))
            raise ApiError(503, "the service cannot read its API keys; the operator has been told", code="keys_unavailable") from None
        if check.verdict is Verdict.ACCEPTED:
            return str(check.name)
        if check.verdict is Verdict.REVOKED:
            raise ApiError(403, f"API key {check.name!r} has been revoked; ask the service's operator for a new one", field="authorization")
        raise ApiError(401, "unknown API key", field="authorization", headers={"www-authenticate": 'Bearer realm="skillcast"'})

    async def _buffered(self, receive: Receive, declared: str) -> Receive:
        """Read the whole body first (bounded by the limit, whatever the headers said, and by
        the pause allowed between its parts) and hand the endpoint a ``receive`` that replays
        it: a too-large or stalled body is refused before any endpoint has seen a byte of it."""
        limit = self.settings.max_body_bytes
        if declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"request body of {int(declared):,} bytes is over the limit of {limit:,}")
        chunks, seen = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.settings.body_timeout)
            except TimeoutError:
                raise ApiError(408, f"the request body stalled for {self.settings.body_timeout:g} s; send it in one go") from None
            if message["type"] != "http.request":
                return self._replay([message], receive)
            body = message.get("body", b"")
            seen += len(body)
            if seen > limit:
                raise ApiError(413, f"request body is over the limit of {limit:,} bytes")
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
    async def _refuse(send: Send, error: ApiError, outcome: _Outcome) -> None:
        if outcome.started:  # the answer has begun: nothing more can be said on this connection
            return
        body = error_body(error.status, error.message, error.field, error.code)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(name.encode(), value.encode()) for name, value in error.headers.items()]
        await send({"type": "http.response.start", "status": error.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def guard_stack(app: ASGIApp, keys: KeySource, settings: GuardSettings, cors_origins: Iterable[str] = (), **options) -> ASGIApp:
    """The guard, behind Starlette's CORS middleware when browser origins are allowed: a CORS
    preflight (``OPTIONS`` without a key) is answered before the key check, and every
    answer, refusals included, carries the CORS headers the browser needs to read it."""
    guard = ApiGuard(app, keys, settings, **options)
    origins = list(cors_origins)
    if not origins:
        return guard
    from starlette.middleware.cors import CORSMiddleware

    return CORSMiddleware(
        guard,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER, "x-skillcast-model-version", "retry-after"],
        max_age=600,
    )
