"""Which areas exist, what they are called, and what they sit inside.

The panel carries only area codes; everything a person reads (names) and everything that
adds areas up (parents) comes from here, so a code means the same thing everywhere.

Each area has one primary ``parent`` (a district's region, a region's country). Areas that
belong to several overlapping geographies (a district in an LSIP, a county, a combined
authority and one or two LEPs) list them in ``memberships``, each link with a ``weight``
(the share of the district counted in the area: 1 everywhere today) and a ``primary`` flag
(for LEPs, where seven districts sit in two: the primary links make a partition of
England, all links the published LEP totals). Retired district codes (boundary changes
2019-2023) point to the district that replaced them in ``successor``.

England's districts are the members of the ``country`` membership (the 296 of the 2023
LSIP lookup); ``district_membership`` states every other membership on those codes, so
any area is a sum of districts whatever year its own lookup was made in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from skillcast.data.bundle_files import GEOGRAPHY_FILE, MEMBERSHIPS_FILE, SUCCESSORS_FILE  # the same names in a store and a bundle
from skillcast.data.schema import DataError

GEOGRAPHY_COLUMNS: tuple[str, ...] = ("area", "name", "type", "parent")
MEMBERSHIP_COLUMNS: tuple[str, ...] = ("area", "member_of", "type")
MEMBERSHIP_DEFAULTS: dict[str, object] = {"weight": 1.0, "primary": True}  # optional columns (stores written before them lack them)
UPPER_TIER_DISTRICTS: tuple[str, ...] = ("E06", "E08", "E09", "W06")  # unitary, metropolitan and London districts: their own upper tier
# Publishers shorten "Stockton-on-Tees" to "Stockton" and "Barrow-in-Furness" to "Barrow":
# a short name may stand for a longer one only when what it drops starts with one of these
# words. "Surrey" must never become "Surrey Heath", nor "Derbyshire" "Derbyshire Dales".
SHORTENED_BY: frozenset[str] = frozenset({"on", "in", "under", "upon", "le", "by"})


def normalise_name(name: str) -> str:
    """A forgiving form of a place name for matching: case, '&', punctuation, spacing."""
    text = str(name).lower().replace("&", " and ")
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class NameMatch:
    codes: dict[str, str]  # name as given -> area code
    unmatched: list[str]  # names that matched nothing (sorted)


@dataclass(frozen=True)
class Geography:
    """Areas (``area, name, type, parent``) plus overlapping memberships, successors, aliases."""

    areas: pd.DataFrame
    memberships: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(MEMBERSHIP_COLUMNS)))
    successor: dict[str, str] = field(default_factory=dict)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (type, normalised name) -> code

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        memberships: pd.DataFrame | None = None,
        successor: dict[str, str] | None = None,
        aliases: dict[tuple[str, str], str] | None = None,
    ) -> Geography:
        missing = [column for column in GEOGRAPHY_COLUMNS if column not in frame.columns]
        if missing:
            raise DataError(f"geography: missing column(s) {missing}; expected {list(GEOGRAPHY_COLUMNS)}")
        areas = frame[list(GEOGRAPHY_COLUMNS)].fillna({"parent": ""}).astype(str).reset_index(drop=True)
        duplicated = areas["area"].duplicated()
        if duplicated.any():
            row = int(duplicated.to_numpy().nonzero()[0][0])
            raise DataError(f"geography: row {row}, column 'area', value {areas.at[row, 'area']!r}: duplicate area code")
        known = set(areas["area"])
        orphan = (areas["parent"] != "") & ~areas["parent"].isin(known)
        if orphan.any():
            row = int(orphan.to_numpy().nonzero()[0][0])
            raise DataError(f"geography: row {row}, column 'parent', value {areas.at[row, 'parent']!r}: expected a known area code")
        links = memberships if memberships is not None else pd.DataFrame(columns=list(MEMBERSHIP_COLUMNS))
        links = links.assign(
            **{column: links[column].fillna(default) if column in links else default for column, default in MEMBERSHIP_DEFAULTS.items()}
        )
        links = links[[*MEMBERSHIP_COLUMNS, *MEMBERSHIP_DEFAULTS]].astype(
            {**dict.fromkeys(MEMBERSHIP_COLUMNS, str), "weight": float, "primary": bool}
        )
        return cls(
            areas=areas.set_index("area", drop=False),
            memberships=links.drop_duplicates(list(MEMBERSHIP_COLUMNS)).reset_index(drop=True),
            successor=dict(successor or {}),
            aliases=dict(aliases or {}),
        )

    def __contains__(self, area: object) -> bool:
        return area in self.areas.index

    def codes(self, area_type: str | None = None) -> list[str]:
        if area_type is None:
            return list(self.areas["area"])
        return list(self.areas.loc[self.areas["type"] == area_type, "area"])

    def name(self, area: str) -> str:
        return str(self.areas.at[area, "name"]) if area in self else area

    def type_of(self, area: str) -> str:
        return str(self.areas.at[area, "type"])

    def parent(self, area: str) -> str | None:
        parent = str(self.areas.at[area, "parent"])
        return parent or None

    def children(self, area: str) -> list[str]:
        return list(self.areas.loc[self.areas["parent"] == area, "area"])

    def members(self, area: str) -> list[str]:
        """Areas that belong to ``area`` through a membership (e.g. the districts of an LSIP)."""
        return list(self.memberships.loc[self.memberships["member_of"] == area, "area"])

    def is_upper_tier(self, area: str) -> bool:
        """A council with education and social care: a county, or a unitary / metropolitan / London district."""
        kind = self.type_of(area)
        return kind == "county" or (kind == "lad" and area.startswith(UPPER_TIER_DISTRICTS))

    def districts(self) -> list[str]:
        """England's districts (the ``country`` membership: the 296 of the 2023 LSIP lookup), sorted."""
        return sorted(self.memberships.loc[self.memberships["type"] == "country", "area"])

    @cached_property
    def district_code(self) -> dict[str, str]:
        """Any district code of any year (2011, 2021, 2023, 2025) -> the England district it is or became part of."""
        districts = set(self.districts())
        mapping: dict[str, str] = {}
        for code in self.codes("lad"):
            found = next((step for step in self.lineage(code) if step in districts), None)
            if found is not None:
                mapping[code] = found
        for code in districts:  # newer codes (Barnsley 2024 E08000038) belong to the district they renamed
            for newer in self.lineage(code)[1:]:
                mapping.setdefault(newer, code)
        return mapping

    @cached_property
    def district_membership(self) -> pd.DataFrame:
        """Every membership stated on England's districts: ``district, area, type, weight, primary``.

        Each lookup's district codes (LSIPs 2023, combined authorities 2025, LEPs 2020)
        are translated to the district they are now part of, so every area type is a sum
        of the same districts. Sorted by area type, area and district.
        """
        links = self.memberships.assign(district=self.memberships["area"].map(self.district_code)).dropna(subset=["district"])
        links = links.rename(columns={"area": "lookup_code", "member_of": "area"})
        links = links.drop_duplicates(["district", "area"])
        columns = ["district", "area", "type", *MEMBERSHIP_DEFAULTS]
        return links[columns].sort_values(["type", "area", "district"]).reset_index(drop=True)

    @cached_property
    def _districts_by_area(self) -> dict[str, list[str]]:
        return self.district_membership.groupby("area", sort=False)["district"].agg(list).to_dict()

    def districts_of(self, area: str) -> list[str]:
        """The England districts that make up ``area`` (itself, for a district; none for an area of no district)."""
        if area in self.district_code:
            return [self.district_code[area]]
        return list(self._districts_by_area.get(area, []))

    def current(self, area: str) -> str:
        """The newest code for a possibly retired district code."""
        return self.lineage(area)[-1]

    def lineage(self, area: str) -> list[str]:
        """``area`` and every code that replaced it, oldest first."""
        chain = [area]
        while chain[-1] in self.successor and self.successor[chain[-1]] not in chain:
            chain.append(self.successor[chain[-1]])
        return chain

    def as_of(self, area: str, codes: set[str]) -> str | None:
        """The code of ``area`` as a lookup of another year knows it (first in its lineage)."""
        return next((code for code in self.lineage(area) if code in codes), None)

    def _earliest(self, candidates: list[str]) -> str | None:
        """Of codes sharing one name, the one all others descend from (published data is older)."""
        for code in candidates:
            if set(candidates) <= set(self.lineage(code)):
                return code
        return None

    def match_names(self, names: Iterable[str], area_type: str) -> NameMatch:
        """Codes for place names as published (APS and others give names, not codes).

        Tried in order: exact name (after ``normalise_name``; where codes of several
        vintages share the name, the oldest, since published data predate the change), a
        known alias, then a unique
        name of that type that the given one shortens (``SHORTENED_BY``) and that no other
        given name claims exactly (so "Newcastle" next to "Newcastle upon Tyne" is
        Newcastle-under-Lyme). Anything else is reported in ``unmatched``, never guessed.
        """
        given = sorted(set(str(name) for name in names))
        of_type = self.areas.loc[self.areas["type"] == area_type]
        by_name: dict[str, list[str]] = {}
        for code, name in zip(of_type["area"], of_type["name"], strict=True):
            by_name.setdefault(normalise_name(name), []).append(code)
        codes: dict[str, str] = {}
        pending = []
        for name in given:
            key = normalise_name(name)
            exact = by_name.get(key, [])
            earliest = self._earliest(exact)
            if earliest:
                codes[name] = earliest
            elif (area_type, key) in self.aliases:
                codes[name] = self.aliases[(area_type, key)]
            else:
                pending.append(name)
        claimed = set(codes.values())
        unmatched = []
        for name in pending:
            key = normalise_name(name)
            candidates = {
                code
                for full, found in by_name.items()
                if full.startswith(key + " ") and full[len(key) + 1 :].split(" ")[0] in SHORTENED_BY
                for code in found
                if code not in claimed
            }
            if len(candidates) == 1:
                codes[name] = candidates.pop()
            else:
                unmatched.append(name)
        return NameMatch(codes=codes, unmatched=sorted(unmatched))

    def write(self, folder: Path) -> None:
        """The three files a store or bundle keeps the areas in (``read_geography`` reads them back)."""
        folder = Path(folder)
        self.areas.reset_index(drop=True).to_parquet(folder / GEOGRAPHY_FILE, index=False)
        self.memberships.to_parquet(folder / MEMBERSHIPS_FILE, index=False)
        pd.DataFrame(sorted(self.successor.items()), columns=["area", "successor"]).to_parquet(folder / SUCCESSORS_FILE, index=False)


def read_geography(folder: Path) -> Geography:
    """The areas ``Geography.write`` left in ``folder``; memberships and successors are optional
    (bundles before #15, stores before successors were kept, have none)."""
    folder = Path(folder)
    memberships = pd.read_parquet(folder / MEMBERSHIPS_FILE) if (folder / MEMBERSHIPS_FILE).is_file() else None
    successors = folder / SUCCESSORS_FILE
    successor = dict(pd.read_parquet(successors).itertuples(index=False, name=None)) if successors.is_file() else {}
    return Geography.from_frame(pd.read_parquet(folder / GEOGRAPHY_FILE), memberships=memberships, successor=successor)
