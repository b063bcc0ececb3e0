"""The prediction service: a BentoML service answering from one forecast bundle.

Start it with ``skillcast serve`` (or ``make serve``), which resolves a registered model
(``models:/skillcast@champion``) to its bundle folder before the server starts, so this
process never loads MLflow; it reads the bundle folder named by ``SKILLCAST_BUNDLE``
(default: the demo's under ``SKILLCAST_HOME``) and reports the registered version it came
from (``SKILLCAST_MODEL_VERSION``) in every answer (``model_version`` and the
``x-skillcast-model-version`` header). The bundle is loaded and indexed before the worker
accepts requests, so ``/readyz`` answers 200 only once the model is in memory. A new
champion is picked up by starting a new instance (see training/README.md): an instance
never changes what it serves mid-flight.

The HTTP API is a FastAPI app mounted in the BentoML service: its request models forbid
unknown fields, its OpenAPI 3.1 document (``/docs.json``, ``skillcast.api.openapi``) is
what clients are generated from, and every answer is serialised once, from the response
model straight to JSON bytes. The lookups (forecast, gaps, areas, classifications, model)
are dictionary reads of the bundle's indexes, so they run as ``async`` endpoints on the
event loop; priorities and the downloads use pandas and run in a thread.

Every request passes ``skillcast.api.guard`` first: API key (``Authorization: Bearer
KEY``), request id, security headers, media type (415), per-key limits (429), body limit
(413) and timeouts (408, 504), metrics and the access log. Every error is the one error
object of ``skillcast.api.errors``: 400 naming the field for malformed or unknown input,
404 for an unknown area, 413 for a batch over the limit. An area may be given by code,
SI2035 id or name (any case, "greater manchester", "Leeds"; ``skillcast.data.finder``): an
unknown one is 404 with suggestions from names, an ambiguous one ("West Midlands": the CA or
the region) 400 listing the candidates. ``GET /areas?q=NAME`` finds areas by name.
Spreadsheet users get the same answers as CSV under ``GET /download/...``.
"""

from __future__ import annotations

import functools
import io
import threading
from datetime import UTC
from pathlib import Path
from typing import Annotated

import bentoml
from fastapi import FastAPI, Query
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.staticfiles import StaticFiles

from skillcast.api import openapi
from skillcast.api.drain import Drain
from skillcast.api.errors import ApiError
from skillcast.api.guard import GuardSettings, guard_stack
from skillcast.api.http import (
    CATCH_ALL,
    CONTENT_TYPES,
    XLSX,
    ClassRoutes,
    JsonEndpoints,
    endpoints,
    errors,
    install_error_handlers,
    not_found,
)
from skillcast.api.keys import KeySource
from skillcast.api.limits import KeyLimits
from skillcast.api.protocol import use_header_timeout
from skillcast.api.scenarios import Runner
from skillcast.api.schemas import (  # the request and answer schemas
    AreaRow,
    AreasQuery,
    AreasResponse,
    Band,
    ClassificationRow,
    ClassificationsResponse,
    CompareQuery,
    CompareResponse,
    CompareRow,
    EffectRow,
    ForecastBatchQuery,
    ForecastBatchResponse,
    ForecastQuery,
    ForecastResponse,
    ForecastRow,
    GapRow,
    GapsBatchQuery,
    GapsBatchResponse,
    GapsQuery,
    GapsResponse,
    LabourReserveQuery,
    LabourReserveResponse,
    ModelResponse,
    NoQuery,
    PrioritiesQuery,
    PrioritiesResponse,
    ReserveFillRow,
    ReserveRow,
    ShortageRow,
    ShortagesQuery,
    ShortagesResponse,
    code_label,
    finite,
)
from skillcast.bundle import GAP_FIELDS, ForecastBundle, InvalidQuery
from skillcast.config import Config
from skillcast.data.vintage import vintage_line

HERE = Path(__file__).resolve().parent
UI_FOLDER = HERE / "ui"  # the /ui page: static files that call this API with a key
DOCS_FOLDER = HERE / "docs"  # the /docs page: Swagger UI from this origin only
VERSION_HEADER = "x-skillcast-model-version"

use_header_timeout()  # before BentoML builds its uvicorn server (skillcast.api.protocol)


@functools.cache
def service_config() -> Config:
    """The configuration, read from the environment once per worker process (the service and its guard share it)."""
    return Config.from_env()


# -- the HTTP app: JSON endpoints (POST), downloads (GET), the docs and the /ui page -----------

api = FastAPI(
    title="skillcast",
    summary="Local skills supply-and-demand forecasts for England: demand, supply and gaps by qualification to 2035.",
    openapi_url=None,  # the document is /docs.json, built by skillcast.api.openapi with the served model's examples
    docs_url=None,
    redoc_url=None,
    generate_unique_id_function=lambda route: route.name,  # operation ids = endpoint names (generated clients' method names)
)
install_error_handlers(api)
api.mount("/docs/assets", StaticFiles(directory=Path(bentoml.__file__).parent / "_internal" / "server" / "static_content"), name="swagger")
api.mount("/docs", StaticFiles(directory=DOCS_FOLDER, html=True), name="docs")
api.mount("/ui", StaticFiles(directory=UI_FOLDER, html=True), name="ui")
routes = ClassRoutes()  # the service's endpoints, bound to its instance below
DOWNLOAD_AREA = Query(min_length=1, description="area code; repeat for several areas")


def _csv(frame, filename: str) -> Response:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return Response(
        buffer.getvalue(), media_type="text/csv; charset=utf-8", headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


def _years(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        years = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InvalidQuery("years", f"{text!r}: expected comma-separated years such as 2024,2030") from None
    if any(year < 1990 or year > 2100 for year in years):
        raise InvalidQuery("years", f"{text!r}: expected years between 1990 and 2100")
    return years


# -- the service -------------------------------------------------------------------------------


@bentoml.asgi_app(api, path="/")
@bentoml.service(
    name="skillcast",
    traffic={"timeout": 600},  # a backstop: the guard's api_timeout (30 s) answers first
    workers=1,
    logging={"access": {"enabled": False}},  # the guard writes the access log; BentoML's second line would double its cost
    tracing={"excluded_urls": [".*"]},  # no trace exporter is set up: its spans (four a request) would be made and dropped
)
class SkillcastService:
    def __init__(self) -> None:
        config = service_config()
        if config.model_uri and config.bundle is None:  # started without `skillcast serve`, which resolves it beforehand
            from skillcast.mlops.served import served_bundle

            folder, _, version = served_bundle(config.model_uri, config.resolved_tracking_uri(), config.home / "served")
            config = config.model_copy(update={"bundle": folder, "model_version": version})
        self.bundle = ForecastBundle.load(config.resolved_bundle())
        self.bundle.warm()
        self.config = config
        metadata = self.bundle.metadata
        self.model_name = str(metadata.get("model", "unknown"))
        self.synthetic = bool(metadata.get("synthetic", False))
        self.data_to = vintage_line(metadata.get("data_vintage", []))
        self.model_version = config.model_version or (str(metadata["registry_version"]) if metadata.get("registry_version") else None)
        self.heavy = threading.BoundedSemaphore(config.api_heavy_concurrency)  # spreadsheet exports at once
        self.what_if = Runner(self.synthetic, config)  # scenarios: the analysis is made on the first that asks
        self.document = openapi.document(api, openapi.examples_from(self.bundle), routes.documented)
        DRAIN.install(config.api_drain_seconds)

    # -- helpers ---------------------------------------------------------------------------
    def _answer(self, model: BaseModel) -> Response:
        """The response model as JSON bytes: serialised once, straight from the model."""
        response = Response(model.__pydantic_serializer__.to_json(model), media_type="application/json")
        if self.model_version is not None:
            response.headers[VERSION_HEADER] = self.model_version
        return response

    def _batch_size(self, areas: list[str], field: str = "areas") -> None:
        if len(areas) > self.config.api_max_batch:
            raise ApiError(413, f"{len(areas)} areas in one call; the most is {self.config.api_max_batch} (split the batch)", field=field)
        if not areas:
            raise ApiError(400, "expected at least one area code", field=field)

    def _forecast(self, area: str, measure: str, classification: str, code: str, years: list[int] | None) -> ForecastResponse:
        rows = self.bundle.forecast_records(area, measure, classification, code, years)
        area = self.bundle.area_code(area, "forecasts")  # a name or alias is answered under its code
        return ForecastResponse.model_construct(
            area=area,
            area_name=self.bundle.area_name(area),
            measure=measure,
            classification=classification,
            code=code,
            model=self.model_name,
            synthetic=self.synthetic,
            data_to=self.data_to,
            model_version=self.model_version,
            rows=[ForecastRow.model_construct(**row) for row in rows],
        )

    def _gaps(self, area: str, band: str | None, years: list[int] | None) -> GapsResponse:
        rows = self.bundle.gap_records(area, band, years)
        area = self.bundle.area_code(area, "gaps")  # an SI2035 id or a name is answered under its ONS code
        return GapsResponse.model_construct(
            area=area,
            area_name=self.bundle.area_name(area),
            model=self.model_name,
            synthetic=self.synthetic,
            data_to=self.data_to,
            model_version=self.model_version,
            gap_basis=rows[0]["gap_basis"] if rows else None,
            warnings=self.bundle.warnings(area),
            flagged=self.bundle.flagged(area),
            rows=[
                GapRow.model_construct(**{name: finite(value) if isinstance(value, float) else value for name, value in row.items()})
                for row in rows
            ],
        )

    # -- JSON endpoints ----------------------------------------------------------------------
    @routes.post("/forecast", responses=errors(400, 404))
    async def forecast(self, query: ForecastQuery) -> ForecastResponse:
        """Observed values and forecasts with 80% and 95% intervals for one series of one area."""
        return self._answer(self._forecast(query.area, query.measure, query.classification, query.code, query.years))

    @routes.post("/forecast/batch", responses=errors(400, 404, 413))
    async def forecast_batch(self, query: ForecastBatchQuery) -> ForecastBatchResponse:
        """``/forecast`` for many areas in one call (same series and years for each)."""
        self._batch_size(query.areas)
        return self._answer(
            ForecastBatchResponse.model_construct(
                results=[self._forecast(area, query.measure, query.classification, query.code, query.years) for area in query.areas]
            )
        )

    @routes.post("/gaps", responses=errors(400, 404))
    def gaps(self, query: GapsQuery) -> GapsResponse:
        """Demand minus supply by qualification band and year (positive = shortage), with 80/95% intervals; with a
        ``scenario``, the area analysed again: the scenario's gaps, the baseline's and the effect with its range."""
        if query.scenario is None:
            return self._answer(self._gaps(query.area, query.band, query.years))
        from skillcast.api.scenarios import scenario_gaps

        answer = scenario_gaps(self.what_if, query.area, query.scenario, query.band, query.years)
        fields = set(GapRow.model_fields)

        def rows(records: list[dict]) -> list[GapRow]:
            return [GapRow(**{name: value for name, value in record.items() if name in fields}) for record in records]

        area = answer.pop("area")
        scenario_rows, baseline_rows = rows(answer.pop("rows")), rows(answer.pop("baseline_rows"))
        return self._answer(
            GapsResponse(
                area=area,
                area_name=self.bundle.area_name(area),
                model=self.model_name,
                synthetic=self.synthetic,
                data_to=self.data_to,
                model_version=self.model_version,
                gap_basis=scenario_rows[0].gap_basis if scenario_rows else None,
                warnings=self.bundle.warnings(area),
                flagged=self.bundle.flagged(area),
                rows=scenario_rows,
                baseline_rows=baseline_rows,
                effects=[EffectRow(**row) for row in answer.pop("effects")],
                **answer,
            )
        )

    @routes.post("/gaps/batch", responses=errors(400, 404, 413))
    async def gaps_batch(self, query: GapsBatchQuery) -> GapsBatchResponse:
        """``/gaps`` for many areas in one call (same band and years for each)."""
        self._batch_size(query.areas)
        return self._answer(GapsBatchResponse.model_construct(results=[self._gaps(area, query.band, query.years) for area in query.areas]))

    @routes.post("/priorities", responses=errors(400, 404))
    def priorities(self, query: PrioritiesQuery) -> PrioritiesResponse:
        """Occupations ranked for apprenticeships (RQF 2-5) with the reason for each; optionally a budget allocated and
        bought by route; with a ``scenario``, the ranking under it and the baseline ranking of the same run."""
        from skillcast.api.answers import priorities_response

        about = {"model": self.model_name, "synthetic": self.synthetic, "data_to": self.data_to, "model_version": self.model_version}
        return self._answer(priorities_response(self.bundle, query, self.what_if, about))

    @routes.post("/shortages", responses=errors(400, 404))
    def shortages(self, query: ShortagesQuery) -> ShortagesResponse:
        """Local shortage ratings of an area's occupations, most pressed first, with their drivers (docs/shortages.md)."""
        from skillcast.api.answers import shortage_answer

        answer = shortage_answer(self.bundle, query.area, query.rating, query.top)
        fields = set(ShortageRow.model_fields)
        rows = [
            ShortageRow(**{name: (finite(value) if isinstance(value, float) else value) for name, value in row.items() if name in fields})
            for row in answer.pop("rows")
        ]
        return self._answer(
            ShortagesResponse(
                **answer, model=self.model_name, synthetic=self.synthetic, data_to=self.data_to, model_version=self.model_version, rows=rows
            )
        )

    @routes.post("/labour-reserve", responses=errors(400, 404))
    def labour_reserve(self, query: LabourReserveQuery) -> LabourReserveResponse:
        """The area's unemployed and inactive people 16-64 against England's rates, and how much of each band's gap
        England's activity rates would fill (docs/labour_reserve.md)."""
        from skillcast.api.answers import reserve_answer

        answer = reserve_answer(self.bundle, query.area, query.year, query.history, query.scenario)
        rows = [ReserveRow(**row) for row in answer.pop("rows")]
        fill = [ReserveFillRow(**row) for row in answer.pop("fill")]
        if answer["scenario_fill"] is not None:
            answer["scenario_fill"] = [ReserveFillRow(**row) for row in answer["scenario_fill"]]
        return self._answer(
            LabourReserveResponse(
                **answer,
                model=self.model_name,
                synthetic=self.synthetic,
                data_to=self.data_to,
                model_version=self.model_version,
                rows=rows,
                fill=fill,
            )
        )

    @routes.post("/compare", responses=errors(400, 404))
    def compare(self, query: CompareQuery) -> CompareResponse:
        """The area beside its parents, its statistical neighbours and any areas picked, on the same indicators."""
        from skillcast.api.answers import compare_answer

        answer = compare_answer(self.bundle, query.area, query.with_areas, query.year)
        rows = [CompareRow(**row) for row in answer.pop("rows")]
        common = {"model": self.model_name, "synthetic": self.synthetic, "data_to": self.data_to, "model_version": self.model_version}
        return self._answer(CompareResponse(**answer, **common, rows=rows))

    def _areas(self, area_type: str | None, query: str | None) -> AreasResponse:
        table = self.bundle.area_table(area_type, query)
        return AreasResponse(
            areas=[
                AreaRow(
                    code=row.area,
                    name=row.name,
                    type=row.type,
                    parent=row.parent or None,
                    forecasts=row.forecasts,
                    gaps=row.gaps,
                    priorities=row.priorities,
                    description=row.description,
                    warnings=row.warnings,
                    flagged=row.flagged,
                )
                for row in table.itertuples()
            ],
            query=query,
            resolved=self.bundle.resolved(query) if query else None,
        )

    @routes.post("/areas", responses=errors(400))
    async def areas(self, query: AreasQuery | None = None) -> AreasResponse:
        """Areas this model has figures for: code, name, type, parent, where it sits, warnings and which endpoints
        answer for each; with ``q``, the areas a name may mean, best first (also ``GET /areas?q=``)."""
        return self._answer(self._areas(query.type if query else None, query.q if query else None))

    @routes.get("/areas", responses=errors(400), response_model=AreasResponse)
    async def areas_get(
        self,
        q: Annotated[str | None, Query(max_length=100, description="a name or code, any case")] = None,
        type: Annotated[str | None, Query(description="only areas of this type")] = None,
    ):
        """``GET /areas?q=leeds``: the same answer as ``POST /areas``, for a browser or a spreadsheet link."""
        return self._answer(self._areas(type, q))

    @routes.post("/classifications", responses=errors(400))
    async def classifications(self, query: NoQuery | None = None) -> ClassificationsResponse:
        """The (measure, classification, code) series with forecasts, with labels: the valid inputs of /forecast."""
        table = self.bundle.classification_table()
        return self._answer(
            ClassificationsResponse(
                rows=[
                    ClassificationRow(
                        measure=row.measure,
                        classification=row.classification,
                        code=row.code,
                        label=code_label(row.classification, row.code),
                        areas=row.areas,
                    )
                    for row in table.itertuples()
                ]
            )
        )

    @routes.post("/model", responses=errors(400))
    async def model(self, query: NoQuery | None = None) -> ModelResponse:
        """Which model answers: registry version, data vintages, training time and backtest metrics."""
        metadata = self.bundle.metadata
        return self._answer(
            ModelResponse(
                model=self.model_name,
                model_version=self.model_version,
                model_uri=self.config.model_uri or metadata.get("model_uri"),
                trained_at=metadata.get("trained_at"),
                last_observed_year=metadata.get("last_observed_year"),
                nowcast_until=metadata.get("nowcast_until"),
                end_year=metadata.get("end_year"),
                synthetic=self.synthetic,
                data_to=self.data_to,
                sources=[str(s) for s in metadata.get("sources", [])],
                vintages=[str(v) for v in metadata.get("vintages", [])],
                data_vintage=list(metadata.get("data_vintage", [])),
                series=metadata.get("series"),
                backtest=metadata.get("backtest", {}),
                gaps=metadata.get("gaps", {}) if isinstance(metadata.get("gaps"), dict) else {},
            )
        )

    # -- downloads (GET /download/..., for spreadsheets) ---------------------------------------
    @routes.get("/download/forecast.csv", responses={**CONTENT_TYPES["csv"], **errors(400, 404, 413)}, response_class=Response)
    def forecast_csv(
        self,
        area: Annotated[list[str], DOWNLOAD_AREA],
        measure: str = "employment",
        classification: str = "all",
        code: str = "all",
        years: Annotated[str | None, Query(description="comma-separated years, e.g. 2024,2030")] = None,
    ):
        """Forecast rows of one or more areas (repeat ``area=``) as CSV."""
        import pandas as pd

        self._batch_size(area, "area")
        chosen = _years(years)
        frames = [
            pd.DataFrame(self.bundle.forecast_records(code_, measure, classification, code, chosen)).assign(
                area=self.bundle.area_code(code_, "forecasts"),
                area_name=self.bundle.area_name(self.bundle.area_code(code_, "forecasts")),
                measure=measure,
                classification=classification,
                code=code,
            )
            for code_ in area
        ]
        table = pd.concat(frames, ignore_index=True)
        order = ["area", "area_name", "measure", "classification", "code", "year", "value", "lo_80", "hi_80", "lo_95", "hi_95", "basis"]
        return self._csv_response(table[order], "forecast.csv")

    @routes.get("/download/gaps.csv", responses={**CONTENT_TYPES["csv"], **errors(400, 404, 413)}, response_class=Response)
    def gaps_csv(
        self,
        area: Annotated[list[str], DOWNLOAD_AREA],
        band: Band | None = None,
        years: Annotated[str | None, Query(description="comma-separated years, e.g. 2024,2030")] = None,
    ):
        """Gap rows of one or more areas (repeat ``area=``) as CSV; people, positive = shortage."""
        import pandas as pd

        self._batch_size(area, "area")
        chosen = _years(years)
        table = pd.concat(
            [
                pd.DataFrame(self.bundle.gap_records(code_, band, chosen)).assign(
                    area=self.bundle.area_code(code_, "gaps"), area_name=self.bundle.area_name(self.bundle.area_code(code_, "gaps"))
                )
                for code_ in area
            ],
            ignore_index=True,
        )
        return self._csv_response(table[["area", "area_name", *GAP_FIELDS]], "gaps.csv")

    @routes.get("/download/priorities.csv", responses={**CONTENT_TYPES["csv"], **errors(400, 404)}, response_class=Response)
    def priorities_csv(self, area: Annotated[str, Query(min_length=1)], budget: Annotated[float | None, Query(ge=1, le=1e13)] = None):
        """An area's apprenticeship priorities as CSV (with the allocation when a budget is given)."""
        from skillcast.api.answers import priority_answer

        ranking, *_ = priority_answer(self.bundle, area, budget)
        return self._csv_response(ranking, f"priorities-{self.bundle.area_code(area, 'priorities')}.csv")

    @routes.get("/download/export.xlsx", responses={**CONTENT_TYPES["xlsx"], **errors(400, 404, 413, 503)}, response_class=Response)
    def export_xlsx(self, area: Annotated[list[str], DOWNLOAD_AREA]):
        """The spreadsheet of one or more areas (repeat ``area=``, at most ``api_max_export_areas``, default 12):
        forecasts, gaps, priorities, backtest and sources sheets with units in the headers (``skillcast export``'s
        workbook). One worker builds ``api_heavy_concurrency`` (default 1) at a time; another is 503 with Retry-After."""
        limit = self.config.api_max_export_areas
        if len(area) > limit:
            raise ApiError(413, f"{len(area)} areas in one spreadsheet; the most is {limit} (ask for several)", field="area")
        codes = [self.bundle.area_code(code, "gaps") for code in area]  # 404 / 400 before any work
        from datetime import datetime

        from skillcast.reports.sheets import about_rows, bundle_frames
        from skillcast.reports.workbook import workbook_bytes

        if not self.heavy.acquire(blocking=False):
            raise ApiError(503, "another spreadsheet is being built; try again in a few seconds", code="busy", headers={"retry-after": "5"})
        try:
            wanted = set(area) | set(codes) | {alias for alias, code in self.bundle.aliases().items() if code in codes}
            sheets = bundle_frames(
                self.bundle.forecasts,
                self.bundle.gaps,
                self.bundle.names(),
                priorities=self.bundle.priorities,
                metadata=self.bundle.metadata,
                areas=sorted(wanted),
                reserve=self.bundle.labour_reserve,
            )
            generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            model = self.model_name + (f" (registered version {self.model_version})" if self.model_version else "")
            about = about_rows(self.synthetic, codes, model, generated, self.bundle.warning_lines(codes))
            content = workbook_bytes(sheets, about)
        finally:
            self.heavy.release()
        filename = f"skillcast-{codes[0]}.xlsx" if len(codes) == 1 else "skillcast-areas.xlsx"
        response = Response(content, headers={"content-disposition": f'attachment; filename="{filename}"'}, media_type=XLSX)
        if self.model_version is not None:
            response.headers[VERSION_HEADER] = self.model_version
        return response

    def _csv_response(self, frame, filename: str) -> Response:
        response = _csv(frame, filename)
        if self.model_version is not None:
            response.headers[VERSION_HEADER] = self.model_version
        return response

    # -- the OpenAPI document (GET /docs.json, served here as /openapi.json) -----------------------
    @routes.get("/openapi.json", include_in_schema=False)
    async def openapi_document(self):
        return Response(self.document, media_type="application/json")


routes.bind(api, bentoml.get_current_service)
api.add_api_route(CATCH_ALL, not_found(api, routes.documented), methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
DRAIN = Drain()  # one per worker process: its SIGTERM handler is installed when the service starts


def _guard_stack(app):
    """Built when the worker builds its ASGI app (not at import): keys, limits and CORS from the config."""
    config = service_config()
    keys = KeySource(config.resolved_api_keys_file(), tuple(key.get_secret_value() for key in config.api_keys))
    posts = set(routes.json)
    gets = {route.path for route in endpoints(api) if route.path.startswith("/download/") or route.path == "/areas"}
    settings = GuardSettings(
        max_body_bytes=config.api_max_body_bytes,
        timeout=config.api_timeout,
        body_timeout=config.api_body_timeout,
        limits=KeyLimits(config.api_rate_per_key, config.api_burst_per_key, config.api_concurrency_per_key),
        json_routes=frozenset(posts),
        routes=frozenset(posts | gets | {"/ui/"}),
        header_timeout=config.api_header_timeout,
    )
    return guard_stack(
        JsonEndpoints(app, routes.json, bentoml.get_current_service), keys, settings, config.api_cors_origins, draining=DRAIN
    )


class _LazyGuard:
    """The guard stack, made when the app is built (importing this module reads no keys)."""

    def __init__(self, app) -> None:
        self.app = _guard_stack(app)

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


SkillcastService.add_asgi_middleware(_LazyGuard)
