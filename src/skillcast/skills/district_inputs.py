"""The gaps analysis's inputs on real data: every district of 2023 and every area made of them.

Pure: a store's frames in, a ``gap_inputs.GapInputs`` out (``real_inputs``). This is where
the areas of the two sides are lined up for every area a council may ask about: the 296
districts and every area made of them (counties, combined authorities, LSIPs, LEPs,
regions, England; ``Geography.district_membership``).

* **Demand.** SI2035 publishes the 38 LSIPs (and ten combined authorities, each either
  the same districts as an LSIP or inside one) under its own ids (``GM_LSIP``); the
  store's ``si2035_area_codes`` table maps them to ONS codes. The engine forecasts the
  publisher's finest partition of England, the **units** (``publisher_units``): the LSIPs,
  with West Midlands and West of England split out of the LSIPs they sit in (their
  remainders as units of their own), and England as their sum. Districts get fixed shares
  of their unit's jobs by small-area estimation (``skillcast.skills.small_area``); every
  other area is the sum of its districts. SI2035 (February 2024) predates the May 2024
  North East CA and the six CAs formed since: they are built from their districts like
  any other area, and the abolished ids ``NE_MCA`` / ``NT_MCA`` point elsewhere
  (``gap_inputs.RETIRED``).
* **Supply** (APS) is built per district, suppressed cells filled
  (``supply.fill_suppressed_districts``), older districts added up to 2023 ones
  (``aggregate.to_districts``); every other area is the sum of its districts.

So districts add up to every area, on both sides, in every year.

Signals for shortage ratings and priorities (``skillcast.skills.shortage``): by occupation,
England's ESS 2017 skill-shortage, hard-to-fill and all vacancies per job by SOC major group,
ONS/Textkernel new online adverts per job by SOC 2020 sub-major group (sums of unit groups)
in the latest full year, and employment growth; by area (every area), ESS 2019 vacancies per
job by local education authority and Textkernel adverts per job. Also the apprenticeship
relevance of occupations (SOC 2020 entry routes) and each area's FE pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from skillcast.data.aggregate import sum_districts, to_districts
from skillcast.data.geography import Geography
from skillcast.data.schema import SIGNED_MEASURES, DataError
from skillcast.data.standards import load_products
from skillcast.engine.nowcast import APS_SOURCE, SOC2020_SOURCE, survey_mix_signal
from skillcast.skills import alignment, apprenticeships, shortage, small_area
from skillcast.skills.demand import (
    CROSSED,
    DEMAND_CLASSIFICATIONS,
    DEMAND_MEASURE,
    ENGLAND,
    SI2035_ENGLAND,
    occupation_replacement_rates,
    published_requirement,
    si2035_codes,
)
from skillcast.skills.funding import funding_bands
from skillcast.skills.gap_inputs import AREA_TYPES, RETIRED, GapInputs
from skillcast.skills.supply import activity_rates, fill_suppressed_districts, stock_from_panel


@dataclass(frozen=True)
class PublisherUnits:
    """The publisher's finest partition of England (see the module docstring)."""

    unit_of: pd.Series  # district -> unit code
    names: dict[str, str]  # unit code -> name
    parts: dict[str, tuple[tuple[str, float], ...]]  # unit code -> (SI2035 id, +1 / -1) whose sum it is


def publisher_units(geography: Geography, id_to_code: dict[str, str]) -> PublisherUnits:
    """LSIPs, each split by a published combined authority strictly inside it (and its remainder)."""
    districts = set(geography.districts())
    lsips = {area_id: code for area_id, code in id_to_code.items() if code in geography and geography.type_of(code) == "lsip"}
    missing = sorted(districts - {d for code in lsips.values() for d in geography.districts_of(code)})
    if missing:
        raise DataError(f"SI2035 covers no LSIP holding district(s) {missing[:5]}; expected all 38 LSIPs in si2035_area_codes")
    unit_of: dict[str, str] = {}
    names: dict[str, str] = {}
    parts: dict[str, tuple[tuple[str, float], ...]] = {}
    inside: dict[str, list[tuple[str, str]]] = {}
    for area_id, code in id_to_code.items():
        if code in geography and geography.type_of(code) == "mca":
            members = set(geography.districts_of(code))
            for lsip_id, lsip in lsips.items():
                whole = set(geography.districts_of(lsip))
                if members < whole:
                    inside.setdefault(lsip_id, []).append((area_id, code))
    for lsip_id, lsip in sorted(lsips.items()):
        remaining = set(geography.districts_of(lsip))
        rest_parts: list[tuple[str, float]] = [(lsip_id, 1.0)]
        for area_id, code in inside.get(lsip_id, []):
            members = set(geography.districts_of(code)) & remaining
            if not members:
                continue
            unit_of.update(dict.fromkeys(members, code))
            names[code], parts[code] = geography.name(code), ((area_id, 1.0),)
            remaining -= members
            rest_parts.append((area_id, -1.0))
        unit = lsip if len(rest_parts) == 1 else f"{lsip}-" + "-".join(code for _, code in inside[lsip_id])
        unit_of.update(dict.fromkeys(remaining, unit))
        names[unit] = (
            geography.name(lsip)
            if len(rest_parts) == 1
            else f"{geography.name(lsip)} outside " + ", ".join(geography.name(code) for _, code in inside[lsip_id])
        )
        parts[unit] = tuple(rest_parts)
    return PublisherUnits(unit_of=pd.Series(unit_of).sort_index(), names=names, parts=parts)


def unit_panel(si2035: pd.DataFrame, units: PublisherUnits) -> tuple[pd.DataFrame, int]:
    """SI2035 rows on unit codes (a remainder = its LSIP minus the CA inside it), and how many cells were clipped at 0."""
    rows = si2035.loc[si2035["classification"] != "industry"]
    key = ["measure", "classification", "code", "period", *[column for column in ("projection",) if column in rows.columns]]
    by_id = {area_id: frame.set_index(key)["value"] for area_id, frame in rows.groupby("area", sort=False)}
    frames, clipped = [], 0
    for unit, parts in units.parts.items():
        values = sum(by_id[area_id] * sign for area_id, sign in parts)
        if len(parts) > 1:
            counts = ~values.index.get_level_values("measure").isin(list(SIGNED_MEASURES))
            negative = counts & (values < 0)
            clipped += int(negative.sum())
            values = values.where(~negative, 0.0)
        frames.append(values.rename("value").reset_index().assign(area=unit))
    panel = pd.concat(frames, ignore_index=True)
    panel["source"], panel["vintage"] = "SI2035 on the publisher's units", ", ".join(sorted(si2035["vintage"].astype(str).unique()))
    return panel[["area", *key, "value", "source", "vintage"]], clipped


def _england(panel: pd.DataFrame) -> pd.DataFrame:
    key = ["measure", "classification", "code", "period", *[column for column in ("projection",) if column in panel.columns]]
    england = panel.groupby(key, as_index=False)["value"].sum(min_count=1).assign(area=ENGLAND)
    england["source"], england["vintage"] = "sum of the publisher's units", panel["vintage"].iloc[0]
    return england[panel.columns]


def _unit_tables(panel: pd.DataFrame, units: list[str]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.DataFrame]:
    """Base-year (2020) jobs per unit: by occupation (unit x SOC), the RQF mix within each occupation, by RQF (unit x RQF)."""
    observed = panel.loc[~panel["projection"].astype(bool) & (panel["measure"] == DEMAND_MEASURE)] if "projection" in panel else panel
    base = int(observed.loc[observed["classification"] == CROSSED, "period"].max())
    year = observed.loc[observed["period"] == base]
    jobs = year.loc[year["classification"] == "soc2020_submajor"].pivot_table(index="area", columns="code", values="value", aggfunc="sum")
    jobs = jobs.reindex(index=units, columns=list(small_area.SOC2020_SUBMAJOR)).fillna(0.0)
    rqf = year.loc[year["classification"] == "rqf"].pivot_table(index="area", columns="code", values="value", aggfunc="sum")
    rqf = rqf.reindex(index=units, columns=list(small_area.RQF)).fillna(0.0)
    crossed = year.loc[year["classification"] == CROSSED]
    parts = crossed["code"].str.split("|", n=1, expand=True)
    cells = pd.DataFrame(
        {"area": crossed["area"].to_numpy(), "rqf": parts[0].to_numpy(), "soc": parts[1].to_numpy(), "value": crossed["value"].to_numpy()}
    )
    mixes = {}
    for unit, rows in cells.groupby("area"):
        table = rows.pivot_table(index="soc", columns="rqf", values="value", aggfunc="sum").reindex(
            index=list(small_area.SOC2020_SUBMAJOR), columns=list(small_area.RQF)
        )
        table = table.fillna(0.0).clip(lower=0.0)
        mixes[unit] = table.div(table.sum(axis=1).where(lambda total: total > 0), axis=0).fillna(0.0)
    return jobs, mixes, rqf


def _band_weights(jobs: pd.DataFrame, mixes: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Unit -> SOC x band code: base-year jobs in each band within each occupation."""
    matrix = small_area.rqf_to_band_codes().to_numpy()
    return {unit: mixes[unit].mul(jobs.loc[unit], axis=0).to_numpy() @ matrix for unit in jobs.index}


def real_inputs(
    sources: dict[str, pd.DataFrame],
    geography: Geography,
    tables: dict[str, pd.DataFrame],
    settings: small_area.SmallAreaSettings | None = None,
) -> GapInputs:
    """Inputs from a store made by ``skillcast ingest all`` (source name -> its panel): every district and every area of them.

    In named steps: the sources are checked; SI2035 goes onto the publisher's units; districts get
    their shares of their unit's jobs (``small_area``); supply is built per district; the areas
    (every membership of districts) are laid out; the alignment check, the shortage signals and
    the FE pipeline are added."""
    settings = settings or small_area.SmallAreaSettings()
    _check_sources(sources, tables, geography)
    notes: list[str] = []
    unit = unit_demand(sources["si2035"], tables["si2035_area_codes"], geography, notes)
    districts = district_demand(sources, geography, unit, settings, notes)
    unit, districts, repairs, tried = repaired_units(unit, districts, notes)
    stock = district_stock(sources["aps-qualifications"], geography, notes)
    layout = area_layout(geography)
    model, panel = districts.model, unit.panel
    expanded = model.expand(
        panel.loc[panel["classification"].isin(["rqf", CROSSED]) & panel["area"].isin(unit.unit_codes)], list(layout.names), ["value"]
    )
    activity, fe, fe_pipeline = _activity_and_fe(sources["local-skills-time-series"], geography, model.membership, layout.names)
    district_jobs, checked = _jobs_and_alignment(unit, districts, layout, repairs, tried)
    base_people = stock.loc[stock["period"] == stock["period"].max()].groupby("area")["value"].sum()
    factors, inflow = basis_factors(sources["local-skills-time-series"], geography, district_jobs, base_people, layout.growth_groups)
    signals, units_table, titles, years = _occupation_signals(sources, tables, unit.demand)
    area_signals, area_years = _area_signals(sources, geography, model.membership, district_jobs)
    structure = tables.get("soc2020_structure")
    relevance = apprenticeships.relevance(structure, units_table) if structure is not None else pd.DataFrame()
    funding = funding_bands(load_products(), structure)  # each occupation's products matched on the SOC descriptions
    own = {code: code for code in layout.names}
    return GapInputs(
        demand_history=unit.demand,
        stock=stock,
        leaves=layout.districts,
        parents=layout.parents,
        area_parents=tuple((unit, ENGLAND) for unit in unit.unit_codes),
        national=ENGLAND,
        names=layout.names,
        aliases={area_id: code for area_id, code in unit.id_to_code.items() if code in layout.names and area_id not in RETIRED},
        activity=activity,
        fe_achievements=fe,
        signals=signals,
        unit_groups=units_table,
        titles=titles,
        occupation_replacement=occupation_replacement_rates(expanded, own),
        published=published_requirement(expanded, own),
        notes=tuple(notes),
        geography=geography,
        small_area=model,
        growth_groups=layout.growth_groups,
        basis_factors=factors,
        inflow=inflow,
        warnings=checked.warnings,
        flagged=checked.flagged,
        alignment=checked.table,
        area_signals=area_signals,
        signal_years={**years, **area_years},
        relevance=relevance,
        funding=funding,
        fe_pipeline=fe_pipeline,
        mix_signal=survey_mix_signal(pd.concat([sources[name] for name in SURVEY_SOURCES if name in sources], ignore_index=True)),
    )


SURVEY_SOURCES = (APS_SOURCE, SOC2020_SOURCE)  # the nowcast's England occupational mix, every coding


def _check_sources(sources: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame], geography: Geography) -> None:
    for needed, why in (
        ("si2035", "demand"),
        ("aps-qualifications", "supply"),
        ("aps-occupations", "districts' demand (small-area estimation)"),
        ("local-skills-time-series", "districts' employed residents and economic activity"),
    ):
        if needed not in sources:
            raise DataError(f"the store has no {needed!r} source ({why}); run `skillcast ingest all DATA_FOLDER`")
    if "si2035_area_codes" not in tables:
        raise DataError("the store has no 'si2035_area_codes' table; re-ingest si2035 with its si2035_areas.csv")
    if not geography.districts():
        raise DataError("the store's geography has no England districts (written before #15); re-run `skillcast ingest all`")


@dataclass(frozen=True)
class UnitDemand:
    """SI2035 on the publisher's units (``publisher_units``), England their sum."""

    units: PublisherUnits
    id_to_code: dict[str, str]  # SI2035 id -> ONS code
    panel: pd.DataFrame  # every SI2035 row on unit codes (projections and requirement tables included)
    demand: pd.DataFrame  # the employment series the demand model fits

    @property
    def unit_codes(self) -> list[str]:
        return sorted(self.units.names)


def unit_demand(si2035: pd.DataFrame, area_codes: pd.DataFrame, geography: Geography, notes: list[str]) -> UnitDemand:
    id_to_code = si2035_codes(area_codes)
    id_to_code[SI2035_ENGLAND] = ENGLAND
    units = publisher_units(geography, id_to_code)
    panel, clipped = unit_panel(si2035, units)
    if clipped:
        notes.append(f"{clipped} cells of an LSIP less the CA inside it were below zero and set to zero")
    return _with_england(units, id_to_code, panel)


def _with_england(units: PublisherUnits, id_to_code: dict[str, str], panel: pd.DataFrame) -> UnitDemand:
    panel = pd.concat([panel, _england(panel)], ignore_index=True)
    demand = panel.loc[(panel["measure"] == DEMAND_MEASURE) & panel["classification"].isin((*DEMAND_CLASSIFICATIONS, CROSSED))]
    return UnitDemand(units=units, id_to_code=id_to_code, panel=panel, demand=demand.reset_index(drop=True))


def repaired_units(unit: UnitDemand, districts: DistrictDemand, notes: list[str]) -> tuple[UnitDemand, DistrictDemand, dict, dict]:
    """Units failing the alignment check with their jobs taken from their districts' workplaces
    (``alignment.repairs``), where the repair holds; (units, districts, repairs, tried)."""
    shares = districts.shares
    repairs, tried = alignment.repairs(
        _unit_alignment(unit, shares),
        shares.workplace.groupby(shares.unit).sum(),
        unit.units.names,
        lambda factors: _unit_alignment(_rescaled(unit, factors), shares),
    )
    if not repairs and not tried:
        return unit, districts, {}, {}
    repaired = _rescaled(unit, pd.Series({code: repair.factor for code, repair in repairs.items()}, dtype=float))
    notes.extend(repair.note() for repair in repairs.values())
    jobs, mixes, _ = _unit_tables(repaired.panel.loc[repaired.panel["area"].isin(repaired.unit_codes)], repaired.unit_codes)
    return repaired, replace(districts, model=replace(districts.model, band_weights=_band_weights(jobs, mixes))), repairs, tried


def _rescaled(unit: UnitDemand, factors: pd.Series) -> UnitDemand:
    """``unit`` with each unit of ``factors`` scaled (every row), England summed again."""
    panel = unit.panel.loc[unit.panel["area"] != ENGLAND]
    return _with_england(unit.units, unit.id_to_code, alignment.rescaled(panel, factors))


def _unit_alignment(unit: UnitDemand, shares: small_area.DistrictShares) -> pd.DataFrame:
    """The alignment ratios of each unit and England (base years)."""
    panel = unit.panel
    observed = panel.loc[(panel["classification"] == "all") & (panel["measure"] == DEMAND_MEASURE) & ~panel["projection"].astype(bool)]
    jobs = observed.loc[observed["period"].between(*BASE_YEARS)].groupby("area")["value"].mean()
    workplace = shares.workplace.groupby(shares.unit).sum()
    employed = shares.employed.groupby(shares.unit).sum()
    workplace[ENGLAND], employed[ENGLAND] = shares.workplace.sum(), shares.employed.sum()
    return alignment.ratios(jobs.reindex([*unit.unit_codes, ENGLAND]), workplace, employed, ENGLAND)


@dataclass(frozen=True)
class DistrictDemand:
    model: small_area.SmallAreaDemand  # districts' shares of their unit's jobs, and every area's districts
    shares: pd.DataFrame  # small_area.estimate_shares: unit, employed, workplace and jobs share per district
    qualification: pd.DataFrame  # districts' jobs by qualification ('all' = their jobs' share of the unit)
    no_survey: tuple[str, ...]  # districts without survey figures


def district_demand(
    sources: dict[str, pd.DataFrame], geography: Geography, unit: UnitDemand, settings: small_area.SmallAreaSettings, notes: list[str]
) -> DistrictDemand:
    """Districts' shares of their unit's jobs by small-area estimation (``skillcast.skills.small_area``)."""
    survey = small_area.district_survey(sources["aps-occupations"], geography, settings)
    groups = small_area.lea_groups(sources["ess"], geography) if "ess" in sources else []
    employed, no_survey = small_area.employed_residents(sources["local-skills-time-series"], geography, groups, settings)
    if employed.isna().any():
        raise DataError(f"small-area demand: no employed residents for district(s) {sorted(employed.index[employed.isna()])[:5]}")
    workplace = employed * (small_area.workplace_factor(groups, employed) if groups else 1.0)
    if not groups:
        notes.append("no ESS 2017 employment by upper-tier authority: districts' jobs follow their employed residents (no commuting)")
    if "job-adverts" in sources:
        workplace = workplace * small_area.advert_tilt(sources["job-adverts"], geography, employed, settings)
    shares = small_area.estimate_shares(survey, employed, workplace, unit.units.unit_of, settings, no_survey)
    jobs, mixes, rqf = _unit_tables(unit.panel.loc[unit.panel["area"].isin(unit.unit_codes)], unit.unit_codes)
    rqf_shares, qualification = small_area.qualification_shares(shares, jobs, mixes, rqf)
    links = geography.district_membership
    links = links.loc[links["type"].isin(AREA_TYPES), ["district", "area", "weight"]]
    districts = geography.districts()
    membership = pd.concat([links, pd.DataFrame({"district": districts, "area": districts, "weight": 1.0})], ignore_index=True)
    model = small_area.SmallAreaDemand(
        shares=shares,
        rqf=rqf_shares,
        qualification=qualification,
        membership=membership,
        unit_names=unit.units.names,
        band_weights=_band_weights(jobs, mixes),
    )
    return DistrictDemand(model=model, shares=shares, qualification=qualification, no_survey=tuple(no_survey))


def district_stock(aps_qualifications: pd.DataFrame, geography: Geography, notes: list[str]) -> pd.DataFrame:
    """Supply: people by age and qualification per 2023 district, suppressed cells filled."""
    filled = fill_suppressed_districts(aps_qualifications, geography)
    on_districts = to_districts(filled, geography)
    if on_districts.incomplete:
        notes.append(f"{on_districts.incomplete} district cells of people by age and qualification left out: a district was missing")
    stock = stock_from_panel(on_districts.panel)
    missing = sorted(set(geography.districts()) - set(stock["area"]))
    if missing:
        raise DataError(f"supply: district(s) {missing[:5]} have no complete APS age-by-qualification data")
    return stock


@dataclass(frozen=True)
class AreaLayout:
    districts: list[str]
    parents: dict[str, list[str]]  # every area made of districts -> its districts
    growth_groups: dict[str, list[str]]  # district -> the districts of its LSIP (whose 16-64 growth it follows)
    names: dict[str, str]


def area_layout(geography: Geography) -> AreaLayout:
    """The areas the districts make up, and the LSIP each district's population growth follows."""
    links = geography.district_membership
    links = links.loc[links["type"].isin(AREA_TYPES), ["district", "area", "weight"]]
    districts = geography.districts()
    parents = {area: list(group) for area, group in links.groupby("area")["district"]}
    lsip_links = geography.district_membership.loc[geography.district_membership["type"] == "lsip"]
    growth_groups = {district: parents[lsip] for district, lsip in zip(lsip_links["district"], lsip_links["area"], strict=True)}
    names = {code: geography.name(code) for code in [*parents, *districts]}
    return AreaLayout(districts=districts, parents=parents, growth_groups=growth_groups, names=names)


def _jobs_and_alignment(unit: UnitDemand, districts: DistrictDemand, layout: AreaLayout, repairs=None, tried=None):
    """Each district's jobs (base years) and the alignment check of every area (``skills.alignment``; ``repairs``
    and ``tried``: ``repaired_units``)."""
    panel, shares, model = unit.panel, districts.shares, districts.model
    observed = panel.loc[(panel["classification"] == "all") & (panel["measure"] == DEMAND_MEASURE) & ~panel["projection"].astype(bool)]
    unit_jobs = observed.loc[observed["period"].between(*BASE_YEARS)].groupby("area")["value"].mean()
    district_jobs = districts.qualification["all"] * shares.unit.map(unit_jobs)
    areas = list(layout.names)
    base = model.expand(observed.loc[observed["period"].between(*BASE_YEARS) & observed["area"].isin(unit.unit_codes)], areas, ["value"])
    area_jobs = base.groupby("area")["value"].sum() / (BASE_YEARS[1] - BASE_YEARS[0] + 1)
    membership = model.membership
    weighted = membership.assign(
        workplace=membership["district"].map(shares.workplace), employed=membership["district"].map(shares.employed)
    )
    checked = alignment.check(
        jobs=area_jobs.reindex(areas),
        workplace=weighted.groupby("area")["workplace"].sum().reindex(areas),
        employed=weighted.groupby("area")["employed"].sum().reindex(areas),
        national=ENGLAND,
        names={**layout.names, **unit.units.names},
        members={**layout.parents, **{district: [district] for district in layout.districts}},
        publisher=shares.unit.to_dict(),
        no_survey=districts.no_survey,
        repairs=repairs,
        tried=tried,
    )
    return district_jobs, checked


BASE_YEARS = (2018, 2020)  # jobs per employed resident: SI2035 jobs (calendar) and APS employed residents (Oct-Sep) of these years
ACTIVITY_YEARS = 3  # the latest APS years pooled for a district's activity rate (one year of a small district is noisy)


def basis_factors(
    series: pd.DataFrame, geography: Geography, jobs: pd.Series, people: pd.Series, groups: dict[str, list[str]]
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Each district's factors from its people 16-64 (the supply model's ``people``, base year) to
    supply on the 'active' and 'workplace' bases, and its inflow on the workplace basis.

    active = economically active / all people 16-64 (APS, the latest ``ACTIVITY_YEARS`` pooled).
    workplace = the workers the district's jobs draw on: its jobs (small-area estimate,
    ``BASE_YEARS`` mean) x economically active per employed resident (APS, the same years). Up
    to its own active residents they are its residents (``factors``, their own qualification
    mix); any more are drawn in (``inflow``, per person of its LSIP, with the LSIP's mix): the
    City of London's 81 jobs per employed resident are filled from London, not from its own
    graduate-heavy residents. Stated through jobs, the total follows the jobs even where the
    survey's counts of people by qualification and of workers disagree. A district without
    APS figures (the Isles of Scilly) takes its LSIP's rates.
    """
    rows = series.loc[series["classification"] == "all"]
    last = int(rows.loc[rows["measure"] == "economically_active", "period"].max())
    years = (last - ACTIVITY_YEARS + 1, last)
    active = small_area.district_measure(rows, "economically_active", geography, years)
    population = small_area.district_measure(rows, "population", geography, years)
    lsip = pd.Series({district: min(members) for district, members in groups.items()}).reindex(active.index)
    rate = (active / population).where(population > 0)
    rate = rate.fillna(active.groupby(lsip).transform("sum") / population.groupby(lsip).transform("sum"))
    base_active = small_area.district_measure(rows, "economically_active", geography, BASE_YEARS)
    base_employed = small_area.district_measure(rows, "employment_residence", geography, BASE_YEARS)
    per_employed = (base_active / base_employed).where(base_employed > 0)
    per_employed = per_employed.fillna(base_active.groupby(lsip).transform("sum") / base_employed.groupby(lsip).transform("sum"))
    own_people = people.reindex(active.index)
    workers = jobs.reindex(active.index) * per_employed
    residents = rate * own_people
    local = np.minimum(workers, residents)
    pool = pd.Series({district: people.reindex(members).sum() for district, members in groups.items()}).reindex(active.index)
    drawn_in = ((workers - residents).clip(lower=0.0) / pool).where(pool > 0).fillna(0.0)
    workplace = (local / own_people).where(own_people > 0).fillna(0.0)
    return {"active": rate.dropna().to_dict(), "workplace": workplace.to_dict()}, drawn_in.to_dict()


def _activity_and_fe(series: pd.DataFrame, geography: Geography, membership: pd.DataFrame, names: dict[str, str]):
    """Every area's economic activity rate (latest year; active / all 16-64 of its districts), FE achievements,
    and its FE and skills pipeline by year (participation, achievements, starts: ``starts`` is empty in
    the published data, so it stays missing here rather than zero)."""
    rows = series.loc[series["classification"] == "all"]
    on_districts = to_districts(rows.loc[rows["area"].isin(list(geography.district_code))], geography).panel.dropna(subset=["value"])
    summed = sum_districts(on_districts, membership, keys=["measure", "classification", "code", "period"], values=["value"])
    activity = {area: float(rate) for area, rate in activity_rates(summed).items() if area in names}
    achieved = summed.loc[summed["measure"] == "fe_achievements"].sort_values("period").groupby("area").last()
    fe = {area: (int(row.period), float(row.value)) for area, row in achieved.iterrows() if area in names}
    pipeline = summed.loc[summed["measure"].isin(FE_MEASURES) & summed["area"].isin(list(names))]
    pipeline = pipeline.pivot_table(index=["area", "period"], columns="measure", values="value", aggfunc="sum").reset_index()
    pipeline = pipeline.rename(columns={"period": "year"}).rename_axis(columns=None)
    for measure in FE_MEASURES:
        if measure not in pipeline:
            pipeline[measure] = np.nan
    pipeline["fe_starts"] = pipeline["fe_starts"].where(pipeline["fe_starts"] > 0)  # published as empty or 0: missing, not none
    return activity, fe, pipeline[["area", "year", *FE_MEASURES]]


FE_MEASURES = ("fe_participation", "fe_achievements", "fe_starts")


def _area_signals(sources, geography: Geography, membership: pd.DataFrame, district_jobs: pd.Series) -> tuple[pd.DataFrame, dict[str, str]]:
    """Local pressure per area (``shortage.area_pressure``): ESS 2019 vacancies per job by LEA, Textkernel adverts per job."""
    years: dict[str, str] = {}
    ess = sources.get("ess")
    lea = pd.DataFrame(columns=["districts", "vacancies", "skill_shortage_vacancies", "employment"])
    if ess is not None and (ess["period"] == ESS_AREA_YEAR).any():
        found = {}
        for measure in ("vacancies", "skill_shortage_vacancies", "employment"):
            for districts, value in small_area.lea_groups(ess, geography, measure, ESS_AREA_YEAR):
                found.setdefault(districts, {})[measure] = value
        lea = pd.DataFrame([{"districts": districts, **values} for districts, values in found.items()]).dropna()
        england = ess.loc[(ess["area"] == ENGLAND) & (ess["classification"] == "all") & (ess["period"] == ESS_AREA_YEAR)]
        totals = england.groupby("measure")["value"].sum()
        if {"vacancies", "skill_shortage_vacancies", "employment"} <= set(totals.index):
            lea = pd.concat([lea, pd.DataFrame([{"districts": frozenset(), **totals.to_dict()}])], ignore_index=True)
        years["area_vacancies"] = f"ESS {ESS_AREA_YEAR}"
    adverts = sources.get("job-adverts")
    lsip_rows = pd.DataFrame(columns=["area", "adverts", "members"])
    own = pd.DataFrame(columns=["area", "adverts"])
    if adverts is not None:
        rows = adverts.loc[(adverts["measure"] == "job_adverts") & (adverts["classification"] == "all")]
        if not rows.empty:
            year = int(rows["period"].max())
            latest = rows.loc[(rows["period"] == year) & (rows["area"] != ENGLAND) & rows["area"].isin(list(geography.codes()))]
            own = latest.groupby("area", as_index=False)["value"].sum().rename(columns={"value": "adverts"})
            lsips = own.loc[own["area"].map(lambda code: geography.type_of(code) == "lsip")]
            lsip_rows = lsips.assign(members=[frozenset(geography.districts_of(code)) for code in lsips["area"]])
            years["area_adverts"] = f"Textkernel, {year} monthly mean"
    if lea.empty and own.empty:
        return pd.DataFrame(columns=shortage.AREA_SIGNAL_COLUMNS), years
    signals = shortage.area_pressure(lea, lsip_rows, own, membership, district_jobs, ENGLAND)
    return signals, years


ESS_AREA_YEAR = 2019  # the latest ESS with area totals (no occupation split)


def _occupation_signals(sources, tables, demand: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], dict[str, str]]:
    """National vacancy signals per SOC 2020 sub-major group, relative to all occupations (1 = average), and
    England's employment growth (% a year, ``GROWTH_YEARS`` observed years); the years each covers."""
    years: dict[str, str] = {}
    titles: dict[str, str] = {}
    if "soc2020_structure" in tables:
        structure = tables["soc2020_structure"]
        titles = dict(zip(structure["code"].astype(str), structure["title"].astype(str), strict=True))
    england = demand.loc[(demand["area"] == ENGLAND) & ~demand.get("projection", pd.Series(False, index=demand.index)).astype(bool)]
    jobs = england.loc[england["classification"] == "soc2020_submajor"]
    jobs = jobs.loc[jobs["period"] == jobs["period"].max()].set_index("code")["value"] if not jobs.empty else pd.Series(dtype=float)
    signals = pd.DataFrame({"occupation": jobs.index.astype(str)}) if len(jobs) else pd.DataFrame(columns=["occupation"])
    units = pd.DataFrame(columns=["occupation", "unit", "title", "adverts", "year"])

    adverts = sources.get("job-adverts")
    if adverts is not None and len(jobs):
        rows = adverts.loc[
            (adverts["measure"] == "new_job_adverts") & (adverts["classification"] == "soc2020_unit") & (adverts["area"] == ENGLAND)
        ]
        if not rows.empty:
            year = int(rows["period"].max())
            latest = rows.loc[rows["period"] == year]
            units = pd.DataFrame({"occupation": latest["code"].str[:2], "unit": latest["code"], "adverts": latest["value"], "year": year})
            units["title"] = units["unit"].map(titles).fillna("")
            per_group = units.groupby("occupation")["adverts"].sum()
            intensity = (per_group / jobs).dropna()
            average = per_group.sum() / jobs.loc[jobs.index.isin(per_group.index)].sum()
            signals["advert_ratio"] = signals["occupation"].map(intensity / average)
            signals["advert_year"] = year
            years["adverts"] = f"ONS/Textkernel new adverts, {year}"

    ess = sources.get("ess")
    if ess is not None and len(jobs):
        national = ess.loc[(ess["area"] == ENGLAND) & (ess["period"] == 2017)]
        by_major = national.loc[national["classification"] == "soc2010_major"].pivot_table(
            index="code", columns="measure", values="value", aggfunc="sum"
        )
        totals = national.loc[national["classification"] == "all"].set_index("measure")["value"]
        for measure, column in (
            ("skill_shortage_vacancies", "ssv_ratio"),
            ("hard_to_fill_vacancies", "htfv_ratio"),
            ("vacancies", "vacancy_ratio"),
        ):
            if {measure, "employment"} <= set(by_major.columns) and {measure, "employment"} <= set(totals.index):
                density = by_major[measure] / by_major["employment"]
                ratio = density / (totals[measure] / totals["employment"])
                signals[column] = signals["occupation"].str[:1].map(ratio)
                signals["ssv_year"] = 2017
                years["ess"] = "ESS 2017"
    if len(jobs):
        observed = england.loc[england["classification"] == "soc2020_submajor"]
        wide = observed.pivot_table(index="code", columns="period", values="value", aggfunc="sum")
        last = int(wide.columns.max())
        first = max(int(wide.columns.min()), last - GROWTH_YEARS)
        if last > first:
            rate = 100.0 * ((wide[last] / wide[first]) ** (1.0 / (last - first)) - 1.0)
            signals["growth_pct"] = signals["occupation"].map(rate)
            signals["growth_all_pct"] = 100.0 * ((wide[last].sum() / wide[first].sum()) ** (1.0 / (last - first)) - 1.0)
            years["growth"] = f"{first}-{last}"
    for column in ("advert_ratio", "ssv_ratio", "htfv_ratio", "vacancy_ratio", "growth_pct"):
        if column not in signals.columns:
            signals[column] = np.nan
    return signals, units, titles, years


GROWTH_YEARS = 5  # England's employment growth by occupation over the last this many observed years
