"""Annual Population Survey (ONS, via NOMIS; processed by DfE): employment by occupation.

People in employment by where they live (measure ``employment_residence``), by SOC 2010
sub-major group (classification ``soc2010_submajor``, the standard two-digit codes 11-92),
calendar years Jan-Dec, with each estimate's published 95% confidence interval in
``ci95``. Two files (folder ``aps_local_skills_dfe/``):

* ``aps_emp_by_occ_soc2010_lad_lep_2017_2021.csv`` (wide): Great Britain districts and
  English LEPs, 2017-2021; each occupation column is followed by its CI column (``Conf``,
  ``Conf_2``...). Column names have stray spaces and no commas ("Science Research
  Engineering..."), so occupations are matched on a slug of the name, any case.
* ``aps_emp_by_occ_soc2010_lep_nuts3_2015_2021.csv`` (long, parsed from the raw NOMIS
  export of APS table T09a): England, LEPs and NUTS3 (2016) areas, 2015-2021. NUTS3 areas
  have no GSS code; their NUTS code (``UKC11``) is the area code and they are added to
  ``result.areas`` with type ``nuts3``.

Neither file has an all-occupations total, so none is made up here.

Both files give LEPs for 2017-2021. Where both hold a cell, the NUTS3 file's is kept: it
is one extract covering 2015-2021, so each LEP series is one release throughout. The two
agree exactly for 2017-2019 but differ slightly (a few hundred people a cell) in 2020-2021,
most likely because ONS revised (reweighted) the APS 2020-21 estimates between the two
extracts; the reader notes how many differ. Dropped cells are still checked as numbers
but not counted as suppressed, so ``result.suppressed`` describes exactly the panel
(value and CI cells alike).

Area names are matched to codes one file and area type at a time; names no code fits
(Scottish districts, LEPs re-formed in 2021) are kept under a ``type:slug`` code and
reported.
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
    read_csv_checked,
    read_header,
    slug,
)

NAME = "aps-occupations"
FILES = (
    "aps_local_skills_dfe/aps_emp_by_occ_soc2010_lad_lep_2017_2021.csv",
    "aps_local_skills_dfe/aps_emp_by_occ_soc2010_lep_nuts3_2015_2021.csv",
)
SOURCE = "ONS Annual Population Survey (NOMIS), processed by DfE Local Skills Dashboard"
VINTAGE = "dfe-lsip-dashboard"
MEASURE = "employment_residence"
CLASSIFICATION = "soc2010_submajor"

SOC2010_SUBMAJOR: dict[str, str] = {
    "11": "Corporate Managers and Directors",
    "12": "Other Managers and Proprietors",
    "21": "Science, Research, Engineering and Technology Professionals",
    "22": "Health Professionals",
    "23": "Teaching and Educational Professionals",
    "24": "Business, Media and Public Service Professionals",
    "31": "Science, Engineering and Technology Associate Professionals",
    "32": "Health and Social Care Associate Professionals",
    "33": "Protective Service Occupations",
    "34": "Culture, Media and Sports Occupations",
    "35": "Business and Public Service Associate Professionals",
    "41": "Administrative Occupations",
    "42": "Secretarial and Related Occupations",
    "51": "Skilled Agricultural and Related Trades",
    "52": "Skilled Metal, Electrical and Electronic Trades",
    "53": "Skilled Construction and Building Trades",
    "54": "Textiles, Printing and Other Skilled Trades",
    "61": "Caring Personal Service Occupations",
    "62": "Leisure, Travel and Related Personal Service Occupations",
    "71": "Sales Occupations",
    "72": "Customer Service Occupations",
    "81": "Process, Plant and Machine Operatives",
    "82": "Transport and Mobile Machine Drivers and Operatives",
    "91": "Elementary Trades and Related Occupations",
    "92": "Elementary Administration and Service Occupations",
}
CODE_OF_SLUG = {slug(name): code for code, name in SOC2010_SUBMAJOR.items()}

WIDE_ID_COLUMNS = ["area", "geographic_level", "year"]
WIDE_AREA_TYPES = {"ladu": "lad", "lep": "lep"}
LONG_COLUMNS = ["year", "area_type", "area_name", "soc2010_submajor_group", "employment", "conf_95"]
LONG_AREA_TYPES = {"country": "country", "lep": "lep", "nuts316": "nuts3"}
NUTS3_NAME = r"^(UK[A-Z][0-9A-Z]{2})\s+(\S.*)$"  # "UKC11 Hartlepool and Stockton-on-Tees"
KEY = ["area", "code", "period"]


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """Each file recognised by its header; together, one panel with confidence intervals."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    cells = []
    for rank, path in enumerate(result.files):
        header = read_header(path)
        if "soc2010_submajor_group" in header:
            cells.append(_cells_long(path).assign(rank=rank))
        elif any(column.lower().startswith("conf") for column in header):
            cells.append(_cells_wide(path).assign(rank=rank + len(result.files)))  # after any NUTS3 file
        else:
            raise DataError(f"{path}: not an APS employment-by-occupation file; expected the wide LAD/LEP file or the long LEP/NUTS3 file")
    if not cells:
        return result
    table = pd.concat(cells, ignore_index=True)
    table["area"] = _match(table, geography, result)
    dropped = table["rank"] > table.groupby(KEY)["rank"].transform("min")
    table["value"] = parse_cells(table, "text", "column", dropped, result)
    table["ci95"] = parse_cells(table, "ci_text", "ci_column", dropped, result)
    note_overlap(
        table,
        KEY,
        dropped,
        result,
        "{both} LEP cells are in both files; the NUTS3 file's are kept; {differ} of them differ in the LAD/LEP file",
    )

    kept = table.loc[~dropped]
    panel = pd.DataFrame(
        {
            "area": kept["area"],
            "measure": MEASURE,
            "classification": CLASSIFICATION,
            "code": kept["code"],
            "period": kept["period"],
            "value": kept["value"],
            "source": SOURCE,
            "vintage": VINTAGE,
            "ci95": kept["ci95"],
        }
    )
    result.panel = validate(panel, source=NAME)
    return result


def _cells_wide(path: Path) -> pd.DataFrame:
    """The wide LAD/LEP file as one row per occupation cell, with its CI cell beside it."""
    raw = read_csv_checked(path, WIDE_ID_COLUMNS)
    pairs = [column for column in raw.columns if column not in WIDE_ID_COLUMNS]
    occupations, intervals = pairs[0::2], pairs[1::2]
    if len(occupations) != len(intervals):
        raise DataError(f"{path}: line 1: expected each occupation column to be followed by its 'Conf' column; {pairs[-1]!r} has none")
    for occupation, interval in zip(occupations, intervals, strict=True):
        _occupation_code(occupation, path, 1, occupation)
        if not interval.lower().startswith("conf"):
            raise DataError(f"{path}: line 1, column {interval!r}: expected the 'Conf' (95% CI) column of {occupation!r}")
    ids = pd.DataFrame(
        {
            "path": str(path),
            "line": raw.index + 2,
            "name": raw["area"].str.strip(),
            "area_type": map_labels(raw["geographic_level"], WIDE_AREA_TYPES, path, "geographic_level"),
            "period": parse_years(raw["year"], path, "year"),
        }
    )
    long = raw[occupations].melt(ignore_index=False, var_name="column", value_name="text")
    # melt stacks column after column, so flattening the CI columns column-wise pairs them up
    long["ci_column"] = np.repeat(intervals, len(raw))
    long["ci_text"] = raw[intervals].to_numpy().ravel(order="F")
    long["code"] = long["column"].map(lambda column: CODE_OF_SLUG[slug(column)])
    return ids.join(long).reset_index(drop=True)


def _cells_long(path: Path) -> pd.DataFrame:
    """The long LEP/NUTS3 file as one row per cell; NUTS3 areas get their NUTS code."""
    raw = read_csv_checked(path, LONG_COLUMNS)
    occupation = raw["soc2010_submajor_group"].map(slug).map(CODE_OF_SLUG)
    if occupation.isna().any():
        row = int(occupation.isna().to_numpy().nonzero()[0][0])
        _occupation_code(raw.at[row, "soc2010_submajor_group"], path, row + 2, "soc2010_submajor_group")
    return pd.DataFrame(
        {
            "path": str(path),
            "line": raw.index + 2,
            "column": "employment",
            "ci_column": "conf_95",
            "name": raw["area_name"].str.strip(),
            "area_type": map_labels(raw["area_type"], LONG_AREA_TYPES, path, "area_type"),
            "period": parse_years(raw["year"], path, "year"),
            "code": occupation,
            "text": raw["employment"],
            "ci_text": raw["conf_95"],
        }
    )


def _occupation_code(name: str, path: Path, line: int, column: str) -> str:
    code = CODE_OF_SLUG.get(slug(name))
    if code is None:
        place = f"column {column!r}" if line == 1 else f"column {column!r}, value {name!r}"
        raise DataError(
            f"{path}: line {line}, {place}: unknown SOC 2010 sub-major group; expected one of the 25 published names (any case)"
        )
    return code


def _match(table: pd.DataFrame, geography: Geography, result: SourceResult) -> pd.Series:
    """Area codes: NUTS3 codes from the names themselves, others by name, per file and type."""
    codes = pd.Series("", index=table.index)
    for (path, area_type), rows in table.groupby(["path", "area_type"], sort=False):
        if area_type == "nuts3":
            codes[rows.index] = _nuts3(rows, Path(path), result)
        else:
            codes[rows.index] = match_areas(rows["name"], area_type, geography, result)
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    if result.areas is not None:
        result.areas = result.areas.drop_duplicates("area").reset_index(drop=True)
    return codes


def _nuts3(rows: pd.DataFrame, path: Path, result: SourceResult) -> pd.Series:
    """'UKC11 Hartlepool...' -> code 'UKC11'; the areas are added to ``result.areas``."""
    parts = rows["name"].str.extract(NUTS3_NAME)
    if parts[0].isna().any():
        position = int(parts[0].isna().to_numpy().nonzero()[0][0])
        raise DataError(
            f"{path}: line {rows['line'].iloc[position]}, column 'area_name', value {rows['name'].iloc[position]!r}: "
            "expected a NUTS3 code then a name, such as 'UKC11 Hartlepool and Stockton-on-Tees'"
        )
    areas = pd.DataFrame({"area": parts[0], "name": parts[1].str.strip(), "type": "nuts3", "parent": ""}).drop_duplicates("area")
    result.areas = areas if result.areas is None else pd.concat([result.areas, areas], ignore_index=True)
    return parts[0]
