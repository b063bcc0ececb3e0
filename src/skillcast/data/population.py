"""A population projection a user supplies (``skillcast gaps --population FILE``): people by area, age band and year.

The cohort model's band sizes follow it (``supply.project_area``). The file is checked row by
row; any problem is one ``DataError`` naming the file, row, column and value. Area names are
left as written: the caller resolves them to codes, as every ``--area`` is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from skillcast.data.schema import DataError

POPULATION_COLUMNS: tuple[str, ...] = ("area", "age_band", "year", "value")


def read_population_projection(path: Path, age_bands: tuple[str, ...]) -> pd.DataFrame:
    """``POPULATION_COLUMNS`` from a CSV; ``age_band`` must be one of ``age_bands``, year and value numbers >= 0."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such population file")
    try:
        frame = pd.read_csv(path, dtype={"area": str, "age_band": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable CSV ({str(error).splitlines()[0]})") from None
    expected = list(POPULATION_COLUMNS)
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; expected {expected}")
    for row, band in enumerate(frame["age_band"]):
        if band not in age_bands:
            raise DataError(f"{path}: row {row + 2}, column 'age_band', value {band!r}: expected one of {list(age_bands)}")
    for column in ("year", "value"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() | (numbers < 0)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(f"{path}: row {row + 2}, column {column!r}, value {frame[column].iat[row]!r}: expected a number >= 0")
        frame[column] = numbers
    frame["year"] = frame["year"].astype(int)
    return frame[expected]
