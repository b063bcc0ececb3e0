"""APS and DfE local skills readers on the real files in ../shared/data (SKILLCAST_DATA_DIR)."""

from __future__ import annotations

import pandas as pd
import pytest

from skillcast.data.schema import DataError, validate
from skillcast.data.sources import aps_occupations, aps_qualifications, local_skills_time_series
from skillcast.data.sources.common import SUPPRESSION_CODES

pytestmark = pytest.mark.realdata

QUAL_16_64 = "aps_local_skills_dfe/aps_qual_nvq_16_64_lad_lep_2017_2021.csv"
QUAL_BY_AGE = "aps_local_skills_dfe/aps_qual_nvq_by_age_lad_lep_lsip_2017_2021.csv"
OCC_LAD = "aps_local_skills_dfe/aps_emp_by_occ_soc2010_lad_lep_2017_2021.csv"
OCC_NUTS3 = "aps_local_skills_dfe/aps_emp_by_occ_soc2010_lep_nuts3_2015_2021.csv"
TIME_SERIES = "aps_local_skills_dfe/dfe_local_skills_time_series_emp_fe_2017_2022.csv"
READERS = [aps_qualifications, aps_occupations, local_skills_time_series]


@pytest.fixture(scope="module")
def qualifications(data_dir, geography):
    return aps_qualifications.read([data_dir / QUAL_16_64, data_dir / QUAL_BY_AGE], geography)


@pytest.fixture(scope="module")
def occupations(data_dir, geography):
    return aps_occupations.read([data_dir / OCC_LAD, data_dir / OCC_NUTS3], geography)


@pytest.fixture(scope="module")
def time_series(data_dir, geography):
    return local_skills_time_series.read([data_dir / TIME_SERIES], geography)


def nvq4_share(panel: pd.DataFrame) -> pd.Series:
    """NVQ4+ share (%) of 16-64s by year, summed over the rows given."""
    table = panel.loc[panel["classification"] == "nvq"].groupby(["period", "code"])["value"].sum().unstack()
    return 100 * table["nvq4"] / table.sum(axis=1)


def missing_cells(result) -> int:
    """Suppressed cells that become NaN (everything but '-', which is zero)."""
    return sum(count for code, count in result.suppressed.items() if code == "(blank)" or SUPPRESSION_CODES.get(code) == "missing")


# --- published figures ---------------------------------------------------------------


def test_nvq4_share_of_english_districts(qualifications, geography):
    panel = qualifications.panel
    lad = panel["area"].map(lambda area: area in geography and geography.type_of(area) == "lad")
    english = panel.loc[lad & panel["area"].str.startswith("E")]
    assert english["area"].nunique() == 309  # every English district of 2021, Stoke-on-Trent from the by-age file
    share = nvq4_share(english)
    # Measured on English districts. The README's 38.6% / 43.7% "England" figures are the
    # sum over all 363 districts of the 16-64 file, i.e. Great Britain (next test).
    assert share[2017] == pytest.approx(38.24, abs=0.2)
    assert share[2021] == pytest.approx(43.33, abs=0.2)
    assert share.is_monotonic_increasing


def test_nvq4_share_matches_readme_over_all_published_districts(data_dir, geography):
    result = aps_qualifications.read([data_dir / QUAL_16_64], geography)
    lad_areas = set(geography.codes("lad")) | set(result.areas.loc[result.areas["type"] == "lad", "area"])
    share = nvq4_share(result.panel.loc[result.panel["area"].isin(lad_areas)])
    for year, expected in {2017: 38.6, 2018: 39.3, 2019: 40.4, 2020: 43.3, 2021: 43.7}.items():
        assert share[year] == pytest.approx(expected, abs=0.2)


def test_aps_employment_england_totals(occupations):
    england = occupations.panel.loc[occupations.panel["area"] == "E92000001"]
    assert england.groupby("period")["code"].nunique().eq(25).all()
    totals = england.groupby("period")["value"].sum()
    assert totals[2015] == pytest.approx(26.24e6, rel=0.01)
    assert totals[2019] == pytest.approx(27.46e6, rel=0.01)
    assert totals[2021] == pytest.approx(27.12e6, rel=0.01)


def test_local_skills_time_series_england_and_fe_periods(time_series):
    england = time_series.panel.loc[time_series.panel["area"] == "E92000001"].set_index(["measure", "period"])["value"]
    assert england[("population", 2018)] == pytest.approx(34_684_700)
    assert england[("employment_residence", 2022)] == pytest.approx(26_446_400)
    assert england[("fe_achievements", 2017)] == pytest.approx(1_578_910)  # academic year 2016/17
    assert england[("fe_participation", 2021)] == pytest.approx(1_640_320)  # academic year 2020/21
    assert set(time_series.panel["classification"]) == {"all"}


def test_rates_are_a_table_not_counts(time_series):
    rates = time_series.tables["local_skills_rates"]
    assert list(rates.columns) == ["area", "metric", "period", "value"]
    assert {"empRate", "achievements_rate_per_100000_population"} <= set(rates["metric"])
    england = rates.loc[(rates["area"] == "E92000001") & (rates["metric"] == "empRate")].set_index("period")["value"]
    assert england[2018] == pytest.approx(0.752, abs=0.001)
    assert not time_series.panel["measure"].str.contains("rate", case=False).any()


# --- contract, suppression, areas -------------------------------------------------


@pytest.mark.parametrize("name", ["qualifications", "occupations", "time_series"])
def test_every_panel_passes_validate(request, name):
    result = request.getfixturevalue(name)
    assert not result.panel.empty
    pd.testing.assert_frame_equal(validate(result.panel), result.panel)
    assert set(result.panel["vintage"]) == {"dfe-lsip-dashboard"}
    assert result.panel["source"].str.len().gt(0).all()


@pytest.mark.parametrize("name", ["qualifications", "occupations", "time_series"])
def test_suppressed_cells_are_counted_and_become_nan(request, name):
    result = request.getfixturevalue(name)
    assert result.suppressed
    nan_cells = result.panel["value"].isna().sum()
    if "ci95" in result.panel.columns:  # the occupation reader counts CI cells too
        nan_cells += result.panel["ci95"].isna().sum()
    assert nan_cells == missing_cells(result)


def test_suppression_codes_per_occupation_file(data_dir, geography):
    lad = aps_occupations.read([data_dir / OCC_LAD], geography)
    assert set(lad.suppressed) == {"c", "u", "low", "x"}
    nuts3 = aps_occupations.read([data_dir / OCC_NUTS3], geography)
    assert nuts3.suppressed == {"!": 2374, "*": 5904, "~": 292}


def test_files_that_overlap_are_kept_once_and_compared(qualifications, occupations):
    assert any("0 of them differ" in note for note in qualifications.notes)
    by_age = qualifications.panel.loc[qualifications.panel["classification"] == "age_band|nvq", "code"]
    assert "25-29|nvq4" in set(by_age)
    # LEPs come from the NUTS3 file for every year 2015-2021
    black_country = occupations.panel.loc[occupations.panel["area"] == "E37000001"]
    assert sorted(black_country["period"].unique()) == list(range(2015, 2022))


def test_unmatched_names_are_reported_and_kept(qualifications, occupations, time_series):
    assert "lad 'Glasgow City'" in qualifications.unmatched_areas
    assert (qualifications.panel["area"] == "lad:glasgow_city").any()
    assert "lad 'Glasgow City'" in occupations.unmatched_areas
    assert (occupations.panel["area"] == "lad:glasgow_city").any()
    assert "lad 'Outside of England and unknown'" in time_series.unmatched_areas
    assert (time_series.panel["area"] == "lad:outside_of_england_and_unknown").any()
    for result in (qualifications, occupations, time_series):
        reported = set(result.areas["area"])
        assert {area for area in result.panel["area"] if ":" in area} <= reported


def test_short_district_names_are_matched(qualifications, time_series):
    # NOMIS short names ('Barrow', 'Stockton', 'Newcastle') resolve when each file is matched on its own
    for result in (qualifications, time_series):
        assert not any(name in result.unmatched_areas for name in ("lad 'Barrow'", "lad 'Stockton'", "lad 'Newcastle'"))
    areas = set(time_series.panel.loc[time_series.panel["measure"] == "population", "area"])
    assert {"E07000027", "E06000004", "E07000195", "E08000021"} <= areas


def test_a_bracketed_name_sharing_a_code_is_kept_apart(time_series):
    norfolk = time_series.panel.loc[time_series.panel["area"].str.startswith("lsip:norfolk")]
    assert set(norfolk["area"]) == {"lsip:norfolk_and_suffolk_greater_anglia"}
    assert any("Greater Anglia" in name for name in time_series.unmatched_areas)


def test_nuts3_areas_use_their_nuts_code(occupations):
    nuts3 = occupations.areas.loc[occupations.areas["type"] == "nuts3"].set_index("area")
    assert nuts3.at["UKC11", "name"] == "Hartlepool and Stockton-on-Tees"
    assert len(nuts3) == 168
    assert (occupations.panel["area"] == "UKC11").sum() == 7 * 25


def test_ci95_present_and_non_negative(occupations):
    ci = occupations.panel["ci95"]
    assert ci.notna().mean() > 0.5
    assert (ci.dropna() >= 0).all()
    codes = set(occupations.panel["code"])
    assert codes == set(aps_occupations.SOC2010_SUBMAJOR)


# --- bad input -----------------------------------------------------------------------


def head_copy(data_dir, relative, tmp_path, lines=30, edit=lambda text: text):
    """The first ``lines`` lines of a real file, edited, written to tmp_path."""
    text = "".join((data_dir / relative).read_text().splitlines(keepends=True)[:lines])
    copy = tmp_path / relative.rsplit("/", 1)[-1]
    copy.write_text(edit(text))
    return copy


def replace_on_line(line_number: int, old: str, new: str):
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        assert old in lines[line_number - 1]
        lines[line_number - 1] = lines[line_number - 1].replace(old, new, 1)
        return "".join(lines)

    return edit


def header_edit(old: str, new: str):
    return replace_on_line(1, old, new)


BAD_INPUTS = [
    # (reader, file, edit, expected text in the message)
    (aps_qualifications, QUAL_16_64, replace_on_line(3, '"35200"', '"35 2OO"'), "line 3, column 'qualification count', value '35 2OO'"),
    (aps_qualifications, QUAL_BY_AGE, replace_on_line(2, '"90800"', '"n/a"'), "line 2, column '16-64 None', value 'n/a'"),
    (aps_qualifications, QUAL_16_64, replace_on_line(4, '"None"', '"Nil"'), "line 4, column 'Level', value 'Nil'"),
    (aps_qualifications, QUAL_16_64, header_edit('"Level"', '"Lvl"'), "missing column(s) ['Level']"),
    (aps_qualifications, QUAL_16_64, lambda text: "", "empty file"),
    (aps_occupations, OCC_LAD, replace_on_line(2, '"3800"', '"3,8OO"'), "line 2, column 'Corporate Managers And Directors', value '3,8OO'"),
    (aps_occupations, OCC_NUTS3, replace_on_line(3, "28300", "lots"), "line 3, column 'employment', value 'lots'"),
    (aps_occupations, OCC_NUTS3, header_edit("conf_95", "ci"), "missing column(s) ['conf_95']"),
    (aps_occupations, OCC_NUTS3, lambda text: "", "empty file"),
    (
        aps_occupations,
        OCC_NUTS3,
        replace_on_line(5, "Corporate Managers and Directors", "Corporate Wizards"),
        "line 5, column 'soc2010_submajor_group', value 'Corporate Wizards': unknown SOC 2010 sub-major group",
    ),
    (
        aps_occupations,
        OCC_LAD,
        header_edit("Health Professionals", "Health Wizards"),
        "line 1, column 'Health Wizards': unknown SOC 2010 sub-major group",
    ),
    (aps_occupations, OCC_NUTS3, replace_on_line(2, "2015,", "15,"), "line 2, column 'year', value '15'"),
    (local_skills_time_series, TIME_SERIES, replace_on_line(3, "28500.0", "28.5k"), "line 3, column 'value', value '28.5k'"),
    (local_skills_time_series, TIME_SERIES, replace_on_line(4, "Employment", "Jobs"), "line 4, column 'metric', value 'Jobs'"),
    (local_skills_time_series, TIME_SERIES, replace_on_line(2, ",2018,", ",201719,"), "line 2, column 'time_period', value '201719'"),
    (local_skills_time_series, TIME_SERIES, header_edit("value", "count"), "missing column(s) ['value']"),
    (local_skills_time_series, TIME_SERIES, lambda text: "", "empty file"),
]


@pytest.mark.parametrize("reader, relative, edit, expected", BAD_INPUTS)
def test_corrupted_copies_fail_with_one_line_naming_the_place(data_dir, geography, tmp_path, reader, relative, edit, expected):
    copy = head_copy(data_dir, relative, tmp_path, edit=edit)
    with pytest.raises(DataError) as raised:
        reader.read([copy], geography)
    message = str(raised.value)
    assert expected in message and str(copy) in message and "\n" not in message


@pytest.mark.parametrize("reader", READERS)
def test_a_file_of_another_source_is_refused_by_name(data_dir, geography, tmp_path, reader):
    other = head_copy(data_dir, "skills_imperative_2035/si2035_areas.csv", tmp_path)
    with pytest.raises(DataError, match="si2035_areas.csv") as raised:
        reader.read([other], geography)
    assert "\n" not in str(raised.value)


def test_readers_declare_their_files(data_dir):
    for reader in READERS:
        assert reader.NAME and reader.FILES
        for pattern in reader.FILES:
            assert list(data_dir.glob(pattern)), pattern
