"""ONS online job advert statistics (Adzuna and Textkernel data): advert volumes by area.

Online job adverts are a demand signal published monthly and locally, where the survey
sources (ESS) come every two years. They are advert volumes, not official vacancies, so
they get their own measures. Files (folder ``job_adverts/``), recognised by their header:

* ``ons_adzuna_job_adverts_by_la_jan_2017_2022.csv`` (and the original workbook
  ``ons_adzuna_labour_demand_by_la_jan2017_2022.xlsx``, sheet ``1``): local authorities ->
  ``lad`` codes, measure ``job_advert_index``. Values are ONS "standardised units" (the
  January average count divided by one fixed constant), so they compare across areas and
  years but are not counts. ``period`` is the year of that January. Given both the CSV and
  the workbook, the reader checks that they agree and keeps one copy.
* ``ons_adzuna_job_adverts_by_region_jan_2017_2022.csv``: ITL1 regions -> ``region``
  codes; "Unknown" (adverts located only as "UK"/"England") and Scotland, Wales and
  Northern Ireland (ITL1 regions that are not English regions) are kept and reported.
* ``ons_textkernel_job_adverts_monthly_lep_lsip_mca_2017_2022.csv``: monthly advert counts
  by LEP/LSIP/MCA/country -> ``tables["job_adverts_monthly"]``; the panel holds, per year,
  the mean of the 12 months (the average monthly stock of live adverts), complete years only.
* ``ons_textkernel_job_adverts_by_profession_area_oct2022.csv``: an October 2022 snapshot
  by Textkernel profession (not SOC) -> measure ``job_adverts``, classifications
  ``profession_detailed`` (as published) and ``profession_summary`` (sum of its detailed
  categories, NaN where any of them is suppressed, since the sum would be a lower bound).
* ``ons_textkernel_new_job_adverts_england_{soc2020_4digit,total}_monthly_2021_2025.csv``:
  3-month rolling averages of *newly posted* adverts, England, by SOC 2020 unit group and in
  total -> ``tables["new_job_adverts_monthly"]`` and, per complete year, the mean of the 12
  monthly values -> measure ``new_job_adverts``. The "Unknown" occupation row is kept in the
  monthly table (code ``unknown``) but not in the panel: it is not a SOC unit group. Growth
  (%) and adverts per 100 people / jobs are not counts -> ``tables["new_job_adverts_ratios"]``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import SERIES_KEY, DataError, validate
from skillcast.data.sources.common import (
    SourceResult,
    file_kind,
    map_labels,
    match_areas,
    parse_counts,
    raise_first_bad,
    read_csv_checked,
    slug,
)

NAME = "job-adverts"
FILES = (
    "job_adverts/ons_adzuna_job_adverts_by_la_jan_2017_2022.csv",
    "job_adverts/ons_adzuna_labour_demand_by_la_jan2017_2022.xlsx",
    "job_adverts/ons_adzuna_job_adverts_by_region_jan_2017_2022.csv",
    "job_adverts/ons_textkernel_job_adverts_monthly_lep_lsip_mca_2017_2022.csv",
    "job_adverts/ons_textkernel_job_adverts_by_profession_area_oct2022.csv",
    "job_adverts/ons_textkernel_new_job_adverts_england_soc2020_4digit_monthly_2021_2025.csv",
    "job_adverts/ons_textkernel_new_job_adverts_england_total_monthly_2021_2025.csv",
)

ENGLAND = "E92000001"
ADZUNA = ("ONS / Adzuna, labour demand indicators by local authority", "2022-05")
TEXTKERNEL = ("ONS / Textkernel, online job advert estimates (via DfE Local Skills Dashboard)", "2022-10")
NEW_ADVERTS = ("ONS / Textkernel, labour demand volumes by SOC 2020 (via DfE)", "2025-11")

# Each CSV kind, by the columns of its header row (first match wins; most specific first).
KINDS: dict[str, list[str]] = {
    "adzuna_la": ["local_authority", "itl1_region", "year", "job_advert_units_jan_avg"],
    "adzuna_region": ["itl1_region", "year", "job_advert_units_jan_avg"],
    "textkernel_monthly": ["area", "geographic_level", "month", "job_adverts"],
    "textkernel_profession": [
        "geographic_level",
        "area",
        "Summary Profession Category",
        "Detailed Profession Category",
        "time_period",
        "vacancies",
    ],
    "new_adverts_soc": ["timePeriod", "soc_4_digit_code", "soc_4_digit_label", "value", "metric"],
    "new_adverts_total": ["timePeriod", "value", "metric"],
}
MONTHLY_LEVELS = {"LEP": "lep", "LSIP": "lsip", "MCA": "mca", "Country": "country"}
PROFESSION_LEVELS = {"LEP": "lep", "Local Skills Improvement Plan": "lsip", "Mayoral Combined Authorities": "mca", "Country": "country"}
COUNT_METRICS = {"soc_3m_avg", "national_3m_avg"}
RATIO_METRICS = {"soc_growth", "soc_pop", "soc_job", "national_growth", "national_pop", "national_job"}
MONTHLY_COLUMNS = ["area", "measure", "classification", "code", "month", "value"]
RATIO_COLUMNS = ["area", "metric", "classification", "code", "month", "value"]
NOTE_MARK = re.compile(r"\s*\[notes? [^\]]*\]", re.IGNORECASE)  # ONS "[note 4]" markers in names


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """All job advert files given, each recognised by its header (or, for xlsx, its sheets)."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    panels: dict[str, list[tuple[Path, pd.DataFrame]]] = {}
    monthly, new_monthly, ratios = [], [], []
    for path in result.files:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            panels.setdefault("adzuna_la", []).append((path, _adzuna_workbook(path, geography, result)))
            continue
        kind = file_kind(path, KINDS, "job advert")
        frame = read_csv_checked(path, KINDS[kind])
        if kind in ("adzuna_la", "adzuna_region"):
            panels.setdefault(kind, []).append((path, _adzuna_csv(frame, path, kind, geography, result)))
        elif kind == "textkernel_monthly":
            monthly.append(_textkernel_monthly(frame, path, geography, result))
        elif kind == "textkernel_profession":
            panels.setdefault(kind, []).append((path, _textkernel_profession(frame, path, geography, result)))
        else:
            counts, other = _new_adverts(frame, path, kind, result)
            new_monthly.append(counts)
            ratios.append(other)

    parts = [_one_copy(kind, copies) for kind, copies in panels.items()]
    if monthly:
        table = pd.concat(monthly, ignore_index=True)
        result.tables["job_adverts_monthly"] = table
        parts.append(_annual_mean(table, "job_adverts_monthly", result).assign(source=TEXTKERNEL[0], vintage=TEXTKERNEL[1]))
    if new_monthly:
        table = pd.concat(new_monthly, ignore_index=True)
        result.tables["new_job_adverts_monthly"] = table
        result.tables["new_job_adverts_ratios"] = pd.concat(ratios, ignore_index=True)
        _check_soc_sum(table, result)
        panel_rows = table.loc[table["code"] != "unknown"]
        parts.append(_annual_mean(panel_rows, "new_job_adverts_monthly", result).assign(source=NEW_ADVERTS[0], vintage=NEW_ADVERTS[1]))
    panel = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SERIES_KEY + ["period", "value", "source", "vintage"])
    result.panel = validate(panel.assign(projection=False), source=NAME)
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    if result.areas is not None:
        result.areas = result.areas.drop_duplicates("area").reset_index(drop=True)
    return result


def _whole_numbers(text: pd.Series, path: Path, column: str, header_lines: int = 1) -> pd.Series:
    """Integers (years, codes) from text; anything else is a one-line error naming the line."""
    numbers = pd.to_numeric(text.astype(str).str.strip(), errors="coerce")
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        line = int(text.index[position]) + header_lines + 1
        raise DataError(f"{path}: line {line}, column {column!r}, value {text.iloc[position]!r}: expected a whole number")
    return numbers.astype("int64")


def _months(text: pd.Series, path: Path, column: str) -> pd.Series:
    """'YYYY-MM' from published dates such as '2021-01-01'."""
    dates = pd.to_datetime(text.str.strip(), format="%Y-%m-%d", errors="coerce")
    raise_first_bad(dates.isna(), text, path, column, "a date YYYY-MM-DD")
    return dates.dt.strftime("%Y-%m")


def _codes_by_level(names: pd.Series, area_types: pd.Series, geography: Geography, result: SourceResult) -> pd.Series:
    """Area codes for names that come with their own area type (LEP, LSIP, MCA, country)."""
    codes = pd.Series(index=names.index, dtype=object)
    for area_type, rows in names.groupby(area_types, sort=False):
        codes.loc[rows.index] = match_areas(rows, area_type, geography, result)
    return codes.astype(str)


def _adzuna_csv(frame: pd.DataFrame, path: Path, kind: str, geography: Geography, result: SourceResult) -> pd.DataFrame:
    """Adzuna January averages (standardised units) by local authority or ITL1 region."""
    value = parse_counts(frame["job_advert_units_jan_avg"], path, "job_advert_units_jan_avg", result.suppressed)
    year = _whole_numbers(frame["year"], path, "year")
    if kind == "adzuna_la":
        area = match_areas(frame["local_authority"].str.strip(), "lad", geography, result)
    else:
        area = match_areas(frame["itl1_region"].str.replace(NOTE_MARK, "", regex=True).str.strip(), "region", geography, result)
    return _adzuna_panel(area, year, value)


def _adzuna_panel(area: pd.Series, year: pd.Series, value: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": area,
            "measure": "job_advert_index",
            "classification": "all",
            "code": "all",
            "period": year,
            "value": value,
            "source": ADZUNA[0],
            "vintage": ADZUNA[1],
        }
    )


def _adzuna_workbook(path: Path, geography: Geography, result: SourceResult) -> pd.DataFrame:
    """Sheet ``1`` of the ONS workbook (one column per year), finding its header row itself.

    ONS workbooks put a title, a source line and notes above the table; the header is the
    first row whose first cell reads "Local authority" (notes markers aside).
    """
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except Exception as error:  # zipfile.BadZipFile, KeyError, ...: not a readable workbook
        raise DataError(f"{path}: not a readable xlsx workbook ({type(error).__name__}: {error})") from None
    try:
        if "1" not in book.sheetnames:
            raise DataError(
                f"{path}: no sheet '1' (sheets {book.sheetnames}); expected the ONS table 'Total job adverts by local authority'"
            )
        rows = [list(row) for row in book["1"].iter_rows(values_only=True)]
    finally:
        book.close()

    def text(cell: object) -> str:
        return "" if cell is None else NOTE_MARK.sub("", str(cell)).strip()

    header_at = next((i for i, row in enumerate(rows) if row and text(row[0]).lower() == "local authority"), None)
    if header_at is None:
        raise DataError(
            f"{path}: sheet '1': no header row starting 'Local authority' in its {len(rows)} rows; expected 'Local authority', 'Region', then one column per year"
        )
    header = [text(cell) for cell in rows[header_at]]
    header = [str(int(float(name))) if re.fullmatch(r"\d{4}(\.0)?", name) else name for name in header]
    years = [name for name in header if re.fullmatch(r"\d{4}", name)]
    if not years:
        raise DataError(f"{path}: sheet '1', row {header_at + 1}: no year columns (e.g. 2017) in the header row {header}")
    body = []
    for row in rows[header_at + 1 :]:
        if all(cell is None or str(cell).strip() == "" for cell in row):
            break  # the table ends at the first empty row
        body.append(["" if cell is None else str(cell) for cell in row] + [""] * (len(header) - len(row)))
    if not body:
        raise DataError(f"{path}: sheet '1': header row {header_at + 1} but no data rows below it")
    wide = pd.DataFrame([row[: len(header)] for row in body], columns=header)
    values = pd.concat(
        {year: parse_counts(wide[year], path, year, result.suppressed, header_lines=header_at + 1) for year in years}, axis=1
    )
    area = match_areas(wide["Local authority"].str.strip(), "lad", geography, result)
    long = values.assign(area=area).melt(id_vars="area", var_name="period", value_name="value")
    return _adzuna_panel(long["area"], long["period"].astype("int64"), long["value"])


def _one_copy(kind: str, copies: list[tuple[Path, pd.DataFrame]]) -> pd.DataFrame:
    """One panel per kind; the workbook and its CSV extract must agree where both are given."""
    first_path, first = copies[0]
    for path, other in copies[1:]:
        key = SERIES_KEY + ["period"]
        joined = first.merge(other, on=key, how="outer", suffixes=("", "_other"), indicator=True)
        differs = (joined["_merge"] != "both") | ~np.isclose(joined["value"], joined["value_other"], equal_nan=True)
        if differs.any():
            row = joined.loc[differs].iloc[0]
            raise DataError(
                f"{path}: disagrees with {first_path} at area {row['area']!r}, code {row['code']!r}, year {row['period']}: "
                f"{row['value_other']!r} vs {row['value']!r}; expected the same table"
            )
    return first


def _textkernel_monthly(frame: pd.DataFrame, path: Path, geography: Geography, result: SourceResult) -> pd.DataFrame:
    """Monthly live-advert counts by LEP/LSIP/MCA/country, long, for the monthly table."""
    value = parse_counts(frame["job_adverts"], path, "job_adverts", result.suppressed)
    month = _months(frame["month"], path, "month")
    area_type = map_labels(frame["geographic_level"].str.strip(), MONTHLY_LEVELS, path, "geographic_level", any_case=False)
    area = _codes_by_level(frame["area"].str.strip(), area_type, geography, result)
    table = pd.DataFrame({"area": area, "measure": "job_adverts", "classification": "all", "code": "all", "month": month, "value": value})
    return _unique_months(table, path)


def _unique_months(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    duplicated = table.duplicated(["area", "measure", "classification", "code", "month"])
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        row = table.iloc[position]
        raise DataError(
            f"{path}: line {int(table.index[position]) + 2}: a second value for area {row['area']!r}, code {row['code']!r}, month {row['month']}"
        )
    return table[MONTHLY_COLUMNS]


def _annual_mean(monthly: pd.DataFrame, label: str, result: SourceResult) -> pd.DataFrame:
    """Per series and year, the mean of the monthly values; only years with all 12 months.

    For live adverts this is the average monthly stock; for the new-advert 3-month rolling
    averages it is the average monthly flow (January's value reaches back into November).
    """
    frame = monthly.assign(period=monthly["month"].str[:4].astype("int64"))
    stats = frame.groupby(SERIES_KEY + ["period"], sort=False)["value"].agg(["mean", "count"]).reset_index()
    complete = stats["count"] == 12
    if (~complete).any():
        partial = stats.loc[~complete]
        result.notes.append(
            f"{label}: {len(partial)} series-years with fewer than 12 monthly values left out of the annual panel "
            f"(years {sorted(partial['period'].unique().tolist())})"
        )
    return stats.loc[complete, SERIES_KEY + ["period"]].assign(value=stats.loc[complete, "mean"])


def _textkernel_profession(frame: pd.DataFrame, path: Path, geography: Geography, result: SourceResult) -> pd.DataFrame:
    """October 2022 snapshot by Textkernel profession; summary categories summed from detailed."""
    cleaned = frame["vacancies"].str.strip().str.replace(r"^\[(\w+)\]$", r"\1", regex=True)  # '[x]' -> 'x'
    value = parse_counts(cleaned, path, "vacancies", result.suppressed)
    when = pd.to_datetime(frame["time_period"].str.strip(), format="%b %y", errors="coerce")
    raise_first_bad(when.isna(), frame["time_period"], path, "time_period", "a month such as 'Oct 22'")
    area_type = map_labels(frame["geographic_level"].str.strip(), PROFESSION_LEVELS, path, "geographic_level", any_case=False)
    area = _codes_by_level(frame["area"].str.strip(), area_type, geography, result)
    detailed = pd.DataFrame(
        {
            "area": area,
            "measure": "job_adverts",
            "classification": "profession_detailed",
            "code": frame["Detailed Profession Category"].map(slug),
            "summary": frame["Summary Profession Category"].map(slug),
            "period": when.dt.year.astype("int64"),
            "value": value,
        }
    )
    group = detailed.groupby(["area", "summary", "period"], sort=False)["value"]
    summary = group.sum(min_count=1).where(group.count() == group.size()).rename("value").reset_index()
    incomplete = int(summary["value"].isna().sum())
    if incomplete:
        result.notes.append(
            f"{path.name}: {incomplete} summary-profession totals left NaN because a detailed category in them is suppressed"
        )
    summary = summary.rename(columns={"summary": "code"}).assign(measure="job_adverts", classification="profession_summary")
    panel = pd.concat([detailed.drop(columns="summary"), summary], ignore_index=True)
    return panel.assign(source=TEXTKERNEL[0], vintage=TEXTKERNEL[1])


def _new_adverts(frame: pd.DataFrame, path: Path, kind: str, result: SourceResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New-advert 3-month averages (counts) and their growth / per-100 ratios, England."""
    metric = frame["metric"].str.strip()
    raise_first_bad(~metric.isin(COUNT_METRICS | RATIO_METRICS), metric, path, "metric", f"one of {sorted(COUNT_METRICS | RATIO_METRICS)}")
    value = parse_counts(frame["value"], path, "value", result.suppressed)
    month = _months(frame["timePeriod"], path, "timePeriod")
    if kind == "new_adverts_soc":
        code = frame["soc_4_digit_code"].str.strip()
        bad = ~code.str.fullmatch(r"\d{4}") & (code.str.lower() != "unknown")
        raise_first_bad(bad, code, path, "soc_4_digit_code", "a 4-digit SOC 2020 unit group or 'Unknown'")
        classification, code = "soc2020_unit", code.str.lower()
    else:
        classification, code = "all", "all"
    long = pd.DataFrame(
        {
            "area": ENGLAND,
            "measure": "new_job_adverts",
            "classification": classification,
            "code": code,
            "metric": metric,
            "month": month,
            "value": value,
        }
    )
    is_count = long["metric"].isin(COUNT_METRICS)
    counts = _unique_months(long.loc[is_count], path)
    return counts.reset_index(drop=True), long.loc[~is_count, RATIO_COLUMNS].reset_index(drop=True)


def _check_soc_sum(table: pd.DataFrame, result: SourceResult) -> None:
    """Note months where the SOC unit groups (incl. unknown) do not add up to the England total."""
    by_soc = table.loc[table["classification"] == "soc2020_unit"].groupby("month")["value"].sum()
    total = table.loc[table["classification"] == "all"].set_index("month")["value"]
    both = pd.concat({"soc": by_soc, "total": total}, axis=1).dropna()
    off = both.loc[(both["soc"] / both["total"] - 1).abs() > 0.01]
    if not off.empty:
        ratios = ", ".join(f"{month} {row.soc / row.total:.2f}" for month, row in off.iterrows())
        result.notes.append(
            f"new_job_adverts_monthly: SOC unit groups do not sum to the England total in {len(off)} months (sum/total: {ratios})"
        )
