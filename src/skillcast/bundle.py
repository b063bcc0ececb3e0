"""The forecast bundle: everything the service answers from, saved as one folder.

A bundle holds the forecast table (observed years and forecasts with intervals for every
target series), the gaps table, the apprenticeship priorities, the geography and metadata
(model, data, metrics). The
service only reads bundles, so it never needs the training stack to answer a request.
Saving is atomic: a new bundle is written beside the old one and swapped in, so a failed
save leaves the previous bundle intact.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC
from functools import cached_property
from pathlib import Path

import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.qualifications import ALL_BANDS
from skillcast.data.schema import series_count

FORECASTS_FILE = "forecasts.parquet"
GAPS_FILE = "gaps.parquet"
GEOGRAPHY_FILE = "geography.parquet"
PRIORITIES_FILE = "priorities.parquet"  # optional: bundles made before it answer no priorities
METADATA_FILE = "metadata.json"
FORECAST_FIELDS = ("year", "value", "lo_80", "hi_80", "lo_95", "hi_95", "basis")
BASES: tuple[str, ...] = ("observed", "forecast")  # what a forecast or gap row's ``basis`` may be
GAP_FIELDS = ("band", "year", "demand", "supply", "gap", "gap_lo_80", "gap_hi_80", "gap_lo_95", "gap_hi_95", "basis")


def training_metadata(panel: pd.DataFrame, model: str, end_year: int, cutoffs: list[int], horizon: int, metrics: pd.DataFrame) -> dict:
    """What every bundle says about how it was made: model, data, time and backtest.

    ``synthetic`` is true when any source says it is synthetic (the demo), so the service
    and reports can say so too.
    """
    from datetime import datetime

    sources = sorted(panel["source"].astype(str).unique()) if "source" in panel.columns else []
    return {
        "model": model,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_observed_year": int(panel["period"].max()),
        "end_year": end_year,
        "series": series_count(panel),
        "sources": sources,
        "vintages": sorted(panel["vintage"].astype(str).unique()) if "vintage" in panel.columns else [],
        "synthetic": any("SYNTHETIC" in source for source in sources),
        "backtest": {"cutoffs": list(cutoffs), "horizon": horizon, "metrics": metrics.to_dict(orient="records")},
    }


class UnknownArea(LookupError):
    def __init__(self, area: str, suggestions: list[str]):
        self.area, self.suggestions = area, suggestions
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"area {area!r} is not in this model{hint}")


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

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = directory.with_name(f".{directory.name}.staging-{os.getpid()}")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        self.forecasts.to_parquet(staging / FORECASTS_FILE, index=False)
        self.gaps.to_parquet(staging / GAPS_FILE, index=False)
        self.priorities.to_parquet(staging / PRIORITIES_FILE, index=False)
        self.geography.areas.reset_index(drop=True).to_parquet(staging / GEOGRAPHY_FILE, index=False)
        (staging / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str))
        previous = directory.with_name(f".{directory.name}.previous-{os.getpid()}")
        if directory.exists():
            directory.rename(previous)
        staging.rename(directory)
        if previous.exists():
            shutil.rmtree(previous)
        return directory

    @staticmethod
    def check(directory: Path) -> Path:
        """``directory`` if it holds a bundle's files, else a one-line ``FileNotFoundError`` (reads nothing)."""
        directory = Path(directory)
        missing = [name for name in (FORECASTS_FILE, GAPS_FILE, GEOGRAPHY_FILE, METADATA_FILE) if not (directory / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{directory}: not a forecast bundle (missing {', '.join(missing)}); run `skillcast demo` first")
        return directory

    @classmethod
    def load(cls, directory: Path) -> ForecastBundle:
        directory = cls.check(directory)
        priorities = directory / PRIORITIES_FILE
        return cls(
            forecasts=pd.read_parquet(directory / FORECASTS_FILE),
            gaps=pd.read_parquet(directory / GAPS_FILE),
            geography=Geography.from_frame(pd.read_parquet(directory / GEOGRAPHY_FILE)),
            metadata=json.loads((directory / METADATA_FILE).read_text()),
            priorities=pd.read_parquet(priorities) if priorities.is_file() else pd.DataFrame(),
        )

    # -- indexes: built once, so a query is a dictionary lookup, not a scan of the table --
    @cached_property
    def _forecast_index(self) -> dict[str, dict[tuple[str, str, str], list[dict]]]:
        """area -> (measure, classification, code) -> rows sorted by year, as plain dicts."""
        index: dict[str, dict[tuple[str, str, str], list[dict]]] = {}
        table = self.forecasts.sort_values(["area", "measure", "classification", "code", "period"])
        rows = (  # one vectorised pass to plain Python values (a service start indexes ~60k rows)
            table[["period", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "basis"]]
            .astype(
                {"period": "int64", "forecast": "float64", "lo_80": "float64", "hi_80": "float64", "lo_95": "float64", "hi_95": "float64"}
            )
            .astype({"basis": "object"})
            .rename(columns={"period": "year", "forecast": "value"})
            .to_dict(orient="records")
        )
        keys = zip(*(table[column].astype(str).tolist() for column in ("area", "measure", "classification", "code")), strict=True)
        for (area, measure, classification, code), row in zip(keys, rows, strict=True):
            row["basis"] = str(row["basis"])
            index.setdefault(area, {}).setdefault((measure, classification, code), []).append(row)
        return index

    @cached_property
    def _gap_index(self) -> dict[str, dict[str | None, list[dict]]]:
        """area -> band (None: all bands) -> gap rows in the table's order (band, then year)."""
        index: dict[str, dict[str | None, list[dict]]] = {}
        for record in self.gaps.to_dict(orient="records"):
            row = {name: record[name] for name in GAP_FIELDS}
            row["year"] = int(row["year"])
            by_band = index.setdefault(str(record["area"]), {None: []})
            by_band[None].append(row)
            by_band.setdefault(row["band"], []).append(row)
        return index

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
    def _priority_index(self) -> dict[str, pd.DataFrame]:
        if self.priorities.empty:
            return {}
        return {str(area): rows.sort_values("rank").reset_index(drop=True) for area, rows in self.priorities.groupby("area", sort=False)}

    @cached_property
    def _answered_geography(self) -> Geography:
        """The geography cut to areas with figures: 'closest' suggestions must be answerable."""
        codes = [code for code in self.geography.codes() if self.has_area(code)]
        return Geography.from_frame(self.geography.areas.loc[codes].reset_index(drop=True)) if codes else self.geography

    def warm(self) -> ForecastBundle:
        """Build every index now (at service start) rather than on the first request."""
        for name in ("_forecast_index", "_gap_index", "_priority_index", "_answered_geography", "_names", "_aliases"):
            getattr(self, name)
        return self

    # -- queries (what the service answers) --------------------------------------------
    @cached_property
    def _aliases(self) -> dict[str, str]:
        """Other ids of the gaps areas (SI2035 ``GM_LSIP`` -> ONS ``E69000014``), from the metadata."""
        gaps = self.metadata.get("gaps")
        return dict(gaps.get("aliases", {})) if isinstance(gaps, dict) else {}

    def resolve(self, area: str, index: dict) -> str:
        """The code ``index`` knows ``area`` by (itself, its alias, either in any case), or a 404/400 saying why not."""
        if area in index:
            return area
        alias = self._aliases.get(area)
        if alias is not None and alias in index:
            return alias
        folded = {code.lower(): code for code in (*index, *self._aliases)}  # only on a miss: 'gm_lsip' means GM_LSIP
        if area.lower() in folded and folded[area.lower()] != area:
            return self.resolve(folded[area.lower()], index)
        if area in self.geography and self.has_area(area):
            raise InvalidQuery("area", f"{area!r} ({self.area_name(area)}) has no figures of this kind here; see /areas")
        raise UnknownArea(area, self._answered_geography.closest(area))

    def _check_area(self, area: str, index: dict) -> None:
        self.resolve(area, index)

    def area_code(self, area: str, kind: str) -> str:
        """The code the figures of ``kind`` (forecasts, gaps, priorities) for ``area`` are under."""
        index = {"forecasts": self._forecast_index, "gaps": self._gap_index, "priorities": self._priority_index}[kind]
        return self.resolve(area, index)

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
        self._check_area(area, self._forecast_index)
        series = self._forecast_index[area]
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
        rows = self._gap_index[self.resolve(area, self._gap_index)].get(band, [])
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
        return self._priority_index[self.resolve(area, self._priority_index)]

    def area_table(self, area_type: str | None = None) -> pd.DataFrame:
        """Areas this bundle has figures for: code, name, type, parent, and what is answered."""
        codes = sorted(set(self._forecast_index) | set(self._gap_index) | set(self._priority_index))
        known = [code for code in codes if code in self.geography]
        table = self.geography.areas.loc[known, ["area", "name", "type", "parent"]].reset_index(drop=True)
        table["forecasts"] = table["area"].isin(self._forecast_index)
        table["gaps"] = table["area"].isin(self._gap_index)
        table["priorities"] = table["area"].isin(self._priority_index)
        if area_type is not None:
            types = sorted(table["type"].unique())
            if area_type not in types:
                raise InvalidQuery("type", f"{area_type!r} is not an area type here; expected one of {types}")
            table = table.loc[table["type"] == area_type].reset_index(drop=True)
        return table

    def classification_table(self) -> pd.DataFrame:
        """(measure, classification, code) combinations with forecasts, and how many areas have each."""
        counts: dict[tuple[str, str, str], int] = {}
        for series in self._forecast_index.values():
            for key in series:
                counts[key] = counts.get(key, 0) + 1
        rows = [{"measure": m, "classification": c, "code": k, "areas": n} for (m, c, k), n in sorted(counts.items())]
        return pd.DataFrame(rows, columns=["measure", "classification", "code", "areas"])
