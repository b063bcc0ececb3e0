"""APS on SOC 2020 and RQF (aps_soc2020_dfe/): tiny hand-written files with known answers,
then the real files against the README's figures."""

from __future__ import annotations

import pandas as pd
import pyreadr
import pytest

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError
from skillcast.data.sources import aps_soc2020

ENGLAND = "E92000001"
HEADER = "area_type,area_name,metric,age,breakdown,subgroup,soc2020_submajor,period,value"
OCCUPATION = "Occupation (SOC2020 Sub-Major Group)"
LINES = [
    "COUNTRY,England,inemployment,16+,Total,Total,,2021-04/2022-03,27425900",  # line 2
    f"COUNTRY,England,inemployment,16+,{OCCUPATION},11 - Corporate managers and directors,11,2021-04/2022-03,1500000",
    f"COUNTRY,England,inemployment,16+,{OCCUPATION},11 - Corporate managers and directors,11,2020-04/2021-03,",  # not coded yet
    f"LADU,Adur,inemployment,16+,{OCCUPATION},11 - Corporate managers and directors,11,2021-04/2022-03,",  # suppressed
    "LADU,Adur,inemployment,16+,Industry,Agricuture and fishing,,2021-04/2022-03,300",
    "LADU,Adur,all,16+,Total,Total,,2021-04/2022-03,52000",
    "LADU,Adur,inactive,16-64,Total,Total,,2021-04/2022-03,7000",
    "LSIP,Nowhere Special,unemployed,16+,Total,Total,,2021-04/2022-03,1200",  # unmatched area, line 9
]


@pytest.fixture
def tiny_geography() -> Geography:
    return Geography.from_frame(
        pd.DataFrame(
            [
                {"area": ENGLAND, "name": "England", "type": "country", "parent": ""},
                {"area": "E07000223", "name": "Adur", "type": "lad", "parent": ENGLAND},
                {"area": "E69000001", "name": "Kent and Medway", "type": "lsip", "parent": ENGLAND},
            ]
        )
    )


def write_csv(tmp_path, lines=LINES, header=HEADER):
    path = tmp_path / "aps_nomis_dfe_employment_soc2020_by_area_2020_2025.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


RDS_COLUMNS = ["Area", "metric", "metricNeat", "Breakdown", "Subgroup", "Period", "valueText"]
RDS_ROWS = [  # one NVQ year, one RQF year, an age band, a sex row, an advert row; row 0 is "line 2"
    ["England", "qualL4", "NVQ4", "Total", "Total", "Jan 2021-Dec 2021", "15038300"],
    ["England", "qualApp", "Trade apprenticeship", "Total", "Total", "Jan 2021-Dec 2021", "950800"],
    ["England", "qualL4", "NVQ4", "Total", "Total", "Jan 2022-Dec 2022", "15098500"],
    ["Adur LADU", "qualL1", "NVQ1", "Age", "16-19", "Jan 2022-Dec 2022", "1e+05"],
    ["Adur LADU", "qualOther", "Other qualification", "Age", "20-24", "Jan 2022-Dec 2022", None],  # suppressed
    ["Adur LADU", "qualL4", "NVQ4", "Gender", "Males", "Jan 2022-Dec 2022", "9000"],  # by sex: not read
    ["Adur LADU", "vacancies", "Online job adverts", "Total", "Total", "Jul-25", "not a number, not read"],
    ["Greater London Authority MCA", "qualNone", "No qualification", "Total", "Total", "Jan 2022-Dec 2022", "400000"],
]


def write_rds(tmp_path, rows=RDS_ROWS):
    """A tiny dashboard download table, written by pyreadr as R would read it."""
    path = tmp_path / "lsip_dashboard_C_datahub_2025-09-04.rds"
    pyreadr.write_rds(path, pd.DataFrame(rows, columns=RDS_COLUMNS))
    return path


def one_value(panel: pd.DataFrame, **where) -> float:
    rows = panel
    for column, wanted in where.items():
        rows = rows.loc[rows[column] == wanted]
    assert len(rows) == 1, f"expected one row for {where}, found {len(rows)}"
    return float(rows["value"].iloc[0])


# --- the employment CSV, by hand ------------------------------------------------------------


def test_csv_rows_measures_and_codes(tmp_path, tiny_geography):
    panel = aps_soc2020.read([write_csv(tmp_path)], tiny_geography).panel
    assert one_value(panel, area=ENGLAND, measure="employment_residence", classification="all", code="all") == 27425900
    assert one_value(panel, area=ENGLAND, classification="soc2020_submajor", code="11") == 1500000
    assert one_value(panel, area="E07000223", classification="industry_broad", code="agriculture_and_fishing") == 300
    assert one_value(panel, area="E07000223", measure="population_16_plus") == 52000  # 16+: not the 16-64 population
    assert one_value(panel, area="E07000223", measure="economically_inactive") == 7000
    assert "population" not in set(panel["measure"])
    assert set(panel["source"]) == {aps_soc2020.SOURCE} and set(panel["vintage"]) == {aps_soc2020.VINTAGE}


def test_period_is_the_year_the_april_to_march_year_ends(tmp_path, tiny_geography):
    result = aps_soc2020.read([write_csv(tmp_path)], tiny_geography)
    assert set(result.panel["period"]) == {2022}
    periods = result.tables["aps_soc2020_periods"]
    row = periods.loc[(periods["measure"] == "employment_residence") & (periods["period"] == 2022)]
    assert row[["label", "months"]].values.tolist() == [["2021-04/2022-03", "Apr-Mar"]]


def test_suppressed_cell_is_counted_and_left_out_but_an_uncoded_year_is_not_suppression(tmp_path, tiny_geography):
    result = aps_soc2020.read([write_csv(tmp_path)], tiny_geography)
    assert result.suppressed == {"(blank)": 1}  # Adur's sub-major 11; England's 2020/21 cell was never published
    occupations = result.panel.loc[result.panel["classification"] == "soc2020_submajor"]
    assert occupations[["area", "period"]].values.tolist() == [[ENGLAND, 2022]]
    assert any("before 2021/22" in note for note in result.notes)


def test_unmatched_area_is_kept_and_reported(tmp_path, tiny_geography):
    result = aps_soc2020.read([write_csv(tmp_path)], tiny_geography)
    assert result.unmatched_areas == ["lsip 'Nowhere Special'"]
    assert one_value(result.panel, area="lsip:nowhere_special", measure="unemployed") == 1200
    assert result.areas[["area", "type"]].values.tolist() == [["lsip:nowhere_special", "lsip"]]


@pytest.mark.parametrize(
    ("line", "old", "new", "expected"),
    [
        (2, "27425900", "27.4m", "line 2, column 'value', value '27.4m': expected a number"),
        (7, ",16+,", ",16-64,", "line 7, column 'age', value '16-64'"),
        (8, "inactive", "idle", "line 8, column 'metric', value 'idle'"),
        (2, "2021-04/2022-03", "2021/22", "line 2, column 'period', value '2021/22'"),
        (3, ",11,2021", ",13,2021", "line 3, column 'soc2020_submajor', value '13'"),
        (6, "Agricuture and fishing", "Fishing only", "line 6, column 'subgroup', value 'Fishing only'"),
    ],
)
def test_bad_cells_give_one_line_naming_file_line_and_column(tmp_path, tiny_geography, line, old, new, expected):
    lines = list(LINES)
    assert old in lines[line - 2]
    lines[line - 2] = lines[line - 2].replace(old, new, 1)
    path = write_csv(tmp_path, lines)
    with pytest.raises(DataError) as raised:
        aps_soc2020.read([path], tiny_geography)
    message = str(raised.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_missing_column_is_refused_in_one_line(tmp_path, tiny_geography):
    path = write_csv(tmp_path, header=HEADER.replace("soc2020_submajor", "soc_code"))
    with pytest.raises(DataError, match=r"missing column\(s\) \['soc2020_submajor'\]") as raised:
        aps_soc2020.read([path], tiny_geography)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_file_of_another_kind_is_refused(tmp_path, tiny_geography):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(DataError, match="notes.txt"):
        aps_soc2020.read([other], tiny_geography)
    not_r = tmp_path / "broken.rds"
    not_r.write_text("not R")
    with pytest.raises(DataError, match="broken.rds: not a readable R data file"):
        aps_soc2020.read([not_r], tiny_geography)


# --- the dashboard's .rds, by hand -----------------------------------------------------------


def test_rds_qualifications_nvq_then_rqf_with_age_bands(tmp_path, tiny_geography):
    result = aps_soc2020.read([write_rds(tmp_path)], tiny_geography)
    panel = result.panel
    assert set(panel["measure"]) == {"population"}
    assert one_value(panel, area=ENGLAND, classification="nvq", code="nvq4", period=2021) == 15038300
    assert one_value(panel, area=ENGLAND, classification="nvq", code="trade_apprenticeships", period=2021) == 950800
    assert one_value(panel, area=ENGLAND, classification="aps_rqf", code="rqf4plus", period=2022) == 15098500
    assert one_value(panel, area="E07000223", classification="age_band|aps_rqf", code="16-19|rqf1") == 100000  # R's '1e+05'
    assert result.suppressed == {"(blank)": 1} and "20-24|other" not in set(panel["code"])
    assert not panel["code"].str.contains("Males").any()  # the sex breakdown is not read
    assert result.unmatched_areas == ["mca 'Greater London Authority'"]
    periods = result.tables["aps_soc2020_periods"]
    assert periods.loc[periods["period"] == 2022, ["label", "months"]].values.tolist() == [["Jan 2022-Dec 2022", "Jan-Dec"]]


def test_both_files_together(tmp_path, tiny_geography):
    result = aps_soc2020.read([write_csv(tmp_path), write_rds(tmp_path)], tiny_geography)
    assert result.suppressed == {"(blank)": 2}
    assert {"employment_residence", "population"} <= set(result.panel["measure"])
    assert result.unmatched_areas == ["lsip 'Nowhere Special'", "mca 'Greater London Authority'"]


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        (0, "valueText", "lots", "line 2, column 'valueText', value 'lots': expected a number"),
        (3, "Period", "2022", "line 5, column 'Period', value '2022'"),
        (3, "Subgroup", "16-17", "line 5, column 'Subgroup', value '16-17'"),
        (2, "metric", "qualApp", "line 4, column 'metric', value 'qualApp': expected a metric T19a publishes"),
        (2, "metric", "qualL9", "line 4, column 'metric', value 'qualL9'"),
        (0, "Area", "England and Wales", "line 2, column 'Area', value 'England and Wales'"),
    ],
)
def test_bad_rds_cells_give_one_line_naming_file_line_and_column(tmp_path, tiny_geography, row, column, value, expected):
    rows = [list(cells) for cells in RDS_ROWS]
    rows[row][RDS_COLUMNS.index(column)] = value
    path = write_rds(tmp_path, rows)
    with pytest.raises(DataError) as raised:
        aps_soc2020.read([path], tiny_geography)
    message = str(raised.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_rds_without_the_expected_columns_or_metrics_is_refused(tmp_path, tiny_geography):
    path = tmp_path / "other.rds"
    pyreadr.write_rds(path, pd.DataFrame({"Area": ["England"], "value": ["1"]}))
    with pytest.raises(DataError, match=r"other.rds: missing column\(s\) \['metric'"):
        aps_soc2020.read([path], tiny_geography)
    adverts_only = write_rds(tmp_path, [["England", "vacancies", "Online job adverts", "Total", "Total", "Jul-25", "5"]])
    with pytest.raises(DataError, match="no APS qualification rows"):
        aps_soc2020.read([adverts_only], tiny_geography)


# --- the real files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(data_dir, geography):
    paths = [path for pattern in aps_soc2020.FILES for path in sorted(data_dir.glob(pattern))]
    assert [path.suffix for path in paths] == [".csv", ".rds"]
    return aps_soc2020.read(paths, geography), geography


@pytest.mark.realdata
def test_real_england_employment_16_plus_matches_readme(real):
    panel = real[0].panel
    rows = panel.loc[(panel["area"] == ENGLAND) & (panel["measure"] == "employment_residence") & (panel["classification"] == "all")]
    millions = (rows.set_index("period")["value"] / 1e6).round(2).to_dict()
    assert millions == {2021: 27.26, 2022: 27.43, 2023: 27.71, 2024: 27.82, 2025: 27.98}


@pytest.mark.realdata
def test_real_sub_majors_sum_to_nearly_all_of_england_and_start_in_2021_22(real):
    panel = real[0].panel
    england = panel.loc[(panel["area"] == ENGLAND) & (panel["measure"] == "employment_residence")]
    occupations = england.loc[england["classification"] == "soc2020_submajor"]
    assert occupations.groupby("period")["code"].nunique().to_dict() == {2022: 26, 2023: 26, 2024: 26, 2025: 26}
    total = england.loc[england["classification"] == "all"].set_index("period")["value"]
    share = 100 * occupations.groupby("period")["value"].sum() / total.loc[occupations["period"].unique()]
    assert share.between(99.55, 99.85).all(), share.to_dict()  # 99.6-99.8% within rounding
    assert panel.loc[panel["classification"] == "soc2020_submajor", "period"].min() == 2022  # no area before 2021/22
    assert england.loc[england["classification"] == "industry_broad"].groupby("period")["code"].nunique().to_dict() == dict.fromkeys(
        range(2021, 2026), 9
    )


@pytest.mark.realdata
def test_real_suppressed_occupation_shares_match_readme(real):
    result, geography = real
    panel = result.panel
    occupations = panel.loc[panel["classification"] == "soc2020_submajor"]
    kind = occupations["area"].map(lambda area: geography.type_of(area) if area in geography else area.split(":")[0])
    areas = pd.Series({"country": 1, "lad": 350, "lsip": 38, "mca": 16})  # as the README lists them
    suppressed = 1 - occupations.groupby(kind).size() / (areas * 26 * 4)  # 26 sub-majors, 2021/22 ... 2024/25
    assert suppressed["lad"] == pytest.approx(0.34, abs=0.01)  # about a third of district cells
    assert suppressed["lsip"] == pytest.approx(0.035, abs=0.002)
    assert suppressed["mca"] == pytest.approx(0.029, abs=0.002)
    assert suppressed["country"] == 0


@pytest.mark.realdata
def test_real_unmatched_areas_are_scotland_and_the_gla(real):
    unmatched = real[0].unmatched_areas
    assert "mca 'Greater London Authority'" in unmatched
    assert len(unmatched) == 33 and all(name.startswith("lad ") for name in unmatched if "Greater London" not in name)


@pytest.mark.realdata
def test_real_qualifications_nvq_to_2021_rqf_from_2022_and_ages_add_up(real):
    panel = real[0].panel
    people = panel.loc[(panel["measure"] == "population") & (panel["area"] == ENGLAND)]
    assert sorted(people.loc[people["classification"] == "nvq", "period"].unique()) == [2020, 2021]
    assert sorted(people.loc[people["classification"] == "aps_rqf", "period"].unique()) == [2022, 2023, 2024]
    totals = people.loc[people["classification"].isin(["nvq", "aps_rqf"])].groupby("period")["value"].sum() / 1e6
    assert totals.between(33.0, 35.5).all(), totals.to_dict()  # England's 16-64s, by highest qualification
    by_age = people.loc[people["classification"].str.startswith("age_band|")].groupby("period")["value"].sum() / 1e6
    assert (by_age - totals).abs().max() < 0.01  # England has no suppressed cell: the six bands add up to 16-64
    assert one_value(people, classification="aps_rqf", code="rqf4plus", period=2024) == 16117900
