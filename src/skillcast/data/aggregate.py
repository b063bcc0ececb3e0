"""Adding districts up to larger areas, with the lookup of the right year.

Published district data carry the codes of their day (Allerdale in 2017, Cumberland
today); each larger geography is defined by a lookup of one year (LSIPs on 2023
districts, combined authorities on 2025 ones, LEPs on 2020 ones). Each district code is
first translated along its lineage to the code that lookup knows, then summed. A larger
area is only reported for a period when every one of its districts is present (itself, or
all the older districts it replaced), so a missing district never shows up as a fall in
the total; how many were left out is returned.
LEPs overlap (a district may sit in two): their totals must not be added together.

``to_districts`` does the same for England's 296 districts of 2023 themselves (Cumberland
= Allerdale + Carlisle + Copeland in data of 2017), and ``sum_districts`` adds any table on
those districts up to every area of ``Geography.district_membership`` (weights applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import SERIES_KEY


@dataclass(frozen=True)
class Aggregated:
    panel: pd.DataFrame  # rows for the larger areas, in the data contract
    incomplete: int  # (area, series, period) groups left out because a district was missing


def _membership(geography: Geography, area_type: str) -> pd.DataFrame:
    links = geography.memberships.loc[geography.memberships["type"] == area_type, ["area", "member_of"]]
    if links.empty:
        raise ValueError(f"no lookup for area type {area_type!r}; expected region, lsip, mca or lep")
    return links.reset_index(drop=True)


def aggregate_districts(panel: pd.DataFrame, geography: Geography, area_type: str) -> Aggregated:
    """Sum the district ('lad') rows of ``panel`` into areas of ``area_type``."""
    return _aggregate(panel, geography, _membership(geography, area_type))


def to_districts(panel: pd.DataFrame, geography: Geography) -> Aggregated:
    """The district rows of ``panel`` on England's districts of 2023 (older districts summed into the one that replaced them)."""
    districts = geography.districts()
    if not districts:
        raise ValueError("the geography has no England districts (no 'country' membership); re-ingest with the current lookups")
    return _aggregate(panel, geography, pd.DataFrame({"area": districts, "member_of": districts}))


def sum_districts(frame: pd.DataFrame, links: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Add a table on districts (column ``area``) up to areas: ``links`` has ``district, area, weight``
    (``Geography.district_membership`` or part of it). Returns ``area`` + ``keys`` + ``values``."""
    joined = frame.rename(columns={"area": "district"}).merge(links[["district", "area", "weight"]], on="district")
    joined[values] = joined[values].mul(joined["weight"], axis=0)
    return joined.groupby(["area", *keys], as_index=False, sort=False)[values].sum()


def _aggregate(panel: pd.DataFrame, geography: Geography, links: pd.DataFrame) -> Aggregated:
    lookup_codes = set(links["area"])
    types = {code: geography.type_of(code) for code in panel["area"].unique() if code in geography}  # once per code, not per row
    districts = panel.loc[panel["area"].map(types).eq("lad")]
    as_of = {code: geography.as_of(code, lookup_codes) for code in districts["area"].unique()}
    translated = districts.assign(district=districts["area"].map(as_of)).dropna(subset=["district"])
    series = ["measure", "classification", "code", "period"]

    # A lookup district is covered by a period's data if it is there itself, or all the
    # districts it replaced are (recursively: 2011 -> 2021 -> 2023 hops).
    replaced: dict[str, list[str]] = {}
    for old, new in geography.successor.items():
        replaced.setdefault(new, []).append(old)

    @cache
    def covered(district: str, published: frozenset) -> bool:
        if district in published:
            return True
        older = replaced.get(district)
        return bool(older) and all(covered(code, published) for code in older)

    itself = translated["area"] == translated["district"]
    found = [translated.loc[itself, [*series, "district"]]]
    older = translated.loc[~itself]
    if len(older):  # only districts merged since the data were published (a few dozen): their sets of old codes
        sets = older.groupby([*series, "district"], sort=False)["area"].agg(frozenset).reset_index()
        sets = sets.loc[[covered(district, codes) for district, codes in zip(sets["district"], sets["area"], strict=True)]]
        found.append(sets[[*series, "district"]])
    present = pd.concat(found, ignore_index=True).drop_duplicates()
    size = links.groupby("member_of")["area"].nunique()
    have = present.merge(links, left_on="district", right_on="area").groupby(["member_of", *series], sort=False)["district"].nunique()

    joined = translated.merge(links, left_on="district", right_on="area", suffixes=("", "_lookup"))
    grouped = joined.groupby(["member_of", *series], sort=False)["value"]
    summed = grouped.agg(["sum", "count", "size"])
    summed["value"] = summed["sum"].where(summed["count"] == summed["size"])  # a missing cell makes the total missing, not smaller
    summed["have"] = have.reindex(summed.index).fillna(0).to_numpy()
    complete = summed["have"].to_numpy() == summed.index.get_level_values("member_of").map(size).to_numpy()
    result = summed.loc[complete, ["value"]].reset_index().rename(columns={"member_of": "area"})
    for column in ("source", "vintage"):
        if column in panel.columns:
            result[column] = "aggregated from districts: " + ", ".join(sorted(panel[column].astype(str).unique()))[:200]
    if "projection" in panel.columns:
        result["projection"] = False
    columns = SERIES_KEY + ["period", "value"] + [column for column in ("source", "vintage", "projection") if column in panel.columns]
    return Aggregated(panel=result[columns].reset_index(drop=True), incomplete=int((~complete).sum()))
