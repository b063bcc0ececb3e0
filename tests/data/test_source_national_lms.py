"""The ONS labour market reader: the A01 workbook and the time-series CSV, as ONS lays them out."""

from __future__ import annotations

from datetime import datetime

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.data.schema import DataError
from skillcast.data.sources import national_lms
from skillcast.data.sources.national_lms import annual_means, parse_period, read

runner = CliRunner()


def write_a01(path, released=datetime(2026, 2, 17), employment=(100.0, 102.0, 104.0, 106.0, 110.0), bad_cell=None, with_jobs=True):
    """A two-table A01 in the real layout: title rows, a CDID row, then one row per period."""
    book = Workbook()
    book.remove(book.active)
    lfs = book.create_sheet("1")
    lfs.append(["Table 1:  Labour Force Survey Summary"])
    lfs.append(["Date of publication:", released])
    lfs.append(["United Kingdom (thousands) seasonally adjusted"])
    lfs.append([None, "All aged 16 & over", "Unemployment"])
    lfs.append([None, "level", "rate (%)"])
    lfs.append(["Dataset identifier code", "MGRZ", "MGSX"])
    lfs.append([None, None, None])
    for label, value in zip(["Jan-Mar 2024", "Apr-Jun 2024", "Jul-Sep 2024", "Oct-Dec 2024", "Nov-Jan 2025"], employment, strict=True):
        lfs.append([label, value, "*" if label == "Nov-Jan 2025" else 4.0])
    if bad_cell:
        lfs.append(["Dec-Feb 2025", bad_cell, 4.0])
    lfs.append(["1. A footnote that is not a period"])
    if with_jobs:
        jobs = book.create_sheet("5")
        jobs.append(["Table 5:  Workforce jobs"])
        jobs.append(["Date of publication:", None, released])
        jobs.append([None, "Workforce jobs", "Employee jobs"])
        jobs.append([None, 1, 2])
        jobs.append([None, "DYDC", "BCAJ"])
        for label, value in [("Mar 24", 30.0), ("Jun 24 (r)", 31.0), ("Sep 24", 32.0), ("Dec 24 (p)", 33.0)]:
            jobs.append([label, value, value - 4])
    regions = book.create_sheet("22")
    regions.append(["Table 22:  Regional Labour Force Survey Summary"])
    regions.append(["Headline estimates for October - December 2025"])
    regions.append([None, None, "Employment", None])
    regions.append([None, None, "Aged 16+", "Aged 16-64"])
    regions.append(["Area Codes", "Area Names", "Level", "Rate (%)2"])
    regions.append(["K02000001", "United Kingdom", 200.0, 75.0])
    regions.append(["E92000001", "England", 170.0, 75.2])
    regions.append(["Change on quarter (change since July - September 2025)"])
    regions.append(["E92000001", "England", -7.0, -0.2])
    book.save(path)
    return path


def test_period_labels_end_in_their_last_month():
    assert parse_period("Jan-Mar 1971") == ("3 months", 1971, 3)
    assert parse_period("Nov-Jan 2009") == ("3 months", 2009, 1)
    assert parse_period("Jun 59") == ("quarter", 1959, 6)
    assert parse_period("Sep 25 (p)") == ("quarter", 2025, 9)
    assert parse_period("2025 Q4") == ("quarter", 2025, 12)
    assert parse_period("2026 MAR") == ("month", 2026, 3)
    assert parse_period("1971") == ("year", 1971, 12)
    # footnote numbers and stray spaces as the real A01 has them
    assert parse_period("Mar 195 (r)") == ("quarter", 2019, 3)
    assert parse_period("Jan-Mar 20193") == ("3 months", 2019, 3)
    assert parse_period("Nov- Jan 2002") == ("3 months", 2002, 1)
    assert parse_period("Levels (thousands)") is None
    assert parse_period("Foo-Bar 2020") is None


def test_a01_series_are_read_with_their_cdids_periods_and_units(tmp_path):
    result = read([write_a01(tmp_path / "a01.xlsx")], geography=None)
    table = result.tables["national_series"]
    employment = table.loc[table["series"] == "MGRZ"].sort_values(["year", "month"])
    assert employment["period"].tolist() == ["Jan-Mar 2024", "Apr-Jun 2024", "Jul-Sep 2024", "Oct-Dec 2024", "Nov-Jan 2025"]
    assert employment["value"].tolist() == [100.0, 102.0, 104.0, 106.0, 110.0]
    assert set(employment["unit"]) == {"level"} and set(table.loc[table["series"] == "MGSX", "unit"]) == {"%"}
    assert "Unemployment" in table.loc[table["series"] == "MGSX", "title"].iloc[0]
    # the '*' (not available) cell is missing, not zero; the footnote is not a period
    assert len(table.loc[table["series"] == "MGSX"]) == 4
    jobs = table.loc[table["series"] == "DYDC"]
    assert jobs["period"].tolist() == ["Mar 24", "Jun 24", "Sep 24", "Dec 24"] and set(jobs["release"]) == {"2026-02-17"}
    assert result.panel.empty
    assert "MGRZ to Nov-Jan 2025" in result.notes[0] and "DYDC to Dec 24" in result.notes[0]


def test_annual_means_use_the_four_calendar_quarters_of_complete_years(tmp_path):
    table = read([write_a01(tmp_path / "a01.xlsx")], geography=None).tables["national_series"]
    # (100 + 102 + 104 + 106) / 4; Nov-Jan 2025 is not a calendar quarter and 2025 is incomplete
    assert annual_means(table, "MGRZ").to_dict() == {2024: 103.0}
    assert annual_means(table, "DYDC").to_dict() == {2024: 31.5}


def test_england_and_regions_come_from_the_headline_block_of_table_22(tmp_path):
    regions = read([write_a01(tmp_path / "a01.xlsx")], geography=None).tables["national_regions"]
    england = regions.loc[(regions["area"] == "E92000001") & (regions["unit"] == "thousands")]
    assert england["value"].tolist() == [170.0]  # not the change-on-quarter block below it
    assert england["measure"].iloc[0] == "employment" and england["ages"].iloc[0] == "16+"
    assert england["period"].iloc[0] == "Oct-Dec 2025"


def test_the_newest_a01_wins_where_two_hold_a_period(tmp_path):
    old = write_a01(tmp_path / "a01jan2026.xlsx", released=datetime(2026, 1, 20))
    new = write_a01(tmp_path / "a01feb2026.xlsx", employment=(101.0, 102.0, 104.0, 106.0, 111.0))
    table = read([new, old], geography=None).tables["national_series"]
    employment = table.loc[table["series"] == "MGRZ"].sort_values(["year", "month"])
    assert employment["value"].tolist() == [101.0, 102.0, 104.0, 106.0, 111.0]
    assert set(employment["release"]) == {"2026-02-17"}


def test_a_cell_that_is_not_a_number_names_sheet_row_column_and_series(tmp_path):
    with pytest.raises(DataError) as error:
        read([write_a01(tmp_path / "a01.xlsx", bad_cell="n/a")], geography=None)
    message = str(error.value)
    assert "sheet '1' row 13 column 2 (MGRZ): expected a number, got 'n/a'" in message and "\n" not in message


def test_a_workbook_without_the_needed_tables_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"no series \['DYDC'\].*expected the ONS A01 workbook's tables 1 and 5"):
        read([write_a01(tmp_path / "a01.xlsx", with_jobs=False)], geography=None)
    not_a_workbook = tmp_path / "a01.xlsx"
    not_a_workbook.write_text("not a workbook")
    with pytest.raises(DataError, match="not a readable Excel workbook"):
        read([not_a_workbook], geography=None)


TIMESERIES = """"Title","Claimant Count : UK : SA : Thousands","Vacancies : UK : Thousands"
"CDID","BCJD","AP2Y"
"PreUnit","",""
"Unit","000's","000's"
"Release Date","21-04-2026","21-04-2026"
"Next release","19 May 2026","19 May 2026"
"Important Notes","",""
"2024","1650.0",""
"2025 Q4","1653.0","734"
"2026 MAR","1660.5",""
"""


def test_the_time_series_csv_layout_is_read_by_cdid(tmp_path):
    path = tmp_path / "ons_claimant.csv"
    path.write_text(TIMESERIES)
    table = read([path], geography=None).tables["national_series"]
    claimant = table.loc[table["series"] == "BCJD"].set_index("period")
    assert claimant["value"].to_dict() == {"2024": 1650.0, "2025 Q4": 1653.0, "2026 MAR": 1660.5}
    assert claimant.loc["2026 MAR", "frequency"] == "month" and claimant.loc["2025 Q4", "month"] == 12
    assert set(claimant["release"]) == {"2026-04-21"} and claimant["title"].iloc[0].startswith("Claimant Count")
    assert table.loc[table["series"] == "AP2Y", "value"].tolist() == [734.0]  # blank cells are missing


def test_a_re_laid_out_csv_or_a_bad_cell_is_one_line(tmp_path):
    path = tmp_path / "ons_claimant.csv"
    path.write_text(TIMESERIES.replace('"CDID"', '"Series ID"'))
    with pytest.raises(DataError, match=r"expected the ONS time-series layout"):
        read([path], geography=None)
    path.write_text(TIMESERIES.replace('"1653.0"', '"1,653"'))
    with pytest.raises(DataError, match=r"row 9 column 2 \(BCJD\): expected a number, got '1,653'"):
        read([path], geography=None)


# --- the real files ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(data_dir):
    folder = data_dir / "national_lms"
    paths = sorted(folder.glob("*a01*.xlsx")) + sorted(folder.glob("ons_*.csv"))
    return read(paths, geography=None)


@pytest.mark.realdata
def test_real_a01_matches_the_readme_check_figures(real):
    table = real.tables["national_series"]
    employment = annual_means(table, "MGRZ") / 1e6
    assert employment.loc[[2013, 2014, 2019, 2020, 2024, 2025]].round(2).tolist() == [30.10, 30.82, 32.92, 32.56, 33.62, 34.16]
    jobs = annual_means(table, "DYDC") / 1e3
    assert jobs.loc[[2013, 2014]].round(2).tolist() == [32.43, 33.46]
    assert annual_means(table, "MGSX").loc[[2013, 2014, 2019, 2025]].round(1).tolist() == [7.6, 6.2, 3.8, 4.8]
    assert employment.index.min() == 1971 and jobs.index.min() == 1960
    assert "MGRZ to Oct-Dec 2025" in real.notes[0]


@pytest.mark.realdata
def test_real_sections_add_up_to_workforce_jobs_and_england_is_85_percent(real):
    table = real.tables["national_series"]
    sections = [f"SIC07_{letter}" for letter in "ABCDEFGHIJKLMNOPQRST"]
    total = sum(annual_means(table, section).loc[2024] for section in sections)
    assert total == pytest.approx(annual_means(table, "DYDC").loc[2024], rel=0.002)
    regions = real.tables["national_regions"]
    level = regions.loc[(regions["measure"] == "employment") & (regions["unit"] == "thousands") & (regions["ages"] == "16+")].set_index(
        "area"
    )
    assert level.loc["E92000001", "value"] / level.loc["K02000001", "value"] == pytest.approx(0.853, abs=0.001)
    england = annual_means(table, "SDG852_ENGLAND")
    assert england.loc[2019] == pytest.approx(3.9, abs=0.05)


@pytest.mark.realdata
def test_a_broken_a01_leaves_the_store_as_it_was(tmp_path, data_dir):
    out = tmp_path / "store"
    good = data_dir / "national_lms" / "ons_a01_feb2026.xlsx"
    lookups = ["--out", str(out), "--lookups", str(data_dir / "lookups")]
    assert runner.invoke(app, ["ingest", national_lms.NAME, str(good), *lookups]).exit_code == 0
    before = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    broken = write_a01(tmp_path / "a01mar2026.xlsx", bad_cell="n/a")
    result = runner.invoke(app, ["ingest", national_lms.NAME, str(broken), *lookups])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "(MGRZ): expected a number" in result.output
    after = {path.relative_to(out): path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert after == before
