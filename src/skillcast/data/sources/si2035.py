"""Skills Imperative 2035 (NFER / Warwick IER, Working Futures model): local employment.

Three files (folder ``skills_imperative_2035/``):

* ``si2035_employment_2010_2035_wide.csv``: one row per area and category, one column per
  year 2010-2035, in thousands. Years up to the model's base year (2020) are historical
  estimates; later years are the publisher's projections, kept with ``projection = True``
  so they can be shown beside skillcast's forecasts but never train a model.
* ``si2035_requirement_occ_by_qual_2020_2035.csv``: per area, qualification (all + RQF) and
  SOC 2020 sub-major group (+ all): employment in 2020 and 2035, and the 2020-2035 net
  change, replacement demand and total requirement. The three flows cover fifteen years;
  they are stored at ``period`` 2035 (the end of the span) as projections. Employment
  here is kept only for the qualification x occupation cells (classification
  ``rqf|soc2020_submajor``), which the wide file lacks, so the two files never duplicate.
* ``si2035_areas.csv``: the areas' own ids (``GM_LSIP``, ``EN``...), names and types; each
  is matched by name to its ONS code where one exists (``tables["si2035_area_codes"]``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError, validate
from skillcast.data.sources.common import SourceResult, map_labels, parse_counts, read_csv_checked, read_header, slug

NAME = "si2035"
FILES = (
    "skills_imperative_2035/si2035_employment_2010_2035_wide.csv",
    "skills_imperative_2035/si2035_requirement_occ_by_qual_2020_2035.csv",
    "skills_imperative_2035/si2035_areas.csv",
)
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


REQUIREMENT_COLUMNS = [
    "area_id",
    "qual_code",
    "soc2020_submajor",
    "emp_2020_thousands",
    "emp_2035_thousands",
    "net_change_thousands",
    "replacement_demand_thousands",
    "total_requirement_thousands",
]
AREA_COLUMNS = ["area_id", "area_type", "area_name"]
AREA_TYPES = {"LSIP": "lsip", "MCA": "mca", "Country": "country"}


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """Each file recognised by its header; together, one panel."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    panels = []
    for path in result.files:
        header = read_header(path)
        if "2010" in header and "dimension" in header:
            panels.append(read_employment_wide(path))
        elif "total_requirement_thousands" in header:
            panels.append(read_requirement(path, result))
        elif "model_database_created" in header or set(AREA_COLUMNS) <= set(header):
            _read_areas(path, geography, result)
        else:
            raise DataError(f"{path}: not a Skills Imperative 2035 file; expected the wide employment, requirement or areas file")
    result.panel = validate(pd.concat(panels, ignore_index=True), source=NAME) if panels else pd.DataFrame()
    return result


def _read_areas(path: Path, geography: Geography, result: SourceResult) -> None:
    areas = read_csv_checked(path, AREA_COLUMNS)
    types = map_labels(areas["area_type"], AREA_TYPES, path, "area_type", any_case=False)
    result.areas = pd.DataFrame({"area": areas["area_id"], "name": areas["area_name"].str.strip(), "type": "si2035_" + types, "parent": ""})
    codes = []
    for area_type in ("lsip", "mca"):
        chosen = areas.loc[types == area_type]
        match = geography.match_names(chosen["area_name"].str.strip(), area_type)
        codes.append(pd.DataFrame({"area_id": chosen["area_id"], "ons_code": chosen["area_name"].str.strip().map(match.codes)}))
        result.unmatched_areas.extend(f"{area_type} {name!r} (SI2035 id kept)" for name in match.unmatched)
    england = areas.loc[types == "country", ["area_id"]].assign(ons_code="E92000001")
    result.tables["si2035_area_codes"] = pd.concat([*codes, england], ignore_index=True)


def read_requirement(path: Path, result: SourceResult) -> pd.DataFrame:
    """Requirement 2020-2035 by qualification x occupation, as counts of people."""
    raw = read_csv_checked(path, REQUIREMENT_COLUMNS)
    qualification = raw["qual_code"].str.strip()
    occupation = raw["soc2020_submajor"].str.strip()
    is_all_qual, is_all_occ = qualification == "all", occupation.isin(["0", "all"])
    classification = pd.Series("rqf|soc2020_submajor", index=raw.index)
    classification[is_all_qual & is_all_occ] = "all"
    classification[is_all_qual & ~is_all_occ] = "soc2020_submajor"
    classification[~is_all_qual & is_all_occ] = "rqf"
    code = qualification + "|" + occupation
    code[is_all_qual & is_all_occ] = "all"
    code[is_all_qual & ~is_all_occ] = occupation
    code[~is_all_qual & is_all_occ] = qualification
    frames = []
    crossed = classification == "rqf|soc2020_submajor"
    for column, measure, period, projected, keep in (
        ("emp_2020_thousands", "employment", BASE_YEAR, False, crossed),
        ("emp_2035_thousands", "employment", 2035, True, crossed),
        ("net_change_thousands", "net_change", 2035, True, None),
        ("replacement_demand_thousands", "replacement_demand", 2035, True, None),
        ("total_requirement_thousands", "total_requirement", 2035, True, None),
    ):
        values = parse_counts(raw[column], path, column, result.suppressed)
        frame = pd.DataFrame(
            {
                "area": raw["area_id"],
                "measure": measure,
                "classification": classification,
                "code": code,
                "period": period,
                "value": (values * 1000).round(3),
                "source": SOURCE,
                "vintage": VINTAGE,
                "projection": projected,
            }
        )
        frames.append(frame if keep is None else frame.loc[keep])
    return pd.concat(frames, ignore_index=True)


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
    classification = map_labels(raw["level"], LEVEL_TO_CLASSIFICATION, path, "level", any_case=False)

    code = raw["code"].where(classification != "industry", raw["category"].map(slug))
    code = code.where(classification != "all", "all")
    long = raw.assign(classification=classification, code=code).melt(
        id_vars=["area_id", "classification", "code"], value_vars=years, var_name="period", value_name="thousands"
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
