"""Demand for skills: jobs by qualification band per area and year, and the people needed.

**Definition.** Demand is the number of *jobs* (workplace employment including
self-employment, Working Futures / Skills Imperative 2035 definition) held by people whose
highest qualification is at each level (RQF, mapped to ``skillcast.data.qualifications.LEVELS``
and bands). It is compared with supply, *people* 16-64 by highest qualification
(``skillcast.skills.supply``); gap = demand - supply, positive = shortage.

Four quantities per area, band and year:

* **demand** - the engine's forecast (``skillcast.engine.base``, production model
  ``reconciled:national_share``) of employment by RQF level, reconciled so levels add to
  bands and bands to all jobs; observed years as published. Its intervals are the engine's
  conformal ones (per series, marginal).
* **demand_by_occupation** - the cross-check: the engine's occupation forecasts (SOC 2020
  sub-major groups) times each occupation's qualification mix in the last observed year.
  It leaves out upskilling *within* occupations, so it runs below ``demand`` in the high band.
* **replacement_demand** - jobs opening each year because their holders leave work
  (retirement, death, other permanent exits), as Working Futures computes it: this year's
  jobs times an exit rate built from the age structure of the people holding that band
  (from the supply model) and exit rates per age band (``ExitRates``). It is computed from
  our own age data; SI2035's published 2020-2035 replacement demand is the check.
* **expansion_demand** (year-on-year change in demand) and **total_requirement** =
  expansion + replacement: the people who must be found for jobs at that level.

Where a publisher's projection is loaded (SI2035 2021-2035), ``reference_demand`` shows it
beside ours; it never trains the model.

Areas: the panel keeps SI2035's ids (``GM_LSIP``); ``si2035_codes`` maps them to ONS codes
(``E69000014``) through the store's ``si2035_area_codes`` table, so demand and supply (APS,
aggregated from districts) meet on ONS codes. England is rebuilt as the sum of its 38
LSIPs, history included: the EN workbook is an older database vintage (29.86m jobs in 2020
against 30.00m for the LSIPs) and areas must add up to England.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from skillcast.data.qualifications import BAND_OF_LEVEL, BANDS, LEVEL_SHARES, add_qualification_bands
from skillcast.data.schema import DataError, observations
from skillcast.engine.targets import select_targets

ENGLAND = "E92000001"
SI2035_ENGLAND = "EN"
DEMAND_MEASURE = "employment"
DEMAND_CLASSIFICATIONS: tuple[str, ...] = ("all", "soc2020_major", "soc2020_submajor", "rqf")
DEMAND_TARGETS: tuple[tuple[str, str], ...] = tuple(
    ("employment", name) for name in (*DEMAND_CLASSIFICATIONS, "qualification_level", "qualification_band")
)
BAND_CLASSIFICATIONS = ("qualification_band", "qualification_level")
OCCUPATION_CLASSIFICATIONS = ("soc2020_submajor", "soc2020_major")
CROSSED = "rqf|soc2020_submajor"
INTERVAL_COLUMNS = ("lo_80", "hi_80", "lo_95", "hi_95")

# When no qualification x occupation table is loaded (the demo): ONS SOC 2020 skill levels
# of the major groups (1: skill level 3-4; 2: 4; 3 and 5: 3; 4, 6, 7, 8: 2; 9: 1), with
# skill level 4 ~ degree (RQF6), 3 ~ post-16 below degree (half RQF3, half RQF4), 2 ~ RQF2,
# 1 ~ RQF1. Crude, and only a fallback.
SKILL_LEVEL_MIX: dict[str, dict[str, float]] = {
    "1": {"rqf3": 0.25, "rqf4": 0.25, "rqf6": 0.5},
    "2": {"rqf6": 1.0},
    "3": {"rqf3": 0.5, "rqf4": 0.5},
    "4": {"rqf2": 1.0},
    "5": {"rqf3": 0.5, "rqf4": 0.5},
    "6": {"rqf2": 1.0},
    "7": {"rqf2": 1.0},
    "8": {"rqf2": 1.0},
    "9": {"rqf1": 1.0},
}


class ExitRates(BaseModel):
    """Share of people in work leaving work for good each year, by age band.

    50-64: a fifteenth reach 65 each year (the uniform-within-band assumption) plus 2.5% a
    year of early retirement, ill health and death (the APS employment rate falls from about
    83% at 50-54 to 55% at 60-64, a third of those in work leaving over fifteen years).
    Younger bands: mortality and permanent ill-health exits (ONS life tables: well under
    0.5% a year before 50). Workers aged 65+ are not modelled (they leave later, roughly
    cancelling those who work on past 65). These are assumptions, not fitted to SI2035.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    rates: dict[str, float] = Field(
        default={"16-19": 0.0005, "20-24": 0.001, "25-29": 0.0015, "30-39": 0.0025, "40-49": 0.004, "50-64": 1 / 15 + 0.025}
    )


# -- areas ---------------------------------------------------------------------------------------


def si2035_codes(area_codes: pd.DataFrame) -> dict[str, str]:
    """SI2035 id -> ONS code from the store's ``si2035_area_codes`` table (ids without a code dropped)."""
    known = area_codes.dropna(subset=["ons_code"])
    return dict(zip(known["area_id"].astype(str), known["ons_code"].astype(str), strict=True))


def demand_panel(
    si2035: pd.DataFrame, codes: dict[str, str], lsips: list[str], merged: dict[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """SI2035 employment rows with ONS area codes; England's history = the sum of its LSIPs.

    ``lsips`` are the ONS codes of the LSIPs that make up England; ``merged`` maps an ONS
    code to the SI2035 ids whose sum it is (an area formed by merging published ones).
    Rows of areas without a code are left out (the caller reports them).
    """
    rows = si2035.loc[(si2035["measure"] == DEMAND_MEASURE) & si2035["classification"].isin((*DEMAND_CLASSIFICATIONS, CROSSED))]
    unions = [
        _sum_areas(rows.loc[rows["area"].isin(parts)], parts, code, "sum of SI2035 " + " + ".join(parts))
        for code, parts in (merged or {}).items()
    ]
    rows = rows.loc[rows["area"].isin(list(codes))].copy()
    rows["area"] = rows["area"].map(codes)
    if lsips:
        rows = rows.loc[rows["area"] != ENGLAND]
        unions.append(_sum_areas(rows.loc[rows["area"].isin(lsips)], lsips, ENGLAND, f"sum of {len(lsips)} LSIPs"))
    rows = pd.concat([rows, *(union[rows.columns] for union in unions)], ignore_index=True)
    return rows.reset_index(drop=True)


def _sum_areas(parts: pd.DataFrame, members: list | tuple, code: str, label: str) -> pd.DataFrame:
    """One area's rows as the sum of ``members``' rows, kept only where every member has a value."""
    key = ["measure", "classification", "code", "period"] + [c for c in ("projection",) if c in parts.columns]
    summed = parts.groupby(key, as_index=False)["value"].agg(lambda values: values.sum() if values.notna().all() else np.nan)
    counts = parts.groupby(key)["area"].nunique().reset_index(drop=True)
    summed = summed.loc[counts.to_numpy() == len(members)].assign(area=code)
    for column in ("source", "vintage"):
        if column in parts.columns:
            summed[column] = label
    return summed


# -- bands from forecasts -------------------------------------------------------------------------


def _observed_then_forecast(seen: pd.DataFrame, ahead: pd.DataFrame, code: str, value: str, bound_prefix: str = "") -> pd.DataFrame:
    """Observed rows (their value as every bound), then the engine's forecasts with their intervals."""
    parts = []
    for rows, column, basis in ((seen, "value", "observed"), (ahead, "forecast", "forecast")):
        part = pd.DataFrame(
            {"area": rows["area"], code: rows["code"], "year": rows["period"].astype(int), value: rows[column], "basis": basis}
        )
        for bound in INTERVAL_COLUMNS:
            part[f"{bound_prefix}{bound}"] = rows[column if basis == "observed" else bound].to_numpy()
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def band_demand(forecasts: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Demand per area, band and year with intervals: observed years, then the engine's.

    Columns ``area, band, year, demand, demand_lo_80, demand_hi_80, demand_lo_95,
    demand_hi_95, basis`` (observed rows carry their value as every bound).
    """
    seen = history.loc[(history["measure"] == DEMAND_MEASURE) & history["classification"].isin(BAND_CLASSIFICATIONS)]
    ahead = forecasts.loc[(forecasts["measure"] == DEMAND_MEASURE) & forecasts["classification"].isin(BAND_CLASSIFICATIONS)]
    table = _observed_then_forecast(seen, ahead, "band", "demand", bound_prefix="demand_").dropna(subset=["demand"])
    return table[["area", "band", "year", "demand", *(f"demand_{c}" for c in INTERVAL_COLUMNS), "basis"]].reset_index(drop=True)


def occupation_series(forecasts: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Employment per area, occupation and year (observed, then forecast) at the finest SOC level present.

    Columns ``area, occupation, year, employment, lo_80, hi_80, lo_95, hi_95, basis, classification``.
    """
    frames = []
    for classification in OCCUPATION_CLASSIFICATIONS:
        seen = history.loc[(history["measure"] == DEMAND_MEASURE) & (history["classification"] == classification)]
        ahead = forecasts.loc[(forecasts["measure"] == DEMAND_MEASURE) & (forecasts["classification"] == classification)]
        if seen.empty and ahead.empty:
            continue
        frames.append(_observed_then_forecast(seen, ahead, "occupation", "employment").assign(classification=classification))
    if not frames:
        raise DataError("demand: no employment by occupation (soc2020_submajor or soc2020_major) to rank occupations")
    table = pd.concat(frames, ignore_index=True).dropna(subset=["employment"])
    # per area, the finest classification it has
    finest = table.groupby("area")["classification"].agg(lambda names: next(c for c in OCCUPATION_CLASSIFICATIONS if c in set(names)))
    return table.loc[table["classification"] == table["area"].map(finest)].reset_index(drop=True)


def occupation_mix(history: pd.DataFrame, occupations: pd.DataFrame) -> pd.DataFrame:
    """Each occupation's qualification mix: ``area, occupation, rqf, share`` (shares add to 1).

    From employment by RQF x SOC 2020 sub-major group in its last observed year where the
    panel has it (SI2035 2020); otherwise the ONS skill level of the major group
    (``SKILL_LEVEL_MIX``), which is all the demo can offer. ``source`` says which.
    """
    crossed = observations(history)
    crossed = crossed.loc[(crossed["measure"] == DEMAND_MEASURE) & (crossed["classification"] == CROSSED)]
    frames = []
    if not crossed.empty:
        crossed = crossed.loc[crossed["period"] == crossed.groupby("area")["period"].transform("max")]
        parts = crossed["code"].str.split("|", n=1, expand=True)
        table = pd.DataFrame(
            {
                "area": crossed["area"].to_numpy(),
                "rqf": parts[0].to_numpy(),
                "occupation": parts[1].to_numpy(),
                "value": crossed["value"].to_numpy(),
            }
        )
        total = table.groupby(["area", "occupation"])["value"].transform("sum")
        table["share"] = table["value"] / total.where(total > 0)
        frames.append(
            table.dropna(subset=["share"]).assign(source="employment by qualification x occupation")[
                ["area", "occupation", "rqf", "share", "source"]
            ]
        )
    have = {(frame_area, occupation) for frame in frames for frame_area, occupation in zip(frame["area"], frame["occupation"], strict=True)}
    needed = occupations[["area", "occupation"]].drop_duplicates()
    rows = []
    for area, occupation in needed.itertuples(index=False):
        if (area, occupation) in have:
            continue
        for rqf, share in SKILL_LEVEL_MIX.get(str(occupation)[:1], {}).items():
            rows.append(
                {"area": area, "occupation": occupation, "rqf": rqf, "share": share, "source": "ONS SOC skill level of the major group"}
            )
    if rows:
        frames.append(pd.DataFrame(rows))
    if not frames:
        raise DataError("demand: no qualification mix for any occupation")
    return pd.concat(frames, ignore_index=True)


def rqf_to_levels(mix: pd.DataFrame, value: str = "share") -> pd.DataFrame:
    """Rows with an ``rqf`` column -> rows per qualification ``level`` (and band column)."""
    mapping = pd.DataFrame(
        [{"rqf": code, "level": level, "weight": weight} for code, shares in LEVEL_SHARES["rqf"].items() for level, weight in shares]
    )
    out = mix.merge(mapping, on="rqf", how="inner")
    out[value] = out[value] * out["weight"]
    keys = [column for column in mix.columns if column not in ("rqf", value)]
    out = out.groupby(keys + ["level"], as_index=False)[value].sum()
    out["qualification_band"] = out["level"].map(BAND_OF_LEVEL)
    return out


def demand_by_occupation(occupations: pd.DataFrame, mix: pd.DataFrame) -> pd.DataFrame:
    """The cross-check: occupation employment x its qualification mix, per band (``area, band, year, demand_by_occupation``)."""
    levels = rqf_to_levels(mix[["area", "occupation", "rqf", "share"]])
    joined = occupations[["area", "occupation", "year", "employment"]].merge(levels, on=["area", "occupation"])
    joined["jobs"] = joined["employment"] * joined["share"]
    by_level = joined.groupby(["area", "level", "year"], as_index=False)["jobs"].sum().rename(columns={"level": "band"})
    by_band = (
        joined.groupby(["area", "qualification_band", "year"], as_index=False)["jobs"].sum().rename(columns={"qualification_band": "band"})
    )
    return pd.concat([by_band, by_level], ignore_index=True).rename(columns={"jobs": "demand_by_occupation"})


# -- replacement and total requirement ------------------------------------------------------------


def replacement_rates(age_mix: pd.DataFrame, exits: ExitRates) -> pd.DataFrame:
    """Annual exit rate per area, band and year: the band's age mix x exit rates per age band."""
    rates = age_mix.assign(rate=age_mix["age_band"].map(exits.rates).fillna(0.0) * age_mix["share"])
    return rates.groupby(["area", "band", "year"], as_index=False)["rate"].sum().rename(columns={"rate": "exit_rate"})


def requirement(demand: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """Add ``expansion_demand``, ``replacement_demand`` and ``total_requirement`` to ``demand``.

    For year t, as Working Futures does: the jobs their holders leave (``exits_by_holders``)
    are each band's jobs at the start of the year (demand in t-1) x the exit rate of the
    people holding that band in t-1 (the nearest year with an age mix when t-1 has none);
    their sum over the three bands is the year's openings, which are filled at the
    qualification mix of year t's jobs: ``replacement_demand`` = openings x the band's share
    of jobs. ``expansion_demand`` = demand(t) - demand(t-1). All are missing in an area's
    first year.
    """
    table = demand.sort_values(["area", "band", "year"]).copy()
    previous = table.groupby(["area", "band"])["demand"].shift(1)
    table["expansion_demand"] = table["demand"] - previous
    rate = _nearest_rate(table[["area", "band"]].assign(year=table["year"] - 1), rates)
    table["exits_by_holders"] = previous * rate.to_numpy()
    main = table.loc[table["band"].isin(BANDS)]
    openings = main.groupby(["area", "year"])["exits_by_holders"].sum(min_count=len(BANDS))
    jobs = main.groupby(["area", "year"])["demand"].sum()
    key = pd.MultiIndex.from_frame(table[["area", "year"]])
    share = table["demand"].to_numpy() / jobs.reindex(key).to_numpy()
    table["replacement_demand"] = openings.reindex(key).to_numpy() * share
    table["total_requirement"] = table["expansion_demand"] + table["replacement_demand"]
    return table.reset_index(drop=True)


def _nearest_rate(keys: pd.DataFrame, rates: pd.DataFrame) -> pd.Series:
    """The exit rate for each (area, band, year); years outside an area's range take its nearest."""
    span = rates.groupby("area")["year"].agg(["min", "max"])
    lowest = keys["area"].map(span["min"])
    highest = keys["area"].map(span["max"])
    year = keys["year"].clip(lower=lowest, upper=highest)
    lookup = rates.set_index(["area", "band", "year"])["exit_rate"]
    index = pd.MultiIndex.from_arrays([keys["area"], keys["band"], year.fillna(-1).astype(int)])
    return pd.Series(lookup.reindex(index).to_numpy(), index=keys.index)


def reference_demand(si2035: pd.DataFrame) -> pd.DataFrame:
    """A publisher's projected employment by band (``area, band, year, reference_demand``).

    ``si2035`` rows already carry ONS codes (``demand_panel``); only projection rows are used.
    """
    if "projection" not in si2035.columns:
        return pd.DataFrame(columns=["area", "band", "year", "reference_demand"])
    projected = si2035.loc[si2035["projection"].astype(bool) & (si2035["classification"] == "rqf") & (si2035["measure"] == DEMAND_MEASURE)]
    if projected.empty:
        return pd.DataFrame(columns=["area", "band", "year", "reference_demand"])
    banded = add_qualification_bands(projected)
    rows = banded.loc[banded["classification"].isin(BAND_CLASSIFICATIONS)]
    return pd.DataFrame(
        {"area": rows["area"], "band": rows["code"], "year": rows["period"].astype(int), "reference_demand": rows["value"]}
    ).reset_index(drop=True)


def published_requirement(si2035: pd.DataFrame, codes: dict[str, str]) -> pd.DataFrame:
    """SI2035's own 2020-2035 net change, replacement demand and total requirement by band.

    ``area, band, net_change, replacement_demand, total_requirement`` (ONS codes), for the
    national check and as a reference beside ours.
    """
    rows = si2035.loc[
        si2035["measure"].isin(["net_change", "replacement_demand", "total_requirement"]) & (si2035["classification"] == "rqf")
    ]
    if rows.empty:
        return pd.DataFrame(columns=["area", "band", "net_change", "replacement_demand", "total_requirement"])
    rows = rows.assign(area=rows["area"].map(codes)).dropna(subset=["area"])
    levels = rqf_to_levels(rows.rename(columns={"code": "rqf"})[["area", "measure", "rqf", "value"]], value="value")
    by_level = levels.groupby(["area", "measure", "level"], as_index=False)["value"].sum().rename(columns={"level": "band"})
    by_band = (
        levels.groupby(["area", "measure", "qualification_band"], as_index=False)["value"]
        .sum()
        .rename(columns={"qualification_band": "band"})
    )
    table = pd.concat([by_band, by_level], ignore_index=True)
    return (
        table.pivot_table(index=["area", "band"], columns="measure", values="value", aggfunc="sum").reset_index().rename_axis(columns=None)
    )


def occupation_replacement_rates(si2035: pd.DataFrame, codes: dict[str, str], span_years: int = 15) -> pd.DataFrame:
    """Published annual replacement rates per area, occupation and RQF level (SI2035 2020-2035).

    ``replacement_demand / employment in 2020 / 15``: the only source here with each
    occupation's age structure. Columns ``area, occupation, rqf, annual_rate``.
    """
    crossed = si2035.loc[si2035["classification"] == CROSSED]
    replacement = crossed.loc[crossed["measure"] == "replacement_demand"].set_index(["area", "code"])["value"]
    employed = crossed.loc[
        (crossed["measure"] == DEMAND_MEASURE) & ~crossed.get("projection", pd.Series(False, index=crossed.index)).astype(bool)
    ]
    employed = employed.set_index(["area", "code"])["value"]
    rate = (replacement / employed / span_years).replace([np.inf, -np.inf], np.nan).dropna().rename("annual_rate").reset_index()
    if rate.empty:
        return pd.DataFrame(columns=["area", "occupation", "rqf", "annual_rate"])
    parts = rate["code"].str.split("|", n=1, expand=True)
    out = pd.DataFrame(
        {"area": rate["area"].map(codes), "occupation": parts[1], "rqf": parts[0], "annual_rate": rate["annual_rate"].clip(lower=0.0)}
    )
    return out.dropna(subset=["area"]).reset_index(drop=True)


def fit_demand_history(panel: pd.DataFrame) -> pd.DataFrame:
    """The observed employment series the engine learns from, qualification bands added."""
    usable = observations(panel)
    usable = usable.loc[(usable["measure"] == DEMAND_MEASURE) & usable["classification"].isin(DEMAND_CLASSIFICATIONS)]
    if usable.empty:
        raise DataError("demand: no observed employment by qualification (rqf) or occupation in the data")
    return select_targets(usable, DEMAND_TARGETS)
