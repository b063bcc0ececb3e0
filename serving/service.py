"""The prediction service: a BentoML service answering from one forecast bundle.

Start it with ``make serve`` or ``skillcast serve --port N``. With ``SKILLCAST_MODEL_URI``
set (e.g. ``models:/skillcast@champion``) it resolves that alias once at start, loads that
registered version's bundle from MLflow (``MLFLOW_TRACKING_URI``) and reports the version
in every answer (``model_version``); otherwise it reads the bundle folder named by
``SKILLCAST_BUNDLE`` (default: the demo's). A new champion is picked up by starting a new
instance (see training/README.md), so an instance never changes what it serves mid-flight.
Requests and responses are pydantic models, so bad input is answered 400 by BentoML
before it reaches the code; an unknown area is 404 with the closest codes; anything the
bundle does not have is 400 naming the field.
"""

from __future__ import annotations

from typing import Annotated

import bentoml
from bentoml.exceptions import InvalidArgument, NotFound
from pydantic import BaseModel, Field

from skillcast.bundle import ForecastBundle, InvalidQuery, UnknownArea
from skillcast.config import Config

Year = Annotated[int, Field(ge=1990, le=2100, description="calendar year")]
VERSION_HEADER = "x-skillcast-model-version"


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
    demand: float
    supply: float
    gap: float = Field(description="demand - supply; positive = shortage of people")
    gap_lo_80: float
    gap_hi_80: float
    gap_lo_95: float
    gap_hi_95: float
    basis: str


class GapsResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    model_version: str | None = Field(default=None, description="registered version served (None: a bundle folder)")
    rows: list[GapRow]


@bentoml.service(name="skillcast", traffic={"timeout": 30}, workers=1)
class SkillcastService:
    def __init__(self) -> None:
        config = Config.from_env()
        if config.model_uri:
            from skillcast.mlflow_model import load_registered_bundle

            self.bundle = load_registered_bundle(config.model_uri, config.resolved_tracking_uri())
        else:
            self.bundle = ForecastBundle.load(config.bundle)
        self.model = str(self.bundle.metadata.get("model", "unknown"))
        self.synthetic = bool(self.bundle.metadata.get("synthetic", False))
        version = self.bundle.metadata.get("registry_version")
        self.model_version = str(version) if version is not None else None

    def _say_version(self, ctx: bentoml.Context) -> None:
        if self.model_version is not None:
            ctx.response.headers[VERSION_HEADER] = self.model_version

    @bentoml.api
    def forecast(
        self,
        area: Annotated[str, Field(min_length=1, max_length=64, examples=["DM_EN"])],
        measure: str = "employment",
        classification: str = "all",
        code: str = "all",
        years: list[Year] | None = None,
        *,
        ctx: bentoml.Context,
    ) -> ForecastResponse:
        """Observed values and forecasts with 80% and 95% intervals for one series."""
        self._say_version(ctx)
        try:
            rows = self.bundle.forecast_rows(area, measure, classification, code, years)
        except UnknownArea as error:
            raise NotFound(str(error)) from None
        except InvalidQuery as error:
            raise InvalidArgument(str(error)) from None
        return ForecastResponse(
            area=area, area_name=self.bundle.geography.name(area), measure=measure, classification=classification,
            code=code, model=self.model, synthetic=self.synthetic, model_version=self.model_version,
            rows=[
                ForecastRow(year=int(row.period), value=row.forecast, lo_80=row.lo_80, hi_80=row.hi_80,
                            lo_95=row.lo_95, hi_95=row.hi_95, basis=row.basis)
                for row in rows.itertuples()
            ],
        )

    @bentoml.api
    def gaps(
        self,
        area: Annotated[str, Field(min_length=1, max_length=64, examples=["DM_EN"])],
        band: str | None = None,
        years: list[Year] | None = None,
        *,
        ctx: bentoml.Context,
    ) -> GapsResponse:
        """Demand minus supply by qualification band and year (positive = shortage)."""
        self._say_version(ctx)
        try:
            rows = self.bundle.gap_rows(area, band, years)
        except UnknownArea as error:
            raise NotFound(str(error)) from None
        except InvalidQuery as error:
            raise InvalidArgument(str(error)) from None
        return GapsResponse(
            area=area, area_name=self.bundle.geography.name(area), model=self.model, synthetic=self.synthetic,
            model_version=self.model_version, rows=[GapRow(**record) for record in rows.drop(columns="area").to_dict(orient="records")],
        )
