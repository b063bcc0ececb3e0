"""Skills gaps: demand for people at a qualification level minus the people who have it.

Sign convention, the same everywhere in skillcast: **gap = demand - supply**, so a
**positive gap is a shortage of people** at that level and a negative gap a surplus.

* demand: jobs (employment) held at each qualification level / band;
* supply: people aged 16-64 whose highest qualification is at that level / band.

Supply counts everyone of working age, in work or not, so across all levels supply
exceeds demand; read a band's gap against the others, not as an absolute.

Intervals combine both sides as independent errors, in quadrature at matched quantiles:
the gap's lower bound is ``gap - sqrt((demand - demand_lo)^2 + (supply_hi - supply)^2)``
and its upper bound ``gap + sqrt((demand_hi - demand)^2 + (supply - supply_lo)^2)``.
Observed years carry no forecast uncertainty (their interval is the point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.qualifications import BANDS, LEVELS

GAP_COLUMNS: list[str] = [
    "area", "band", "year", "demand", "supply", "gap",
    "gap_lo_80", "gap_hi_80", "gap_lo_95", "gap_hi_95", "basis",
]
DEMAND_MEASURE = "employment"
SUPPLY_MEASURE = "population"
BAND_CLASSIFICATIONS = ("qualification_band", "qualification_level")
ALL_BANDS: tuple[str, ...] = BANDS + LEVELS


def _side(frame: pd.DataFrame, measure: str, prefix: str) -> pd.DataFrame:
    rows = frame.loc[(frame["measure"] == measure) & frame["classification"].isin(BAND_CLASSIFICATIONS)]
    columns = {"forecast": prefix, **{f"{bound}_{level}": f"{prefix}_{bound}_{level}" for bound in ("lo", "hi") for level in (80, 95)}}
    return rows.rename(columns={"code": "band", "period": "year", **columns})[
        ["area", "band", "year", "basis", *columns.values()]
    ]


def observed_as_forecast(history: pd.DataFrame) -> pd.DataFrame:
    """Observed rows in the forecast-frame shape, with intervals equal to the point."""
    frame = history[["area", "measure", "classification", "code", "period"]].copy()
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        frame[column] = history["value"].to_numpy()
    return frame


def compute_gaps(forecasts: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Gaps per area, band and year from forecast rows (and observed rows, if given)."""
    frames = [forecasts.assign(basis="forecast")]
    if history is not None and not history.empty:
        frames.append(observed_as_forecast(history).assign(basis="observed"))
    combined = pd.concat(frames, ignore_index=True)
    demand = _side(combined, DEMAND_MEASURE, "demand")
    supply = _side(combined, SUPPLY_MEASURE, "supply").drop(columns="basis")
    merged = demand.merge(supply, on=["area", "band", "year"], how="inner")
    merged["gap"] = merged["demand"] - merged["supply"]
    for level in (80, 95):
        below = np.hypot(merged["demand"] - merged[f"demand_lo_{level}"], merged[f"supply_hi_{level}"] - merged["supply"])
        above = np.hypot(merged[f"demand_hi_{level}"] - merged["demand"], merged["supply"] - merged[f"supply_lo_{level}"])
        merged[f"gap_lo_{level}"] = merged["gap"] - below
        merged[f"gap_hi_{level}"] = merged["gap"] + above
    order = {band: index for index, band in enumerate(ALL_BANDS)}
    merged = merged.sort_values(["area", "year"], kind="stable")
    merged = merged.assign(_order=merged["band"].map(order)).sort_values(["area", "year", "_order"], kind="stable")
    return merged[GAP_COLUMNS].reset_index(drop=True)
