"""The forecast bundle: everything the service answers from, saved as one folder.

A bundle holds the forecast table (observed years and forecasts with intervals for every
target series), the gaps table, the apprenticeship priorities, the geography and metadata
(model, data, metrics). Every row says what it rests on (``basis``): ``observed``, a
``nowcast`` (a model's figure for a year between the last observation and "today",
``metadata["nowcast_until"]``, for which newer data may exist) or a ``forecast``. The
service only reads bundles, so it never needs the training stack to answer a request.
Saving is atomic: a new bundle is written beside the old one and swapped in, so a failed
save leaves the previous bundle intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from skillcast.data.atomic import atomic_folder
from skillcast.data.basis import BASES, label_nowcast
from skillcast.data.bundle_files import (  # the layout lives below, so `skillcast serve` checks it without pandas
    FORECASTS_FILE,
    FUNDING_FILE,
    GAPS_FILE,
    LABOUR_RESERVE_FILE,
    METADATA_FILE,
    PRIORITIES_FILE,
    SHORTAGES_FILE,
    check_bundle,
)
from skillcast.data.finder import AmbiguousArea, AreaFinder, UnknownArea
from skillcast.data.geography import Geography, read_geography
from skillcast.data.qualifications import ALL_BANDS
from skillcast.data.schema import series_count
from skillcast.skills.gap_table import GAP_COLUMNS

FORECAST_FIELDS = ("year", "value", "lo_80", "hi_80", "lo_95", "hi_95", "basis")
GAP_FIELDS = tuple(column for column in GAP_COLUMNS if column != "area")  # a served gap row: the columns after the area
OPTIONAL_GAP_FIELDS = {
    "gap_basis": "people",
    "imbalance": float("nan"),
    "imbalance_lo_80": float("nan"),
    "imbalance_hi_80": float("nan"),
}  # bundles before #15


def training_metadata(
    panel: pd.DataFrame,
    model: str,
    end_year: int,
    cutoffs: list[int],
    horizon: int,
    metrics: pd.DataFrame,
    nowcast_until: int | None = None,
) -> dict:
    """What every bundle says about how it was made: model, data, time and backtest.

    ``synthetic`` is true when any source says it is synthetic (the demo), so the service
    and reports can say so too. ``nowcast_until`` ("today", ``Config.nowcast_until``): the
    bundle labels its model years up to then ``nowcast``.
    """
    from datetime import datetime

    sources = sorted(panel["source"].astype(str).unique()) if "source" in panel.columns else []
    return {
        "model": model,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_observed_year": int(panel["period"].max()),
        "nowcast_until": nowcast_until,
        "end_year": end_year,
        "series": series_count(panel),
        "sources": sources,
        "vintages": sorted(panel["vintage"].astype(str).unique()) if "vintage" in panel.columns else [],
        "synthetic": any("SYNTHETIC" in source for source in sources),
        "backtest": {
            "cutoffs": list(cutoffs),
            "horizon": horizon,
            "metrics": metrics.astype(object).where(metrics.notna(), None).to_dict(orient="records"),  # NaN -> null in JSON
        },
    }


__all__ = [
    "BASES",
    "AmbiguousArea",
    "ForecastBundle",
    "InvalidQuery",
    "UnknownArea",
]  # the area errors come from data.finder, BASES from data.basis


Rows = TypeVar("Rows")


class LazyIndex(Mapping[str, Rows], Generic[Rows]):
    """area -> its rows, each area's built on first use and kept.

    A service start only finds where each area's rows are (a group-by); building every
    area's rows of the all-areas champion (418 areas) took 0.7 s of the start, and a
    request needs one area. Membership, iteration and length answer from the positions,
    so finders and area lists never build anything."""

    def __init__(self, positions: dict[str, np.ndarray], build: Callable[[np.ndarray], Rows]):
        self._positions = positions
        self._build = build
        self._built: dict[str, Rows] = {}

    def __getitem__(self, area: str) -> Rows:
        if area not in self._built:
            self._built[area] = self._build(self._positions[area])  # KeyError for an unknown area, as a dict
        return self._built[area]

    def __contains__(self, area: object) -> bool:
        return area in self._positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    @property
    def built(self) -> int:
        """How many areas' rows exist so far."""
        return len(self._built)


def area_positions(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each area's row positions in ``frame`` (its order kept)."""
    areas = frame["area"].astype(str).reset_index(drop=True)
    return {str(area): rows for area, rows in areas.groupby(areas, sort=False).indices.items()}


class InvalidQuery(ValueError):
    """A request that names something the bundle does not have; ``field`` says which input."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(f"{field_name}: {message}")


@dataclass(frozen=True)
class ForecastBundle:
    forecasts: pd.DataFrame
    gaps: pd.DataFrame
    geography: Geography
    metadata: dict = field(default_factory=dict)
    priorities: pd.DataFrame = field(default_factory=pd.DataFrame)
    shortages: pd.DataFrame = field(default_factory=pd.DataFrame)  # shortage.SHORTAGE_COLUMNS, every area
    labour_reserve: pd.DataFrame = field(default_factory=pd.DataFrame)  # labour_reserve.RESERVE_COLUMNS, every area
    funding: pd.DataFrame = field(default_factory=pd.DataFrame)  # funding.BAND_COLUMNS: what a start costs, per occupation

    def __post_init__(self) -> None:
        """Label nowcast rows from the metadata's ``nowcast_until``, however the bundle was made
        (pipeline, retrain, loaded from disk), so every reader sees the same basis."""
        until = self.metadata.get("nowcast_until") if isinstance(self.metadata, dict) else None
        if until is not None:
            object.__setattr__(self, "forecasts", label_nowcast(self.forecasts, int(until), "period"))
            object.__setattr__(self, "gaps", label_nowcast(self.gaps, int(until), "year"))

    def save(self, directory: Path) -> Path:
        with atomic_folder(Path(directory)) as staging:
            self.forecasts.to_parquet(staging / FORECASTS_FILE, index=False)
            self.gaps.to_parquet(staging / GAPS_FILE, index=False)
            self.priorities.to_parquet(staging / PRIORITIES_FILE, index=False)
            self.shortages.to_parquet(staging / SHORTAGES_FILE, index=False)
            self.labour_reserve.to_parquet(staging / LABOUR_RESERVE_FILE, index=False)
            self.funding.to_parquet(staging / FUNDING_FILE, index=False)
            self.geography.write(staging)
            (staging / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str))
        return Path(directory)

    @staticmethod
    def check(directory: Path) -> Path:
        """``directory`` if it holds a bundle's files, else a one-line ``FileNotFoundError`` (reads nothing)."""
        return check_bundle(directory)

    @classmethod
    def load(cls, directory: Path) -> ForecastBundle:
        directory = cls.check(directory)
        priorities = directory / PRIORITIES_FILE
        shortages = directory / SHORTAGES_FILE
        reserve = directory / LABOUR_RESERVE_FILE
        funding = directory / FUNDING_FILE
        return cls(
            forecasts=pd.read_parquet(directory / FORECASTS_FILE),
            gaps=pd.read_parquet(directory / GAPS_FILE),
            geography=read_geography(directory),
            metadata=json.loads((directory / METADATA_FILE).read_text()),
            priorities=pd.read_parquet(priorities) if priorities.is_file() else pd.DataFrame(),
            shortages=pd.read_parquet(shortages) if shortages.is_file() else pd.DataFrame(),
            labour_reserve=pd.read_parquet(reserve) if reserve.is_file() else pd.DataFrame(),
            funding=pd.read_parquet(funding) if funding.is_file() else pd.DataFrame(),
        )

    # -- indexes: an area's rows built on its first request, then a dictionary lookup --
    @cached_property
    def _forecast_index(self) -> LazyIndex[dict[tuple[str, str, str], list[dict]]]:
        """area -> (measure, classification, code) -> rows sorted by year, as plain dicts."""
        table = self.forecasts.sort_values(["area", "measure", "classification", "code", "period"]).reset_index(drop=True)

        def build(positions: np.ndarray) -> dict[tuple[str, str, str], list[dict]]:
            part = table.iloc[positions]
            columns = [  # one pass per column to plain Python values
                part["period"].astype("int64").tolist(),
                *(part[name].astype("float64").tolist() for name in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95")),
                part["basis"].astype(str).tolist(),
            ]
            rows = [dict(zip(FORECAST_FIELDS, values, strict=True)) for values in zip(*columns, strict=True)]
            series: dict[tuple[str, str, str], list[dict]] = {}
            keys = zip(*(part[column].astype(str).tolist() for column in ("measure", "classification", "code")), strict=True)
            for key, row in zip(keys, rows, strict=True):
                series.setdefault(key, []).append(row)
            return series

        return LazyIndex(area_positions(table), build)

    @cached_property
    def _gap_index(self) -> LazyIndex[dict[str | None, list[dict]]]:
        """area -> band (None: all bands) -> gap rows in the table's order (band, then year)."""
        missing = {name: value for name, value in OPTIONAL_GAP_FIELDS.items() if name not in self.gaps}  # bundles before #15
        table = self.gaps.assign(**missing).reset_index(drop=True)

        def build(positions: np.ndarray) -> dict[str | None, list[dict]]:
            part = table.iloc[positions]
            columns = [part[name].astype("int64" if name == "year" else object).tolist() for name in GAP_FIELDS]  # plain Python values
            by_band: dict[str | None, list[dict]] = {None: []}
            for values in zip(*columns, strict=True):
                row = dict(zip(GAP_FIELDS, values, strict=True))
                by_band[None].append(row)
                by_band.setdefault(row["band"], []).append(row)
            return by_band

        return LazyIndex(area_positions(table), build)

    @cached_property
    def _names(self) -> dict[str, str]:
        return dict(zip(self.geography.areas["area"], self.geography.areas["name"].astype(str), strict=True))

    def area_name(self, area: str) -> str:
        return self._names.get(area, area)

    def names(self) -> dict[str, str]:
        """Area code -> name, for every area of the geography."""
        return dict(self._names)

    def aliases(self) -> dict[str, str]:
        """Other ids of gaps areas -> their codes (SI2035 ids -> ONS codes on real data)."""
        return dict(self._aliases)

    @cached_property
    def _priority_index(self) -> LazyIndex[pd.DataFrame]:
        ordered = self.priorities.sort_values(["area", "rank"], kind="stable") if not self.priorities.empty else self.priorities
        return _frame_index(ordered)

    @cached_property
    def _shortage_index(self) -> LazyIndex[pd.DataFrame]:
        if self.shortages.empty:
            return _frame_index(self.shortages)
        return _frame_index(self.shortages.sort_values(["area", "shortage_score"], ascending=[True, False], kind="stable"))

    @cached_property
    def _reserve_index(self) -> LazyIndex[pd.DataFrame]:
        return _frame_index(self.labour_reserve)

    @cached_property
    def finder(self) -> AreaFinder:
        """Names and codes -> areas with any figures here (see ``skillcast.data.finder``)."""
        answered = {code for code in self.geography.codes() if self.has_area(code)}
        return AreaFinder(self.geography, answerable=answered, aliases=self._aliases)

    @cached_property
    def _finders(self) -> dict[str, AreaFinder]:
        """One finder per kind of figures, each answering only areas that have them."""
        indexes = {
            "forecasts": self._forecast_index,
            "gaps": self._gap_index,
            "priorities": self._priority_index,
            "shortages": self._shortage_index,
            "labour_reserve": self._reserve_index,
        }
        return {kind: AreaFinder(self.geography, answerable=set(index), aliases=self._aliases) for kind, index in indexes.items()}

    def warm(self) -> ForecastBundle:
        """Build every index now (at service start) rather than on the first request."""
        for name in (
            "_forecast_index",
            "_gap_index",
            "_priority_index",
            "_shortage_index",
            "_reserve_index",
            "_names",
            "_aliases",
            "finder",
            "_finders",
            "_warnings",
        ):
            getattr(self, name)
        self.finder.search("warm")  # the finder's name index
        return self

    @cached_property
    def _warnings(self) -> dict[str, list[str]]:
        gaps = self.metadata.get("gaps")
        warnings = gaps.get("warnings", {}) if isinstance(gaps, dict) else {}
        return {str(area): [str(text) for text in texts] for area, texts in warnings.items()}

    def warnings(self, area: str) -> list[str]:
        """What to know before quoting this area's figures (alignment checks, data gaps); empty when nothing."""
        return list(self._warnings.get(area, []))

    def warning_lines(self, areas: list[str]) -> list[str]:
        """The warnings of ``areas`` as caveat lines (a failed alignment check led by WARNING)."""
        return [
            f"{'WARNING' if self.flagged(area) and 'ALIGNMENT' in text else 'Data note'}: {text}"
            for area in areas
            for text in self.warnings(area)
        ]

    def flagged(self, area: str) -> bool:
        """True when the area failed an alignment check: its gaps carry a warning and it is in no ranking."""
        gaps = self.metadata.get("gaps")
        return isinstance(gaps, dict) and area in set(gaps.get("flagged", []))

    # -- queries (what the service answers) --------------------------------------------
    @cached_property
    def _aliases(self) -> dict[str, str]:
        """Other ids of the gaps areas (SI2035 ``GM_LSIP`` -> ONS ``E69000014``), from the metadata."""
        gaps = self.metadata.get("gaps")
        return dict(gaps.get("aliases", {})) if isinstance(gaps, dict) else {}

    def resolve(self, area: str, index: dict, kind: str | None = None) -> str:
        """The code ``index`` knows ``area`` by: a code or alias (a dictionary lookup), else a name through the
        finder; ``UnknownArea`` (404) or ``AmbiguousArea`` / ``InvalidQuery`` (400) saying why not."""
        if area in index:
            return area
        alias = self._aliases.get(area)
        if alias is not None and alias in index:
            return alias
        finder = self._finders[kind] if kind else AreaFinder(self.geography, answerable=set(index), aliases=self._aliases)
        try:
            return finder.resolve(area)
        except UnknownArea:
            try:
                other = self.finder.resolve(area)
            except (UnknownArea, AmbiguousArea):
                raise UnknownArea(area, *self._why_unknown(area)) from None
            if kind == "priorities" and self.flagged(other):
                raise InvalidQuery(
                    "area", f"{area!r} ({self.finder.label(other)}) failed the alignment check: no priorities (see its warnings)"
                ) from None
            raise InvalidQuery("area", f"{area!r} ({self.finder.label(other)}) has no figures of this kind here; see /areas") from None

    def _why_unknown(self, area: str) -> tuple[list[str], str]:
        try:
            self.finder.resolve(area)
        except UnknownArea as error:
            return error.suggestions, error.reason
        return [], ""

    def area_code(self, area: str, kind: str) -> str:
        """The code the figures of ``kind`` (forecasts, gaps, priorities) for ``area`` (a code, alias or name) are under."""
        index = {
            "forecasts": self._forecast_index,
            "gaps": self._gap_index,
            "priorities": self._priority_index,
            "shortages": self._shortage_index,
            "labour_reserve": self._reserve_index,
        }[kind]
        return self.resolve(area, index, kind)

    def has_area(self, area: str) -> bool:
        return area in self._forecast_index or area in self._gap_index or area in self._priority_index

    @staticmethod
    def _check_years(years: list[int] | None, available: set[int]) -> None:
        if not years:
            return
        unknown = sorted(set(years) - available)
        if unknown:
            span = f"available {min(available)}-{max(available)}" if available else "no years available for this selection"
            raise InvalidQuery("years", f"no figures for {unknown}; {span}")

    def forecast_records(self, area: str, measure: str, classification: str, code: str, years: list[int] | None = None) -> list[dict]:
        """Observed and forecast rows of one series, oldest first (``FORECAST_FIELDS``)."""
        series = self._forecast_index[self.resolve(area, self._forecast_index, "forecasts")]
        wanted = (measure, classification, code)
        for position, name in enumerate(("measure", "classification", "code")):
            if not any(key[: position + 1] == wanted[: position + 1] for key in series):
                choices = sorted({key[position] for key in series if key[:position] == wanted[:position]})
                raise InvalidQuery(name, f"{wanted[position]!r} not available here; expected one of {choices}")
        rows = series[wanted]
        self._check_years(years, {row["year"] for row in rows})
        if years:
            chosen = set(years)
            rows = [row for row in rows if row["year"] in chosen]
        return rows

    def gap_records(self, area: str, band: str | None = None, years: list[int] | None = None) -> list[dict]:
        """Gap rows of one area (``GAP_FIELDS``), optionally one band and some years."""
        if band is not None and band not in ALL_BANDS:
            raise InvalidQuery("band", f"{band!r} is not a band; expected one of {list(ALL_BANDS)}")
        rows = self._gap_index[self.resolve(area, self._gap_index, "gaps")].get(band, [])
        if years:
            chosen = set(years)
            picked = [row for row in rows if row["year"] in chosen]
            if len({row["year"] for row in picked}) < len(chosen):
                self._check_years(years, {row["year"] for row in rows})
            return picked
        return rows

    def forecast_rows(self, area: str, measure: str, classification: str, code: str, years: list[int] | None = None) -> pd.DataFrame:
        rows = pd.DataFrame(self.forecast_records(area, measure, classification, code, years), columns=list(FORECAST_FIELDS))
        return rows.rename(columns={"year": "period", "value": "forecast"})

    def gap_rows(self, area: str, band: str | None = None, years: list[int] | None = None) -> pd.DataFrame:
        return pd.DataFrame(self.gap_records(area, band, years), columns=list(GAP_FIELDS)).assign(area=area)

    def priority_rows(self, area: str) -> pd.DataFrame:
        """The area's occupations ranked for apprenticeships (``priorities.PRIORITY_COLUMNS``)."""
        return self._priority_index[self.resolve(area, self._priority_index, "priorities")]

    def shortage_rows(self, area: str) -> pd.DataFrame:
        """The area's local shortage ratings, most pressed first (``shortage.SHORTAGE_COLUMNS``)."""
        return self._shortage_index[self.resolve(area, self._shortage_index, "shortages")]

    def reserve_rows(self, area: str) -> pd.DataFrame:
        """The area's labour reserve rows (``labour_reserve.RESERVE_COLUMNS``), by measure, level and year."""
        return self._reserve_index[self.resolve(area, self._reserve_index, "labour_reserve")]

    def indicators(self, year: int) -> pd.DataFrame:
        """Every area's comparison indicators in ``year`` (``skills.compare.indicators``), made once a year asked."""
        from skillcast.skills.compare import indicators

        made = self.__dict__.setdefault("_indicators", {})
        if year not in made:
            made[year] = indicators(self.gaps, self.labour_reserve, year)
        return made[year]

    def area_table(self, area_type: str | None = None, query: str | None = None) -> pd.DataFrame:
        """Areas this bundle has figures for: code, name, type, parent, what is answered, a description and
        warnings; with ``query``, the areas a name or code may mean, best first (``UnknownArea`` when none)."""
        codes = sorted(set(self._forecast_index) | set(self._gap_index) | set(self._priority_index))
        known = [code for code in codes if code in self.geography]
        if query is not None:
            matches = [match.code for match in self.finder.search(query, limit=50) if match.code in set(known)]
            if not matches:
                self.finder.resolve(query)  # raises UnknownArea with suggestions (or names where the place sits)
            known = list(dict.fromkeys(matches))
        table = self.geography.areas.loc[known, ["area", "name", "type", "parent"]].reset_index(drop=True)
        table["forecasts"] = table["area"].isin(set(self._forecast_index))
        table["gaps"] = table["area"].isin(set(self._gap_index))
        table["priorities"] = table["area"].isin(set(self._priority_index))
        table["description"] = [self.finder.describe(code) for code in table["area"]]
        table["warnings"] = [self.warnings(code) for code in table["area"]]
        table["flagged"] = [self.flagged(code) for code in table["area"]]
        if area_type is not None:
            types = sorted(set(self.geography.areas.loc[[c for c in codes if c in self.geography], "type"]))
            if area_type not in types:
                raise InvalidQuery("type", f"{area_type!r} is not an area type here; expected one of {types}")
            table = table.loc[table["type"] == area_type].reset_index(drop=True)
        return table

    def resolved(self, query: str) -> str | None:
        """The one area ``query`` means among those with figures, or None when it is ambiguous."""
        try:
            return self.finder.resolve(query)
        except AmbiguousArea:
            return None

    def classification_table(self) -> pd.DataFrame:
        """(measure, classification, code) combinations with forecasts, and how many areas have each."""
        keys = ["measure", "classification", "code"]
        frame = self.forecasts[["area", *keys]].astype(str)
        counts = frame.drop_duplicates().groupby(keys, sort=False).size()  # from the table: no area's rows built
        rows = [{"measure": m, "classification": c, "code": k, "areas": int(n)} for (m, c, k), n in sorted(counts.items())]
        return pd.DataFrame(rows, columns=["measure", "classification", "code", "areas"])


def _frame_index(ordered: pd.DataFrame) -> LazyIndex[pd.DataFrame]:
    """area -> its rows of ``ordered`` (their order kept), each area's frame cut on first use."""
    if ordered.empty:
        return LazyIndex({}, lambda positions: ordered)
    table = ordered.reset_index(drop=True)
    return LazyIndex(area_positions(table), lambda positions: table.iloc[positions].reset_index(drop=True))
