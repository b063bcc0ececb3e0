"""The service's answers to ``/priorities``, ``/shortages`` and ``/labour-reserve`` as plain values from a ``ForecastBundle``,
so the HTTP layer (``serving/service.py``) only turns them into responses.

Errors are the bundle's own (``UnknownArea`` -> 404 with suggestions; ``AmbiguousArea`` and
``InvalidQuery`` -> 400 naming the field), raised before anything is computed.
"""

from __future__ import annotations

import math

import pandas as pd

from skillcast.api.schemas import PrioritiesQuery, PrioritiesResponse, PriorityRow, PurchaseRow, finite
from skillcast.bundle import ForecastBundle, InvalidQuery
from skillcast.skills.apprenticeships import CostPerStart
from skillcast.skills.funding import RouteShares, buy, default_bands, funding_info
from skillcast.skills.labour_reserve import MEASURES, at_rates, comparison_year, fill_gaps, latest_rows
from skillcast.skills.priorities import ALLOCATION_METHOD, MODES, allocate, rerank
from skillcast.skills.shortage import RATINGS


def priority_answer(
    bundle: ForecastBundle,
    area: str,
    budget: float | None = None,
    top: int | None = None,
    mode: str = "local",
    shares: RouteShares | None = None,
    costs: CostPerStart | None = None,
) -> tuple[pd.DataFrame, str | None, pd.DataFrame | None, dict | None]:
    """The area's ranking in ``mode`` (a bundle holds the local one; absolute is re-scored from its columns), with the
    budget allocated and converted to starts when given; the allocation method, what the budget buys by route
    (``funding.PURCHASE_COLUMNS``, every occupation) and the funding's source (all None without a budget)."""
    if mode not in MODES:
        raise InvalidQuery("mode", f"{mode!r} is not a mode; expected one of {list(MODES)}")
    ranking = bundle.priority_rows(area)
    if "mode" in ranking and len(ranking) and str(ranking["mode"].iloc[0]) != mode:
        ranking = rerank(ranking, mode)
    if budget is None:
        return (ranking.head(top) if top is not None else ranking), None, None, None
    shares = shares or RouteShares()
    bands = bundle.funding if not bundle.funding.empty else default_bands()
    try:
        ranking = allocate(ranking, budget, costs, None, bands, shares)
    except ValueError as error:
        raise InvalidQuery("budget", str(error).removeprefix("--budget: ")) from None
    purchases = buy(ranking, bands, shares, costs)
    funding = funding_info(bundle.funding, shares, costs.stated() if costs is not None else {})
    return (ranking.head(top) if top is not None else ranking), ALLOCATION_METHOD, purchases, funding


def priorities_response(bundle: ForecastBundle, query: PrioritiesQuery, runner, about: dict) -> PrioritiesResponse:
    """``POST /priorities``: the bundle's ranking (with a budget allocated and bought by route), or with a scenario the
    ranking under it beside the baseline of the same run (``runner``: ``api.scenarios.Runner``); ``about``: the model,
    synthetic, data_to and model_version fields of every answer."""
    if query.scenario is not None:
        from skillcast.api.scenarios import scenario_priorities

        given = [name for name in ("budget", "routes", "costs") if getattr(query, name) is not None]
        if given:
            raise InvalidQuery(given[0], "a budget is allocated on the baseline ranking; ask without a scenario")
        answer = scenario_priorities(runner, query.area, query.scenario, query.top)
        area = answer.pop("area")
        rows, baseline = _priority_rows(answer.pop("rows")), _priority_rows(answer.pop("baseline_rows"))
        return PrioritiesResponse(area=area, area_name=bundle.area_name(area), rows=rows, baseline_rows=baseline, **about, **answer)
    if query.budget is None and (query.routes is not None or query.costs is not None):
        raise InvalidQuery("routes" if query.routes is not None else "costs", "route shares and costs apply to a budget: give one")
    ranking, method, purchases, funding = priority_answer(
        bundle, query.area, query.budget, query.top, query.mode, query.routes, query.costs
    )
    area = bundle.area_code(query.area, "priorities")
    return PrioritiesResponse(
        area=area,
        area_name=bundle.area_name(area),
        budget=query.budget,
        allocation_method=method,
        rows=_priority_rows(ranking.to_dict(orient="records")),
        purchases=[PurchaseRow(**record) for record in purchases.to_dict(orient="records")] if purchases is not None else None,
        funding=funding,
        **about,
    )


def _priority_rows(records: list[dict]) -> list[PriorityRow]:
    fields = set(PriorityRow.model_fields)
    return [
        PriorityRow(**{name: (finite(value) if isinstance(value, float) else value) for name, value in record.items() if name in fields})
        for record in records
    ]


def shortage_answer(bundle: ForecastBundle, area: str, rating: str | None = None, top: int | None = None) -> dict:
    """The area's shortage ratings, most pressed first: ``area, area_name, warnings, flagged, rows`` (plain values)."""
    if rating is not None and rating not in RATINGS:
        raise InvalidQuery("rating", f"{rating!r} is not a rating; expected one of {list(RATINGS)}")
    code = bundle.area_code(area, "shortages")
    rows = bundle.shortage_rows(code)
    if rating is not None:
        rows = rows.loc[rows["rating"] == rating]
    if top is not None:
        rows = rows.head(top)
    records = [
        {name: (None if isinstance(value, float) and not math.isfinite(value) else value) for name, value in record.items()}
        for record in rows.to_dict(orient="records")
    ]
    return {
        "area": code,
        "area_name": bundle.area_name(code),
        "warnings": bundle.warnings(code),
        "flagged": bundle.flagged(code),
        "rows": records,
    }


def _records(rows: pd.DataFrame) -> list[dict]:
    return [
        {name: (None if isinstance(value, float) and not math.isfinite(value) else value) for name, value in record.items()}
        for record in rows.to_dict(orient="records")
    ]


def reserve_answer(bundle: ForecastBundle, area: str, year: int | None = None, history: bool = False, scenario=None) -> dict:
    """The area's labour reserve (its newest figures, or every year with ``history``) and, beside each band's gap
    in ``year`` (default: the reserve's newest year), the people England's activity rates would bring into work:
    ``area, area_name, warnings, flagged, year, rows, fill, assumptions`` (plain values); with a scenario's
    ``activity`` lever also the people in work at its rates (``at_scenario_rates`` rows, ``scenario_fill``)."""
    if scenario is not None and scenario.activity is None:
        raise InvalidQuery("scenario.activity", "/labour-reserve takes the [activity] lever; the others act on /gaps and /priorities")
    code = bundle.area_code(area, "labour_reserve")
    rows = bundle.reserve_rows(code)
    if scenario is not None:
        lever = scenario.activity
        rows = pd.concat([rows, at_rates(rows, lever.inactivity_rate, lever.unemployment_rate, lever.to_england)], ignore_index=True)
    shown = rows if history else latest_rows(rows)
    shown = shown.assign(description=shown["measure"].map(MEASURES))
    fill, scenario_fill, gap_year = pd.DataFrame(), pd.DataFrame(), None
    if len(bundle.gaps) and code in set(bundle.gaps["area"]):
        gap_years = sorted(int(value) for value in bundle.gaps.loc[bundle.gaps["area"] == code, "year"].unique())
        try:
            gap_year = comparison_year(rows, gap_years, year)
        except ValueError as error:
            raise InvalidQuery("year", str(error).removeprefix("year: ")) from None
        fill = fill_gaps(rows, bundle.gaps, code, gap_year)
        if scenario is not None:
            scenario_fill = fill_gaps(rows, bundle.gaps, code, gap_year, "at_scenario_rates_by_level")
    info = bundle.metadata.get("labour_reserve") if isinstance(bundle.metadata.get("labour_reserve"), dict) else {}
    return {
        "area": code,
        "area_name": bundle.area_name(code),
        "warnings": bundle.warnings(code),
        "flagged": bundle.flagged(code),
        "year": gap_year,
        "rows": _records(shown.drop(columns=["area"])),
        "fill": _records(fill),
        "scenario": scenario.model_dump(mode="json") if scenario is not None else None,
        "scenario_fill": _records(scenario_fill) if scenario is not None else None,
        "assumptions": {
            **(info.get("assumptions") or {}),  # as set; the share below is the one used (England's when not set)
            "wants_job_share": info.get("wants_job_share"),
            "young_share_england": info.get("young_share_england"),
            "national_period": info.get("national_period"),
            "sampling_fraction": info.get("sampling_fraction"),
        },
    }


def compare_answer(bundle: ForecastBundle, area: str, picked: list[str] | None = None, year: int = 2030) -> dict:
    """The area beside its parents, statistical neighbours and ``picked`` areas on the same indicators in ``year``:
    ``area, area_name, year, indicators, neighbours_method, rows`` (plain values; ``skills.compare``)."""
    from skillcast.skills.compare import INDICATORS, NEIGHBOURS, SIMILARITY, comparison

    code = bundle.area_code(area, "gaps")
    gap_years = set(int(value) for value in bundle.gaps["year"].unique())
    if year not in gap_years:
        raise InvalidQuery("year", f"{year} has no gaps; expected one of {min(gap_years)}-{max(gap_years)}")
    others = [bundle.area_code(other, "gaps") for other in picked or []]
    rows = comparison(bundle.indicators(year), bundle.geography, code, others)
    return {
        "area": code,
        "area_name": bundle.area_name(code),
        "year": year,
        "indicators": INDICATORS,
        "neighbours_method": f"the {NEIGHBOURS} areas of the same type nearest on {', '.join(SIMILARITY)} "
        "(each standardised across the areas of that type; Euclidean distance); docs/compare.md",
        "rows": _records(rows),
    }
