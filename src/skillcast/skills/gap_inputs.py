"""What the gaps and priorities analyses need (``GapInputs``), and how the demo's tree of areas gives it.

Pure: frames in, a ``GapInputs`` out. ``tree_inputs`` serves a panel whose areas carry both
sides themselves in a tree (the demo: areas, regions, nation); real data, where districts
make up every area, are assembled by ``skills.district_inputs.real_inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from skillcast.data.finder import AreaFinder
from skillcast.data.geography import Geography
from skillcast.engine.national_mix import MixSignal
from skillcast.engine.national_total import NationalSignal
from skillcast.engine.nowcast import occupation_mix_signal
from skillcast.skills import shortage, small_area
from skillcast.skills.supply import stock_from_panel

# What a gaps analysis reads from a store (``Store.available``): the CLI and the retrain job alike.
SOURCES: tuple[str, ...] = (
    "si2035",
    "aps-qualifications",
    "aps-occupations",
    "aps-soc2020",
    "local-skills-time-series",
    "ess",
    "job-adverts",
)
TABLES: tuple[str, ...] = ("si2035_area_codes", "soc2020_structure")

RETIRED: dict[str, str] = {
    "NE_MCA": "SI2035's NE_MCA is the pre-2024 North East CA; use NO_LSIP (the same districts) or E47000014 (the 2024 CA, NE_MCA + NT_MCA)",
    "NT_MCA": "SI2035's NT_MCA is the North of Tyne CA, abolished in 2024; use NT_LSIP (the same districts) or E47000014 (the 2024 North East CA)",
}
AREA_TYPES: tuple[str, ...] = ("country", "region", "lsip", "mca", "lep", "county")  # what districts add up to


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
    small_area: small_area.SmallAreaDemand | None = (
        None  # districts' shares of the units' jobs (real data); None: areas carry demand themselves
    )
    growth_groups: dict[str, list[str]] = field(default_factory=dict)  # leaf -> areas whose 16-64 growth it follows (districts: their LSIP)
    basis_factors: dict[str, dict[str, float]] = field(default_factory=dict)  # 'active' / 'workplace' -> leaf -> people x this
    inflow: dict[str, float] = field(default_factory=dict)  # leaf -> workers drawn in per person of its growth group (workplace basis)
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # area -> read before quoting its figures (skills.alignment)
    flagged: frozenset[str] = frozenset()  # areas failing the alignment check: warned, and in no ranking
    alignment: pd.DataFrame = field(default_factory=pd.DataFrame)  # the check's figures per area
    area_signals: pd.DataFrame = field(default_factory=pd.DataFrame)  # shortage.AREA_SIGNAL_COLUMNS: local pressure per area
    signal_years: dict[str, str] = field(default_factory=dict)  # indicator -> the years it covers (for the drivers' text)
    relevance: pd.DataFrame = field(default_factory=pd.DataFrame)  # apprenticeships.RELEVANCE_COLUMNS per occupation
    funding: pd.DataFrame = field(default_factory=pd.DataFrame)  # funding.BAND_COLUMNS; empty: the shipped bands by level
    fe_pipeline: pd.DataFrame = field(default_factory=pd.DataFrame)  # area, year, fe_participation, fe_achievements, fe_starts
    mix_signal: MixSignal = ()  # England's occupational mix from the APS: the demand forecast's nowcast (engine.nowcast)
    national_signal: NationalSignal = ()  # England's total from the national labour market (engine.national_total)

    def shortages(self, areas: list[str] | None = None) -> pd.DataFrame:
        """Local shortage ratings (``shortage.SHORTAGE_COLUMNS``) for ``areas`` (default: every area); all areas
        share one standardisation (reference: the LSIPs where the data have them), so an area's rating does not
        depend on which others are asked for."""
        wanted = list(dict.fromkeys(areas if areas is not None else [self.national, *self.areas]))
        signals = self.area_signals if not self.area_signals.empty else pd.DataFrame({"area": []})
        reference = None
        if self.geography is not None and not signals.empty:
            lsips = [area for area in signals["area"] if area in self.geography and self.geography.type_of(area) == "lsip"]
            reference = lsips or None
        rated = signals.loc[signals["area"].isin([*wanted, *(reference or [])])]
        missing = [area for area in wanted if area not in set(rated["area"])]
        if missing:
            rated = pd.concat([rated, pd.DataFrame({"area": missing})], ignore_index=True)
        occupations = self.signals if not self.signals.empty else pd.DataFrame({"occupation": self.occupation_codes()})
        table = shortage.rate_shortages(
            occupations,
            rated,
            titles=self.titles,
            names=self.names,
            reference_areas=reference,
            unit_groups=self.unit_groups,
            signal_years=self.signal_years,
        )
        table = table.loc[table["area"].isin(wanted)]
        order = {area: index for index, area in enumerate(wanted)}
        return (
            table.assign(_order=table["area"].map(order))
            .sort_values(["_order", "occupation"])
            .drop(columns="_order")
            .reset_index(drop=True)
        )

    def occupation_codes(self) -> list[str]:
        """The occupation codes demand is forecast for (sub-majors where the data have them, else major groups)."""
        rows = self.demand_history
        for classification in ("soc2020_submajor", "soc2020_major"):
            codes = rows.loc[rows["classification"] == classification, "code"] if "classification" in rows else pd.Series(dtype=str)
            if len(codes):
                return sorted(set(codes.astype(str)))
        return []

    @property
    def default_basis(self) -> str:
        """What supply counts unless asked otherwise: 'workplace' where the data allow (docs/gaps.md), else 'people'."""
        return "workplace" if self.basis_factors.get("workplace") else "people"

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

    def leaves_for(self, areas: list[str], basis: str = "people") -> list[str]:
        """The leaves the cohort model must project to answer for ``areas`` (on the workplace basis, with
        the pools their jobs draw workers in from)."""
        needed: list[str] = []
        for area in areas:
            needed.extend(self.parents.get(area, [area]))
        if basis == "workplace":
            needed.extend(member for leaf in list(needed) if self.inflow.get(leaf, 0.0) > 0 for member in self.growth_groups.get(leaf, []))
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
        mix_signal=occupation_mix_signal(panel, area=national),
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
