"""Smoke tests on the real published data in ../shared/data (SKILLCAST_DATA_DIR)."""

import shutil

import pytest

from skillcast.data.schema import DataError, observations
from skillcast.data.sources.si2035 import read_employment_wide

WIDE = "skills_imperative_2035/si2035_employment_2010_2035_wide.csv"


@pytest.fixture(scope="module")
def si2035(data_dir):
    return read_employment_wide(data_dir / WIDE)


def test_si2035_england_matches_the_published_figures(si2035):
    england = si2035.loc[(si2035["area"] == "EN") & (si2035["classification"] == "all")].set_index("period")["value"]
    assert england[2010] == pytest.approx(26.47e6, rel=0.001)
    assert england[2020] == pytest.approx(29.86e6, rel=0.001)
    assert england[2035] == pytest.approx(32.07e6, rel=0.001)


def test_si2035_projections_are_marked_and_never_observations(si2035):
    assert si2035.loc[si2035["period"] > 2020, "projection"].all()
    assert not si2035.loc[si2035["period"] <= 2020, "projection"].any()
    assert observations(si2035)["period"].max() == 2020


def test_si2035_classifications_and_units(si2035):
    assert set(si2035["classification"]) == {"all", "soc2020_major", "soc2020_submajor", "rqf", "industry"}
    assert si2035["area"].nunique() == 49
    # occupations add to the total (the file is rounded to 1,000ths of a thousand)
    year = si2035.loc[si2035["period"] == 2020]
    total = year.loc[year["classification"] == "all"].set_index("area")["value"]
    majors = year.loc[year["classification"] == "soc2020_major"].groupby("area")["value"].sum()
    assert ((majors - total).abs() / total).max() < 0.001


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (lambda text: text.replace("73.865", "7x.865", 1), "line 2, column '2010', value '7x.865': expected a number"),
        (lambda text: text.replace("area_id,", "area,", 1), "missing column(s) ['area_id']"),
        (lambda text: "", "empty file"),
        (lambda text: text.replace("soc2020_major", "soc_major", 1), "line 2, column 'level', value 'soc_major'"),
    ],
)
def test_corrupted_copies_fail_with_one_line_naming_the_place(data_dir, tmp_path, corrupt, expected):
    copy = tmp_path / "si2035.csv"
    copy.write_text(corrupt((data_dir / WIDE).read_text()))
    with pytest.raises(DataError) as raised:
        read_employment_wide(copy)
    assert expected in str(raised.value) and "\n" not in str(raised.value)


def test_wrong_encoding_is_a_clear_error(data_dir, tmp_path):
    copy = tmp_path / "si2035.csv"
    shutil.copy(data_dir / WIDE, copy)
    copy.write_bytes(copy.read_bytes().replace(b"Brighton", "Br\u00efghton".encode("latin-1"), 1))
    with pytest.raises(DataError, match="not UTF-8"):
        read_employment_wide(copy)
