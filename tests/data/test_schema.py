import pandas as pd
import pytest

from skillcast.data.schema import DataError, observations, validate
from tests.helpers import make_panel


def good_panel() -> pd.DataFrame:
    return make_panel(
        {
            ("E08000003", "employment", "soc2020_major", "2"): [100.0, 110.0],
            ("E08000003", "employment", "all", "all"): [1000.0, 1005.0],
            ("GM_LSIP", "population", "age_band|nvq", "25-29|nvq4"): [50.0, 52.0],
        }
    )


def test_valid_panel_comes_back_canonical():
    panel = validate(good_panel())
    assert list(panel.columns) == ["area", "measure", "classification", "code", "period", "value"]
    assert panel["period"].dtype == "int64" and panel["value"].dtype == "float64"
    assert len(panel) == 6


@pytest.mark.parametrize(
    "column, value, expected",
    [
        ("value", -5, "row 1, column 'value', value -5"),
        ("value", "lots", "row 1, column 'value', value 'lots'"),
        ("classification", "soc1990", "row 1, column 'classification', value 'soc1990'"),
        ("code", "12", "row 1, column 'code', value '12'"),  # not a SOC 2020 major group
        ("measure", "jobs", "row 1, column 'measure', value 'jobs'"),
        ("period", "2011a", "row 1, column 'period', value '2011a'"),
    ],
)
def test_bad_values_are_named_by_row_column_and_value(column, value, expected):
    panel = good_panel().astype({column: object})
    panel.loc[1, column] = value
    with pytest.raises(DataError) as raised:
        validate(panel, source="input.csv")
    message = str(raised.value)
    assert message.startswith("input.csv: ") and expected in message
    assert "\n" not in message


def test_duplicates_are_rejected():
    panel = pd.concat([good_panel(), good_panel().iloc[[3]]], ignore_index=True)
    with pytest.raises(DataError, match=r"row 6: duplicate of an earlier row"):
        validate(panel)


def test_missing_column_is_named():
    with pytest.raises(DataError, match=r"missing column\(s\) \['value'\]"):
        validate(good_panel().drop(columns="value"))


def test_crossed_code_must_have_one_part_per_classification():
    panel = good_panel()
    panel.loc[4, "code"] = "25-29"
    with pytest.raises(DataError, match="expected 2 '\\|'-separated parts"):
        validate(panel)


def test_missing_values_are_allowed_but_not_text():
    panel = good_panel()
    panel.loc[0, "value"] = None
    assert validate(panel)["value"].isna().sum() == 1


def test_observations_drop_publisher_projections():
    panel = good_panel().assign(projection=[False, True] * 3)
    assert set(observations(validate(panel))["period"]) == {2010}
