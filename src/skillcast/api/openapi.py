"""The service's OpenAPI 3.1 document (``/docs.json``), made once when the service starts.

FastAPI writes the operations and the JSON Schemas (pydantic's, which are OpenAPI 3.1's
dialect); this module adds what makes the document usable by a generated client and by
Swagger UI (``/docs``):

* the bearer security scheme (every data endpoint needs ``Authorization: Bearer KEY``);
* the guard's refusals on every operation (401, 403, 429, 503, 504; and 408, 413, 415 for
  a JSON body), all with the one error object and ``Retry-After`` where it applies, in
  place of FastAPI's 422 (the service answers 400);
* the health and metrics endpoints BentoML serves (open, plain text);
* request examples taken from the served model (a real area, band, years and series),
  so "Try it out" answers 200.

CI validates the document with openapi-spec-validator and generates a client from it
with openapi-python-client (tests/serving/test_operations.py).
"""

from __future__ import annotations

import json
from typing import Any

from skillcast.api.errors import CODES

GUARD_STATUSES = {
    401: "no API key, or one the service does not know (WWW-Authenticate: Bearer)",
    403: "a revoked API key",
    429: "this key's rate or number of requests at once is over its limit: retry after Retry-After seconds",
    503: "the service is shutting down or cannot read its keys: use another instance or retry",
    504: "not answered within the service's time limit",
}
BODY_STATUSES = {
    408: "the request body stalled",
    413: "the request body is over the size limit (or too many areas)",
    415: "the body is not application/json",
}
OPEN_ENDPOINTS = {
    "/livez": ("livez", "200 while the process is alive"),
    "/readyz": ("readyz", "200 once the model is loaded and while the instance takes requests (503 while it drains)"),
    "/metrics": ("metrics", "Prometheus metrics: BentoML's and skillcast_requests_total, skillcast_request_duration_seconds"),
}


def examples_from(bundle) -> dict[str, Any]:
    """Request examples that the served model answers: its first area with gaps (a national
    one when it has one), a band and years it has, and a series it forecasts."""
    table = bundle.area_table()
    with_gaps = table.loc[table["gaps"]]
    pick = with_gaps if not with_gaps.empty else table
    national = pick.loc[pick["parent"].fillna("") == ""]
    area = str((national if not national.empty else pick)["area"].iloc[0]) if not pick.empty else "EN"
    gap_rows = bundle.gap_records(area) if area in set(with_gaps["area"]) else []
    years = sorted({row["year"] for row in gap_rows})
    forecasts = table.loc[table["forecasts"]]
    forecast_area = area if area in set(forecasts["area"]) else (str(forecasts["area"].iloc[0]) if not forecasts.empty else area)
    series = bundle.classification_table()
    measure, classification, code = ("employment", "all", "all")
    if not series.empty and not ((series["classification"] == "all") & (series["code"] == "all")).any():
        measure, classification, code = (str(value) for value in series.iloc[0][["measure", "classification", "code"]])
    forecast_years = sorted(
        {row["year"] for row in bundle.forecast_records(forecast_area, measure, classification, code)} if not forecasts.empty else set()
    )
    bands = sorted({row["band"] for row in gap_rows})
    band = "high" if "high" in bands else (bands[0] if bands else None)
    priorities = table.loc[table["priorities"]]
    return {
        "area": area,
        "band": band,
        "years": [years[0], years[-1]] if years else None,
        "forecast_area": forecast_area,
        "series": (measure, classification, code),
        "forecast_years": [forecast_years[-1]] if forecast_years else None,
        "priorities_area": str(priorities["area"].iloc[0]) if not priorities.empty else area,
        "type": str(table["type"].iloc[0]) if not table.empty else None,
    }


def _request_examples(examples: dict[str, Any]) -> dict[str, dict]:
    measure, classification, code = examples["series"]
    gaps = {"area": examples["area"], **({"band": examples["band"]} if examples["band"] else {})}
    gaps |= {"years": examples["years"]} if examples["years"] else {}
    forecast = {"area": examples["forecast_area"], "measure": measure, "classification": classification, "code": code}
    forecast |= {"years": examples["forecast_years"]} if examples["forecast_years"] else {}
    return {
        "/gaps": gaps,
        "/gaps/batch": {"areas": [examples["area"]], **{key: value for key, value in gaps.items() if key != "area"}},
        "/forecast": forecast,
        "/forecast/batch": {"areas": [examples["forecast_area"]], **{key: value for key, value in forecast.items() if key != "area"}},
        "/priorities": {"area": examples["priorities_area"], "budget": 1000000, "top": 5},
        "/areas": {"type": examples["type"]} if examples["type"] else {},
        "/classifications": {},
        "/model": {},
    }


def _error_response(description: str, retry_after: bool = False) -> dict:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}}
    return response


def document(app, examples: dict[str, Any], documented: list = ()) -> bytes:
    """The OpenAPI 3.1 document of ``app`` (a FastAPI app) and the ``documented`` routes
    answered outside it (``skillcast.api.http.ClassRoutes``), as JSON bytes."""
    from fastapi.openapi.utils import get_openapi

    from skillcast import __version__

    spec = get_openapi(
        title=app.title,
        version=__version__,
        summary=app.summary,
        description=(
            "Data endpoints need `Authorization: Bearer KEY` (`skillcast keys create NAME`). Every error is "
            '`{"error": {"code", "message", "field"}}`; codes: ' + ", ".join(sorted({*CODES.values(), "unknown_area", "busy", "draining"}))
        ),
        routes=[*documented, *app.routes],
    )
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "an API key from `skillcast keys create NAME`"}
    }
    spec["security"] = [{"bearer": []}]
    bodies = _request_examples(examples)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            responses.pop("422", None)
            refusals = {**GUARD_STATUSES, **(BODY_STATUSES if method == "post" else {})}
            for status, description in refusals.items():
                responses.setdefault(str(status), _error_response(description, retry_after=status in (429, 503)))
            if "headers" not in responses["503"]:  # declared by the endpoint (busy): it comes with Retry-After too
                responses["503"]["headers"] = _error_response("", retry_after=True)["headers"]
            if method == "post" and path in bodies:
                content = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if content is not None:
                    content["examples"] = {"served": {"summary": "answered by the model being served", "value": bodies[path]}}
            if method == "get" and path.startswith("/download/"):
                for parameter in operation.get("parameters", []):
                    value = _download_example(parameter["name"], path, examples)
                    if value is not None:
                        parameter["example"] = value
    for path, (name, description) in OPEN_ENDPOINTS.items():
        spec["paths"][path] = {
            "get": {
                "operationId": name,
                "summary": name,
                "security": [],
                "responses": {"200": {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}},
            }
        }
    return json.dumps(spec, separators=(",", ":")).encode()


def _download_example(name: str, path: str, examples: dict[str, Any]) -> Any:
    measure, classification, code = examples["series"]
    if name == "area":
        if path.endswith("forecast.csv"):
            return [examples["forecast_area"]]
        return examples["priorities_area"] if path.endswith("priorities.csv") else [examples["area"]]
    values = {"band": examples["band"], "measure": measure, "classification": classification, "code": code}
    if name == "years":
        chosen = examples["forecast_years"] if path.endswith("forecast.csv") else examples["years"]
        return ",".join(str(year) for year in chosen) if chosen else None
    return values.get(name)
