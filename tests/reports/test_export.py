"""`skillcast export`: the workbook's sheets, headers, frozen rows, numbers, atomic writes; and the frames API a service uses."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from skillcast.cli.main import app

runner = CliRunner()
SHEETS = ["about", "forecasts", "gaps", "priorities", "shortages", "labour reserve", "backtest", "sources"]


def headers(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def rows(sheet) -> pd.DataFrame:
    values = list(sheet.values)
    return pd.DataFrame(values[1:], columns=values[0])


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export-demo")
    out, gaps = folder / "all.xlsx", folder / "gaps.csv"
    result = runner.invoke(app, ["export", "--demo", "--area", "all", "--draws", "200", "--out", str(out)])
    assert result.exit_code == 0, result.output
    made = runner.invoke(app, ["gaps", "--demo", "--area", "DM_R1_01", "--draws", "200", "--out", str(gaps)])
    assert made.exit_code == 0, made.output
    return out, pd.read_csv(gaps)


def test_every_table_is_a_sheet_with_a_bold_frozen_header_and_units(demo_export):
    out, _ = demo_export
    book = load_workbook(out)
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet["A1"].font.b, name
        assert sheet.max_row > 1, name
    gaps = headers(book["gaps"])
    for title in (
        "area code",
        "area name",
        "qualification band",
        "year",
        "demand (jobs)",
        "supply (people 16-64, on the gap basis)",
        "gap (people; + = shortage)",
        "gap 80% range: low (people)",
        "gap 95% range: high (people)",
    ):
        assert title in gaps, title
    assert gaps[:2] == ["area code", "area name"]
    assert "value (jobs for demand, people for supply)" in headers(book["forecasts"])
    assert "MASE (lower is better)" in headers(book["backtest"]) and "jobs to fill, held at RQF 2-5 (jobs)" in headers(book["priorities"])
    assert "location quotient of need (x England)" in headers(book["priorities"]) and "% of score" not in " ".join(
        headers(book["priorities"])
    )
    assert {"shortage rating", "shortage drivers", "area vacancies per job (x England, ESS 2019)"} <= set(headers(book["shortages"]))
    reserve = rows(book["labour reserve"])
    assert {"figure (people; rates as shares of 1; trend: share points a year)", "England's rate (rate measures)"} <= set(reserve.columns)
    assert {"reserve", "inactivity_rate", "gap_vs_reserve"} <= set(reserve["measure"]) and reserve["area code"].nunique() == 15
    assert book["gaps"].column_dimensions["F"].width > 8
    about = dict(rows(book["about"]).itertuples(index=False, name=None))
    assert "SYNTHETIC" in about["WARNING"] and "positive gap is a shortage" in about["sign"]


def test_all_means_every_area_and_values_round_trip_as_numbers(demo_export):
    out, expected = demo_export
    book = load_workbook(out)
    gaps = rows(book["gaps"])
    from skillcast.data.demo import demo_panel
    from skillcast.pipeline import demo_inputs

    assert set(gaps["area code"]) == set(demo_inputs(*demo_panel()).gap_inputs().areas)
    mine = gaps.loc[gaps["area code"] == "DM_R1_01"].set_index(["qualification band", "year"])
    truth = expected.set_index(["band", "year"])
    assert len(mine) == len(truth)
    for column, title in (
        ("gap", "gap (people; + = shortage)"),
        ("gap_lo_80", "gap 80% range: low (people)"),
        ("supply", "supply (people 16-64, on the gap basis)"),
    ):
        for key, value in truth[column].items():
            cell = mine.loc[key, title]
            assert isinstance(cell, float | int) and cell == pytest.approx(value, rel=1e-12), (key, column)
    sheet = book["gaps"]
    assert sheet.cell(row=2, column=headers(sheet).index("demand (jobs)") + 1).number_format == "#,##0"
    backtest = rows(book["backtest"])
    assert {"naive"} < set(backtest["model"]) and (backtest["forecast windows (series x origins)"] > 0).all()
    assert set(backtest["area code"]) == set(gaps["area code"])


def test_the_workbook_says_nowcast_for_years_after_the_data_up_to_today(demo_export, demo_result):
    """Demo data end in 2024, Config.nowcast_until is 2026: both the store path (export --demo) and a bundle's frames say so."""
    book = load_workbook(demo_export[0])
    forecasts, gaps = rows(book["forecasts"]), rows(book["gaps"])
    basis = "basis (observed / nowcast / forecast)"
    for sheet in (forecasts, gaps):
        assert set(sheet.loc[sheet[basis] == "nowcast", "year"]) == {2025, 2026}
        assert sheet.loc[sheet[basis] == "forecast", "year"].min() == 2027
    assert "occupations (SOC sub-majors): direction right at the last horizon" in headers(book["backtest"])
    from skillcast.reports.sheets import bundle_frames

    bundle = demo_result.bundle
    sheets = bundle_frames(bundle.forecasts, bundle.gaps, bundle.names(), metadata=bundle.metadata)
    assert set(sheets["forecasts"].loc[sheets["forecasts"]["basis"] == "nowcast", "year"]) == {2025, 2026}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["export", "--demo", "--area", "Ashvale Town", "--out", "x.xlsx"], "did you mean: DM_R1_01"),
        (["export", "--demo", "--area", "all", "--out", "x.csv"], "should end in .xlsx"),
        (["export", "--demo", "--data", "store", "--out", "x.xlsx"], "--demo and --data"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and message in lines[-1] and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    from skillcast.reports.workbook import write_workbook

    out = tmp_path / "book.xlsx"
    out.write_bytes(b"previous")

    class HalfWritten:
        def save(self, filename):
            with open(filename, "wb") as handle:
                handle.write(b"PK\x03\x04 half a workbook")
            raise OSError("disk full")

    monkeypatch.setattr("skillcast.reports.workbook.build_workbook", lambda sheets, about=(): HalfWritten())
    with pytest.raises(OSError):
        write_workbook(out, {"gaps": pd.DataFrame({"gap": [1.0]})})
    assert out.read_bytes() == b"previous" and [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_a_service_can_build_the_workbook_from_a_bundles_frames(demo_result):
    """What /ui will do: a bundle's frames in, the spreadsheet bytes out (no store, no CLI)."""
    from skillcast.reports.content import from_bundle
    from skillcast.reports.sheets import about_rows, bundle_frames, export_frames
    from skillcast.reports.workbook import workbook_bytes

    bundle = demo_result.bundle
    names = {code: bundle.geography.name(code) for code in bundle.gaps["area"].unique()}
    sheets = bundle_frames(bundle.forecasts, bundle.gaps, names, priorities=bundle.priorities, metadata=bundle.metadata, areas=["DM_R2_03"])
    book = load_workbook(io.BytesIO(workbook_bytes(sheets, about_rows(True, ["DM_R2_03"], "m", "now", []))))
    assert book.sheetnames == SHEETS
    gaps = rows(book["gaps"])
    assert set(gaps["area code"]) == {"DM_R2_03"} and "year" in headers(book["forecasts"])
    expected = bundle.gaps.loc[bundle.gaps["area"] == "DM_R2_03", "gap"].sum()
    assert gaps["gap (people; + = shortage)"].sum() == pytest.approx(expected)

    report = from_bundle(
        "DM_R2_03", bundle.forecasts, bundle.gaps, name=names["DM_R2_03"], priorities=bundle.priorities, metadata=bundle.metadata
    )
    one = load_workbook(io.BytesIO(workbook_bytes(export_frames(report))))
    forecasts = rows(one["forecasts"])
    assert set(forecasts["side"]) == {"demand (jobs)", "supply (people)"} and forecasts["area name"].eq(names["DM_R2_03"]).all()


def test_an_areas_workbook_ranks_it_as_skillcast_priorities_does(tmp_path):
    """The report's and workbook's analysis holds England too, so the location quotient of need (and the order it
    moves) is the one `skillcast priorities` gives for the same area, draws and seed."""
    out, ranked = tmp_path / "one.xlsx", tmp_path / "priorities.csv"
    made = runner.invoke(app, ["export", "--demo", "--area", "DM_R2_03", "--draws", "100", "--out", str(out)])
    assert made.exit_code == 0, made.output
    cli = runner.invoke(app, ["priorities", "--demo", "--area", "DM_R2_03", "--draws", "100", "--out", str(ranked)])
    assert cli.exit_code == 0, cli.output
    sheet = rows(load_workbook(out)["priorities"]).set_index("SOC 2020 code")
    expected = pd.read_csv(ranked, dtype={"occupation": str}).set_index("occupation")
    lq = sheet["location quotient of need (x England)"]
    assert lq.notna().sum() >= 5, "England is in the analysis: the quotient is known"
    for occupation, value in expected["need_lq"].dropna().items():
        assert lq[str(occupation)] == pytest.approx(value, rel=1e-9), occupation
    assert [str(code) for code in sheet.sort_values("rank").index] == list(expected.sort_values("rank").index)
