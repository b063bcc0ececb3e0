"""The service's request and answer schemas: what a client sends and gets back, and nothing else.

Request models forbid unknown fields (a typo such as "year" must not widen the answer); the
answers are what the OpenAPI document (``api.openapi``) describes and clients are generated
from. ``serving/service.py`` wires them to the bundle's lookups.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from skillcast.data.basis import BASES
from skillcast.data.qualifications import ALL_BANDS
from skillcast.skills.apprenticeships import CostPerStart
from skillcast.skills.funding import RouteShares
from skillcast.skills.priorities import MODES
from skillcast.skills.scenarios import Scenario
from skillcast.skills.shortage import RATINGS

Year = Annotated[int, Field(ge=1990, le=2100, description="calendar year")]
AreaCode = Annotated[str, Field(min_length=1, max_length=100, description="area code, SI2035 id or name, any case (see /areas?q=)")]
Band = Literal[ALL_BANDS]  # type: ignore[valid-type]
Basis = Literal[BASES]  # type: ignore[valid-type]
Mode = Literal[MODES]  # type: ignore[valid-type]
Rating = Literal[RATINGS]  # type: ignore[valid-type]


# -- request models: unknown fields are an error (a typo such as "year" must not widen the answer)


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ForecastQuery(_Query):
    area: AreaCode
    measure: str = Field(default="employment", description="see /classifications")
    classification: str = Field(default="all", description="see /classifications")
    code: str = Field(default="all", description="see /classifications")
    years: list[Year] | None = Field(default=None, description="only these years (all when omitted)")


class ForecastBatchQuery(_Query):
    areas: list[AreaCode] = Field(description="area codes; at most api_max_batch (default 100), more is 413")
    measure: str = "employment"
    classification: str = "all"
    code: str = "all"
    years: list[Year] | None = None


class GapsQuery(_Query):
    area: AreaCode
    band: Band | None = Field(
        default=None, description="a band (low, intermediate, high) or a level (none ... level4plus); all when omitted"
    )
    years: list[Year] | None = Field(default=None, description="only these years (all when omitted)")
    scenario: Scenario | None = Field(
        default=None, description="what-if levers (docs/gaps.md#scenarios): the area is analysed again, baseline and scenario together"
    )


class GapsBatchQuery(_Query):
    areas: list[AreaCode] = Field(description="area codes; at most api_max_batch (default 100), more is 413")
    band: Band | None = None
    years: list[Year] | None = None


class PrioritiesQuery(_Query):
    area: AreaCode
    budget: float | None = Field(default=None, ge=1, le=1e13, description="pounds to allocate in proportion to the scores")
    top: int | None = Field(default=None, ge=1, le=500, description="rows to return (all when omitted)")
    mode: Mode = Field(default="local", description="local (need per 1,000 jobs and against England) or absolute (volume); docs/gaps.md")
    scenario: Scenario | None = Field(
        default=None, description="what-if levers (docs/gaps.md#scenarios): the area is analysed again, baseline and scenario together"
    )
    routes: RouteShares | None = Field(
        default=None, description="with a budget: the shares of each occupation's money for foundation apprenticeships and units"
    )
    costs: CostPerStart | None = Field(
        default=None, description="with a budget: stated pounds per apprenticeship start at levels 2-5, replacing the funding bands"
    )


class ShortagesQuery(_Query):
    area: AreaCode
    rating: Rating | None = Field(default=None, description="only this rating")
    top: int | None = Field(default=None, ge=1, le=500, description="rows to return (all when omitted)")


class LabourReserveQuery(_Query):
    area: AreaCode
    year: Year | None = Field(default=None, description="the gap year to set the reserve against (default: the reserve's newest year)")
    history: bool = Field(default=False, description="every survey year, not only the newest figures")
    scenario: Scenario | None = Field(default=None, description="its [activity] lever: the people in work at the scenario's rates")


class CompareQuery(_Query):
    area: AreaCode
    with_areas: list[AreaCode] = Field(default_factory=list, max_length=20, description="more areas to put beside it (codes or names)")
    year: Year = Field(default=2030, description="the year of the gaps compared")


class AreasQuery(_Query):
    type: str | None = Field(default=None, description="only areas of this type (e.g. lad, county, mca, lsip, lep, region)")
    q: str | None = Field(default=None, max_length=100, description="a name or code to look for, any case (e.g. 'leeds')")


class NoQuery(_Query):
    """No fields: send ``{}`` (or no body)."""


# -- response models ---------------------------------------------------------------------


class ForecastRow(BaseModel):
    year: int
    value: float = Field(description="observed value, or the point forecast")
    lo_80: float
    hi_80: float
    lo_95: float
    hi_95: float
    basis: Basis = Field(
        description="'observed'; 'nowcast' (a year after the last observation up to the model's 'today', nowcast_until); or 'forecast'"
    )


class ForecastResponse(BaseModel):
    area: str
    area_name: str
    measure: str
    classification: str
    code: str
    model: str
    synthetic: bool = Field(description="true when the figures come from synthetic demo data")
    data_to: str = Field(default="", description="per source, the last period observed (the data vintage); stale sources say so")
    model_version: str | None = Field(default=None, description="registered version served (None: a bundle folder)")
    rows: list[ForecastRow]


class GapRow(BaseModel):
    band: Band
    year: int
    demand: float = Field(description="jobs needing this band (people)")
    supply: float = Field(description="people holding this band")
    gap: float = Field(description="demand - supply; positive = shortage of people")
    gap_lo_80: float
    gap_hi_80: float
    gap_lo_95: float
    gap_hi_95: float
    basis: Basis = Field(description="'observed' (both sides observed), 'nowcast' (a model year up to nowcast_until) or 'forecast'")
    gap_basis: str = Field(description="what supply counts: workplace, active or people (docs/gaps.md)")
    imbalance: float | None = Field(default=None, description="the band's share of supply - its share of demand, points (Cedefop)")
    imbalance_lo_80: float | None = None
    imbalance_hi_80: float | None = None


class EffectRow(BaseModel):
    band: str
    year: int
    basis: str
    baseline_gap: float
    scenario_gap: float
    effect: float = Field(description="scenario gap - baseline gap (people; negative: the scenario narrows a shortage)")
    effect_lo_80: float | None = None
    effect_hi_80: float | None = None


class GapsResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    data_to: str = Field(default="", description="per source, the last period observed (the data vintage); stale sources say so")
    model_version: str | None = Field(default=None, description="registered version served (None: a bundle folder)")
    gap_basis: str | None = Field(default=None, description="what supply counts in every row: workplace, active or people")
    warnings: list[str] = Field(default_factory=list, description="read these before quoting the figures (e.g. a failed alignment check)")
    flagged: bool = Field(default=False, description="failed an alignment check: not comparable with other areas, in no ranking")
    rows: list[GapRow] = Field(description="the gaps; with a scenario, the scenario's")
    scenario: dict | None = Field(default=None, description="the scenario these figures are under, as given (none: the baseline)")
    scenario_inputs: str | None = Field(default=None, description="what the scenario was run on")
    baseline_rows: list[GapRow] | None = Field(default=None, description="with a scenario: the baseline of the same run")
    effects: list[EffectRow] | None = Field(default=None, description="with a scenario: its effect on each gap, with a range")
    effect_method: str | None = None
    scenario_notes: list[str] | None = None


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
    cost_per_start: float | None = Field(default=None, description="pounds per start, all routes: allocation / starts")
    starts: float | None = Field(default=None, description="starts the allocation pays for, all routes")
    starts_apprenticeship: float | None = None
    starts_foundation: float | None = None
    starts_unit: float | None = None


class PurchaseRow(BaseModel):
    occupation: str
    route: str = Field(description="apprenticeship, foundation (foundation apprenticeship) or unit (apprenticeship unit)")
    level: int = Field(description="RQF level of the products")
    allocation: float = Field(description="pounds")
    cost_per_start: float = Field(description="the median funding band of the products serving the occupation (see basis)")
    starts: float
    products: int = Field(description="products the band is the median of (0: a stated cost)")
    examples: str = Field(description="up to three of them with their funding bands")
    basis: str


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
    data_to: str = Field(default="", description="per source, the last period observed (the data vintage); stale sources say so")
    model_version: str | None = None
    warnings: list[str] = Field(default_factory=list)
    flagged: bool = False
    rows: list[ShortageRow]


class PrioritiesResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    data_to: str = Field(default="", description="per source, the last period observed (the data vintage); stale sources say so")
    model_version: str | None = None
    budget: float | None = None
    allocation_method: str | None = None
    rows: list[PriorityRow]
    scenario: dict | None = Field(default=None, description="the scenario these figures are under, as given (none: the baseline)")
    scenario_inputs: str | None = Field(default=None, description="what the scenario was run on")
    baseline_rows: list[PriorityRow] | None = Field(default=None, description="with a scenario: the baseline ranking of the same run")
    purchases: list[PurchaseRow] | None = Field(default=None, description="with a budget: what it buys, by occupation, route and level")
    funding: dict | None = Field(default=None, description="with a budget: the funding bands' source and vintage, the route shares")


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
    nowcast_until: int | None = Field(default=None, description="model years up to this one are basis 'nowcast', later ones 'forecast'")
    end_year: int | None
    synthetic: bool
    data_to: str = Field(default="", description="per source, the last period observed (the data vintage); stale sources say so")
    sources: list[str]
    vintages: list[str]
    data_vintage: list[dict] = Field(
        default_factory=list, description="per source: what it is, its last observed period, its year and whether it is stale"
    )
    series: int | None
    backtest: dict = Field(
        description="cutoffs, horizon and per-model accuracy (backtest.score: MASE, sMAPE, coverage, direction right...)"
    )
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


def finite(value: object) -> float | None:
    """A number for JSON: None for NaN."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


class ReserveRow(BaseModel):
    year: int = Field(description="the year the survey period ends in")
    period: str = Field(description="the survey period as published (Jan-Dec 2022; 2024-04/2025-03)")
    source: str
    measure: str = Field(description="population_16_64, unemployed, inactive, inactive_wanting_job, reserve, rates, ...")
    description: str | None = None
    level: str = Field(description="'all', or a qualification level for the *_by_level measures")
    value: float | None = None
    lo_80: float | None = Field(default=None, description="80% interval from the survey's sampling error (estimated)")
    hi_80: float | None = None
    england: float | None = Field(default=None, description="England's rate, for the rate measures")


class ReserveFillRow(BaseModel):
    band: str
    gap: float = Field(description="demand - supply; positive = shortage of people")
    gap_lo_80: float | None = None
    gap_hi_80: float | None = None
    at_england_rates: float | None = Field(
        default=None, description="people England's activity rates would bring into work, at the band's levels"
    )
    filled: float | None = Field(default=None, description="the part of the shortage they could fill (0 for a surplus)")
    share_filled: float | None = None


class LabourReserveResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    data_to: str = Field(default="", description="per source, the last period observed (the data vintage); stale sources say so")
    model_version: str | None = None
    warnings: list[str] = Field(default_factory=list)
    flagged: bool = False
    year: int | None = Field(default=None, description="the gap year of ``fill``")
    assumptions: dict = Field(
        default_factory=dict, description="what the reserve assumes where the data are silent (docs/labour_reserve.md)"
    )
    rows: list[ReserveRow]
    fill: list[ReserveFillRow]
    scenario: dict | None = Field(default=None, description="the scenario these figures are under, as given (none: the baseline)")
    scenario_inputs: str | None = Field(default=None, description="what the scenario was run on")
    scenario_fill: list[ReserveFillRow] | None = Field(
        default=None, description="with [activity]: each gap beside the people in work at its rates"
    )


class CompareRow(BaseModel):
    area: str
    name: str
    type: str
    role: str = Field(description="this area, parent, statistical neighbour or picked")
    distance: float | None = Field(default=None, description="for a neighbour: its distance on the similarity indicators")
    jobs: float | None = None
    high_share_jobs: float | None = None
    high_share_people: float | None = None
    low_gap_per_1000: float | None = None
    intermediate_gap_per_1000: float | None = None
    high_gap_per_1000: float | None = None
    inactivity_rate: float | None = None
    unemployment_rate: float | None = None
    reserve_per_1000: float | None = None


class CompareResponse(BaseModel):
    area: str
    area_name: str
    model: str
    synthetic: bool
    data_to: str = ""
    model_version: str | None = None
    year: int
    indicators: dict[str, str] = Field(description="each indicator's meaning")
    neighbours_method: str = Field(description="how the statistical neighbours are chosen")
    rows: list[CompareRow]
