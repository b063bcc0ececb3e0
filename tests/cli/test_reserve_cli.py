"""`skillcast labour-reserve` (#25) on the demo and the real data: the table, the gaps beside it, errors."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.skills.labour_reserve import RESERVE_COLUMNS
from tests.cli.test_gaps_cli import one_line_error

runner = CliRunner(env={"COLUMNS": "80"})


def test_demo_reserve_fits_80_columns_and_sets_it_against_the_gaps(tmp_path):
    out = tmp_path / "reserve.csv"
    result = runner.invoke(app, ["labour-reserve", "--demo", "--area", "DM_R1_01", "--year", "2030", "--draws", "100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "labour reserve" in result.output and "Gaps in 2030" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    table = pd.read_csv(out)
    assert list(table.columns) == RESERVE_COLUMNS and set(table["area"]) == {"DM_R1_01"}
    latest = table.set_index(["measure", "level"])
    reserve = latest.loc[("reserve", "all"), "value"]
    assert reserve == pytest.approx(latest.loc[("unemployed", "all"), "value"] + latest.loc[("inactive_wanting_job", "all"), "value"])
    assert table.groupby(["measure", "level"]).size().max() == 1, "without --history only the newest figures"
    assert latest.xs("reserve_by_level", level="measure")["value"].sum() == pytest.approx(reserve)


def test_history_writes_every_survey_year(tmp_path):
    out = tmp_path / "reserve.parquet"
    result = runner.invoke(app, ["labour-reserve", "--demo", "--area", "Ashvale", "--no-gaps", "--history", "--out", str(out)])
    assert result.exit_code == 0, result.output
    years = pd.read_parquet(out).query("measure == 'reserve'")["year"]
    assert sorted(years) == [2020, 2021, 2022, 2023, 2024] and "Gaps in" not in result.output


@pytest.mark.parametrize(
    ("arguments", "message"), [(["--area", "Atlantis"], "--area"), (["--area", "DM_R1_01", "--year", "1999"], "year: 1999 has no gaps")]
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, arguments, message):
    out = tmp_path / "reserve.csv"
    one_line_error(runner.invoke(app, ["labour-reserve", "--demo", "--draws", "50", "--out", str(out), *arguments]), message)
    assert not out.exists()


@pytest.mark.realdata
def test_real_reserve_of_leeds_and_hull_against_england(real_store, tmp_path):
    for area, code in (("Leeds", "E08000035"), ("Kingston upon Hull", "E06000010")):
        out = tmp_path / f"{code}.csv"
        result = runner.invoke(app, ["labour-reserve", "--data", str(real_store.path), "--area", area, "--no-gaps", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert f"{code}" in result.output and "2024-04/2025-03" in result.output
        assert max(len(line) for line in result.output.splitlines()) <= 80
        rows = pd.read_csv(out).set_index(["measure", "level"])
        rate, reserve = rows.loc[("inactivity_rate", "all")], rows.loc[("reserve", "all")]
        assert rate["value"] > rate["england"], "Leeds and Hull are less active than England (APS 2024/25)"
        assert rows.loc[("at_england_rates", "all"), "value"] > 0 and reserve["lo_80"] < reserve["value"] < reserve["hi_80"]
    assert 40_000 < pd.read_csv(tmp_path / "E08000035.csv").query("measure == 'reserve'")["value"].iloc[0] < 55_000
