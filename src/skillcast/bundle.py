"""The forecast bundle: everything the service answers from, saved as one folder.

A bundle holds the forecast table (observed years and forecasts with intervals for every
target series), the gaps table, the geography and metadata (model, data, metrics). The
service only reads bundles, so it never needs the training stack to answer a request.
Saving is atomic: a new bundle is written beside the old one and swapped in, so a failed
save leaves the previous bundle intact.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from skillcast.gaps import ALL_BANDS
from skillcast.geography import Geography

FORECASTS_FILE = "forecasts.parquet"
GAPS_FILE = "gaps.parquet"
GEOGRAPHY_FILE = "geography.parquet"
METADATA_FILE = "metadata.json"


def training_metadata(panel: pd.DataFrame, model: str, end_year: int, cutoffs: list[int], horizon: int, metrics: pd.DataFrame) -> dict:
    """What every bundle says about how it was made: model, data, time and backtest.

    ``synthetic`` is true when any source says it is synthetic (the demo), so the service
    and reports can say so too.
    """
    from datetime import datetime, timezone

    from skillcast.schema import series_count

    sources = sorted(panel["source"].astype(str).unique()) if "source" in panel.columns else []
    return {
        "model": model,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
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

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = directory.with_name(f".{directory.name}.staging-{os.getpid()}")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        self.forecasts.to_parquet(staging / FORECASTS_FILE, index=False)
        self.gaps.to_parquet(staging / GAPS_FILE, index=False)
        self.geography.areas.reset_index(drop=True).to_parquet(staging / GEOGRAPHY_FILE, index=False)
        (staging / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str))
        previous = directory.with_name(f".{directory.name}.previous-{os.getpid()}")
        if directory.exists():
            directory.rename(previous)
        staging.rename(directory)
        if previous.exists():
            shutil.rmtree(previous)
        return directory

    @classmethod
    def load(cls, directory: Path) -> ForecastBundle:
        directory = Path(directory)
        missing = [name for name in (FORECASTS_FILE, GAPS_FILE, GEOGRAPHY_FILE, METADATA_FILE) if not (directory / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{directory}: not a forecast bundle (missing {', '.join(missing)}); run `skillcast demo` first")
        return cls(
            forecasts=pd.read_parquet(directory / FORECASTS_FILE),
            gaps=pd.read_parquet(directory / GAPS_FILE),
            geography=Geography.from_frame(pd.read_parquet(directory / GEOGRAPHY_FILE)),
            metadata=json.loads((directory / METADATA_FILE).read_text()),
        )

    # -- queries (what the service answers) --------------------------------------------
    def _check_area(self, area: str, table: pd.DataFrame | None = None) -> None:
        known = (self.forecasts["area"] == area).any() or (table is not None and (table["area"] == area).any())
        if area not in self.geography or not known:
            raise UnknownArea(area, self.geography.closest(area))

    def _check_years(self, years: list[int] | None, available: pd.Series) -> None:
        if not years:
            return
        known = set(int(year) for year in available.unique())
        unknown = sorted(set(years) - known)
        if unknown:
            raise InvalidQuery("years", f"no figures for {unknown}; available {min(known)}-{max(known)}")

    def forecast_rows(
        self, area: str, measure: str, classification: str, code: str, years: list[int] | None = None
    ) -> pd.DataFrame:
        self._check_area(area)
        rows = self.forecasts.loc[self.forecasts["area"] == area]
        for name, value in (("measure", measure), ("classification", classification), ("code", code)):
            matching = rows.loc[rows[name] == value]
            if matching.empty:
                choices = sorted(rows[name].unique())
                raise InvalidQuery(name, f"{value!r} not available here; expected one of {choices}")
            rows = matching
        self._check_years(years, rows["period"])
        if years:
            rows = rows.loc[rows["period"].isin(years)]
        return rows.sort_values("period").reset_index(drop=True)

    def gap_rows(self, area: str, band: str | None = None, years: list[int] | None = None) -> pd.DataFrame:
        self._check_area(area, self.gaps)  # gaps may be on other codes than the forecasts (ONS vs SI2035 ids)
        rows = self.gaps.loc[self.gaps["area"] == area]
        if band is not None:
            if band not in ALL_BANDS:
                raise InvalidQuery("band", f"{band!r} is not a band; expected one of {list(ALL_BANDS)}")
            rows = rows.loc[rows["band"] == band]
        self._check_years(years, rows["year"])
        if years:
            rows = rows.loc[rows["year"].isin(years)]
        return rows.reset_index(drop=True)
