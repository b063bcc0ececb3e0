"""The HTTP app's error handling: every exception an endpoint raises becomes the one error object.

``install_error_handlers`` maps, on a FastAPI app:

* ``ApiError`` -> its status, code, field and headers;
* ``UnknownArea`` (the bundle) -> 404 ``unknown_area`` with suggestions from names;
* ``AmbiguousArea`` (the bundle) -> 400 ``ambiguous_area`` listing the candidates;
* ``InvalidQuery`` (the bundle) -> 400 naming the field;
* malformed JSON, a missing, mistyped or unknown field -> 400 naming the field;
* an unknown path -> 404, a known path with the wrong method -> 405 (``not_found``);
* anything else -> 500 ``internal_error`` (the traceback goes to the log, not the caller).

``errors(...)`` is what an endpoint declares for its OpenAPI ``responses``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from skillcast.api.errors import ApiError, ErrorResponse, error_body
from skillcast.bundle import AmbiguousArea, InvalidQuery, UnknownArea

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DESCRIPTIONS = {
    400: "malformed JSON, a missing, mistyped or unknown field, or a value the model does not have",
    404: "an unknown area (the message suggests areas with similar names)",
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


def _first(errors: list[dict]) -> dict:
    """The error to report: a misspelt field makes its real one 'missing' too; the misspelling is the cause."""
    return next((error for error in errors if error.get("type") == "extra_forbidden"), errors[0])


def _validation_message(error: dict) -> tuple[str, str | None]:
    """One line naming the field, from pydantic's error (``_first``)."""
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


def refusal(error: Exception) -> Response | None:
    """The error object answer for an exception an endpoint raised on purpose; None for anything else."""
    from pydantic import ValidationError

    if isinstance(error, ApiError):
        return _json_error(error.status, error.message, error.field, error.code, error.headers)
    if isinstance(error, UnknownArea):
        return _json_error(404, str(error), "area", "unknown_area")
    if isinstance(error, AmbiguousArea):
        return _json_error(400, str(error), "area", "ambiguous_area")
    if isinstance(error, InvalidQuery):
        return _json_error(400, str(error), error.field)
    if isinstance(error, ValidationError):
        found = error.errors()
        message, field = _validation_message(_first(found)) if found else ("invalid request", None)
        return _json_error(400, message, field)
    return None


def crashed(method: str, path: str) -> Response:
    log.exception("unexpected error answering %s %s", method, path)
    return _json_error(500, "an unexpected error occurred; the service log has the details (quote the x-request-id)")


def install_error_handlers(app) -> None:
    """The same answers for what FastAPI itself refuses or raises (the GET downloads)."""
    from fastapi.exceptions import RequestValidationError

    async def known(_: Request, error: Exception) -> Response:
        return refusal(error)

    async def invalid_request(_: Request, error: RequestValidationError) -> Response:
        found = error.errors()
        message, field = _validation_message(_first(found)) if found else ("invalid request", None)
        return _json_error(400, message, field)

    async def http_error(_: Request, error: HTTPException) -> Response:
        return _json_error(error.status_code, str(error.detail), headers=error.headers)

    async def unexpected(request: Request, error: Exception) -> Response:
        return crashed(request.method, request.url.path)

    for kind in (ApiError, UnknownArea, AmbiguousArea, InvalidQuery):
        app.add_exception_handler(kind, known)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


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


def not_found(app, documented: list = ()):
    """The last route: 405 (with ``Allow``) when the path exists for other methods (on ``app``
    or among the ``documented`` JSON endpoints), else 404."""

    async def unknown(request: Request) -> Response:
        scope = {**request.scope, "method": "OPTIONS"}
        known = [*endpoints(app), *documented]
        allowed = sorted({method for route in known if route.matches(scope)[0] is not Match.NONE for method in route.methods})
        if allowed:
            return _json_error(
                405, f"{request.method} is not allowed here; use {', '.join(allowed)}", headers={"allow": ", ".join(allowed)}
            )
        return _json_error(404, f"no endpoint at {request.url.path}; see /docs")

    return unknown


class JsonEndpoints:
    """The JSON endpoints (POST, one body model in, one response out), answered straight
    from the ASGI messages: the body the guard has already read is validated by its
    pydantic model (unknown fields refused), the service's method is called (on the event
    loop when it is ``async``, in a thread otherwise) and its response sent.

    A framework's per-request machinery (routing tables, dependency solving, exit stacks,
    request objects) costs several times what a lookup does; this is the whole of it.
    Anything else goes on to ``app`` (BentoML's routes, the downloads, the docs).
    """

    def __init__(self, app, endpoints: dict[str, tuple[type, Callable]], instance: Callable[[], object]):
        self.app, self.endpoints, self.instance = app, endpoints, instance
        self.is_async = {path: inspect.iscoroutinefunction(function) for path, (_, function) in endpoints.items()}

    async def __call__(self, scope, receive, send) -> None:
        entry = self.endpoints.get(scope.get("path", "")) if scope["type"] == "http" and scope.get("method") == "POST" else None
        if entry is None:
            await self.app(scope, receive, send)
            return
        model, function = entry
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        try:
            query = model.model_validate_json(body if body.strip() else b"{}")
            if self.is_async[scope["path"]]:
                response = await function(self.instance(), query)
            else:
                import anyio

                response = await anyio.to_thread.run_sync(function, self.instance(), query)
        except Exception as error:  # noqa: BLE001 - every failure is answered with the error object
            response = refusal(error) or crashed("POST", scope["path"])
        await response(scope, receive, send)


def _body_model(function) -> type:
    """The pydantic model of a method's body parameter (its second; ``Model | None`` allowed)."""
    import typing

    from pydantic import BaseModel

    hints = typing.get_type_hints(function)
    name = list(inspect.signature(function).parameters)[1]
    annotation = hints[name]
    candidates = [annotation, *typing.get_args(annotation)]
    return next(kind for kind in candidates if isinstance(kind, type) and issubclass(kind, BaseModel))


class ClassRoutes:
    """Endpoints declared on a service class's methods, bound to the running instance.

    ``@routes.post(path, ...)`` declares a JSON endpoint: answered by ``JsonEndpoints``
    (no framework in the way) and documented through FastAPI (``documented``, for the
    OpenAPI document). ``@routes.get(path, ...)`` declares a FastAPI route (the downloads,
    with their query parameters), whose ``self`` comes from an ``async`` dependency: BentoML
    binds FastAPI methods itself through a *sync* dependency, which FastAPI runs in a
    worker thread - a thread hop on every request. ``bind(app, instance)`` once the class exists.
    """

    def __init__(self) -> None:
        self._declared: list[tuple[str, str, Callable, dict]] = []
        self.json: dict[str, tuple[type, Callable]] = {}
        self.documented: list = []

    def _declare(self, method: str, path: str, options: dict):
        def decorator(function):
            self._declared.append((method, path, function, options))
            return function

        return decorator

    def post(self, path: str, **options):
        return self._declare("POST", path, options)

    def get(self, path: str, **options):
        return self._declare("GET", path, options)

    def bind(self, app, instance: Callable[[], object]) -> None:
        from fastapi import Depends
        from fastapi.routing import APIRoute

        async def current():
            return instance()

        for method, path, function, options in self._declared:
            if method == "POST":
                self.json[path] = (_body_model(function), function)
            signature = inspect.signature(function)
            first, *rest = signature.parameters.values()
            parameters = [first.replace(default=Depends(current))] + [
                parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in rest
            ]
            function.__signature__ = signature.replace(parameters=parameters)
            if method == "POST":
                self.documented.append(
                    APIRoute(
                        path,
                        function,
                        methods=[method],
                        name=function.__name__,
                        generate_unique_id_function=app.router.generate_unique_id_function,
                        **options,
                    )
                )
            else:
                app.add_api_route(path, function, methods=[method], name=function.__name__, **options)
