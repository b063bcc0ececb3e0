"""The service's answers to ``/priorities`` and ``/shortages`` as plain values from a ``ForecastBundle``,
so the HTTP layer (``serving/service.py``) only turns them into responses.

Errors are the bundle's own (``UnknownArea`` -> 404 with suggestions; ``AmbiguousArea`` and
``InvalidQuery`` -> 400 naming the field), raised before anything is computed.
"""

from __future__ import annotations

import math

import pandas as pd

from skillcast.bundle import ForecastBundle, InvalidQuery
from skillcast.skills.priorities import ALLOCATION_METHOD, MODES, allocate, rerank
from skillcast.skills.shortage import RATINGS


def priority_answer(
    bundle: ForecastBundle, area: str, budget: float | None = None, top: int | None = None, mode: str = "local"
) -> tuple[pd.DataFrame, str | None]:
    """The area's ranking in ``mode`` (a bundle holds the local one; absolute is re-scored from its columns), with the
    budget allocated and converted to starts when given; and the allocation method (None without a budget)."""
    if mode not in MODES:
        raise InvalidQuery("mode", f"{mode!r} is not a mode; expected one of {list(MODES)}")
    ranking = bundle.priority_rows(area)
    if "mode" in ranking and len(ranking) and str(ranking["mode"].iloc[0]) != mode:
        ranking = rerank(ranking, mode)
    if budget is not None:
        try:
            ranking = allocate(ranking, budget)
        except ValueError as error:
            raise InvalidQuery("budget", str(error).removeprefix("--budget: ")) from None
    if top is not None:
        ranking = ranking.head(top)
    return ranking, (ALLOCATION_METHOD if budget is not None else None)


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
