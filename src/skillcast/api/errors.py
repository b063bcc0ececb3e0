"""The one error object of the HTTP API, and the exception that carries it to the answer.

Every refusal - by the request guard (401, 403, 408, 413, 415, 429, 503, 504) or by an
endpoint (400, 404, 413) - is answered with the same JSON body::

    {"error": {"code": "unknown_area", "message": "area 'DM_XX' is not in this model; closest: DM_EN", "field": "area"}}

``code`` is a stable word a program can branch on, ``message`` one line for a person,
``field`` the request field at fault (or null). docs/api.md lists the codes.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

CODES: dict[int, str] = {  # the default code of each status (an endpoint may say something more precise)
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
    504: "timeout",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="stable error code: " + ", ".join(sorted({*CODES.values(), "unknown_area"})), examples=["unknown_area"])
    message: str = Field(description="what was wrong, in one line", examples=["area 'DM_XX' is not in this model; closest: DM_EN"])
    field: str | None = Field(description="the request field at fault, when there is one", examples=["area"])


class ErrorResponse(BaseModel):
    """The body of every answer that is not 2xx."""

    error: ErrorDetail


class ApiError(Exception):
    """An answer other than 2xx, with the error object's parts and optional extra headers."""

    def __init__(self, status: int, message: str, field: str | None = None, code: str | None = None, headers: dict[str, str] | None = None):
        self.status, self.message, self.field = status, message, field
        self.code = code or CODES.get(status, "error")
        self.headers = dict(headers or {})
        super().__init__(message)


def error_body(status: int, message: str, field: str | None = None, code: str | None = None) -> bytes:
    """The error object as JSON bytes."""
    return json.dumps({"error": {"code": code or CODES.get(status, "error"), "message": message, "field": field}}).encode()
