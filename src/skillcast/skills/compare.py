"""Compare areas: an area beside its parents, its statistical neighbours and any area picked, on the same indicators.

Pure: the gaps table and the labour reserve of every area in, one row an area out. The indicators are
what a commissioner compares: the size of demand, how qualified its jobs and its people are, each
band's gap per 1,000 jobs, and how many of its people are out of work.

**Statistical neighbours** are defined from the data, not from a published list: the ``NEIGHBOURS``
areas of the same type (districts with districts, combined authorities with combined authorities) nearest
to the area on ``SIMILARITY`` (the structure of its jobs and people, not its gaps: areas alike in what
they are, so their gaps can be compared), each indicator standardised across the areas of that type,
Euclidean distance; only areas known on every part are neighbours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.data.geography import Geography

NEIGHBOURS = 5  # hand-set: as the ONS / CIPFA nearest-neighbour lists a council knows (15 there; 5 fit a table)
INDICATORS: dict[str, str] = {
    "jobs": "jobs (demand, all bands)",
    "high_share_jobs": "share of jobs needing level 4+",
    "high_share_people": "share of people 16-64 with level 4+ (supply)",
    "low_gap_per_1000": "gap below level 2, per 1,000 jobs (+ = shortage)",
    "intermediate_gap_per_1000": "gap at levels 2-3, per 1,000 jobs",
    "high_gap_per_1000": "gap at level 4+, per 1,000 jobs",
    "inactivity_rate": "inactivity rate, 16-64",
    "unemployment_rate": "unemployment rate",
    "reserve_per_1000": "labour reserve per 1,000 people 16-64",
}
SIMILARITY = ("log_jobs", "high_share_jobs", "high_share_people", "inactivity_rate", "unemployment_rate")
COMPARE_COLUMNS = ["area", "name", "type", "role", "distance", *INDICATORS]


def indicators(gaps: pd.DataFrame, reserve: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """One row an area (index ``area``): ``INDICATORS`` in ``year`` from the gaps table and the reserve's newest
    figures; NaN where an area has no such figure."""
    rows = gaps.loc[(gaps["year"] == year) & gaps["band"].isin(["low", "intermediate", "high"])]
    demand = rows.pivot_table(index="area", columns="band", values="demand", aggfunc="sum")
    supply = rows.pivot_table(index="area", columns="band", values="supply", aggfunc="sum")
    gap = rows.pivot_table(index="area", columns="band", values="gap", aggfunc="sum")
    jobs = demand.sum(axis=1, min_count=1)
    table = pd.DataFrame(
        {
            "jobs": jobs,
            "high_share_jobs": demand.get("high") / jobs,
            "high_share_people": supply.get("high") / supply.sum(axis=1, min_count=1),
            **{f"{band}_gap_per_1000": gap.get(band) / jobs * 1000 for band in ("low", "intermediate", "high")},
        }
    )
    if reserve is not None and len(reserve):
        from skillcast.skills.labour_reserve import latest_rows

        latest = latest_rows(reserve.loc[reserve["level"] == "all"])
        wide = latest.pivot_table(index="area", columns="measure", values="value")
        table = table.join(wide.reindex(columns=["inactivity_rate", "unemployment_rate"]), how="outer")
        table["reserve_per_1000"] = (wide.get("reserve") / wide.get("population_16_64") * 1000).reindex(table.index)
    for column in INDICATORS:
        if column not in table:
            table[column] = np.nan
    return table[list(INDICATORS)].rename_axis("area")


def neighbours(table: pd.DataFrame, geography: Geography, area: str, count: int = NEIGHBOURS) -> pd.Series:
    """The ``count`` areas of ``area``'s type nearest on ``SIMILARITY`` (distance, nearest first)."""
    if area not in table.index or area not in geography:
        return pd.Series(dtype=float, name="distance")
    kind = geography.type_of(area)
    peers = [code for code in table.index if code in geography and geography.type_of(code) == kind]
    features = table.loc[peers].assign(log_jobs=np.log(table.loc[peers, "jobs"].where(table.loc[peers, "jobs"] > 0)))
    features = features[list(SIMILARITY)].dropna()  # only areas known on every part are compared
    if area not in features.index:
        return pd.Series(dtype=float, name="distance")
    spread = features.std(ddof=0).replace(0, 1.0)
    scaled = (features - features.mean()) / spread
    distance = np.sqrt(((scaled - scaled.loc[area]) ** 2).sum(axis=1))
    distance = distance.drop(index=area).sort_values(kind="stable")
    return distance.head(count).rename("distance")


def parents(geography: Geography, area: str) -> list[str]:
    """The areas ``area`` lies in: a district's county, combined authority, LSIP, LEP, region and England (its
    memberships, smallest first); any other area's chain of parents."""
    if area not in geography:
        return []
    membership = geography.district_membership
    rows = membership.loc[(membership["district"] == area) & (membership["weight"] >= 1)] if len(membership) else membership
    order = {"county": 0, "mca": 1, "lsip": 2, "lep": 3, "region": 4, "country": 5}
    found = list(rows.assign(rank=rows["type"].map(order).fillna(9)).sort_values("rank")["area"]) if len(rows) else []
    parent = geography.parent(area)
    while parent:
        found.append(parent)
        parent = geography.parent(parent)
    return list(dict.fromkeys(code for code in found if code != area))


def comparison(table: pd.DataFrame, geography: Geography, area: str, picked: list[str] | None = None) -> pd.DataFrame:
    """The area, its parents (nearest first, up to England), its statistical neighbours and the ``picked`` areas,
    one row each on the same indicators (``COMPARE_COLUMNS``); ``role`` says why each row is there."""
    roles: dict[str, tuple[str, float]] = {area: ("this area", 0.0)}
    for parent in parents(geography, area):
        roles.setdefault(parent, ("parent", np.nan))
    for code, distance in neighbours(table, geography, area).items():
        roles.setdefault(code, ("statistical neighbour", float(distance)))
    for code in picked or []:
        roles.setdefault(code, ("picked", np.nan))
    codes = [code for code in roles if code in table.index]
    out = table.reindex(codes).reset_index()
    out.insert(1, "name", [geography.name(code) if code in geography else code for code in codes])
    out.insert(2, "type", [geography.type_of(code) if code in geography else "" for code in codes])
    out.insert(3, "role", [roles[code][0] for code in codes])
    out.insert(4, "distance", [roles[code][1] for code in codes])
    return out[COMPARE_COLUMNS]
