"""The prediction service: a BentoML service answering from one forecast bundle.

Start it with ``skillcast serve`` (or ``make serve``). With ``SKILLCAST_MODEL_URI`` set
(e.g. ``models:/skillcast@champion``) it resolves that alias once at start, loads that
registered version's bundle from MLflow (``MLFLOW_TRACKING_URI``) and reports the version
in every answer (``model_version`` and the ``x-skillcast-model-version`` header);
otherwise it reads the bundle folder named by ``SKILLCAST_BUNDLE`` (default: the demo's).
The bundle is loaded and indexed before the worker accepts requests, so ``/readyz``
answers 200 only once the model is in memory. A new champion is picked up by starting a
new instance (see training/README.md): an instance never changes what it serves mid-flight.

The lookups (forecast, gaps, areas, classifications, model) are dictionary reads of the
bundle's indexes, so they run as ``async`` endpoints on the event loop (no thread hop);
priorities and the CSV downloads use pandas and run in BentoML's thread pool.

Every request passes ``skillcast.api.guard.ApiGuard`` first: API key (``Authorization:
Bearer KEY``; 401/403), request id, body limit (413), metrics and the access log.
Requests and responses are pydantic models, so malformed input is answered 400 by BentoML
before it reaches the code. An area may be given by code, SI2035 id or name (any case,
"greater manchester", "Leeds"; ``skillcast.data.finder``): an unknown one is 404 with
suggestions from names, an ambiguous one ("West Midlands": the CA or the region) 400
listing the candidates; a year, band, code or type the bundle does not have is 400 naming
the field; a batch over the limit is 413. ``GET /areas?q=NAME`` finds areas by name.
Spreadsheet users get the same answers as CSV under ``GET /download/...``.
"""

from __future__ import annotations

import io
import math
from contextlib import contextmanager
from datetime import UTC
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

import bentoml
from bentoml.exceptions import BentoMLException, InvalidArgument, NotFound
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.staticfiles import StaticFiles

from skillcast.api.guard import ApiGuard
from skillcast.api.keys import KeySource
from skillcast.bundle import GAP_FIELDS, AmbiguousArea, ForecastBundle, InvalidQuery, UnknownArea
from skillcast.config import Config

UI_FOLDER = Path(__file__).resolve().parent / "ui"  # the /ui page: static files that call this API with a key
Year = Annotated[int, Field(ge=1990, le=2100, description="calendar year")]
AreaCode = Annotated[
    str, Field(min_length=1, max_length=100, examples=["DM_EN"], description="area code, SI2035 id or name, any case (see /areas?q=)")
]
VERSION_HEADER = "x-skillcast-model-version"


class PayloadTooLarge(BentoMLException):
    """A batch asking for more areas than the service answers in one call."""

    error_code = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


# -- response models ---------------------------------------------------------------------


class ForecastRow(BaseModel):
    year: int
    value: float = Field(description="observed value, or the point forecast")
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float
    basis: str = Field(description="'observed' or 'forecast'")


class ForecastResponse(BaseModel):
    area: str
    area_name: str
    measure: str
    classification: str
    code: str
    model: str
    synthetic: bool = Field(description="true when the figures come from synthetic demo data")
    model_version: str | None = Field(default=None, description="registered version served (None: a bundle folder)")
    rows: list[ForecastRow]


class GapRow(BaseModel):
    band: str
    year: int
    demand: float = Field(description="jobs needing this band (people)")
    supply: float = Field(description="people holding this band")
    gap: float = Field(description="demand - supply; positive = shortage of people")
    gap_lo_80: float
    gap_hi_80: float
    gap_lo_95: float
    gap_hi_95: float
    basis: str = Field(description="'observed' or 'forecast'")
    gap_basis: str = Field(description="what supply counts: workplace, active or people (docs/gaps.md)")
    imbalance: float | None = Field(default=None, description="the band's share of supply - its share of demand, points (Cedefop)")
    imbalance_lo_80: float | None = None
    imbalance_hi_80: float | None = None


class GapsResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    model_version: str | None = Field(default=None, description="registered version served (None: a bundle folder)")
    gap_basis: str | None = Field(default=None, description="what supply counts in every row: workplace, active or people")
    warnings: list[str] = Field(default_factory=list, description="read these before quoting the figures (e.g. a failed alignment check)")
    flagged: bool = Field(default=False, description="failed an alignment check: not comparable with other areas, in no ranking")
    rows: list[GapRow]


class PriorityRow(BaseModel):
    rank: int
    occupation: str = Field(description="SOC 2020 code (sub-major group where the data have it)")
    title: str
    jobs_start: float
    jobs_end: float
    growth: float = Field(description="change in jobs held at RQF 2-5 over the window")
    replacement: float = Field(description="jobs held at RQF 2-5 opening as holders leave")
    openings: float | None = Field(default=None, description="jobs to fill: replacement + growth where positive")
    per_1000: float | None = Field(default=None, description="jobs to fill per 1,000 jobs in the area")
    per_1000_england: float | None = None
    need_lq: float | None = Field(default=None, description="location quotient of need: per 1,000 here / England's")
    rating: str | None = Field(default=None, description="local shortage rating: shortage, recruitment difficulty, no shortage")
    shortage_score: float | None = None
    relevance: float | None = Field(default=None, description="apprenticeship relevance 0.1-1 (SOC 2020 entry routes)")
    levels: str | None = None
    shortage: float = Field(description="uplift in jobs where the occupation is rated short (absolute mode)")
    score: float = Field(description="local mode: weighted z-scores; absolute mode: jobs")
    mode: str | None = None
    explanation: str
    shortage_drivers: str | None = None
    top_unit_groups: str | None = None
    allocation: float | None = Field(default=None, description="pounds of the budget (when a budget is given)")
    allocation_share: float | None = None
    cost_per_start: float | None = Field(default=None, description="assumed pounds per start at the occupation's level mix")
    starts: float | None = Field(default=None, description="starts the allocation pays for")


class ShortageRow(BaseModel):
    occupation: str
    title: str
    rating: str = Field(description="shortage, recruitment difficulty or no shortage")
    shortage_score: float
    drivers: str = Field(description="the indicators behind the rating, in words with their numbers")
    ssv_ratio: float | None = None
    htfv_ratio: float | None = None
    vacancy_ratio: float | None = None
    advert_ratio: float | None = None
    growth_pct: float | None = None
    area_vacancy_ratio: float | None = None
    area_ssv_ratio: float | None = None
    area_advert_ratio: float | None = None
    area_basis: str | None = None
    top_unit_groups: str | None = None


class ShortagesResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    model_version: str | None = None
    warnings: list[str] = Field(default_factory=list)
    flagged: bool = False
    rows: list[ShortageRow]


class PrioritiesResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    model_version: str | None = None
    budget: float | None = None
    allocation_method: str | None = None
    rows: list[PriorityRow]


class AreaRow(BaseModel):
    code: str
    name: str
    type: str
    parent: str | None
    forecasts: bool
    gaps: bool
    priorities: bool
    description: str | None = Field(default=None, description="type and where it sits, e.g. 'Leeds (district) - in West Yorkshire CA, ...'")
    warnings: list[str] = Field(default_factory=list, description="what to know before quoting its figures (alignment checks)")
    flagged: bool = Field(default=False, description="failed an alignment check: figures carry a warning and it is in no ranking")


class AreasResponse(BaseModel):
    areas: list[AreaRow]
    query: str | None = Field(default=None, description="the q searched for")
    resolved: str | None = Field(default=None, description="the one area q means as an area field (null when ambiguous)")


class ClassificationRow(BaseModel):
    measure: str
    classification: str
    code: str
    label: str
    areas: int = Field(description="areas with forecasts for this series")


class ClassificationsResponse(BaseModel):
    rows: list[ClassificationRow]


class ModelResponse(BaseModel):
    model: str
    model_version: str | None = Field(description="registered version served (None: a bundle folder)")
    model_uri: str | None
    trained_at: str | None
    last_observed_year: int | None
    end_year: int | None
    synthetic: bool
    sources: list[str]
    vintages: list[str]
    series: int | None
    backtest: dict = Field(description="cutoffs, horizon and per-model MASE, sMAPE and interval coverage")
    gaps: dict = Field(default_factory=dict, description="how the gaps table was made")


class ForecastBatchResponse(BaseModel):
    results: list[ForecastResponse]


class GapsBatchResponse(BaseModel):
    results: list[GapsResponse]


# -- labels ------------------------------------------------------------------------------


def code_label(classification: str, code: str) -> str:
    """A readable label for a category code (codes without a known label are their own)."""
    from skillcast.skills.priorities import SOC2020_MAJOR_TITLES

    if code == "all":
        return "all"
    if classification == "rqf":
        return "no qualification" if code == "none" else f"RQF level {code.removeprefix('rqf')}"
    if classification == "nvq":
        return {
            "none": "no qualification",
            "other": "other qualifications",
            "trade_apprenticeships": "trade apprenticeships",
            "nvq4": "NVQ level 4 and above",
        }.get(code, f"NVQ level {code.removeprefix('nvq')}")
    if classification == "qualification_level":
        return {"none": "below level 1", "level4plus": "level 4 and above"}.get(code, code.replace("level", "level "))
    if classification == "qualification_band":
        return {"low": "low (below level 2)", "intermediate": "intermediate (levels 2-3)", "high": "high (level 4 and above)"}.get(
            code, code
        )
    if classification.startswith("soc2020_major"):
        return SOC2020_MAJOR_TITLES.get(code, code)
    return code


def _finite(value: object) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


# -- the CSV download app (GET, for spreadsheets) --------------------------------------------

downloads = FastAPI(title="skillcast downloads", openapi_url=None, docs_url=None, redoc_url=None)
lookups = FastAPI(title="skillcast lookups", openapi_url=None, docs_url=None, redoc_url=None)  # GET /areas?q= beside POST /areas


@lookups.exception_handler(RequestValidationError)
@downloads.exception_handler(RequestValidationError)
async def _bad_query(_: Request, error: RequestValidationError) -> JSONResponse:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or "query"
    return JSONResponse({"error": f"{field}: {first.get('msg', 'invalid')}"}, status_code=400)


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


@bentoml.asgi_app(StaticFiles(directory=UI_FOLDER, html=True), path="/ui")
@bentoml.asgi_app(downloads, path="/download")
@bentoml.asgi_app(lookups)  # at the root, matched only by its own GET routes
@bentoml.service(name="skillcast", traffic={"timeout": 30}, workers=1)
class SkillcastService:
    def __init__(self) -> None:
        config = Config.from_env()
        if config.model_uri:
            from skillcast.mlops.pyfunc import load_registered_bundle

            self.bundle = load_registered_bundle(config.model_uri, config.resolved_tracking_uri())
        else:
            self.bundle = ForecastBundle.load(config.bundle)
        self.bundle.warm()
        self.config = config
        quiet_client_errors()
        metadata = self.bundle.metadata
        self.model_name = str(metadata.get("model", "unknown"))
        self.synthetic = bool(metadata.get("synthetic", False))
        version = metadata.get("registry_version")
        self.model_version = str(version) if version is not None else None

    # -- helpers ---------------------------------------------------------------------------
    def _say_version(self, ctx: bentoml.Context | None) -> None:
        if ctx is not None and self.model_version is not None:
            ctx.response.headers[VERSION_HEADER] = self.model_version

    def _batch_size(self, areas: list[str]) -> None:
        if len(areas) > self.config.api_max_batch:
            raise PayloadTooLarge(f"areas: {len(areas)} areas in one call; the most is {self.config.api_max_batch} (split the batch)")
        if not areas:
            raise InvalidArgument("areas: expected at least one area code")

    def _forecast(self, area: str, measure: str, classification: str, code: str, years: list[int] | None) -> ForecastResponse:
        rows = self.bundle.forecast_records(area, measure, classification, code, years)
        area = self.bundle.area_code(area, "forecasts")  # a name or alias is answered under its code
        return ForecastResponse(
            area=area,
            area_name=self.bundle.area_name(area),
            measure=measure,
            classification=classification,
            code=code,
            model=self.model_name,
            synthetic=self.synthetic,
            model_version=self.model_version,
            rows=[ForecastRow(**row) for row in rows],
        )

    def _gaps(self, area: str, band: str | None, years: list[int] | None) -> GapsResponse:
        rows = self.bundle.gap_records(area, band, years)
        area = self.bundle.area_code(area, "gaps")  # an SI2035 id or a name is answered under its ONS code
        return GapsResponse(
            area=area,
            area_name=self.bundle.area_name(area),
            model=self.model_name,
            synthetic=self.synthetic,
            model_version=self.model_version,
            gap_basis=rows[0]["gap_basis"] if rows else None,
            warnings=self.bundle.warnings(area),
            flagged=self.bundle.flagged(area),
            rows=[GapRow(**{name: _finite(value) if isinstance(value, float) else value for name, value in row.items()}) for row in rows],
        )

    def _priorities(self, area: str, budget: float | None, top: int | None, mode: str = "local"):
        from skillcast.api.answers import priority_answer

        return priority_answer(self.bundle, area, budget, top, mode)

    # -- JSON endpoints ----------------------------------------------------------------------
    @bentoml.api
    async def forecast(
        self,
        area: AreaCode,
        measure: str = "employment",
        classification: str = "all",
        code: str = "all",
        years: list[Year] | None = None,
        *,
        ctx: bentoml.Context,
    ) -> ForecastResponse:
        """Observed values and forecasts with 80% and 95% intervals for one series of one area."""
        self._say_version(ctx)
        with answering():
            return self._forecast(area, measure, classification, code, years)

    @bentoml.api(route="/forecast/batch")
    async def forecast_batch(
        self,
        areas: Annotated[list[AreaCode], Field(description="area codes; at most api_max_batch (default 100), more is 413")],
        measure: str = "employment",
        classification: str = "all",
        code: str = "all",
        years: list[Year] | None = None,
        *,
        ctx: bentoml.Context,
    ) -> ForecastBatchResponse:
        """``/forecast`` for many areas in one call (same series and years for each)."""
        self._say_version(ctx)
        self._batch_size(areas)
        with answering():
            return ForecastBatchResponse(results=[self._forecast(area, measure, classification, code, years) for area in areas])

    @bentoml.api
    async def gaps(
        self,
        area: AreaCode,
        band: Annotated[
            str | None, Field(description="low, intermediate, high, or a level (none, level1 ... level4plus); all when omitted")
        ] = None,
        years: list[Year] | None = None,
        *,
        ctx: bentoml.Context,
    ) -> GapsResponse:
        """Demand minus supply by qualification band and year (positive = shortage), with 80/95% intervals."""
        self._say_version(ctx)
        with answering():
            return self._gaps(area, band, years)

    @bentoml.api(route="/gaps/batch")
    async def gaps_batch(
        self,
        areas: Annotated[list[AreaCode], Field(description="area codes; at most api_max_batch (default 100), more is 413")],
        band: str | None = None,
        years: list[Year] | None = None,
        *,
        ctx: bentoml.Context,
    ) -> GapsBatchResponse:
        """``/gaps`` for many areas in one call (same band and years for each)."""
        self._say_version(ctx)
        self._batch_size(areas)
        with answering():
            return GapsBatchResponse(results=[self._gaps(area, band, years) for area in areas])

    @bentoml.api
    def priorities(
        self,
        area: AreaCode,
        budget: Annotated[float | None, Field(ge=1, le=1e13, description="pounds to allocate in proportion to the scores")] = None,
        top: Annotated[int | None, Field(ge=1, le=500, description="rows to return (all when omitted)")] = None,
        mode: Annotated[str, Field(description="local (need per 1,000 jobs and against England) or absolute (volume)")] = "local",
        *,
        ctx: bentoml.Context,
    ) -> PrioritiesResponse:
        """Occupations ranked for apprenticeships (RQF 2-5) with the reason for each; optionally a budget allocated."""
        self._say_version(ctx)
        with answering():
            ranking, method = self._priorities(area, budget, top, mode)
            area = self.bundle.area_code(area, "priorities")
        fields = set(PriorityRow.model_fields)
        rows = [
            PriorityRow(
                **{name: (_finite(value) if isinstance(value, float) else value) for name, value in record.items() if name in fields}
            )
            for record in ranking.to_dict(orient="records")
        ]
        return PrioritiesResponse(
            area=area,
            area_name=self.bundle.area_name(area),
            model=self.model_name,
            synthetic=self.synthetic,
            model_version=self.model_version,
            budget=budget,
            allocation_method=method,
            rows=rows,
        )

    @bentoml.api
    def shortages(
        self,
        area: AreaCode,
        rating: Annotated[str | None, Field(description="only this rating: shortage, recruitment difficulty, no shortage")] = None,
        top: Annotated[int | None, Field(ge=1, le=500, description="rows to return (all when omitted)")] = None,
        *,
        ctx: bentoml.Context,
    ) -> ShortagesResponse:
        """Local shortage ratings of an area's occupations, most pressed first, with their drivers (docs/shortages.md)."""
        from skillcast.api.answers import shortage_answer

        self._say_version(ctx)
        with answering():
            answer = shortage_answer(self.bundle, area, rating, top)
        fields = set(ShortageRow.model_fields)
        rows = [ShortageRow(**{name: value for name, value in row.items() if name in fields}) for row in answer.pop("rows")]
        return ShortagesResponse(**answer, model=self.model_name, synthetic=self.synthetic, model_version=self.model_version, rows=rows)

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

    @bentoml.api
    async def areas(
        self,
        type: Annotated[str | None, Field(description="only areas of this type (e.g. lad, county, mca, lsip, lep, region)")] = None,
        q: Annotated[str | None, Field(max_length=100, description="a name or code to look for, any case (e.g. 'leeds')")] = None,
        *,
        ctx: bentoml.Context,
    ) -> AreasResponse:
        """Areas this model has figures for: code, name, type, parent, where it sits, warnings and which endpoints
        answer for each; with ``q``, the areas a name may mean, best first (also ``GET /areas?q=``)."""
        self._say_version(ctx)
        with answering():
            return self._areas(type, q)

    @lookups.get("/areas")
    def areas_get(
        self,
        q: Annotated[str | None, Query(max_length=100, description="a name or code, any case")] = None,
        type: Annotated[str | None, Query(description="only areas of this type")] = None,
    ) -> Response:
        """``GET /areas?q=leeds``: the same answer as ``POST /areas``, for a browser or a spreadsheet link."""
        with answering_plainly():
            answer = self._areas(type, q)
        response = JSONResponse(answer.model_dump())
        if self.model_version is not None:
            response.headers[VERSION_HEADER] = self.model_version
        return response

    @bentoml.api
    async def classifications(self, *, ctx: bentoml.Context) -> ClassificationsResponse:
        """The (measure, classification, code) series with forecasts, with labels: the valid inputs of /forecast."""
        self._say_version(ctx)
        table = self.bundle.classification_table()
        return ClassificationsResponse(
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

    @bentoml.api
    async def model(self, *, ctx: bentoml.Context) -> ModelResponse:
        """Which model answers: registry version, data vintages, training time and backtest metrics."""
        self._say_version(ctx)
        metadata = self.bundle.metadata
        return ModelResponse(
            model=self.model_name,
            model_version=self.model_version,
            model_uri=self.config.model_uri,
            trained_at=metadata.get("trained_at"),
            last_observed_year=metadata.get("last_observed_year"),
            end_year=metadata.get("end_year"),
            synthetic=self.synthetic,
            sources=[str(s) for s in metadata.get("sources", [])],
            vintages=[str(v) for v in metadata.get("vintages", [])],
            series=metadata.get("series"),
            backtest=metadata.get("backtest", {}),
            gaps=metadata.get("gaps", {}) if isinstance(metadata.get("gaps"), dict) else {},
        )

    # -- CSV downloads (GET /download/...) ----------------------------------------------------
    @downloads.get("/forecast.csv")
    def forecast_csv(
        self,
        area: Annotated[list[str], Query(min_length=1)],
        measure: str = "employment",
        classification: str = "all",
        code: str = "all",
        years: str | None = None,
    ) -> Response:
        """Forecast rows of one or more areas (repeat ``area=``) as CSV."""
        import pandas as pd

        with answering_plainly():
            self._check_batch_plainly(area)
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

    @downloads.get("/gaps.csv")
    def gaps_csv(self, area: Annotated[list[str], Query(min_length=1)], band: str | None = None, years: str | None = None) -> Response:
        """Gap rows of one or more areas (repeat ``area=``) as CSV; people, positive = shortage."""
        import pandas as pd

        with answering_plainly():
            self._check_batch_plainly(area)
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

    @downloads.get("/priorities.csv")
    def priorities_csv(self, area: str, budget: Annotated[float | None, Query(ge=1, le=1e13)] = None) -> Response:
        """An area's apprenticeship priorities as CSV (with the allocation when a budget is given)."""
        with answering_plainly():
            ranking, _ = self._priorities(area, budget, None)
            return self._csv_response(ranking, f"priorities-{self.bundle.area_code(area, 'priorities')}.csv")

    @downloads.get("/export.xlsx")
    def export_xlsx(self, area: Annotated[list[str], Query(min_length=1)]) -> Response:
        """The spreadsheet of one or more areas (repeat ``area=``): forecasts, gaps, priorities,
        backtest and sources sheets with units in the headers (``skillcast export``'s workbook)."""
        from datetime import datetime

        from skillcast.reports.content import about_rows, bundle_frames
        from skillcast.reports.workbook import workbook_bytes

        with answering_plainly():
            self._check_batch_plainly(area)
            codes = [self.bundle.area_code(code, "gaps") for code in area]  # 404 / 400 before any work
            wanted = set(area) | set(codes) | {alias for alias, code in self.bundle.aliases().items() if code in codes}
            sheets = bundle_frames(
                self.bundle.forecasts,
                self.bundle.gaps,
                self.bundle.names(),
                priorities=self.bundle.priorities,
                metadata=self.bundle.metadata,
                areas=sorted(wanted),
            )
            generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            model = self.model_name + (f" (registered version {self.model_version})" if self.model_version else "")
            about = about_rows(self.synthetic, codes, model, generated, self.bundle.warning_lines(codes))
            filename = f"skillcast-{codes[0]}.xlsx" if len(codes) == 1 else "skillcast-areas.xlsx"
            response = Response(
                workbook_bytes(sheets, about),
                headers={"content-disposition": f'attachment; filename="{filename}"'},
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            if self.model_version is not None:
                response.headers[VERSION_HEADER] = self.model_version
            return response

    def _check_batch_plainly(self, areas: list[str]) -> None:
        if len(areas) > self.config.api_max_batch:
            raise _Refusal(413, f"area: {len(areas)} areas in one call; the most is {self.config.api_max_batch}")

    def _csv_response(self, frame, filename: str) -> Response:
        response = _csv(frame, filename)
        if self.model_version is not None:
            response.headers[VERSION_HEADER] = self.model_version
        return response


class _Refusal(Exception):
    """A download request refused with ``status`` (answered as JSON by the download app)."""

    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


@contextmanager
def answering():
    """Turn the bundle's query errors into BentoML's 404 / 400 answers (JSON endpoints)."""
    try:
        yield
    except UnknownArea as error:
        raise NotFound(str(error)) from None
    except (InvalidQuery, AmbiguousArea) as error:
        raise InvalidArgument(str(error)) from None


@contextmanager
def answering_plainly():
    """The same for the download app, which answers with plain responses."""
    try:
        yield
    except UnknownArea as error:
        raise _Refusal(404, str(error)) from None
    except (InvalidQuery, AmbiguousArea) as error:
        raise _Refusal(400, str(error)) from None


@lookups.exception_handler(_Refusal)
@downloads.exception_handler(_Refusal)
async def _refused(_: Request, error: _Refusal) -> JSONResponse:
    return JSONResponse({"error": error.message}, status_code=error.status)


class _ClientErrorFilter:
    """Drops BentoML's 'Exception on /path' tracebacks for answers that are the caller's
    mistake (4xx): the access log already has the status and the caller got the reason.
    Server errors (5xx) keep their tracebacks."""

    def filter(self, record) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        from pydantic import ValidationError

        if isinstance(error, ValidationError):
            return False
        return not (isinstance(error, BentoMLException) and int(error.error_code) < 500)


def quiet_client_errors() -> None:
    import logging

    logger = logging.getLogger("bentoml._internal.server.http_app")
    if not any(isinstance(existing, _ClientErrorFilter) for existing in logger.filters):
        logger.addFilter(_ClientErrorFilter())


def _guard_options() -> dict:
    """Built when the worker builds its ASGI app (not at import): keys from the config."""
    config = Config.from_env()
    keys = KeySource(config.resolved_api_keys_file(), tuple(key.get_secret_value() for key in config.api_keys))
    routes = [f"/{name}" for name in ("forecast", "gaps", "priorities", "shortages", "areas", "classifications", "model")]
    routes += [
        "/forecast/batch",
        "/gaps/batch",
        "/download/forecast.csv",
        "/download/gaps.csv",
        "/download/priorities.csv",
        "/download/export.xlsx",
        "/ui/",
    ]
    return {"keys": keys, "routes": routes, "max_body_bytes": config.api_max_body_bytes}


class _LazyGuard(ApiGuard):
    """ApiGuard whose keys are read when the app is built, so importing this module reads nothing."""

    def __init__(self, app) -> None:
        super().__init__(app, **_guard_options())


SkillcastService.add_asgi_middleware(_LazyGuard)
