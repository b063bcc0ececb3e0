"""The labour reserve: the local people out of work who could fill the area's jobs.

Pure: survey frames in, one long table out (``labour_reserve``). A commissioner asks how many
local people are out of work or want work, how that compares with England, and whether they
could fill the area's shortages. The answer rests on the Annual Population Survey (APS):

* **Levels and rates** per area and year, as the survey publishes them for the area itself
  (districts, LEPs, LSIPs, combined authorities, England); an area the survey does not
  publish (a county, a region) is the sum of its districts where every district is known.
  Two frames, never mixed within a year: the DfE local skills time series (people 16-64,
  Jan-Dec 2018-2022) and the APS on SOC 2020 pull (Apr-Mar years 2021/22-2024/25, stored as
  the year they end: inactive 16-64, unemployed 16+, whose unemployment rate is of people
  16+; its inactivity rate divides by the 16-64 population of the calendar year the period
  mostly covers, from the same pull's qualification table).
* **The reserve** = unemployed + the economically inactive who want a job. The survey does
  not publish "wants a job" locally, so England's share of the inactive who want one
  (A01 table 11, LF7F, the last complete year) is applied to every area: stated, overridable.
* **Sampling error.** The APS is a sample; its local confidence intervals are not in the
  data, so they are estimated from the survey's own noise: across districts, the year-to-year
  change of the inactivity rate (net of England's) has variance about ``2 p(1-p) / (f N)``
  for a district of ``N`` people, so ``f`` (the effective sample per person) is fitted on
  every district-year pair; a rate's standard error is then ``sqrt(p(1-p) / (f N))``. True
  local change is counted as noise, so the intervals are if anything wide.
* **Trend**: the weighted least-squares slope of the inactivity rate over the local skills
  years (one frame), with its interval from the sampling error.
* **The young part** (16-24, not in full-time education): England's young share of the
  reserve (A01 table 12, AGOL and AGPM, against LF2I and LF2M) times the area's 16-24 share
  of its 16-64 population relative to England's.
* **Qualification mix**: not observed for the out-of-work locally; the area's 16-64
  qualification mix (APS, newest year) weighted by how much more often people at each level
  are out of work (``ReserveAssumptions.relative_out_of_work``, hand-set, overridable).
* **At England's rates**: the people who would be active if the area had England's
  inactivity rate, plus the unemployed above England's unemployment rate; split by level
  with the mix above, that is what ``fill_gaps`` sets against each band's shortage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from skillcast.data.geography import Geography
from skillcast.data.qualifications import BAND_OF_LEVEL, LEVEL_SHARES, LEVELS
from skillcast.data.sources.aps_soc2020 import NAME as SOC2020_SOURCE
from skillcast.data.sources.local_skills_time_series import NAME as LOCAL_SOURCE

ENGLAND = "E92000001"

Z80 = 1.2815515655446004

RESERVE_COLUMNS: list[str] = ["area", "year", "period", "source", "measure", "level", "value", "lo_80", "hi_80", "england"]
MEASURES: dict[str, str] = {
    "population_16_64": "people aged 16-64",
    "unemployed": "unemployed (16-64; 16+ in the APS Apr-Mar years)",
    "inactive": "economically inactive, 16-64",
    "inactive_wanting_job": "inactive who want a job (England's share applied)",
    "reserve": "labour reserve: unemployed + inactive who want a job",
    "unemployment_rate": "unemployed / economically active",
    "inactivity_rate": "inactive / people 16-64",
    "young_reserve": "reserve aged 16-24, not in full-time education (estimated)",
    "inactivity_trend": "inactivity rate change a year (WLS over the local skills years)",
    "at_england_rates": "people who would be active at England's inactivity and unemployment rates",
    "reserve_by_level": "reserve by highest qualification (estimated mix)",
    "at_england_rates_by_level": "people active at England's rates, by highest qualification (estimated mix)",
    "at_scenario_rates": "people in work (negative: out of it) at a scenario's activity rates",
    "at_scenario_rates_by_level": "people in work at a scenario's activity rates, by highest qualification (estimated mix)",
}
# APS codes to the five levels, weights adding to 1: NVQ (to 2021) as data.qualifications splits it (trade
# apprenticeships half level 2, half level 3), RQF (2022 on: "other" qualifications counted with "none", as for NVQ).
LEVEL_WEIGHTS: dict[str, dict[str, list[tuple[str, float]]]] = {
    "nvq": LEVEL_SHARES["nvq"],
    "aps_rqf": {
        "none": [("none", 1.0)],
        "other": [("none", 1.0)],
        "rqf1": [("level1", 1.0)],
        "rqf2": [("level2", 1.0)],
        "rqf3": [("level3", 1.0)],
        "rqf4plus": [("level4plus", 1.0)],
    },
}


RELATIVE_OUT_OF_WORK = {"none": 2.0, "level1": 1.5, "level2": 1.2, "level3": 1.0, "level4plus": 0.6}  # hand-set (field doc)


class ReserveAssumptions(BaseModel):
    """What the reserve assumes where the data are silent; each figure is stated in every output."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wants_job_share: float | None = Field(
        default=None, ge=0, le=1, description="share of the inactive who want a job; None = England's, A01 LF7F"
    )
    relative_out_of_work: dict[str, float] = Field(
        default=RELATIVE_OUT_OF_WORK,
        description="how much more often people at each level are out of work than at level 3; hand-set from the "
        "familiar APS pattern (employment rates fall with qualification), not measured here",
    )

    @field_validator("relative_out_of_work")
    @classmethod
    def _known_levels(cls, weights: dict[str, float]) -> dict[str, float]:
        """A level given replaces its default only; an unknown level or a weight <= 0 is an error, not ignored."""
        unknown = sorted(set(weights) - set(LEVELS))
        if unknown:
            raise ValueError(f"unknown level {unknown[0]!r}; expected some of {list(LEVELS)}")
        bad = [level for level, weight in weights.items() if not weight > 0]
        if bad:
            raise ValueError(f"level {bad[0]!r}: expected a weight above 0, got {weights[bad[0]]}")
        return {**RELATIVE_OUT_OF_WORK, **weights}


@dataclass(frozen=True)
class NationalReference:
    """England's (UK-measured) ratios from A01; None where the series are absent."""

    wants_job_share: float | None
    young_share: float | None
    period: str | None


def national_reference(national: pd.DataFrame | None) -> NationalReference:
    """The last complete year's means of the A01 series the reserve needs (LF7F; AGOL, AGPM, LF2I, LF2M)."""
    if national is None or national.empty:
        return NationalReference(None, None, None)
    quarters = national.loc[(national["frequency"] == "3 months") & national["month"].isin([3, 6, 9, 12])]
    complete_years: dict[str, pd.Series] = {}
    for series in ("LF7F", "AGOL", "AGPM", "LF2I", "LF2M"):
        rows = quarters.loc[quarters["series"] == series].dropna(subset=["value"])
        complete = rows.groupby("year")["value"].agg(["mean", "size"])
        complete = complete.loc[complete["size"] == 4, "mean"]
        if not complete.empty:
            complete_years[series] = complete
    if not complete_years:
        return NationalReference(None, None, None)
    year = min(int(complete.index.max()) for complete in complete_years.values())  # one year for every figure: never mixed
    means = {series: float(complete[year]) for series, complete in complete_years.items() if year in complete.index}
    wants = means["LF7F"] / 100.0 if "LF7F" in means else None
    young = None
    if wants is not None and {"AGOL", "AGPM", "LF2I", "LF2M"} <= set(means):
        young = (means["AGOL"] + wants * means["AGPM"]) / (means["LF2I"] + wants * means["LF2M"])
    return NationalReference(wants, young, f"A01, {year} mean of quarters (UK)" if year else None)


def _frame(rows: pd.DataFrame, measures: dict[str, str]) -> pd.DataFrame:
    """area x year table of the given measures (store measure -> column), classification 'all'."""
    rows = rows.loc[(rows["classification"] == "all") & rows["measure"].isin(list(measures))]
    table = rows.pivot_table(index=["area", "period"], columns="measure", values="value", aggfunc="sum").rename(columns=measures)
    for column in measures.values():
        if column not in table:
            table[column] = np.nan
    return table.rename_axis(index=["area", "year"], columns=None)


def _population_16_64(aps: pd.DataFrame) -> pd.Series:
    """Each area's 16-64 population by calendar year from the APS qualification table (sum of its levels)."""
    rows = aps.loc[(aps["measure"] == "population") & aps["classification"].isin(["aps_rqf", "nvq"])]
    return rows.groupby(["area", "period"])["value"].sum(min_count=1).rename_axis(["area", "year"])


def survey_frames(local: pd.DataFrame | None, aps: pd.DataFrame | None) -> pd.DataFrame:
    """Both survey frames as one area x year table: population_16_64, active, unemployed, inactive, employed;
    ``source``, ``period`` label and ``unemployed_age`` say which frame a row is."""
    parts = []
    if local is not None and not local.empty:
        frame = _frame(
            local,
            {
                "population": "population_16_64",
                "economically_active": "active",
                "unemployed": "unemployed",
                "economically_inactive": "inactive",
                "employment_residence": "employed",
            },
        )
        parts.append(frame.assign(source=LOCAL_SOURCE, unemployed_age="16-64").reset_index())
    if aps is not None and not aps.empty:
        frame = _frame(aps, {"unemployed": "unemployed", "economically_inactive": "inactive", "employment_residence": "employed"})
        frame = frame.dropna(subset=["inactive"], how="all")
        people = _population_16_64(aps)
        # an Apr-Mar year ending in March Y is mostly the calendar year Y-1
        shifted = people.rename(index=lambda year: year + 1, level="year")
        frame["population_16_64"] = shifted.reindex(frame.index)
        frame["active"] = frame["employed"] + frame["unemployed"]  # 16+: the unemployment rate's own frame
        parts.append(frame.assign(source=SOC2020_SOURCE, unemployed_age="16+").reset_index())
    if not parts:
        return pd.DataFrame(columns=["area", "year", "population_16_64", "active", "unemployed", "inactive", "employed", "source"])
    frames = pd.concat(parts, ignore_index=True)  # 2022 is in both frames: kept apart by source and period label
    frames["period"] = np.where(
        frames["source"] == SOC2020_SOURCE,
        (frames["year"] - 1).astype(str) + "-04/" + frames["year"].astype(str) + "-03",
        "Jan-Dec " + frames["year"].astype(str),
    )
    return frames


def with_districts(frames: pd.DataFrame, membership: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """``frames`` plus each of ``areas`` the survey does not publish, as the sum of its districts (a year only where
    every district is known)."""
    missing = [area for area in areas if area not in set(frames["area"])]
    links = membership.loc[membership["area"].isin(missing)]
    if links.empty:
        return frames
    values = ["population_16_64", "active", "unemployed", "inactive", "employed"]
    joined = frames.rename(columns={"area": "district"}).merge(links[["district", "area"]], on="district")
    needed = links.groupby("area")["district"].nunique()
    summed = joined.groupby(["area", "year", "source", "period", "unemployed_age"])[values].agg(["sum", "count"])
    counts = summed.xs("count", axis=1, level=1)
    totals = summed.xs("sum", axis=1, level=1).where(counts.eq(needed.reindex(counts.index.get_level_values("area")).to_numpy(), axis=0))
    added = totals.dropna(how="all").reset_index()
    return pd.concat([frames, added], ignore_index=True)


def sampling_fraction(frames: pd.DataFrame, districts: list[str], reference: str = ENGLAND) -> float:
    """The effective sample per person ``f`` (module docstring), fitted on districts' year-to-year inactivity changes
    net of the ``reference`` area's (England)."""
    rows = frames.loc[frames["area"].isin(districts) & (frames["source"] == LOCAL_SOURCE)].copy()
    rows["rate"] = rows["inactive"] / rows["population_16_64"]
    england = frames.loc[(frames["area"] == reference) & (frames["source"] == LOCAL_SOURCE)].set_index("year")
    national = (england["inactive"] / england["population_16_64"]).sort_index()
    rows = rows.dropna(subset=["rate"]).sort_values(["area", "year"])
    rows["change"] = rows.groupby("area")["rate"].diff() - rows["year"].map(national.diff())
    rows = rows.loc[rows.groupby("area")["year"].diff().eq(1)].dropna(subset=["change"])
    if len(rows) < 20:
        raise ValueError(f"too few district-year pairs ({len(rows)}) to estimate the survey's sampling error")
    p = rows["rate"].clip(0.01, 0.99)
    inverse = (rows["change"] ** 2 * rows["population_16_64"] / (2 * p * (1 - p))).mean()
    return float(1.0 / inverse)


def _rate_error(rate: pd.Series, people: pd.Series, fraction: float) -> pd.Series:
    p = rate.clip(0.001, 0.999)
    return np.sqrt(p * (1 - p) / (fraction * people))


def _rows(frame: pd.DataFrame, measure: str, value: pd.Series, error: pd.Series | None, england: pd.Series | None) -> pd.DataFrame:
    out = frame[["area", "year", "period", "source"]].assign(measure=measure, level="all", value=value.to_numpy())
    spread = (Z80 * error).to_numpy() if error is not None else np.nan
    out["lo_80"] = out["value"] - spread
    out["hi_80"] = out["value"] + spread
    out["england"] = england.to_numpy() if england is not None else np.nan
    return out


def _level_mix(qualifications: pd.DataFrame | None, assumptions: ReserveAssumptions) -> pd.DataFrame:
    """area x level: the reserve's estimated qualification mix (shares adding to 1) from the newest APS year."""
    if qualifications is None or qualifications.empty:
        return pd.DataFrame(columns=list(LEVELS))
    rows = qualifications.loc[(qualifications["measure"] == "population") & qualifications["classification"].isin(["aps_rqf", "nvq"])]
    weights = pd.DataFrame(
        [
            (system, code, level, weight)
            for system, codes in LEVEL_WEIGHTS.items()
            for code, split in codes.items()
            for level, weight in split
        ],
        columns=["classification", "code", "level", "weight"],
    )
    rows = rows.merge(weights, on=["classification", "code"]).dropna(subset=["value"])
    rows = rows.assign(value=rows["value"] * rows["weight"])
    newest = rows.groupby("area")["period"].transform("max")
    rows = rows.loc[rows["period"] == newest]
    people = rows.pivot_table(index="area", columns="level", values="value", aggfunc="sum").reindex(columns=list(LEVELS)).fillna(0.0)
    weighted = people * pd.Series(assumptions.relative_out_of_work).reindex(list(LEVELS)).fillna(1.0)
    return weighted.div(weighted.sum(axis=1), axis=0).dropna()


def _young_factor(qualifications: pd.DataFrame | None, reference: str) -> pd.Series:
    """Each area's 16-24 share of its 16-64 population relative to England's (newest year with ages)."""
    if qualifications is None or qualifications.empty:
        return pd.Series(dtype=float)
    rows = qualifications.loc[(qualifications["measure"] == "population") & qualifications["classification"].str.startswith("age_band|")]
    rows = rows.loc[rows["period"] == rows.groupby("area")["period"].transform("max")].dropna(subset=["value"])
    band = rows["code"].str.split("|").str[0]
    young = rows.loc[band.isin(["16-19", "20-24"])].groupby("area")["value"].sum()
    share = (young / rows.groupby("area")["value"].sum()).dropna()
    return (share / share[reference]).dropna() if reference in share else pd.Series(dtype=float)


def labour_reserve(
    frames: pd.DataFrame,
    fraction: float,
    national: NationalReference,
    qualifications: pd.DataFrame | None = None,
    assumptions: ReserveAssumptions | None = None,
    reference: str = ENGLAND,
) -> pd.DataFrame:
    """Every area's labour reserve by year (``RESERVE_COLUMNS``), from ``survey_frames`` (+ ``with_districts``);
    rates are compared with the ``reference`` area's (England; the demo's nation)."""
    assumptions = assumptions or ReserveAssumptions()
    wants = assumptions.wants_job_share if assumptions.wants_job_share is not None else national.wants_job_share
    if wants is None:
        raise ValueError("no share of the inactive who want a job: the national series (A01 LF7F) are not in the store")
    frame = frames.dropna(subset=["inactive", "population_16_64"]).reset_index(drop=True)
    inactivity = frame["inactive"] / frame["population_16_64"]
    unemployment = frame["unemployed"] / frame["active"]
    reserve = frame["unemployed"] + wants * frame["inactive"]
    reserve_rate = reserve / frame["population_16_64"]
    key = pd.MultiIndex.from_frame(frame[["year", "source"]])
    england = frame.loc[frame["area"] == reference].set_index(["year", "source"])
    england_inactivity = (england["inactive"] / england["population_16_64"]).reindex(key)
    england_unemployment = (england["unemployed"] / england["active"]).reindex(key)
    people = frame["population_16_64"]
    parts = [
        _rows(frame, "population_16_64", people, None, None),
        _rows(frame, "unemployed", frame["unemployed"], _rate_error(unemployment, frame["active"], fraction) * frame["active"], None),
        _rows(frame, "inactive", frame["inactive"], _rate_error(inactivity, people, fraction) * people, None),
        _rows(frame, "inactive_wanting_job", wants * frame["inactive"], wants * _rate_error(inactivity, people, fraction) * people, None),
        _rows(frame, "reserve", reserve, _rate_error(reserve_rate, people, fraction) * people, None),
        _rows(frame, "unemployment_rate", unemployment, _rate_error(unemployment, frame["active"], fraction), england_unemployment),
        _rows(frame, "inactivity_rate", inactivity, _rate_error(inactivity, people, fraction), england_inactivity),
    ]
    rates = (england_inactivity.to_numpy(), england_unemployment.to_numpy())
    parts.append(_at_england_rates(frame, inactivity, unemployment, rates, fraction, reference))
    if national.young_share is not None:
        factor = frame["area"].map(_young_factor(qualifications, reference))
        young = reserve * national.young_share * factor
        parts.append(
            _rows(frame, "young_reserve", young, _rate_error(reserve_rate, people, fraction) * people * national.young_share * factor, None)
        )
    table = pd.concat(parts, ignore_index=True)
    table = pd.concat([table, _trend(frame, fraction), _by_level(table, _level_mix(qualifications, assumptions))], ignore_index=True)
    return table[RESERVE_COLUMNS].sort_values(["area", "measure", "level", "year"], kind="stable").reset_index(drop=True)


def _at_england_rates(frame, inactivity, unemployment, rates, fraction, reference) -> pd.DataFrame:
    """People who would be active at England's rates: the inactivity above England's times the area's people, plus
    the unemployment above England's times its active; the interval from the area's rates' own (never below 0)."""
    people, active = frame["population_16_64"], frame["active"]
    england_inactivity, england_unemployment = rates
    inactive_error = Z80 * _rate_error(inactivity, people, fraction)
    unemployed_error = Z80 * _rate_error(unemployment, active, fraction)

    def excess(shift: float) -> pd.Series:
        above_inactive = (inactivity + shift * inactive_error - england_inactivity).clip(lower=0) * people
        above_unemployed = (unemployment + shift * unemployed_error - england_unemployment).clip(lower=0).fillna(0) * active
        return above_inactive + above_unemployed

    out = _rows(frame, "at_england_rates", excess(0.0), None, None)
    out["lo_80"], out["hi_80"] = excess(-1.0).to_numpy(), excess(1.0).to_numpy()
    out.loc[out["area"] == reference, ["lo_80", "hi_80"]] = 0.0  # the reference itself
    return out


def _trend(frame: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """Per area: the WLS slope of the inactivity rate over the local skills years, with its 80% interval."""
    rows = []
    local = frame.loc[frame["source"] == LOCAL_SOURCE]
    for area, group in local.groupby("area"):
        group = group.sort_values("year")
        if len(group) < 3:
            continue
        rate = (group["inactive"] / group["population_16_64"]).to_numpy()
        weight = 1.0 / _rate_error(pd.Series(rate), group["population_16_64"].reset_index(drop=True), fraction).to_numpy() ** 2
        years = group["year"].to_numpy(dtype=float)
        centre = np.average(years, weights=weight)
        spread = np.sum(weight * (years - centre) ** 2)
        slope = np.sum(weight * (years - centre) * (rate - np.average(rate, weights=weight))) / spread
        error = np.sqrt(1.0 / spread)
        last = group.iloc[-1]
        rows.append(
            {
                "area": area,
                "year": int(last["year"]),
                "period": f"Jan-Dec {int(years[0])}-{int(years[-1])}",
                "source": LOCAL_SOURCE,
                "measure": "inactivity_trend",
                "level": "all",
                "value": slope,
                "lo_80": slope - Z80 * error,
                "hi_80": slope + Z80 * error,
                "england": np.nan,
            }
        )
    return pd.DataFrame(rows, columns=RESERVE_COLUMNS)


def _by_level(table: pd.DataFrame, mix: pd.DataFrame) -> pd.DataFrame:
    """The newest reserve and at-England-rates figures of each area split by level with the estimated mix."""
    parts = []
    for measure in ("reserve", "at_england_rates"):
        rows = table.loc[table["measure"] == measure]
        rows = rows.loc[rows["year"] == rows.groupby("area")["year"].transform("max")]
        rows = rows.loc[rows["area"].isin(mix.index)]
        for level in LEVELS:
            share = rows["area"].map(mix[level]).to_numpy()
            part = rows.assign(measure=f"{measure}_by_level", level=level)
            part[["value", "lo_80", "hi_80"]] = rows[["value", "lo_80", "hi_80"]].to_numpy() * share[:, None]
            parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=RESERVE_COLUMNS)


def fill_gaps(reserve: pd.DataFrame, gaps: pd.DataFrame, area: str, year: int, measure: str = "at_england_rates_by_level") -> pd.DataFrame:
    """Each band's gap in ``year`` beside the people England's rates (or a scenario's, ``measure`` =
    ``at_scenario_rates_by_level``) would bring into work at its levels: ``band, gap, gap_lo_80, gap_hi_80,
    at_england_rates, filled, share_filled`` (``filled`` = the part of a shortage those people cover; nothing for a
    surplus)."""
    levels = reserve.loc[(reserve["area"] == area) & (reserve["measure"] == measure)]
    by_band = levels.assign(band=levels["level"].map(BAND_OF_LEVEL)).groupby("band")["value"].sum()
    rows = gaps.loc[(gaps["area"] == area) & (gaps["year"] == year) & gaps["band"].isin(list(by_band.index))]
    out = rows[["band", "gap", "gap_lo_80", "gap_hi_80"]].copy()
    out["at_england_rates"] = out["band"].map(by_band).to_numpy()
    out["filled"] = np.minimum(out["gap"].clip(lower=0), out["at_england_rates"].clip(lower=0))
    out["share_filled"] = (out["filled"] / out["gap"]).where(out["gap"] > 0)
    return out.reset_index(drop=True)


def reserve_from_sources(
    sources: dict[str, pd.DataFrame],
    national: pd.DataFrame | None,
    geography: Geography,
    assumptions: ReserveAssumptions | None = None,
    small_areas: list[str] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """The labour reserve of every area of ``geography`` from a store's frames, and what the metadata records
    (the sampling fraction, England's shares, the assumptions): the one entry point of the job. The reference is
    England where the geography has it, else its nation (the demo's); ``small_areas`` (default: the districts) are
    the areas the sampling error is fitted on."""
    assumptions = assumptions or ReserveAssumptions()
    local, aps = sources.get(LOCAL_SOURCE), sources.get(SOC2020_SOURCE)
    frames = survey_frames(local, aps)
    if frames.empty:
        raise ValueError(f"no survey rows for the labour reserve (sources {LOCAL_SOURCE!r}, {SOC2020_SOURCE!r})")
    frames = with_districts(frames, geography.district_membership, list(geography.codes()))
    frames = frames.loc[frames["area"].isin(set(geography.codes()))]
    reference = ENGLAND if ENGLAND in geography else next(code for code in geography.codes() if geography.type_of(code) == "nation")
    fraction = sampling_fraction(frames, small_areas if small_areas is not None else geography.districts(), reference)
    national_ratios = national_reference(national)
    with_levels = [frame for frame in (aps, sources.get("aps-qualifications")) if frame is not None]
    qualifications = pd.concat(with_levels, ignore_index=True) if with_levels else None
    table = labour_reserve(frames, fraction, national_ratios, qualifications, assumptions, reference)
    info = {
        "sources": sorted(table["source"].unique().tolist()),
        "areas": int(table["area"].nunique()),
        "sampling_fraction": fraction,
        "wants_job_share": assumptions.wants_job_share if assumptions.wants_job_share is not None else national_ratios.wants_job_share,
        "young_share_england": national_ratios.young_share,
        "national_period": national_ratios.period,
        "reference": reference,
        "assumptions": assumptions.model_dump(),
        "method": "docs/labour_reserve.md",
    }
    return table, info


def latest_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Each measure and level at its newest year (the APS Apr-Mar pull over the local skills years where both
    exist): what the CLI, the API, the report and the workbook show first."""
    if rows.empty:
        return rows
    newest = rows.groupby(["area", "measure", "level"])["year"].transform("max")
    latest = rows.loc[rows["year"] == newest]
    latest = latest.loc[~latest.duplicated(["area", "measure", "level"], keep="last")]  # 2022: the later frame
    order = {measure: rank for rank, measure in enumerate(MEASURES)}
    levels = {level: rank for rank, level in enumerate(("all", *LEVELS))}
    keys = latest["measure"].map(order) * 10 + latest["level"].map(levels)
    return latest.assign(_order=keys).sort_values(["area", "_order"]).drop(columns="_order").reset_index(drop=True)


def comparison_year(rows: pd.DataFrame, gap_years: list[int], year: int | None = None) -> int | None:
    """The gap year to set the reserve against: ``year`` when given (it must be a gap year), else the reserve's
    newest year, or the first gap year after it."""
    if not gap_years:
        return None
    if year is not None:
        if year not in gap_years:
            raise ValueError(f"year: {year} has no gaps; expected one of {min(gap_years)}-{max(gap_years)}")
        return year
    newest = int(rows["year"].max()) if len(rows) else min(gap_years)
    later = [gap_year for gap_year in sorted(gap_years) if gap_year >= newest]
    return later[0] if later else max(gap_years)


def at_rates(rows: pd.DataFrame, inactivity: float | None, unemployment: float | None = None, to_england: bool = False) -> pd.DataFrame:
    """What-if: the people who would be in work (negative: out of it) if each area's newest inactivity rate were
    ``inactivity`` (England's with ``to_england``) and its unemployment rate ``unemployment`` (England's with
    ``to_england``; as now when None), with the 80% range from the area's rates' own; to England's, only rates above
    England's fall (as ``at_england_rates``); by level with the reserve's
    estimated mix. Measures ``at_scenario_rates`` and ``at_scenario_rates_by_level`` (``RESERVE_COLUMNS``)."""
    latest = latest_rows(rows)
    if latest.empty:
        return pd.DataFrame(columns=RESERVE_COLUMNS)
    table = latest.loc[latest["level"] == "all"].pivot_table(index="area", columns="measure", values=["value", "lo_80", "hi_80", "england"])
    people = table["value"]["population_16_64"]
    # the unemployment rate's own frame (16+ in the APS rows), as at_england_rates; else the 16-64 active
    active = (table["value"]["unemployed"] / table["value"]["unemployment_rate"]).where(table["value"]["unemployment_rate"] > 0)
    active = active.fillna(people * (1 - table["value"]["inactivity_rate"]))
    unemployment_moves = to_england or unemployment is not None
    target_inactivity = table["england"]["inactivity_rate"] if to_england else pd.Series(inactivity, index=table.index)
    if to_england:
        target_unemployment = table["england"]["unemployment_rate"]
    else:
        target_unemployment = table["value"]["unemployment_rate"] if unemployment is None else pd.Series(unemployment, index=table.index)

    floor = 0.0 if to_england else None  # to England's: rates above it fall, those below stay (as at_england_rates)

    def brought(bound: str) -> pd.Series:
        inactive_excess = (table[bound]["inactivity_rate"] - target_inactivity).clip(lower=floor) * people
        if not unemployment_moves:  # as now: no one moves, whatever the rate's error
            return inactive_excess
        unemployed_excess = (table[bound]["unemployment_rate"] - target_unemployment).clip(lower=floor).fillna(0) * active
        return inactive_excess + unemployed_excess

    reference = latest.loc[(latest["measure"] == "reserve") & (latest["level"] == "all")].set_index("area")
    out = reference[["year", "period", "source"]].assign(measure="at_scenario_rates", level="all", england=np.nan)
    out["value"], low, high = brought("value"), brought("hi_80"), brought("lo_80")  # higher inactivity: more to bring in
    out["lo_80"], out["hi_80"] = np.minimum(low, high), np.maximum(low, high)
    out = out.reset_index()
    mix = latest.loc[latest["measure"] == "reserve_by_level"].pivot_table(index="area", columns="level", values="value")
    mix = mix.div(mix.sum(axis=1), axis=0)
    parts = [out]
    for level in [level for level in LEVELS if level in mix]:
        share = out["area"].map(mix[level]).to_numpy()
        part = out.assign(measure="at_scenario_rates_by_level", level=level)
        part[["value", "lo_80", "hi_80"]] = out[["value", "lo_80", "hi_80"]].to_numpy() * share[:, None]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[RESERVE_COLUMNS]
