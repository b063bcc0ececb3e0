"""ONS Labour Market Statistics for the UK (and England's latest share), as a user downloads them.

England's own path is the largest error in every local backtest, and the local sources
stop at 2020-21; the national labour market has been observed every month since 1971.
Two layouts, both as ONS publishes them (folder ``national_lms/``):

* **The A01 workbook** (``*a01*.xlsx``, "Summary of labour market statistics"): numbered
  sheets, each a block of header rows, a row of series identifiers (the four-character
  ONS CDIDs, e.g. ``MGRZ`` employment 16+, ``DYDC`` workforce jobs, ``AP2Y`` vacancies; in
  table 6 the SIC 2007 section letters, kept as ``SIC07_A`` ... ``SIC07_A-T``) and then one
  row per period. Every numbered sheet with such a row is read; a sheet without one
  (earnings ratios, international tables) is left out. Table 22 (England and the regions,
  latest quarter only) goes to ``tables["national_regions"]``: England's share of UK
  employment is how the national series are scaled to England.
* **The time-series CSV** (``ons_*.csv``; "Title / CDID / PreUnit / Unit / Release Date /
  Next release / Important Notes" rows, then annual ``1971``, quarterly ``1971 Q1`` and
  monthly ``1971 JAN`` rows), e.g. the claimant count and vacancies dataset.
* The ONS SDG indicator 8.5.2 file (``ons_sdg_*.csv``): LFS unemployment rate by country
  and region; the England total (every other split blank) is kept as series
  ``SDG852_ENGLAND`` (quarterly, %), the one long England-only series here.

Everything goes to ``tables["national_series"]``: ``series, title, unit, frequency,
period, year, month, value, release, file``. ``period`` is the label as published
(``Oct-Dec 2025``, ``Sep 25``, ``2025 Q4``); ``year``/``month`` are the period's last month
(three-month rolling LFS periods such as ``Nov-Jan 2009`` end in January 2009; a quarter
``Jun 59`` ends in June 1959). ``frequency`` is ``3 months`` (rolling LFS quarters, one a
month), ``quarter``, ``month`` or ``year``. Values are as the cells hold them (A01 table 1
holds persons, table 5 thousands; ``unit`` says ``level`` or ``%``), because what the
national model uses is growth and shares, which no scale changes.

A user refreshes the data by dropping the newest A01 beside the old one: where two files
hold one series and period, the one released last wins (revisions replace old figures).
Nothing here is a count of people by area and year in the data contract, so the panel is
empty; the series are UK-wide (table 22 gives England).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError
from skillcast.data.sources.common import SourceResult, read_csv_checked

NAME = "national-lms"
FILES = ("national_lms/*a01*.xlsx", "national_lms/ons_*.csv")
SOURCE = "ONS Labour Market Statistics (A01 and time-series datasets), UK"
VINTAGE = "ons-lms"
SERIES_COLUMNS = ["series", "title", "unit", "frequency", "period", "year", "month", "value", "release", "file"]
REGION_COLUMNS = ["area", "name", "measure", "ages", "unit", "period", "value", "release", "file"]
REQUIRED_A01_SERIES = ("MGRZ", "DYDC")  # LFS employment 16+, workforce jobs: what the national model needs
MONTHS = {
    name: number for number, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1)
}
MISSING_MARKS = frozenset({"", "*", "..", ":", "x", "[x]", "[c]", "[z]", "-"})  # ONS: not available, suppressed, not applicable
_CDID = re.compile(r"^[A-Z0-9]{4}$")
_ROLLING = re.compile(r"^([A-Za-z]{3})-([A-Za-z]{3}) (\d{4})$")  # Jan-Mar 1971
_QUARTER_MONTH = re.compile(r"^([A-Za-z]{3}) (\d{2}|\d{4})$")  # Jun 59, Sep 2025
_CSV_QUARTER = re.compile(r"^(\d{4}) Q([1-4])$")
_CSV_MONTH = re.compile(r"^(\d{4}) ([A-Z]{3})$")
_CSV_YEAR = re.compile(r"^(\d{4})$")
_REVISION_MARK = re.compile(r"\s*\((r|p)\)\s*$")
_CSV_HEADER = ("Title", "CDID", "PreUnit", "Unit", "Release Date", "Next release", "Important Notes")


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """The national series of every file, the newest release winning where two overlap."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    series, regions = [], []
    for path in result.files:
        if path.suffix.lower() == ".xlsx":
            file_series, file_regions = read_a01(path)
            series.append(file_series)
            regions.append(file_regions)
        elif path.name.startswith("ons_sdg"):
            series.append(read_sdg_england(path))
        else:
            series.append(read_timeseries_csv(path))
    table = pd.concat(series, ignore_index=True).sort_values(["series", "year", "month", "release"])
    result.tables["national_series"] = table.drop_duplicates(["series", "year", "month", "frequency"], keep="last").reset_index(drop=True)
    if regions:
        result.tables["national_regions"] = pd.concat(regions, ignore_index=True)
    result.notes.append(last_periods_note(result.tables["national_series"]))
    result.last_observed = last_observed(result.tables["national_series"])
    return result


def last_observed(table: pd.DataFrame) -> str:
    """The national labour market's last observed period (LFS employment's, the newest headline series)."""
    rows = table.loc[table["series"] == EMPLOYMENT_SERIES].sort_values(["year", "month"])
    return str(rows["period"].iloc[-1]) if not rows.empty else ""


def last_periods_note(table: pd.DataFrame) -> str:
    """Which period each key series was last observed in, as the note of an ingest."""
    shown = []
    for series in ("MGRZ", "DYDC", "AP2Y", "BCJD"):
        rows = table.loc[table["series"] == series]
        if not rows.empty:
            last = rows.sort_values(["year", "month"]).iloc[-1]
            shown.append(f"{series} to {last['period']}")
    return f"{NAME}: {table['series'].nunique():,} national series; last observed: " + ", ".join(shown)


# --- the A01 workbook ---------------------------------------------------------------------


def read_a01(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every numbered sheet's series, and table 22's England and regions."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a file that is not a workbook
        raise DataError(f"{path}: not a readable Excel workbook ({type(error).__name__}); expected the ONS A01 workbook") from None
    try:
        sheets = {name: list(workbook[name].iter_rows(values_only=True)) for name in workbook.sheetnames}
    finally:
        workbook.close()
    release = _release_date(sheets.get("1", []))
    frames = [_sheet_series(rows, name, path, release) for name, rows in sheets.items() if name[:1].isdigit() and name != "22"]
    series = pd.concat([frame for frame in frames if not frame.empty] or [pd.DataFrame(columns=SERIES_COLUMNS)], ignore_index=True)
    missing = [cdid for cdid in REQUIRED_A01_SERIES if cdid not in set(series["series"])]
    if missing:
        raise DataError(f"{path}: no series {missing} (LFS employment, workforce jobs); expected the ONS A01 workbook's tables 1 and 5")
    regions = _regions(sheets.get("22", []), path, release)
    return series.drop_duplicates(["series", "year", "month", "frequency"]), regions


def _release_date(rows: list[tuple]) -> str:
    """Table 1's 'Date of publication' (ISO), so a newer A01 wins over an older one."""
    for row in rows[:5]:
        for cell in row:
            if isinstance(cell, datetime | date):
                return cell.strftime("%Y-%m-%d")
    return ""


def _sheet_series(rows: list[tuple], sheet: str, path: Path, release: str) -> pd.DataFrame:
    """One sheet's blocks: a row of identifiers, then period rows, until the next identifier row."""
    records: list[dict] = []
    columns: dict[int, str] = {}
    titles: dict[int, str] = {}
    units: dict[int, str] = {}
    sheet_title = str(rows[0][0]).strip() if rows and rows[0] and rows[0][0] else f"A01 table {sheet}"
    for number, row in enumerate(rows):
        identifiers = _identifier_row(row)
        if identifiers:
            columns = identifiers
            titles, units = _column_headers(rows, number, columns, sheet_title)
            continue
        if not columns or not row or row[0] is None:
            continue
        period = parse_period(str(row[0]))
        if period is None:
            continue
        for column, series in columns.items():
            value = row[column] if column < len(row) else None
            if value is None or str(value).strip() in MISSING_MARKS:
                continue
            if not isinstance(value, int | float):
                raise DataError(
                    f"{path}: sheet {sheet!r} row {number + 1} column {column + 1} ({series}): expected a number, got {value!r}"
                )
            records.append(
                {
                    "series": series,
                    "title": titles[column],
                    "unit": units[column],
                    "frequency": period[0],
                    "period": clean_label(str(row[0])),
                    "year": period[1],
                    "month": period[2],
                    "value": float(value),
                    "release": release,
                    "file": str(path),
                }
            )
    return pd.DataFrame(records, columns=SERIES_COLUMNS)


def _identifier_row(row: tuple) -> dict[int, str]:
    """Column -> series id when ``row`` is a row of CDIDs (or table 6's SIC 2007 sections)."""
    if not row:
        return {}
    first = str(row[0]).strip() if row[0] is not None else ""
    cells = {index: str(cell).strip() for index, cell in enumerate(row) if index > 0 and cell is not None and str(cell).strip()}
    if first.startswith("SIC 2007 section"):
        return {index: f"SIC07_{code}" for index, code in cells.items()}
    identifiers = {index: code for index, code in cells.items() if _CDID.match(code) and not code.isdigit()}
    return identifiers if len(identifiers) >= 2 and len(identifiers) == len(cells) else {}


def _column_headers(rows: list[tuple], at: int, columns: dict[int, str], sheet_title: str) -> tuple[dict[int, str], dict[int, str]]:
    """Each column's title (its header cells above the identifiers, merged cells carried right) and unit."""
    start = max(0, at - 4)
    titles, units = {}, {}
    for column in columns:
        parts = []
        for row in rows[start:at]:
            cell = _carried(row, column, columns)
            if _is_heading(cell):
                text = " ".join(str(cell).split())
                if text not in parts:
                    parts.append(text)
        titles[column] = f"{sheet_title} : " + " : ".join(parts) if parts else sheet_title
        units[column] = "%" if any(mark in " ".join(parts).lower() for mark in ("rate", "%", "percentage")) else "level"
    return titles, units


def _is_heading(cell) -> bool:
    """A header cell that names the series (not a number, a date, an address or the table's unit line)."""
    if cell is None or isinstance(cell, int | float | datetime | date):
        return False
    text = str(cell).strip()
    return bool(text) and "@" not in text and not text.startswith(("Date of", "Inquiries", "United Kingdom", "Tel", "Sources"))


def _carried(row: tuple, column: int, columns: dict[int, str]):
    """The header cell over ``column``, or the nearest one to its left within the same block."""
    for index in range(column, 0, -1):
        cell = row[index] if index < len(row) else None
        if cell is not None and str(cell).strip():
            return cell
        if index - 1 not in columns:
            return None
    return None


def clean_label(label: str) -> str:
    """A period label without its revision mark or footnote number: ``Mar 195 (r)`` -> ``Mar 19``,
    ``Jan-Mar 20193`` -> ``Jan-Mar 2019``, ``Nov- Jan 2002`` -> ``Nov-Jan 2002``."""
    text = re.sub(r"\s*-\s*", "-", _REVISION_MARK.sub("", label).strip())
    text = re.sub(r"^([A-Za-z]{3}-[A-Za-z]{3} \d{4})\d$", r"\1", text)
    return re.sub(r"^([A-Za-z]{3} \d{2})\d$", r"\1", text)


def parse_period(label: str) -> tuple[str, int, int] | None:
    """``(frequency, year, last month)`` of an A01 or time-series period label; None for any other text."""
    text = clean_label(label)
    if match := _ROLLING.match(text):
        first, last, year = match.group(1).upper(), match.group(2).upper(), int(match.group(3))
        if first in MONTHS and last in MONTHS:
            return "3 months", year, MONTHS[last]
        return None
    if match := _QUARTER_MONTH.match(text):
        month = match.group(1).upper()
        if month not in MONTHS:
            return None
        year = int(match.group(2))
        if year < 100:
            year += 1900 if year >= 50 else 2000
        return "quarter", year, MONTHS[month]
    if match := _CSV_QUARTER.match(text):
        return "quarter", int(match.group(1)), 3 * int(match.group(2))
    if (match := _CSV_MONTH.match(text)) and match.group(2) in MONTHS:
        return "month", int(match.group(1)), MONTHS[match.group(2)]
    if match := _CSV_YEAR.match(text):
        return "year", int(match.group(1)), 12
    return None


def _regions(rows: list[tuple], path: Path, release: str) -> pd.DataFrame:
    """Table 22's first block (headline levels and rates for the latest quarter), by area code."""
    period, headers, records = "", None, []
    for number, row in enumerate(rows):
        first = str(row[0]).strip() if row and row[0] is not None else ""
        if first.startswith("Headline estimates for"):
            period = _headline_period(first)
        elif first == "Area Codes":
            headers = _region_headers(rows[number - 2 : number + 1])
        elif first.startswith("Change on"):
            break
        elif headers and re.match(r"^[EKNSW]\d{8}$", first):
            for column, (measure, ages, unit) in headers.items():
                value = row[column] if column < len(row) else None
                if isinstance(value, int | float):
                    name = " ".join(str(row[1]).split())
                    records.append([first, name, measure, ages, unit, period, float(value), release, str(path)])
    return pd.DataFrame(records, columns=REGION_COLUMNS)


def _headline_period(text: str) -> str:
    """'Headline estimates for October - December 2025' -> 'Oct-Dec 2025'."""
    match = re.search(r"for (\w+) - (\w+) (\d{4})", text)
    return f"{match.group(1)[:3]}-{match.group(2)[:3]} {match.group(3)}" if match else text


def _region_headers(rows: list[tuple]) -> dict[int, tuple[str, str, str]]:
    """Column -> (measure, ages, unit) from table 22's three header rows, merged cells carried right."""
    measures, ages, units = rows
    headers, measure = {}, ""
    for column in range(2, len(units)):
        if measures[column]:
            measure = re.sub(r"\s*\d+$", "", str(measures[column]).strip()).lower().replace(" ", "_")
        if units[column]:
            unit = "%" if "rate" in str(units[column]).lower() else "thousands"
            headers[column] = (measure, str(ages[column] or "").replace("Aged ", "").strip(), unit)
    return headers


# --- the time-series CSV layouts ----------------------------------------------------------------


def read_timeseries_csv(path: Path) -> pd.DataFrame:
    """An ONS time-series dataset CSV: header rows, then one row per period, one column per CDID."""
    raw = _read_raw_csv(path)
    labels = tuple(raw.iloc[: len(_CSV_HEADER), 0].str.strip())
    if labels[:2] != _CSV_HEADER[:2]:
        raise DataError(f"{path}: first column starts {list(labels[:2])}; expected the ONS time-series layout {list(_CSV_HEADER)}")
    header = {label: raw.iloc[number] for number, label in enumerate(labels) if label in _CSV_HEADER}
    release = _csv_release(header.get("Release Date"))
    records = []
    body = raw.iloc[len(header) :]
    for number, row in body.iterrows():
        period = parse_period(str(row.iloc[0]).strip())
        if period is None:
            raise DataError(f"{path}: row {number + 1} column 1: expected a period such as 2025, 2025 Q4 or 2025 DEC, got {row.iloc[0]!r}")
        for column in range(1, raw.shape[1]):
            text = str(row.iloc[column]).strip()
            if text in MISSING_MARKS:
                continue
            try:
                value = float(text)
            except ValueError:
                raise DataError(
                    f"{path}: row {number + 1} column {column + 1} ({header['CDID'].iloc[column]}): expected a number, got {text!r}"
                ) from None
            unit = str(header["Unit"].iloc[column]) if "Unit" in header else ""
            records.append(
                [
                    str(header["CDID"].iloc[column]).strip(),
                    str(header["Title"].iloc[column]).strip(),
                    "%" if "%" in unit else "level",
                    period[0],
                    str(row.iloc[0]).strip(),
                    period[1],
                    period[2],
                    value,
                    release,
                    str(path),
                ]
            )
    return pd.DataFrame(records, columns=SERIES_COLUMNS)


def _read_raw_csv(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: not a readable CSV ({str(error).splitlines()[0]})") from None
    if raw.shape[0] < len(_CSV_HEADER) + 1 or raw.shape[1] < 2:
        raise DataError(f"{path}: {raw.shape[0]} rows x {raw.shape[1]} columns; expected the ONS time-series layout {list(_CSV_HEADER)}")
    return raw


def _csv_release(row: pd.Series | None) -> str:
    """The dataset's release date (dd-mm-yyyy in the file) as ISO."""
    if row is None:
        return ""
    text = next((str(cell).strip() for cell in row.iloc[1:] if str(cell).strip()), "")
    try:
        return datetime.strptime(text, "%d-%m-%Y").strftime("%Y-%m-%d")
    except ValueError:
        return text


SDG_COLUMNS = ["Year", "Series", "Age", "Country", "Region", "Sex", "Unit measure", "Value"]


def read_sdg_england(path: Path) -> pd.DataFrame:
    """The SDG 8.5.2 file's England total (LFS unemployment rate, %, quarterly)."""
    frame = read_csv_checked(path, SDG_COLUMNS)
    blank = ["Age", "Region", "Sex"] + [column for column in ("Country of birth", "Disability status") if column in frame.columns]
    england = frame.loc[(frame["Country"] == "England") & frame[blank].eq("").all(axis=1)]
    if england.empty:
        raise DataError(f"{path}: no England total rows (Country=England, every other split blank); expected the ONS SDG 8.5.2 file")
    records = []
    for number, row in england.iterrows():
        period = parse_period(row["Year"])
        try:
            value = float(row["Value"])
        except ValueError:
            value = None
        if period is None or value is None:
            raise DataError(
                f"{path}: row {number + 2}: expected a quarter such as 2000 Q1 and a number, got {row['Year']!r}, {row['Value']!r}"
            )
        records.append(
            [
                "SDG852_ENGLAND",
                "LFS unemployment rate, England (SDG 8.5.2)",
                "%",
                period[0],
                row["Year"],
                period[1],
                period[2],
                value,
                "",
                str(path),
            ]
        )
    return pd.DataFrame(records, columns=SERIES_COLUMNS)


def annual_means(table: pd.DataFrame, series: str) -> pd.Series:
    """A series' calendar-year mean (the four calendar quarters), complete years only, indexed by year.

    Rolling LFS periods contribute their Jan-Mar, Apr-Jun, Jul-Sep and Oct-Dec values, and
    quarterly series their four quarters, as ONS's own annual averages do.
    """
    rows = table.loc[table["series"] == series]
    frequency = next((kind for kind in ("3 months", "quarter") if (rows["frequency"] == kind).any()), None)
    rows = rows.loc[(rows["frequency"] == frequency) & rows["month"].isin([3, 6, 9, 12])]
    if frequency is None:
        rows = table.loc[(table["series"] == series) & (table["frequency"] == "year")]
        return rows.set_index("year")["value"].astype(float).sort_index()
    counts = rows.groupby("year")["value"].count()
    complete = counts.index[counts == 4]
    return rows.loc[rows["year"].isin(complete)].groupby("year")["value"].mean().sort_index()


JOBS_SERIES, EMPLOYMENT_SERIES, UNEMPLOYMENT_SERIES = "DYDC", "MGRZ", "MGSX"


def national_signal(table: pd.DataFrame) -> tuple[tuple[tuple[int, float, float], ...], dict[str, str]]:
    """Per year (log UK workforce jobs, LFS unemployment rate), and the last period of each input.

    Workforce jobs (DYDC) count jobs where they are, as SI2035 does; their last complete
    year (2024 in the Feb 2026 A01) is carried one year further by the growth of LFS
    employment (MGRZ, complete to 2025), the one series that has that year. Years without an
    unemployment rate (before 1971) carry NaN.
    """
    jobs = np.log(annual_means(table, JOBS_SERIES))
    employment = np.log(annual_means(table, EMPLOYMENT_SERIES))
    rate = annual_means(table, UNEMPLOYMENT_SERIES)
    if jobs.empty:
        return (), {}
    for year in range(int(jobs.index.max()) + 1, int(employment.index.max()) + 1 if not employment.empty else 0):
        if year in employment.index and year - 1 in employment.index:
            jobs.loc[year] = jobs.loc[year - 1] + employment.loc[year] - employment.loc[year - 1]
    rows = tuple((int(year), float(value), float(rate.get(year, np.nan))) for year, value in jobs.sort_index().items())
    last = {}
    for series in (JOBS_SERIES, EMPLOYMENT_SERIES, UNEMPLOYMENT_SERIES):
        found = table.loc[table["series"] == series].sort_values(["year", "month"])
        if not found.empty:
            last[series] = str(found["period"].iloc[-1])
    return rows, last
