"""Reference tables that are not annual counts: WF7 growth rankings and the SOC 2020 structure.

They label and check forecasts rather than train them, so they go to ``result.tables``
and the panel is empty (zero rows, the contract's columns and dtypes). Files, recognised
by their header:

* ``working_futures/wf7_lep_{occupation,sector}_growth_rankings_tidy.csv`` ->
  ``tables["wf7_rankings"]``: ``lep`` (code), ``lep_name`` (as published), ``category_type``
  (occupation | sector), ``list`` (highest_growth | lowest_growth), ``rank`` (1-5),
  ``category``. Working Futures 2017-2027 (WF7) LEP results, a 2017-vintage forecast to
  check directionally against 2017-2022 outcomes. LEP names lose their " LEP" suffix
  before matching; "London Enterprise Panel" is the London LEP. The raw
  ``*_highest_lowest_growth_*`` files hold the same rankings and are not read.
* ``lookups/soc2020_structure_descriptions.csv`` -> ``tables["soc2020_structure"]``: every
  column as published (level, code, group codes, title, description,
  typical_entry_routes_and_qualifications, tasks, related_job_titles).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, DataError, validate
from skillcast.data.sources.common import SourceResult, file_kind, match_areas, raise_first_bad, read_csv_checked

NAME = "reference"
FILES = (
    "working_futures/wf7_lep_occupation_growth_rankings_tidy.csv",
    "working_futures/wf7_lep_sector_growth_rankings_tidy.csv",
    "lookups/soc2020_structure_descriptions.csv",
)

KINDS: dict[str, list[str]] = {
    "wf7_rankings": ["lep", "category_type", "list", "rank", "category"],
    "soc2020_structure": [
        "level",
        "code",
        "major_group",
        "sub_major_group",
        "minor_group",
        "title",
        "typical_entry_routes_and_qualifications",
    ],
}
LISTS = ("highest_growth", "lowest_growth")
CATEGORY_TYPES = ("occupation", "sector")
SOC_LEVELS = {"major": 1, "submajor": 2, "minor": 3, "unit": 4}  # level -> digits in its code
LEP_SPELLINGS = {"London Enterprise Panel": "London"}


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """Reference tables from the files given; the panel has no rows."""
    result = SourceResult(source=NAME, panel=empty_panel(), files=[Path(path) for path in paths])
    found: dict[str, list[pd.DataFrame]] = {}
    for path in result.files:
        kind = file_kind(path, KINDS, "reference")
        frame = read_csv_checked(path, KINDS[kind])
        reader = _rankings if kind == "wf7_rankings" else _soc_structure
        found.setdefault(kind, []).append(reader(frame, path, geography, result))
    for kind, frames in found.items():
        table = pd.concat(frames, ignore_index=True)
        key = ["lep", "category_type", "list", "rank"] if kind == "wf7_rankings" else ["level", "code"]
        duplicated = table.duplicated(key)
        if duplicated.any():
            row = table.loc[duplicated].iloc[0]
            raise DataError(f"{kind}: a second row for {', '.join(f'{column}={row[column]!r}' for column in key)} (same file given twice?)")
        result.tables[kind] = table
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    return result


def empty_panel() -> pd.DataFrame:
    """A zero-row panel in the contract's canonical dtypes."""
    columns = list(REQUIRED_COLUMNS) + [column for column in OPTIONAL_COLUMNS if column != "ci95"]
    return validate(pd.DataFrame(columns=columns), source=NAME)


def _rankings(frame: pd.DataFrame, path: Path, geography: Geography, result: SourceResult) -> pd.DataFrame:
    frame = frame.apply(lambda column: column.str.strip())
    raise_first_bad(~frame["list"].isin(LISTS), frame["list"], path, "list", f"one of {list(LISTS)}")
    raise_first_bad(
        ~frame["category_type"].isin(CATEGORY_TYPES), frame["category_type"], path, "category_type", f"one of {list(CATEGORY_TYPES)}"
    )
    rank = pd.to_numeric(frame["rank"], errors="coerce")
    raise_first_bad(~rank.isin(range(1, 6)), frame["rank"], path, "rank", "a whole number 1-5")
    raise_first_bad(frame["category"] == "", frame["category"], path, "category", "a non-empty category name")
    names = frame["lep"].replace(LEP_SPELLINGS).str.replace(r"\s+LEP$", "", regex=True)
    return pd.DataFrame(
        {
            "lep": match_areas(names, "lep", geography, result).astype(str),
            "lep_name": frame["lep"],
            "category_type": frame["category_type"],
            "list": frame["list"],
            "rank": rank.astype("int64"),
            "category": frame["category"],
        }
    )


def _soc_structure(frame: pd.DataFrame, path: Path, geography: Geography, result: SourceResult) -> pd.DataFrame:
    frame = frame.apply(lambda column: column.str.strip())
    raise_first_bad(~frame["level"].isin(list(SOC_LEVELS)), frame["level"], path, "level", f"one of {list(SOC_LEVELS)}")
    digits = frame["level"].map(SOC_LEVELS)
    shape_ok = frame["code"].str.fullmatch(r"\d+") & (frame["code"].str.len() == digits)
    raise_first_bad(~shape_ok, frame["code"], path, "code", "a SOC 2020 code with 1/2/3/4 digits for major/submajor/minor/unit")
    raise_first_bad(frame["title"] == "", frame["title"], path, "title", "a non-empty title")
    return frame.reset_index(drop=True)
