"""The HTTP app's error handling: every exception an endpoint raises becomes the one error object.

``install_error_handlers`` maps, on a FastAPI app:

* ``ApiError`` -> its status, code, field and headers;
* ``UnknownArea`` (the bundle) -> 404 ``unknown_area`` with the closest codes;
* ``InvalidQuery`` (the bundle) -> 400 naming the field;
* malformed JSON, a missing, mistyped or unknown field -> 400 naming the field;
* an unknown path -> 404, a known path with the wrong method -> 405 (``not_found``);
* anything else -> 500 ``internal_error`` (the traceback goes to the log, not the caller).

``errors(...)`` is what an endpoint declares for its OpenAPI ``responses``.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from skillcast.api.errors import ApiError, ErrorResponse, error_body
from skillcast.bundle import InvalidQuery, UnknownArea

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DESCRIPTIONS = {
    400: "malformed JSON, a missing, mistyped or unknown field, or a value the model does not have",
    404: "an unknown area (the message lists the closest codes that have figures)",
    413: "too many areas in one call",
    503: "busy: try again after Retry-After seconds",
}
CONTENT_TYPES: dict[str, dict] = {
    "csv": {200: {"description": "CSV, one row per area and year", "content": {"text/csv": {"schema": {"type": "string"}}}}},
    "xlsx": {200: {"description": "an Excel workbook", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
}
log = logging.getLogger("skillcast.api")


def errors(*statuses: int) -> dict[int, dict]:
    """OpenAPI ``responses`` of an endpoint's own refusals (the guard's are added to every operation)."""
    return {status: {"model": ErrorResponse, "description": DESCRIPTIONS.get(status, "refused")} for status in statuses}


def _json_error(status: int, message: str, field: str | None = None, code: str | None = None, headers: dict | None = None) -> Response:
    return Response(error_body(status, message, field, code), status_code=status, media_type="application/json", headers=headers)


def _validation_message(error: dict) -> tuple[str, str | None]:
    """One line naming the field, from pydantic's first error."""
    location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(location) or None
    kind = error.get("type", "")
    if kind == "json_invalid":
        return f"malformed JSON: {error.get('ctx', {}).get('error', error.get('msg', ''))}", None
    if kind == "extra_forbidden":
        return f"{field}: unknown field; see the request schema in /docs.json", field
    if kind == "missing" and field is None:
        return "the request body is missing: send a JSON object", None
    return f"{field or 'request'}: {error.get('msg', 'invalid')}", field


def install_error_handlers(app) -> None:
    from fastapi.exceptions import RequestValidationError

    async def api_error(_: Request, error: ApiError) -> Response:
        return _json_error(error.status, error.message, error.field, error.code, error.headers)

    async def unknown_area(_: Request, error: UnknownArea) -> Response:
        return _json_error(404, str(error), "area", "unknown_area")

    async def invalid_query(_: Request, error: InvalidQuery) -> Response:
        return _json_error(400, str(error), error.field)

    async def invalid_request(_: Request, error: RequestValidationError) -> Response:
        found = error.errors()
        message, field = _validation_message(found[0]) if found else ("invalid request", None)
        return _json_error(400, message, field)

    async def http_error(_: Request, error: HTTPException) -> Response:
        return _json_error(error.status_code, str(error.detail), headers=error.headers)

    async def crashed(request: Request, error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return _json_error(500, "an unexpected error occurred; the service log has the details (quote the x-request-id)")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(UnknownArea, unknown_area)
    app.add_exception_handler(InvalidQuery, invalid_query)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, crashed)


CATCH_ALL = "/{path:path}"


def endpoints(app) -> list:
    """Every route with methods of a FastAPI app, routers included (FastAPI nests them)."""
    found, pending = [], list(app.routes)
    while pending:
        route = pending.pop(0)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            pending.extend(inner.routes)
        elif getattr(route, "methods", None) and getattr(route, "path", CATCH_ALL) != CATCH_ALL:
            found.append(route)
    return found


def not_found(app):
    """The last route: 405 (with ``Allow``) when the path exists for other methods, else 404."""

    async def unknown(request: Request) -> Response:
        scope = {**request.scope, "method": "OPTIONS"}
        allowed = sorted({method for route in endpoints(app) if route.matches(scope)[0] is not Match.NONE for method in route.methods})
        if allowed:
            return _json_error(
                405, f"{request.method} is not allowed here; use {', '.join(allowed)}", headers={"allow": ", ".join(allowed)}
            )
        return _json_error(404, f"no endpoint at {request.url.path}; see /docs")

    return unknown


class ClassRoutes:
    """FastAPI routes declared on a service class's methods, bound to the running instance.

    BentoML can bind FastAPI methods itself, but it hands each request ``self`` through a
    *sync* dependency, which FastAPI runs in a worker thread: a thread hop on every
    request, the largest single cost of a lookup. Here ``self`` comes from an ``async``
    dependency (``instance``), so a lookup never leaves the event loop.

    Declare with ``@routes.post(path, ...)`` / ``@routes.get(path, ...)`` in the class body,
    then ``routes.bind(app, instance)`` once the class exists.
    """

    def __init__(self) -> None:
        self._declared: list[tuple[str, str, object, dict]] = []

    def _declare(self, method: str, path: str, options: dict):
        def decorator(function):
            self._declared.append((method, path, function, options))
            return function

        return decorator

    def post(self, path: str, **options):
        return self._declare("POST", path, options)

    def get(self, path: str, **options):
        return self._declare("GET", path, options)

    def bind(self, app, instance) -> None:
        import inspect

        from fastapi import Depends

        async def current():
            return instance()

        for method, path, function, options in self._declared:
            signature = inspect.signature(function)
            first, *rest = signature.parameters.values()
            parameters = [first.replace(default=Depends(current))] + [
                parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in rest
            ]
            function.__signature__ = signature.replace(parameters=parameters)
            app.add_api_route(path, function, methods=[method], name=function.__name__, **options)
