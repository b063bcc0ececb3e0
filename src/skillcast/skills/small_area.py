"""Demand (jobs by occupation and qualification) for every district, and so for every area
built from districts, by small-area estimation. Method, assumptions and validation:
docs/small_area.md.

The publisher (SI2035) covers a partition of England: the 38 LSIPs, two of them split by
the combined authority published inside them (West Midlands in West Midlands and
Warwickshire, West of England in West of England and North Somerset), 40 **units** in all.
Each district gets a fixed share of its unit's jobs in each occupation (SOC 2020
sub-major group), the same in every year 2010-2035, so the districts of a unit add up to
it exactly in every cell and year; every other area (county, combined authority, LEP,
region, England) is the sum of its districts.

A district's share of its unit's jobs in occupation k::

    share_dk = T_d exp(lam u_dk) / sum over the unit's districts of the same

* ``T_d`` - the district's jobs where they are (workplace): its APS employed residents
  (``employed_residents``) x the workplace factor of its 2017 upper-tier authority (ESS 2017
  employment by establishment / APS employed residents, England = 1) x, for two-tier
  districts, its online adverts per employed resident relative to its county (clipped to
  [1/3, 3]).
* ``u_dk`` - the district's relative intensity in occupation k, shrunk by empirical Bayes
  (Fay-Herriot): ``y_dk = log(r_dk / r_pk)`` with ``r`` = APS residents employed in k per
  employed resident (pooled 2017-2020), its sampling variance ``psi_dk`` from the APS 95%
  confidence intervals, ``u = g y``, ``g = s2_k / (s2_k + psi_dk)``: a thin survey cell
  leans on the unit's mix, a well-measured one keeps the survey.
* ``lam`` = 0.5 - residents' relative intensity passes half into the district's jobs
  (people commute). Chosen leave-one-group-out (benchmarks/small_area_validation.py).

APS occupations are SOC 2010; SI2035's are SOC 2020. ``SOC2010_TO_2020`` maps them (an
approximation: identity for the 25 groups that keep code and title; the new 63 takes a
little of 33 and 92). Only relative intensities enter, so a national re-coding cancels.

Jobs by qualification (``qualification_shares``): the district's jobs by occupation x the
unit's qualification mix within each occupation (SI2035 2020), raked to the unit's totals.

Uncertainty (``DistrictShares.log_variance``): the log of each share has sampling variance
``lam^2 g psi`` plus a model variance ``tau^2`` (``SmallAreaSettings.model_variance``,
calibrated on held-out LSIPs). Simulations (``band_draws``) draw every district's shares,
renormalise them within the unit in each draw, and combine them with the unit's own
forecast paths: a district's intervals carry both errors and add up in every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from skillcast.data.aggregate import to_districts
from skillcast.data.geography import Geography
from skillcast.data.qualifications import BAND_OF_LEVEL, BANDS, LEVEL_SHARES, LEVELS
from skillcast.engine.nowcast import APS_CLASSIFICATION, CODING_BREAKS

SOC2020_SUBMAJOR: tuple[str, ...] = (
    "11", "12", "21", "22", "23", "24", "31", "32", "33", "34", "35", "41", "42",
    "51", "52", "53", "54", "61", "62", "63", "71", "72", "81", "82", "91", "92",
)  # fmt: skip
RQF: tuple[str, ...] = ("none", "rqf1", "rqf2", "rqf3", "rqf4", "rqf5", "rqf6", "rqf7", "rqf8")
BAND_CODES: tuple[str, ...] = (*BANDS, *LEVELS)  # what a gaps row's band may be
CROSSED = "rqf|soc2020_submajor"
Z95 = 1.959964

# SOC 2010 -> SOC 2020 sub-major groups (rows add to 1). ONS publishes the LFS dual-coded
# correspondence ("The relationship between SOC 2010 and SOC 2020"); it is not in the data,
# so this is an approximation: identity for the 25 groups that keep their code and title,
# and the new 63 (community and civil enforcement: PCSOs, parking) sized to SI2035's England
# 63 in 2020 (31.7k): 4.9% of 33 (protective services) and 0.73% of 92 (elementary
# administration and service). See docs/small_area.md for what this leaves out.
SOC2010_TO_2020: dict[str, dict[str, float]] = {
    **{code: {code: 1.0} for code in SOC2020_SUBMAJOR if code not in ("33", "63", "92")},
    "33": {"33": 0.951, "63": 0.049},
    "92": {"92": 0.9927, "63": 0.0073},
}


class SmallAreaSettings(BaseModel):
    """The estimator's constants; each is listed with why in docs/small_area.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    occupation_years: tuple[int, ...] = Field(
        default=tuple(range(2017, CODING_BREAKS[APS_CLASSIFICATION])),  # 2017-2020: the survey's 2021 is a coding break
        description="APS occupation years pooled (to the year before the SOC 2020 coding break, engine.nowcast.CODING_BREAKS)",
    )
    employed_years: tuple[int, int] = Field(default=(2018, 2021), description="APS employed residents, Oct-Sep years averaged")
    advert_years: tuple[int, int] = Field(default=(2018, 2021), description="ONS/Adzuna advert index years averaged")
    pass_through: float = Field(default=0.5, ge=0, le=2, description="lam: residents' relative intensity passed to jobs (chosen LOGO)")
    overlap: float = Field(default=1.6, gt=0, description="APS year-on-year sample overlap: variance of a 4-year mean x this")
    model_variance: float = Field(default=0.0128, ge=0, description="tau^2 of a district's log share (calibrated on held-out LSIPs)")
    tilt_bounds: tuple[float, float] = Field(default=(1 / 3, 3.0), description="adverts tilt of a two-tier district, clipped")


# -- inputs: APS occupations, employed residents, workplace factors -------------------------------


@dataclass(frozen=True)
class DistrictSurvey:
    """APS residents employed by occupation, pooled, per district (England's 2023 districts)."""

    counts: pd.DataFrame  # district x SOC2020 sub-major: mean people a year (censored cells imputed)
    variance: pd.DataFrame  # same: sampling variance of the pooled mean
    phi: pd.Series  # district: the APS variance factor (var ~ phi x value)
    observed: pd.DataFrame  # same shape: True where some year was published


def _soc_matrix() -> pd.DataFrame:
    matrix = pd.DataFrame(0.0, index=[c for c in SOC2020_SUBMAJOR if c != "63"], columns=list(SOC2020_SUBMAJOR))
    for old, targets in SOC2010_TO_2020.items():
        for new, weight in targets.items():
            matrix.at[old, new] = weight
    return matrix


def district_survey(aps: pd.DataFrame, geography: Geography, settings: SmallAreaSettings) -> DistrictSurvey:
    """Pool the APS occupation rows of each published district, then add them up to 2023 districts.

    ``aps``: rows of the ``aps-occupations`` source (``soc2010_submajor``, ``ci95``). A
    published cell's variance is ``(ci95 / 1.96)^2``; where its CI is not published, the
    district's own factor ``phi`` (median variance / value) times the value. A suppressed
    cell is below the district's smallest published cell ``T``: it is imputed as
    min(the expected count, T/2) with variance (T/2)^2/3. Pooled over
    ``occupation_years``, the mean's variance is divided by the years published and
    multiplied by ``overlap`` (the APS re-interviews people in consecutive years).
    """
    rows = aps.loc[aps["area"].isin(list(geography.district_code)) & aps["period"].isin(settings.occupation_years)]
    rows = rows.loc[rows["classification"] == "soc2010_submajor", ["area", "code", "period", "value", "ci95"]].copy()
    if rows.empty:
        raise ValueError("small-area demand: no APS employment by occupation for districts in the data (aps-occupations)")
    rows["var"] = (rows["ci95"] / Z95) ** 2
    phi_src = (rows["var"] / rows["value"]).groupby(rows["area"]).median()
    rows["var"] = rows["var"].fillna(rows["area"].map(phi_src) * rows["value"])
    smallest = rows.groupby(["area", "period"])["value"].min().groupby("area").median()
    national = rows.groupby("code")["value"].sum()
    national = national / national.sum()
    size = rows.groupby(["area", "period"])["value"].sum().groupby("area").mean()
    grouped = rows.groupby(["area", "code"])
    pooled = pd.DataFrame({"n": grouped["value"].count(), "sum": grouped["value"].sum(), "var": grouped["var"].mean()}).reset_index()
    threshold = pooled["area"].map(smallest)
    expected = pooled["area"].map(size) * pooled["code"].map(national)
    published_mean = pooled["sum"] / pooled["n"].clip(lower=1)
    imputed = np.minimum(np.where(pooled["n"] > 0, published_mean, expected), threshold / 2)
    years = len(settings.occupation_years)
    pooled["value"] = (pooled["sum"] + (years - pooled["n"]) * imputed) / years
    censored_var = (threshold / 2) ** 2 / 3
    pooled["var"] = np.where(
        pooled["n"] > 0,
        pooled["var"] / pooled["n"].clip(lower=1) * settings.overlap,
        np.maximum(censored_var, pooled["area"].map(phi_src) * pooled["value"]),
    )
    pooled["district"] = pooled["area"].map(geography.district_code)
    districts = geography.districts()
    old_codes = [c for c in SOC2020_SUBMAJOR if c != "63"]
    counts10 = pooled.pivot_table(index="district", columns="code", values="value", aggfunc="sum").reindex(
        index=districts, columns=old_codes
    )
    var10 = pooled.pivot_table(index="district", columns="code", values="var", aggfunc="sum").reindex(index=districts, columns=old_codes)
    matrix = _soc_matrix()
    counts = counts10.fillna(0.0) @ matrix
    variance = var10.fillna(0.0) @ (matrix**2)
    seen10 = pooled.assign(seen=pooled["n"] > 0).pivot_table(index="district", columns="code", values="seen", aggfunc="all")
    seen10 = seen10.reindex(index=districts, columns=old_codes).fillna(False).astype(bool)
    observed = pd.DataFrame({code: seen10[code] if code != "63" else seen10["33"] & seen10["92"] for code in SOC2020_SUBMAJOR})
    phi = (rows["var"] / rows["value"]).groupby(rows["area"].map(geography.district_code)).median().reindex(districts)
    return DistrictSurvey(counts=counts, variance=variance, phi=phi, observed=observed)


def _mean_by_district(rows: pd.DataFrame, geography: Geography, years: tuple[int, int]) -> pd.Series:
    """A measure's mean over ``years`` per 2023 district (older districts summed, complete years only)."""
    rows = rows.loc[rows["period"].between(*years)]
    rows = rows.loc[rows["area"].isin(list(geography.district_code))]
    if rows.empty:
        return pd.Series(dtype=float)
    districts = to_districts(rows, geography).panel
    return districts.dropna(subset=["value"]).groupby(["area", "period"])["value"].sum().groupby("area").mean()


def district_measure(series: pd.DataFrame, measure: str, geography: Geography, years: tuple[int, int]) -> pd.Series:
    """A ``local-skills-time-series`` measure (all people 16-64) per 2023 district, mean over ``years``."""
    rows = series.loc[(series["measure"] == measure) & (series["classification"] == "all")]
    return _mean_by_district(rows, geography, years).reindex(geography.districts())


def lea_groups(
    ess: pd.DataFrame, geography: Geography, measure: str = "employment", period: int = 2017
) -> list[tuple[frozenset[str], float]]:
    """ESS 2017 employment (establishment based; or another ``measure`` and ``period``) per upper-tier
    authority, as sets of 2023 districts.

    An authority named like a county of 2018 (current or since replaced by unitaries: the
    store may have matched "Dorset" 2017, the county, to the Dorset unitary of 2019) is its
    county's districts; any other is its own district. Authorities whose districts overlap
    after the 2019-2023 mergers are merged (2017 Dorset county + Bournemouth + Poole ->
    Bournemouth, Christchurch and Poole with Dorset).
    """
    rows = ess.loc[(ess["measure"] == measure) & (ess["classification"] == "all") & (ess["period"] == period)]
    counties = {geography.name(code).lower(): code for kind in ("county", "former_county") for code in geography.codes(kind)}
    groups: list[tuple[set[str], float]] = []
    for area, value in zip(rows["area"], rows["value"], strict=True):
        if area not in geography or geography.type_of(area) not in ("lad", "lea") or pd.isna(value) or value <= 0:
            continue  # England, and the LEP tables (LEPs named like counties must not count as them)
        name = geography.name(area).lower() if area in geography else ""
        if name in counties:
            districts = set(geography.districts_of(counties[name]))
        elif area in geography.district_code:
            districts = {geography.district_code[area]}
        else:
            continue
        if not districts:
            continue
        overlapping = [group for group in groups if group[0] & districts]
        for group in overlapping:
            groups.remove(group)
        groups.append((districts.union(*(group[0] for group in overlapping)), float(value) + sum(group[1] for group in overlapping)))
    return [(frozenset(districts), value) for districts, value in groups]


def employed_residents(series: pd.DataFrame, geography: Geography, groups, settings: SmallAreaSettings) -> tuple[pd.Series, list[str]]:
    """APS employed residents 16-64 per district (mean of ``employed_years``), and the districts estimated otherwise.

    A district with no APS estimate at all (the Isles of Scilly) gets its ESS 2017
    employment x England's employed residents per ESS job, when it is an authority of its own.
    """
    employed = district_measure(series, "employment_residence", geography, settings.employed_years)
    missing = [district for district in employed.index if not employed.get(district, 0) > 0]
    ess_total = sum(value for _, value in groups)
    ratio = employed.sum() / ess_total if ess_total else np.nan
    for district in missing:
        own = [value for districts, value in groups if districts == {district}]
        employed[district] = own[0] * ratio if own else np.nan
    return employed, missing


def workplace_factor(groups, employed: pd.Series) -> pd.Series:
    """Each district's upper tier: ESS employment / APS employed residents, England = 1."""
    ess_total = sum(value for _, value in groups)
    national = ess_total / employed.sum()
    factor = pd.Series(1.0, index=employed.index)
    for districts, value in groups:
        members = [district for district in districts if district in factor.index]
        residents = employed.reindex(members).sum()
        if residents > 0:
            factor.loc[members] = value / residents / national
    return factor


def advert_tilt(adverts: pd.DataFrame, geography: Geography, employed: pd.Series, settings: SmallAreaSettings) -> pd.Series:
    """A two-tier district's online adverts per employed resident relative to its county's (1 elsewhere)."""
    rows = adverts.loc[(adverts["measure"] == "job_advert_index") & (adverts["classification"] == "all")]
    per_district = _mean_by_district(rows, geography, settings.advert_years)
    tilt = pd.Series(1.0, index=employed.index)
    links = geography.district_membership
    for _, members in links.loc[links["type"] == "county"].groupby("area")["district"]:
        known = [district for district in members if district in per_district.index and employed.get(district, 0) > 0]
        if len(known) < 2:
            continue
        reference = per_district.reindex(known).sum() / employed.reindex(known).sum()
        tilt.loc[known] = (per_district.reindex(known) / employed.reindex(known) / reference).clip(*settings.tilt_bounds)
    return tilt


# -- the estimator -------------------------------------------------------------------------------


def fh_variance(y: pd.DataFrame, psi: pd.DataFrame, observed: pd.DataFrame | None = None, iterations: int = 50) -> pd.Series:
    """Fay-Herriot between-district variance ``s2`` per column: the moment equation
    sum w (y - mu)^2 = n - 1 with w = 1 / (s2 + psi), solved by Newton steps (floor 1e-4)."""
    out = {}
    for column in y.columns:
        values, noise = y[column].to_numpy(dtype=float), psi[column].to_numpy(dtype=float)
        usable = np.isfinite(values) & np.isfinite(noise)
        if observed is not None:
            usable &= observed[column].reindex(y.index).fillna(False).to_numpy(dtype=bool)
        values, noise = values[usable], noise[usable]
        if len(values) < 3:
            out[column] = 1e-4
            continue
        s2 = max(float(np.var(values) - np.median(noise)), 0.01)
        for _ in range(iterations):
            weights = 1.0 / (s2 + noise)
            mean = np.sum(weights * values) / np.sum(weights)
            excess = np.sum(weights * (values - mean) ** 2) - (len(values) - 1)
            slope = -np.sum(weights**2 * (values - mean) ** 2)
            step = excess / slope
            s2 = max(s2 - step, 1e-4)
            if abs(step) < 1e-6:
                break
        out[column] = s2
    return pd.Series(out)


def relative_intensity(counts: pd.DataFrame, employed: pd.Series, phi: pd.Series, unit_of: pd.Series, settings: SmallAreaSettings):
    """(y, psi): each district's log rate per employed resident against its unit's, and its sampling variance."""
    rate = counts.div(employed, axis=0)
    unit_rate = counts.groupby(unit_of).sum().div(employed.groupby(unit_of).sum(), axis=0)
    parent_rate = unit_rate.reindex(unit_of.to_numpy()).set_axis(counts.index)
    y = np.log(rate.clip(lower=1e-6) / parent_rate)
    factor = phi.reindex(counts.index).fillna(phi.median()) * settings.overlap / len(settings.occupation_years)
    psi = (1.0 / parent_rate.mul(employed, axis=0)).mul(factor, axis=0)
    return y, psi


@dataclass(frozen=True)
class DistrictShares:
    """Each district's share of its unit's jobs per occupation, and what it rests on."""

    unit: pd.Series  # district -> unit code
    occupation: pd.DataFrame  # district x SOC2020 sub-major: share of the unit's jobs (each unit's column sums to 1)
    log_variance: pd.DataFrame  # same: variance of the log share (sampling + model)
    shrinkage: pd.DataFrame  # g: weight on the survey (0: the unit's mix)
    workplace: pd.Series  # T_d: jobs-where-they-are weight (employed residents x workplace factor x adverts tilt)
    employed: pd.Series  # APS employed residents 16-64 (mean of the employed years)
    no_survey: tuple[str, ...] = ()  # districts without APS estimates (shares rest on ESS only)


def allocate(workplace: pd.Series, intensity: pd.DataFrame | None, unit_of: pd.Series, pass_through: float) -> pd.DataFrame:
    """Shares of each unit's jobs per occupation: ``T_d exp(lam u_dk)`` normalised within the unit."""
    columns = list(SOC2020_SUBMAJOR) if intensity is None else list(intensity.columns)
    weight = pd.DataFrame(
        np.outer(workplace.reindex(unit_of.index).to_numpy(), np.ones(len(columns))), index=unit_of.index, columns=columns
    )
    if intensity is not None:
        weight = weight * np.exp(pass_through * intensity.reindex(unit_of.index)[columns].fillna(0.0))
    return weight / weight.groupby(unit_of).transform("sum")


def estimate_shares(
    survey: DistrictSurvey, employed: pd.Series, workplace: pd.Series, unit_of: pd.Series, settings: SmallAreaSettings, no_survey=()
) -> DistrictShares:
    """The production estimate: EB intensities against each district's unit, shares, and their log variances."""
    districts = list(unit_of.index)
    counts = survey.counts.reindex(districts).fillna(0.0)
    y, psi = relative_intensity(counts, employed.reindex(districts), survey.phi, unit_of, settings)
    s2 = fh_variance(y, psi, survey.observed)
    g = (s2 / (s2 + psi)).fillna(0.0)
    intensity = g * y
    silent = [district for district in districts if not survey.observed.loc[district].any()] if len(survey.observed) else []
    intensity.loc[silent] = 0.0  # no survey at all: the unit's mix
    g.loc[silent] = 0.0
    shares = allocate(workplace, intensity, unit_of, settings.pass_through)
    sampling = (settings.pass_through**2) * g * psi
    log_variance = sampling.fillna(0.0) + settings.model_variance
    return DistrictShares(
        unit=unit_of,
        occupation=shares,
        log_variance=log_variance,
        shrinkage=g,
        workplace=workplace.reindex(districts),
        employed=employed.reindex(districts),
        no_survey=tuple(no_survey),
    )


# -- qualifications ------------------------------------------------------------------------------


def rqf_to_band_codes() -> pd.DataFrame:
    """RQF level x ``BAND_CODES``: how much of a job at each RQF level counts in each level and band
    (``skillcast.data.qualifications``)."""
    matrix = pd.DataFrame(0.0, index=list(RQF), columns=list(BAND_CODES))
    for rqf, shares in LEVEL_SHARES["rqf"].items():
        for level, weight in shares:
            matrix.at[rqf, level] += weight
            matrix.at[rqf, BAND_OF_LEVEL[level]] += weight
    return matrix


def qualification_shares(
    shares: DistrictShares, unit_jobs: pd.DataFrame, unit_mix: dict[str, pd.DataFrame], unit_rqf: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each district's share of its unit's jobs per RQF level (district x ``RQF``), and per band,
    level and in all (district x ``BAND_CODES`` + 'all').

    ``unit_jobs``: unit x SOC sub-major (base year); ``unit_mix``: unit -> SOC x RQF shares
    (each row adds to 1); ``unit_rqf``: unit x RQF totals (base year). The district's jobs
    by occupation times the unit's mix within each occupation, raked (20 rounds) so the
    districts add up to the unit's RQF totals and each keeps its own total.
    """
    jobs = shares.occupation * unit_jobs.reindex(shares.unit.to_numpy()).set_axis(shares.occupation.index)[shares.occupation.columns]
    by_rqf = pd.DataFrame(
        [jobs.loc[district].to_numpy() @ unit_mix[unit].reindex(index=jobs.columns, columns=list(RQF)).fillna(0.0).to_numpy()
         for district, unit in shares.unit.items()],
        index=jobs.index,
        columns=list(RQF),
    )  # fmt: skip
    totals = jobs.sum(axis=1)
    target = unit_rqf.reindex(shares.unit.to_numpy()).set_axis(jobs.index)[list(RQF)]
    for _ in range(20):
        current = by_rqf.groupby(shares.unit).transform("sum")
        by_rqf = by_rqf * (target / current.where(current > 0)).fillna(0.0)
        by_rqf = by_rqf.mul(totals / by_rqf.sum(axis=1).where(lambda row_sums: row_sums > 0), axis=0).fillna(0.0)
    by_code = (by_rqf @ rqf_to_band_codes()).assign(all=totals)

    def within_unit(frame: pd.DataFrame) -> pd.DataFrame:
        return frame / frame.groupby(shares.unit).transform("sum").where(lambda sums: sums > 0)

    return within_unit(by_rqf).fillna(0.0), within_unit(by_code).fillna(0.0)


# -- areas from districts ------------------------------------------------------------------------

WEIGHT_KINDS: dict[str, str] = {
    "soc2020_submajor": "soc2020_submajor",
    CROSSED: "soc2020_submajor",  # crossed RQF x occupation cells scale with the occupation
    "soc2020_major": "soc2020_major",
    "rqf": "rqf",
    "qualification_level": "qualification",
    "qualification_band": "qualification",
    "all": "all",
}


@dataclass(frozen=True)
class SmallAreaDemand:
    """District shares of the units' jobs, and the areas they make up: what ``gaps.analyse`` expands."""

    shares: DistrictShares
    rqf: pd.DataFrame  # district x RQF level: share of the unit's jobs
    qualification: pd.DataFrame  # district x (levels, bands: BAND_CODES, and 'all'): share of the unit's jobs
    membership: pd.DataFrame  # district, area, weight: every area (districts themselves included)
    unit_names: dict[str, str]
    band_weights: dict[str, np.ndarray]  # unit -> SOC x BAND_CODES: the unit's base-year jobs by band within each occupation

    @property
    def units(self) -> list[str]:
        return sorted(self.unit_names)

    @cached_property
    def _members(self) -> dict[str, frozenset[str]]:
        return {area: frozenset(districts) for area, districts in self.membership.groupby("area")["district"]}

    @cached_property
    def _unit_districts(self) -> dict[str, frozenset[str]]:
        return {unit: frozenset(districts) for unit, districts in self.shares.unit.groupby(self.shares.unit).groups.items()}

    def whole_units(self, area: str) -> list[str]:
        """The units ``area`` is made of when it holds whole units only (else [])."""
        members = self._members.get(area, frozenset())
        units = {self.shares.unit[district] for district in members}
        return sorted(units) if members and members == frozenset().union(*(self._unit_districts[unit] for unit in units)) else []

    @cached_property
    def district_weights(self) -> pd.DataFrame:
        """``district, unit, kind, key, share``: each district's share of its unit per weight kind and code."""
        occupation = self.shares.occupation
        codes = list(occupation.columns)
        unit_jobs = pd.DataFrame({unit: weights.sum(axis=1) for unit, weights in self.band_weights.items()}, index=codes).T
        jobs = unit_jobs.reindex(self.shares.unit.to_numpy()).set_axis(occupation.index)
        majors = {}
        for major in sorted({code[0] for code in codes}):
            members = [code for code in codes if code[0] == major]
            total = jobs[members].sum(axis=1)
            majors[major] = (occupation[members] * jobs[members]).sum(axis=1) / total.where(total > 0)
        tables = {
            "soc2020_submajor": occupation,
            "soc2020_major": pd.DataFrame(majors),
            "rqf": self.rqf,
            "qualification": self.qualification[list(BAND_CODES)],
            "all": self.qualification[["all"]],
        }
        frames = [
            table.stack().rename("share").rename_axis(["district", "key"]).reset_index().assign(kind=kind) for kind, table in tables.items()
        ]
        table = pd.concat(frames, ignore_index=True)
        table["unit"] = table["district"].map(self.shares.unit)
        return table

    def area_weights(self, areas: list[str]) -> pd.DataFrame:
        """``area, unit, kind, key, weight``: the share of each unit's cell that each area holds."""
        links = self.membership.loc[self.membership["area"].isin(areas)]
        joined = links.merge(self.district_weights, on="district")
        joined["weight"] = joined["weight"] * joined["share"]
        return joined.groupby(["area", "unit", "kind", "key"], as_index=False)["weight"].sum()

    def expand(self, frame: pd.DataFrame, areas: list[str], values: list[str]) -> pd.DataFrame:
        """Rows of ``frame`` on unit codes (classifications of ``WEIGHT_KINDS``) -> the same rows for ``areas``.

        Every column in ``values`` is multiplied by the area's share of the unit's cell and
        summed over units; interval bounds summed the same way are as if the units' forecast
        errors moved together, with no share error (``band_demand`` adds it for bands).
        """
        rows = frame.loc[frame["area"].isin(self.units) & frame["classification"].isin(list(WEIGHT_KINDS))]
        if rows.empty or not areas:
            return frame.iloc[0:0]
        key = rows["code"].where(rows["classification"] != CROSSED, rows["code"].str.split("|").str[1])
        rows = rows.assign(unit=rows["area"], kind=rows["classification"].map(WEIGHT_KINDS), key=key)
        weights = self.area_weights(areas).rename(columns={"area": "target"})
        joined = rows.merge(weights, on=["unit", "kind", "key"])
        joined[values] = joined[values].mul(joined["weight"], axis=0)
        keys = ["target", *[column for column in frame.columns if column not in (*values, "area", "source", "vintage")]]
        out = joined.groupby(keys, as_index=False, sort=False, dropna=False)[values].sum(min_count=1).rename(columns={"target": "area"})
        if "source" in frame.columns:
            out["source"] = "small-area estimate from the publisher's areas (skillcast.skills.small_area)"
        if "vintage" in frame.columns:
            out["vintage"] = ", ".join(sorted(frame["vintage"].astype(str).unique()))[:120]
        return out[[column for column in frame.columns if column in out.columns]].reset_index(drop=True)


def share_draws(model: SmallAreaDemand, draws: int, seed: int) -> np.ndarray:
    """District x band code x draws: simulated shares of the unit's jobs in each band (``BAND_CODES``).

    Each district's occupation shares get independent log-normal errors (its
    ``log_variance``) and are renormalised within the unit; they become band shares through
    the unit's jobs by band within occupations; the raked point shares move by the same
    factor and are renormalised within the unit again, so districts add up in every draw.
    """
    shares = model.shares
    districts = list(shares.occupation.index)
    rng = np.random.default_rng([seed, 15])
    occupation = shares.occupation.to_numpy()  # D x K
    sd = np.sqrt(shares.log_variance.reindex(index=districts, columns=shares.occupation.columns).to_numpy())
    drawn = occupation[:, :, None] * np.exp(rng.standard_normal((len(districts), occupation.shape[1], draws)) * sd[:, :, None])
    unit_index, units = pd.factorize(shares.unit.reindex(districts))
    totals = np.zeros((len(units), occupation.shape[1], draws))
    np.add.at(totals, unit_index, drawn)
    drawn /= totals[unit_index]
    weights = np.stack([model.band_weights[unit] for unit in shares.unit.reindex(districts)])  # D x K x B
    factor = np.einsum("dkj,dkb->dbj", drawn, weights) / np.maximum(np.einsum("dk,dkb->db", occupation, weights), 1e-12)[:, :, None]
    raked = model.qualification.reindex(index=districts, columns=list(BAND_CODES)).fillna(0.0).to_numpy()
    moved = raked[:, :, None] * factor
    band_totals = np.zeros((len(units), len(BAND_CODES), draws))
    np.add.at(band_totals, unit_index, moved)
    return moved / np.where(band_totals > 0, band_totals, 1.0)[unit_index]


SAME_PATH = {"level4plus": "high"}  # one quantity under two names: one forecast path for both
INTERVALS = {"demand_lo_95": 0.025, "demand_lo_80": 0.10, "demand_hi_80": 0.90, "demand_hi_95": 0.975}


def band_intervals(model: SmallAreaDemand, unit_demand: pd.DataFrame, areas: list[str], draws: int, seed: int) -> pd.DataFrame:
    """Jobs by band with 80%/95% intervals for ``areas``, from the units' band demand and the districts' shares.

    ``unit_demand``: ``demand.band_demand`` rows of the units (``area`` = unit). Each draw
    takes one path per band through every unit's quantiles (the same standard-normal draw
    for all units and years: the units' forecast errors move together, as the national
    shocks that dominate them do) and one set of districts' shares (``share_draws``); an
    area's jobs in the draw are the sum over its districts of share x their unit's jobs.
    Observed years carry the share error alone. Returns ``area, band, year, demand`` and
    the four bounds; the points are exactly the sums of the districts' point estimates.
    """
    from scipy import sparse

    from skillcast.skills.quantiles import quantile_paths

    districts = list(model.shares.occupation.index)
    position = {district: index for index, district in enumerate(districts)}
    links = model.membership.loc[model.membership["area"].isin(areas)]
    links = links.assign(row=links["area"].map({area: index for index, area in enumerate(areas)}), column=links["district"].map(position))
    matrix = sparse.csr_matrix(
        (links["weight"].to_numpy(), (links["row"].to_numpy(), links["column"].to_numpy())), shape=(len(areas), len(districts))
    )
    unit_index, units = pd.factorize(model.shares.unit.reindex(districts))
    drawn = share_draws(model, draws, seed)  # D x B x J
    point_share = model.qualification.reindex(index=districts, columns=list(BAND_CODES)).fillna(0.0).to_numpy()
    paths = sorted(set(SAME_PATH.get(code, code) for code in BAND_CODES))
    z = np.random.default_rng([seed, 16]).standard_normal((len(paths), draws))
    knots_columns = ["demand_lo_95", "demand_lo_80", "demand", "demand_hi_80", "demand_hi_95"]
    table = unit_demand.loc[unit_demand["area"].isin(list(units)) & unit_demand["band"].isin(list(BAND_CODES))]
    frames = []
    for (band, year), rows in table.groupby(["band", "year"], sort=True):
        rows = rows.set_index("area").reindex(list(units))
        if rows["demand"].isna().any():
            raise ValueError(f"small-area demand: unit(s) {list(rows.index[rows['demand'].isna()])[:3]} lack {band} demand in {year}")
        b = list(BAND_CODES).index(band)
        unit_draws = quantile_paths(
            rows[knots_columns].to_numpy(dtype=float), np.broadcast_to(z[paths.index(SAME_PATH.get(band, band))], (len(units), draws))
        )
        area_draws = matrix @ (drawn[:, b, :] * unit_draws[unit_index])
        point = matrix @ (point_share[:, b] * rows["demand"].to_numpy(dtype=float)[unit_index])
        bounds = np.quantile(area_draws, list(INTERVALS.values()), axis=1)
        frame = pd.DataFrame({"area": areas, "band": band, "year": int(year), "demand": point})
        for (column, _), values in zip(INTERVALS.items(), bounds, strict=True):
            frame[column] = values
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    for level in (80, 95):  # a range always holds its point, and the 95% range the 80%
        out[f"demand_lo_{level}"] = np.minimum(out[f"demand_lo_{level}"], out["demand"])
        out[f"demand_hi_{level}"] = np.maximum(out[f"demand_hi_{level}"], out["demand"])
    out["demand_lo_95"] = np.minimum(out["demand_lo_95"], out["demand_lo_80"])
    out["demand_hi_95"] = np.maximum(out["demand_hi_95"], out["demand_hi_80"])
    return out
