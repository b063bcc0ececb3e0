"""Skills Imperative 2035 (NFER / Warwick IER, Working Futures model): local employment.

Reads ``si2035_employment_2010_2035_wide.csv``: one row per area and category, one column
per year 2010-2035, in thousands of people. Years up to the model's base year (2020) are
historical estimates; later years are the publisher's projections and are kept with
``projection = True``, so they can be shown beside skillcast's forecasts but never train
a model.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from skillcast.schema import DataError, validate

SOURCE = "NFER / Warwick IER, Skills Imperative 2035"
VINTAGE = "2024-08"
BASE_YEAR = 2020
ID_COLUMNS = ["area_id", "area_type", "area_name", "dimension", "level", "code", "category"]
LEVEL_TO_CLASSIFICATION = {
    "soc2020_major": "soc2020_major",
    "soc2020_submajor": "soc2020_submajor",
    "rqf_level": "rqf",
    "total": "all",
    "industry": "industry",
}


def slug(text: str) -> str:
    """A stable code for a category known only by its name (industries)."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def read_employment_wide(path: Path) -> pd.DataFrame:
    """The wide employment file as a validated panel (counts of people, not thousands)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); expected a UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file; expected a header row {ID_COLUMNS + ['2010', '...']}") from None
    missing = [column for column in ID_COLUMNS if column not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing} in the header row; expected {ID_COLUMNS} then one column per year")
    years = [column for column in raw.columns if column.strip().isdigit()]
    if not years:
        raise DataError(f"{path}: no year columns (e.g. '2010') in the header row")
    unknown = ~raw["level"].isin(list(LEVEL_TO_CLASSIFICATION))
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise DataError(f"{path}: line {row + 2}, column 'level', value {raw.at[row, 'level']!r}: expected one of {sorted(LEVEL_TO_CLASSIFICATION)}")

    classification = raw["level"].map(LEVEL_TO_CLASSIFICATION)
    code = raw["code"].where(classification != "industry", raw["category"].map(slug))
    code = code.where(classification != "all", "all")
    long = (
        raw.assign(classification=classification, code=code)
        .melt(id_vars=["area_id", "classification", "code"], value_vars=years, var_name="period", value_name="thousands")
    )
    numbers = pd.to_numeric(long["thousands"].str.strip(), errors="coerce")
    bad = numbers.isna() & (long["thousands"].str.strip() != "")
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        line = position % len(raw) + 2
        raise DataError(
            f"{path}: line {line}, column {long.at[position, 'period']!r}, value {long.at[position, 'thousands']!r}: expected a number (thousands of people)"
        )
    panel = pd.DataFrame(
        {
            "area": long["area_id"],
            "measure": "employment",
            "classification": long["classification"],
            "code": long["code"],
            "period": long["period"].astype(int),
            "value": (numbers * 1000).round(3),
            "source": SOURCE,
            "vintage": VINTAGE,
            "projection": long["period"].astype(int) > BASE_YEAR,
        }
    )
    return validate(panel, source=str(path))
