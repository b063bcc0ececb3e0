"""Job adverts, ESS and reference readers on the real data: published anchors, honesty, bad input."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from skillcast.data.schema import DataError, validate
from skillcast.data.sources import ess, job_adverts, reference

ADVERTS = "job_adverts"
LA_CSV = f"{ADVERTS}/ons_adzuna_job_adverts_by_la_jan_2017_2022.csv"
LA_XLSX = f"{ADVERTS}/ons_adzuna_labour_demand_by_la_jan2017_2022.xlsx"
MONTHLY = f"{ADVERTS}/ons_textkernel_job_adverts_monthly_lep_lsip_mca_2017_2022.csv"
NEW_TOTAL = f"{ADVERTS}/ons_textkernel_new_job_adverts_england_total_monthly_2021_2025.csv"
ESS_DATA = "employer_skills_survey/ess_2017_2019_by_lea_lep.csv"
ENGLAND = "E92000001"


@pytest.fixture(scope="module")
def adverts(data_dir, geography):
    return job_adverts.read([data_dir / name for name in job_adverts.FILES], geography)


@pytest.fixture(scope="module")
def survey(data_dir, geography):
    return ess.read([data_dir / name for name in ess.FILES], geography)


@pytest.fixture(scope="module")
def references(data_dir, geography):
    return reference.read([data_dir / name for name in reference.FILES], geography)


def value(panel: pd.DataFrame, **where) -> float:
    rows = panel
    for column, wanted in where.items():
        rows = rows.loc[rows[column] == wanted]
    assert len(rows) == 1, f"expected one row for {where}, found {len(rows)}"
    return float(rows["value"].iloc[0])


# --- published anchors -----------------------------------------------------------------


@pytest.mark.parametrize(("month", "millions"), [("2021-01", 0.60), ("2022-07", 1.07), ("2024-12", 0.50), ("2025-11", 0.65)])
def test_new_job_adverts_england_three_month_average_matches_readme(adverts, month, millions):
    monthly = adverts.tables["new_job_adverts_monthly"]
    total = monthly.loc[monthly["classification"] == "all"].set_index("month")["value"]
    assert total[month] == pytest.approx(millions * 1e6, rel=0.02)
    assert total.idxmax() == "2022-07"  # the peak


def test_ess_2019_england_matches_readme_exactly(survey):
    england = survey.panel.loc[(survey.panel["area"] == ENGLAND) & (survey.panel["period"] == 2019)]
    assert value(england, measure="vacancies", classification="all") == 811_703
    assert value(england, measure="skill_shortage_vacancies", classification="all") == 199_088


def test_ess_2017_england_matches_readme_exactly(survey):
    england = survey.panel.loc[(survey.panel["area"] == ENGLAND) & (survey.panel["period"] == 2017)]
    assert value(england, measure="vacancies", classification="all") == 872_518
    assert value(england, measure="hard_to_fill_vacancies", classification="all") == 286_818
    assert value(england, measure="skill_shortage_vacancies", classification="all") == 193_843
    occupations = england.loc[(england["measure"] == "employment") & (england["classification"] == "soc2010_major")]
    assert sorted(occupations["code"]) == [str(code) for code in range(1, 10)]


# --- reading honestly ------------------------------------------------------------------


def test_adzuna_workbook_agrees_with_its_csv(data_dir, geography):
    from_csv = job_adverts.read([data_dir / LA_CSV], geography).panel
    from_xlsx = job_adverts.read([data_dir / LA_XLSX], geography).panel
    assert len(from_csv) == 331 * 6
    pd.testing.assert_frame_equal(from_csv, from_xlsx)


def test_annual_panel_value_is_the_mean_of_twelve_months(data_dir, geography, adverts):
    raw = pd.read_csv(data_dir / MONTHLY)
    months = raw.loc[(raw["area"] == "Greater Manchester") & (raw["geographic_level"] == "LSIP") & raw["month"].str.startswith("2019")]
    assert len(months) == 12
    code = geography.match_names(["Greater Manchester"], "lsip").codes["Greater Manchester"]
    annual = value(adverts.panel, area=code, measure="job_adverts", classification="all", period=2019)
    assert annual == pytest.approx(months["job_adverts"].mean())

    new_total = pd.read_csv(data_dir / NEW_TOTAL)
    counts = new_total.loc[(new_total["metric"] == "national_3m_avg") & new_total["timePeriod"].str.startswith("2022"), "value"]
    assert value(adverts.panel, area=ENGLAND, measure="new_job_adverts", classification="all", period=2022) == pytest.approx(counts.mean())


def test_partial_years_stay_out_of_the_panel_and_are_noted(adverts):
    periods = adverts.panel.groupby("measure")["period"].max()
    assert periods["job_adverts"] == 2022  # the Oct 2022 profession snapshot ...
    monthly_years = adverts.panel.loc[(adverts.panel["measure"] == "job_adverts") & (adverts.panel["classification"] == "all"), "period"]
    assert monthly_years.max() == 2021  # ... but monthly 2022 stops in October
    assert periods["new_job_adverts"] == 2024  # 2025 has 11 months
    assert any("job_adverts_monthly" in note and "[2022]" in note for note in adverts.notes)
    assert any("new_job_adverts_monthly" in note and "[2025]" in note for note in adverts.notes)


def test_every_panel_passes_the_contract(adverts, survey, references):
    for result in (adverts, survey, references):
        pd.testing.assert_frame_equal(validate(result.panel), result.panel)
        assert {"source", "vintage"} <= set(result.panel.columns)
    assert references.panel.empty and list(references.panel.columns[:6]) == ["area", "measure", "classification", "code", "period", "value"]


def test_unmatched_names_are_reported_and_kept(adverts, survey):
    for name in ("region 'Unknown'", "region 'Scotland'", "lad 'Belfast'", "lep 'Unknown'", "country 'United Kingdom'"):
        assert name in adverts.unmatched_areas
    assert {"region:unknown", "region:wales", "lad:belfast"} <= set(adverts.panel["area"])
    assert "lea 'Kent'" in survey.unmatched_areas and "lep 'Northamptonshire'" in survey.unmatched_areas
    areas = set(survey.panel["area"])
    assert "lea:surrey" in areas and "E07000214" not in areas  # county Surrey is not the district Surrey Heath
    assert "E06000047" in areas  # LEA "Durham" is the unitary County Durham
    assert (survey.areas["type"] == "lea").sum() == 24


def test_suppressed_cells_are_counted(adverts, survey):
    assert adverts.suppressed["x"] == 4281  # '[x]' in the profession snapshot
    assert survey.suppressed["**"] == 1441 and survey.suppressed["*%"] == 3
    detailed = adverts.panel.loc[adverts.panel["classification"] == "profession_detailed"]
    assert detailed["value"].isna().sum() == 4281


def test_non_counts_go_to_tables(adverts, survey):
    ratios = adverts.tables["new_job_adverts_ratios"]
    assert set(ratios["metric"]) == {"soc_growth", "soc_pop", "soc_job", "national_growth", "national_pop", "national_job"}
    other = survey.tables["ess_other"]
    assert (other["value_type"] == "share_of_base").any()
    share = other.loc[(other["area"] == ENGLAND) & (other["measure"] == "Establishments with any vacancies"), "value"]
    assert set(share) == {0.17}
    assert not other.duplicated().any()


def test_reference_tables_agree_with_raw_files(data_dir, references, adverts):
    rankings = references.tables["wf7_rankings"]
    # WF7 (2017) names one LEP that the 2021 re-forming abolished; it is reported, not mapped to a different area
    assert len(rankings) == 760 and set(rankings.loc[rankings["lep"].str.contains(":"), "lep"]) == {
        "lep:york_north_yorkshire_and_east_riding"
    }
    for raw_name, category_type in (("occupations", "occupation"), ("sectors", "sector")):
        path = data_dir / "working_futures" / f"wf7_lep_{raw_name}_highest_lowest_growth_2017_2027.csv"
        raw, lep = set(), None
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                cells = [cell.strip() for cell in row] + [""] * 5
                if re.fullmatch(r"\d\)", cells[1]):
                    rank = int(cells[1][:-1])
                    raw |= {(lep, "highest_growth", rank, cells[2]), (lep, "lowest_growth", rank, cells[4])}
                elif cells[1] and not any(cells[2:]):
                    lep = cells[1]
        tidy = rankings.loc[rankings["category_type"] == category_type]
        assert raw == set(zip(tidy["lep_name"], tidy["list"], tidy["rank"], tidy["category"], strict=True))
    structure = references.tables["soc2020_structure"]
    assert structure["level"].value_counts().to_dict() == {"unit": 412, "minor": 104, "submajor": 26, "major": 9}
    soc = adverts.panel.loc[adverts.panel["classification"] == "soc2020_unit", "code"]
    assert set(soc) == set(structure.loc[structure["level"] == "unit", "code"])


# --- bad input -------------------------------------------------------------------------


def corrupt(source: Path, target: Path, line: int, old: str, new: str) -> Path:
    """A copy of the first lines of ``source`` with ``old`` replaced on 1-based ``line``."""
    with source.open(encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(20)]
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    target.write_text("".join(lines), encoding="utf-8")
    return target


def one_line_error(reader, paths, geography) -> str:
    with pytest.raises(DataError) as caught:
        reader.read(paths, geography)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_non_numeric_value_names_file_line_and_column(data_dir, tmp_path, geography):
    path = corrupt(data_dir / MONTHLY, tmp_path / "monthly.csv", 4, "17525.0", "lots")
    message = one_line_error(job_adverts, [path], geography)
    assert "monthly.csv" in message and "line 4" in message and "'job_adverts'" in message and "'lots'" in message
    path = corrupt(data_dir / ESS_DATA, tmp_path / "ess.csv", 3, "19098", "19O98")
    message = one_line_error(ess, [path], geography)
    assert "ess.csv" in message and "line 3" in message and "'value'" in message


def test_missing_column_empty_and_unknown_files(data_dir, tmp_path, geography):
    frame = pd.read_csv(data_dir / ESS_DATA, dtype=str, keep_default_na=False, nrows=5).drop(columns="value_type")
    frame.to_csv(tmp_path / "no_type.csv", index=False)
    assert "missing column(s) ['value_type']" in one_line_error(ess, [tmp_path / "no_type.csv"], geography)
    soc = pd.DataFrame({"timePeriod": ["2021-01-01"], "soc_4_digit_code": ["1111"], "value": ["1"], "metric": ["soc_3m_avg"]})
    soc.to_csv(tmp_path / "soc.csv", index=False)  # no label column: must not pass as the England total file
    assert "missing column(s) ['soc_4_digit_label']" in one_line_error(job_adverts, [tmp_path / "soc.csv"], geography)
    (tmp_path / "empty.csv").write_text("")
    for reader in (job_adverts, ess, reference):
        assert "empty file" in one_line_error(reader, [tmp_path / "empty.csv"], geography)
    raw = data_dir / "working_futures" / "wf7_lep_sectors_highest_lowest_growth_2017_2027.csv"
    assert "wf7_lep_sectors_highest" in one_line_error(reference, [raw], geography)


def test_workbook_without_header_row_fails_clearly(tmp_path, geography):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "1"
    sheet.append(["Total job adverts by local authority"])
    sheet.append(["Adur", "South East", 4.1, 16])
    book.save(tmp_path / "no_header.xlsx")
    message = one_line_error(job_adverts, [tmp_path / "no_header.xlsx"], geography)
    assert "no_header.xlsx" in message and "no header row starting 'Local authority'" in message
    sheet.title = "Data"
    book.save(tmp_path / "no_sheet.xlsx")
    assert "no sheet '1'" in one_line_error(job_adverts, [tmp_path / "no_sheet.xlsx"], geography)


def test_workbook_that_disagrees_with_its_csv_fails(data_dir, tmp_path, geography):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "1"
    sheet.append(["Title row"])
    sheet.append(["Local authority [note 1]", "Region [note 2]", "2017"])
    sheet.append(["Adur", "South East", 99.9])
    book.save(tmp_path / "adur.xlsx")
    (tmp_path / "adur.csv").write_text("local_authority,itl1_region,year,job_advert_units_jan_avg\nAdur,South East,2017,4.1\n")
    message = one_line_error(job_adverts, [tmp_path / "adur.csv", tmp_path / "adur.xlsx"], geography)
    assert "disagrees" in message and "adur.csv" in message
    shutil.copy(tmp_path / "adur.csv", tmp_path / "again.csv")
    result = job_adverts.read([tmp_path / "adur.csv", tmp_path / "again.csv"], geography)
    assert len(result.panel) == 1  # the same table twice is kept once
