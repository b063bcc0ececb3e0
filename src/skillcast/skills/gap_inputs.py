"""What the gaps and priorities analyses need, assembled from the store's frames or the demo.

Pure: frames in, a ``GapInputs`` out (the CLI reads the store). This is where the areas
of the two sides are lined up:

* **Demand** (SI2035) is published under its own ids (``GM_LSIP``, ``GM_MCA``, ``EN``);
  the store's ``si2035_area_codes`` table maps them to ONS codes (LSIP ``E69...``, combined
  authority ``E47...``, England ``E92000001``). Everything downstream uses the ONS code;
  the command line accepts either (``aliases``).
* **Supply** (APS) is built from districts, suppressed cells filled
  (``supply.fill_suppressed_districts``), and added up with each geography's own lookup
  (``aggregate.aggregate_districts``): LSIPs on 2023 districts, combined authorities on
  2025 ones. England is the sum of the 38 LSIPs on both sides.
* An area is analysed when it has both: the 38 LSIPs, England and the combined
  authorities. SI2035 (workbooks of February 2024) predates the May 2024 North East
  Combined Authority: its ``NE_MCA`` is the *old* North East CA (Durham, Gateshead, South
  Tyneside, Sunderland; the same districts as ``NO_LSIP``) and ``NT_MCA`` the North of Tyne
  CA (``NT_LSIP``'s districts). The store's name match maps ``NE_MCA`` to the 2024 CA
  ``E47000014`` (seven districts), which would set four districts' jobs against seven
  districts' people; so ``E47000014``'s demand is built here as ``NE_MCA + NT_MCA``
  (``MERGED``), exactly its seven districts, and neither old id is used on its own.
  As a guard, an area whose people 16-64 per job lies outside ``PEOPLE_PER_JOB`` is
  reported in the notes.

Signals for priorities (national, by occupation): ESS 2017 skill-shortage vacancies per
job by SOC major group, and ONS/Textkernel new online job adverts per job by SOC 2020
sub-major group (sums of unit groups) in the latest full year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from skillcast.data.aggregate import aggregate_districts
from skillcast.data.finder import AreaFinder
from skillcast.data.geography import Geography
from skillcast.data.schema import DataError
from skillcast.skills.demand import ENGLAND, SI2035_ENGLAND, demand_panel, occupation_replacement_rates, published_requirement, si2035_codes
from skillcast.skills.supply import activity_rates, fill_suppressed_districts, stock_from_panel

# What a gaps analysis reads from a store (``Store.available``): the CLI and the retrain job alike.
SOURCES: tuple[str, ...] = ("si2035", "aps-qualifications", "local-skills-time-series", "ess", "job-adverts")
TABLES: tuple[str, ...] = ("si2035_area_codes", "soc2020_structure")

# ONS code of an area -> the SI2035 ids whose sum it is (areas re-formed after SI2035).
MERGED: dict[str, tuple[str, ...]] = {"E47000014": ("NE_MCA", "NT_MCA")}
RETIRED: dict[str, str] = {
    "NE_MCA": "SI2035's NE_MCA is the pre-2024 North East CA; use NO_LSIP (the same districts) or E47000014 (the 2024 CA, NE_MCA + NT_MCA)",
    "NT_MCA": "SI2035's NT_MCA is the North of Tyne CA, abolished in 2024; use NT_LSIP (the same districts) or E47000014 (the 2024 North East CA)",
}
PEOPLE_PER_JOB = (0.7, 1.8)  # people 16-64 per job outside this range suggests areas that do not line up


@dataclass(frozen=True)
class GapInputs:
    demand_history: pd.DataFrame  # employment rows (observed + publisher projections), ONS codes
    stock: pd.DataFrame  # people by area, period, age_band, level
    leaves: list[str]  # areas the cohort model projects
    parents: dict[str, list[str]]  # area -> leaves that add up to it
    area_parents: tuple[tuple[str, str], ...]  # (child, parent) for the engine's bottom-up sums
    national: str  # whose stock gives the qualification-gain rates
    names: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)  # other ids (SI2035) -> area code
    activity: dict[str, float] = field(default_factory=dict)  # area -> economic activity rate
    fe_achievements: dict[str, tuple[int, float]] = field(default_factory=dict)  # area -> (year, learners achieving)
    signals: pd.DataFrame = field(default_factory=pd.DataFrame)  # occupation, ssv_ratio, advert_ratio
    unit_groups: pd.DataFrame = field(default_factory=pd.DataFrame)  # occupation, unit, title, adverts
    titles: dict[str, str] = field(default_factory=dict)  # SOC code -> title
    occupation_replacement: pd.DataFrame = field(default_factory=pd.DataFrame)
    published: pd.DataFrame = field(default_factory=pd.DataFrame)  # SI2035 2020-35 requirement by band
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    geography: Geography | None = None  # names, types and parents of the areas (for finding them by name)

    @property
    def areas(self) -> list[str]:
        return [*self.parents, *self.leaves]

    @cached_property
    def finder(self) -> AreaFinder:
        """Names and codes -> the areas analysed here (``skillcast.data.finder``); built once."""
        geography = self.geography or Geography.from_frame(
            pd.DataFrame({"area": list(self.names), "name": list(self.names.values()), "type": "area", "parent": ""})
        )
        return AreaFinder(geography, answerable=set(self.areas), aliases=self.aliases)

    def resolve(self, text: str, where: str = "--area") -> str:
        """An area code from a code, alias or name (any case, see ``skillcast.data.finder``);
        ``UnknownArea`` / ``AmbiguousArea`` naming ``where``, with suggestions or candidates."""
        if text in self.areas:
            return text
        if text.strip().upper() in RETIRED and text.strip().upper() not in self.aliases:
            raise ValueError(f"{where}: {RETIRED[text.strip().upper()]}")
        return self.finder.resolve(text, where)

    def leaves_for(self, areas: list[str]) -> list[str]:
        """The leaves the cohort model must project to answer for ``areas``."""
        needed: list[str] = []
        for area in areas:
            needed.extend(self.parents.get(area, [area]))
        return list(dict.fromkeys(needed))


def tree_inputs(panel: pd.DataFrame, geography: Geography, synthetic: bool = True) -> GapInputs:
    """A panel whose areas carry both sides themselves, in a tree (the demo): parents are sums of their leaves."""
    demand = panel.loc[panel["measure"] == "employment"].reset_index(drop=True)
    stock = stock_from_panel(panel)
    leaves, parents = _tree(geography, set(stock["area"]))
    national = next(area for area in geography.codes() if not geography.parent(area))
    area_parents = tuple((area, parent) for area in geography.codes() if (parent := geography.parent(area)))
    return GapInputs(
        demand_history=demand,
        stock=stock,
        leaves=leaves,
        parents=parents,
        area_parents=area_parents,
        national=national,
        names={area: geography.name(area) for area in geography.codes()},
        notes=("SYNTHETIC demo data: not official statistics; no vacancy or advert signals",) if synthetic else (),
        synthetic=synthetic,
        geography=geography,
    )


def _tree(geography: Geography, with_stock: set[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Leaf areas (no children) with data, and each parent -> its leaf descendants."""
    codes = [code for code in geography.codes() if code in with_stock]
    leaves = [code for code in codes if not geography.children(code)]

    def descendants(area: str) -> list[str]:
        kids = geography.children(area)
        return [area] if not kids else [leaf for kid in kids for leaf in descendants(kid)]

    parents = {code: descendants(code) for code in codes if geography.children(code)}
    return leaves, parents


def real_inputs(sources: dict[str, pd.DataFrame], geography: Geography, tables: dict[str, pd.DataFrame]) -> GapInputs:
    """Inputs from a store made by ``skillcast ingest all`` (source name -> its panel)."""
    for needed in ("si2035", "aps-qualifications"):
        if needed not in sources:
            raise DataError(
                f"the store has no {needed!r} source; run `skillcast ingest all DATA_FOLDER` (gaps need SI2035 and APS qualifications)"
            )
    if "si2035_area_codes" not in tables:
        raise DataError("the store has no 'si2035_area_codes' table; re-ingest si2035 with its si2035_areas.csv")
    notes: list[str] = []
    id_to_code = si2035_codes(tables["si2035_area_codes"])
    id_to_code[SI2035_ENGLAND] = ENGLAND
    published_ids = set(tables["si2035_area_codes"]["area_id"])
    merged = {code: parts for code, parts in MERGED.items() if code in geography and set(parts) <= published_ids}
    for code, parts in merged.items():
        for part in parts:
            id_to_code.pop(part, None)
        notes.append(
            f"{code} ({geography.name(code)} CA since 2024): demand = SI2035 {' + '.join(parts)}, the combined authorities it replaced"
        )
    dropped = sorted(published_ids - set(id_to_code) - {part for parts in merged.values() for part in parts})
    notes.extend(f"SI2035 area {area_id} has no current ONS code and is left out" for area_id in dropped)
    lsips = sorted(code for code in id_to_code.values() if code in geography and geography.type_of(code) == "lsip")
    mcas = sorted({*(code for code in id_to_code.values() if code in geography and geography.type_of(code) == "mca"), *merged})

    filled = fill_suppressed_districts(sources["aps-qualifications"], geography)
    aggregated = [aggregate_districts(filled, geography, area_type) for area_type in ("lsip", "mca")]
    for area_type, result in zip(("LSIP", "combined authority"), aggregated, strict=True):
        if result.incomplete:
            notes.append(f"{result.incomplete} {area_type} cells left out: a district was missing")
    stock = stock_from_panel(pd.concat([result.panel for result in aggregated], ignore_index=True))
    with_stock = set(stock["area"])
    missing = [code for code in lsips if code not in with_stock]
    if missing:
        raise DataError(
            f"supply: LSIP(s) {missing[:5]} have no complete APS age-by-qualification data, so England cannot be their sum "
            "(a store written before district successors were kept? re-run `skillcast ingest all`)"
        )
    mcas_kept = [code for code in mcas if code in with_stock]
    notes.extend(f"combined authority {code} has no complete APS data and is left out" for code in sorted(set(mcas) - set(mcas_kept)))

    demand = demand_panel(sources["si2035"], id_to_code, lsips, merged)
    notes.extend(_alignment_notes(demand, stock, [*lsips, *mcas_kept, ENGLAND], geography))
    names = {code: geography.name(code) for code in [*lsips, *mcas_kept, ENGLAND]}
    code_to_id = {code: area_id for area_id, code in id_to_code.items()}
    aliases = {code_to_id[code]: code for code in names if code in code_to_id}
    activity, fe = {}, {}
    if "local-skills-time-series" in sources:
        series = sources["local-skills-time-series"]
        activity = {area: float(rate) for area, rate in activity_rates(series).items() if area in names}
        achieved = series.loc[(series["measure"] == "fe_achievements") & series["area"].isin(list(names))].dropna(subset=["value"])
        latest = achieved.sort_values("period").groupby("area").last()
        fe = {area: (int(row.period), float(row.value)) for area, row in latest.iterrows()}
    signals, units, titles = _occupation_signals(sources, tables, demand)
    return GapInputs(
        demand_history=demand,
        stock=stock,
        leaves=[*lsips, *mcas_kept],
        parents={ENGLAND: lsips},
        area_parents=tuple((code, ENGLAND) for code in lsips),
        national=ENGLAND,
        names=names,
        aliases=aliases,
        activity=activity,
        fe_achievements=fe,
        signals=signals,
        unit_groups=units,
        titles=titles,
        occupation_replacement=occupation_replacement_rates(sources["si2035"], id_to_code),
        published=published_requirement(sources["si2035"], id_to_code),
        notes=tuple(notes),
        geography=geography,
    )


def _occupation_signals(sources, tables, demand: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """National vacancy signals per SOC 2020 sub-major group, relative to all occupations (1 = average)."""
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

    ess = sources.get("ess")
    if ess is not None and len(jobs):
        national = ess.loc[(ess["area"] == ENGLAND) & (ess["period"] == 2017)]
        by_major = national.loc[national["classification"] == "soc2010_major"].pivot_table(
            index="code", columns="measure", values="value", aggfunc="sum"
        )
        totals = national.loc[national["classification"] == "all"].set_index("measure")["value"]
        if {"skill_shortage_vacancies", "employment"} <= set(by_major.columns) and {"skill_shortage_vacancies", "employment"} <= set(
            totals.index
        ):
            density = by_major["skill_shortage_vacancies"] / by_major["employment"]
            ratio = density / (totals["skill_shortage_vacancies"] / totals["employment"])
            signals["ssv_ratio"] = signals["occupation"].str[:1].map(ratio)
            signals["ssv_year"] = 2017
    for column in ("advert_ratio", "ssv_ratio"):
        if column not in signals.columns:
            signals[column] = np.nan
    return signals, units, titles


def _alignment_notes(demand: pd.DataFrame, stock: pd.DataFrame, areas: list[str], geography: Geography) -> list[str]:
    """Areas whose people per job look implausible: a sign the two sides' boundaries differ."""
    jobs = demand.loc[(demand["classification"] == "all") & ~demand.get("projection", pd.Series(False, index=demand.index)).astype(bool)]
    people = stock.groupby(["area", "period"])["value"].sum()
    notes = []
    for area in areas:
        own = jobs.loc[jobs["area"] == area]
        years = sorted(set(own["period"]) & set(people.loc[area].index)) if area in people.index.get_level_values(0) else []
        if not years:
            continue
        year = years[-1]
        ratio = people.loc[(area, year)] / own.loc[own["period"] == year, "value"].iloc[0]
        if not PEOPLE_PER_JOB[0] <= ratio <= PEOPLE_PER_JOB[1]:
            notes.append(
                f"{area} ({geography.name(area)}): {ratio:.2f} people 16-64 per job in {year}, outside {PEOPLE_PER_JOB}; check that demand and supply cover the same districts"
            )
    return notes
