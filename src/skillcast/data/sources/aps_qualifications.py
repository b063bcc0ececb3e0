"""Annual Population Survey (ONS, via NOMIS; processed by DfE): highest qualification held.

Two DfE Local Skills Dashboard extracts (folder ``aps_local_skills_dfe/``), both counts of
people by highest qualification (APS table T19, exclusive levels; ``NVQ4`` means NVQ4 and
above), calendar years Jan-Dec 2017-2021, measure ``population``:

* ``aps_qual_nvq_16_64_lad_lep_2017_2021.csv`` (long): people aged 16-64 by ``Level``, for
  363 Great Britain districts and 38 LEPs -> classification ``nvq``. Read as text with no
  NA parsing: the level ``None`` is a category, not a missing value.
* ``aps_qual_nvq_by_age_lad_lep_lsip_2017_2021.csv`` (wide, ``<age band> <level>``
  columns): English districts, LEPs and LSIPs. The ``16-64`` columns -> ``nvq``; the other
  age bands -> ``age_band|nvq`` (codes such as ``25-29|nvq4``).

Both files give 16-64 by level for the same English districts and LEPs. Where both hold a
cell, the 16-64 file's is kept: it is the dashboard's own 16-64 table and it covers
Great Britain, so one file gives every district's series; the by-age file then adds only
what the other lacks (LSIPs, other age bands). The two were checked to agree on every
shared cell (the reader notes how many differ, should a later release disagree). The
by-age file's dropped cells are still checked as numbers but not counted as suppressed,
so ``result.suppressed`` describes exactly the panel.

Areas are published by name. Names are matched to codes one file at a time, because the
16-64 file uses NOMIS's short names (``Barrow``, ``Stockton``) and the by-age file the full
ones: matched together, the full name would claim the district and leave the short one
unmatched. Names no code fits (Scottish districts, LEPs re-formed in 2021) are kept under
a ``type:slug`` code and reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError, validate
from skillcast.data.sources.common import (
    SourceResult,
    map_labels,
    match_areas,
    note_overlap,
    parse_cells,
    parse_years,
    raise_first_bad,
    read_csv_checked,
    read_header,
)

NAME = "aps-qualifications"
FILES = (
    "aps_local_skills_dfe/aps_qual_nvq_16_64_lad_lep_2017_2021.csv",
    "aps_local_skills_dfe/aps_qual_nvq_by_age_lad_lep_lsip_2017_2021.csv",
)
SOURCE = "ONS Annual Population Survey (NOMIS), processed by DfE Local Skills Dashboard"
VINTAGE = "dfe-lsip-dashboard"
MEASURE = "population"

AREA_TYPES = {"ladu": "lad", "lep": "lep", "lsip": "lsip"}
# published level (lower case) -> contract code (see skillcast.data.qualifications)
LEVELS = {
    "none": "none",
    "nvq1": "nvq1",
    "nvq2": "nvq2",
    "trade apprenticeships": "trade_apprenticeships",
    "nvq3": "nvq3",
    "nvq4": "nvq4",
    "other qualifications": "other",
}
ALL_AGES = "16-64"
AGE_BANDS = ("16-64", "16-19", "20-24", "25-29", "30-39", "40-49", "50-64")
LONG_COLUMNS = ["area", "year", "geographic_level", "gender", "Level", "age_band", "qualification count"]
WIDE_ID_COLUMNS = ["year", "area", "geographic_level"]
KEY = ["area", "classification", "code", "period"]


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """Each file recognised by its header; together, one panel of counts of people."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    cells = []
    for rank, path in enumerate(result.files):
        header = read_header(path)
        if "qualification count" in header or "Level" in header:
            cells.append(_cells_16_64(path).assign(rank=rank))
        elif any(column.startswith(f"{ALL_AGES} ") for column in header):
            cells.append(_cells_by_age(path).assign(rank=rank + len(result.files)))  # after any 16-64 file
        else:
            raise DataError(f"{path}: not an APS qualifications file; expected the 16-64 long file or the by-age wide file")
    if not cells:
        return result
    table = pd.concat(cells, ignore_index=True)
    table["area"] = _match(table, geography, result)
    dropped = table["rank"] > table.groupby(KEY)["rank"].transform("min")
    table["value"] = parse_cells(table, "text", "column", dropped, result)
    note_overlap(
        table,
        KEY,
        dropped,
        result,
        "{both} 16-64 cells are in both files; the 16-64 file's are kept; {differ} of them differ in the by-age file",
    )

    kept = table.loc[~dropped]
    panel = pd.DataFrame(
        {
            "area": kept["area"],
            "measure": MEASURE,
            "classification": kept["classification"],
            "code": kept["code"],
            "period": kept["period"],
            "value": kept["value"],
            "source": SOURCE,
            "vintage": VINTAGE,
        }
    )
    result.panel = validate(panel, source=NAME)
    return result


def _cells_16_64(path: Path) -> pd.DataFrame:
    """The long 16-64 file as one row per published cell (text value, where it came from)."""
    raw = read_csv_checked(path, LONG_COLUMNS)
    raise_first_bad(raw["gender"].str.strip() != "Total", raw["gender"], path, "gender", "'Total' (men and women together)")
    level = map_labels(raw["Level"], LEVELS, path, "Level")
    band = map_labels(raw["age_band"], {band: band for band in AGE_BANDS}, path, "age_band")
    all_ages = band == ALL_AGES
    return pd.DataFrame(
        {
            "path": str(path),
            "line": raw.index + 2,
            "column": "qualification count",
            "name": raw["area"].str.strip(),
            "area_type": map_labels(raw["geographic_level"], AREA_TYPES, path, "geographic_level"),
            "period": parse_years(raw["year"], path, "year"),
            "classification": np.where(all_ages, "nvq", "age_band|nvq"),
            "code": level.where(all_ages, band + "|" + level),
            "text": raw["qualification count"],
        }
    )


def _cells_by_age(path: Path) -> pd.DataFrame:
    """The wide by-age file as one row per published cell; each column is '<age band> <level>'."""
    raw = read_csv_checked(path, WIDE_ID_COLUMNS)
    value_columns = [column for column in raw.columns if column not in WIDE_ID_COLUMNS]
    category = {}
    for column in value_columns:
        band, _, level = column.partition(" ")
        if band not in AGE_BANDS or level.strip().lower() not in LEVELS:
            raise DataError(
                f"{path}: line 1, column {column!r}: expected '<age band> <level>' with age band one of {list(AGE_BANDS)} "
                f"and level one of {sorted(LEVELS)}"
            )
        code = LEVELS[level.strip().lower()]
        category[column] = ("nvq", code) if band == ALL_AGES else ("age_band|nvq", f"{band}|{code}")
    ids = pd.DataFrame(
        {
            "path": str(path),
            "line": raw.index + 2,
            "name": raw["area"].str.strip(),
            "area_type": map_labels(raw["geographic_level"], AREA_TYPES, path, "geographic_level"),
            "period": parse_years(raw["year"], path, "year"),
        }
    )
    long = raw[value_columns].melt(ignore_index=False, var_name="column", value_name="text")
    long["classification"] = long["column"].map(lambda column: category[column][0])
    long["code"] = long["column"].map(lambda column: category[column][1])
    return ids.join(long).reset_index(drop=True)


def _match(table: pd.DataFrame, geography: Geography, result: SourceResult) -> pd.Series:
    """Area codes, matching names one file and area type at a time (see module docstring)."""
    codes = pd.Series("", index=table.index)
    for (_, area_type), rows in table.groupby(["path", "area_type"], sort=False):
        codes[rows.index] = match_areas(rows["name"], area_type, geography, result)
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    if result.areas is not None:
        result.areas = result.areas.drop_duplicates("area").reset_index(drop=True)
    return codes
