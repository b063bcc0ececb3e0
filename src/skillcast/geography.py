"""Which areas exist, what they are called, and what they sit inside.

The panel carries only area codes; everything a person reads (names) and everything that
adds areas up (parents) comes from here, so a code means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from skillcast.schema import DataError

GEOGRAPHY_COLUMNS: tuple[str, ...] = ("area", "name", "type", "parent")


@dataclass(frozen=True)
class Geography:
    """A table of areas: ``area`` (code), ``name``, ``type`` and ``parent`` (code or empty)."""

    areas: pd.DataFrame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Geography:
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
            raise DataError(
                f"geography: row {row}, column 'parent', value {areas.at[row, 'parent']!r}: expected a known area code"
            )
        return cls(areas=areas.set_index("area", drop=False))

    def __contains__(self, area: object) -> bool:
        return area in self.areas.index

    def codes(self) -> list[str]:
        return list(self.areas["area"])

    def name(self, area: str) -> str:
        return str(self.areas.at[area, "name"]) if area in self else area

    def type_of(self, area: str) -> str:
        return str(self.areas.at[area, "type"])

    def parent(self, area: str) -> str | None:
        parent = str(self.areas.at[area, "parent"])
        return parent or None

    def children(self, area: str) -> list[str]:
        return list(self.areas.loc[self.areas["parent"] == area, "area"])

    def closest(self, text: str, limit: int = 3) -> list[str]:
        """Codes whose code or name looks most like ``text``: for 'did you mean' messages."""
        import difflib

        candidates = {code.lower(): code for code in self.codes()}
        candidates.update({str(name).lower(): code for code, name in zip(self.areas["area"], self.areas["name"])})
        matches = difflib.get_close_matches(text.lower(), list(candidates), n=limit * 2, cutoff=0.3)
        ordered = list(dict.fromkeys(candidates[match] for match in matches))
        return ordered[:limit]

    def to_records(self) -> list[dict[str, str]]:
        return self.areas[list(GEOGRAPHY_COLUMNS)].to_dict(orient="records")
