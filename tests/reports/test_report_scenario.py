"""A scenario in the report and the workbook (#25): echoed as given, its effect on each gap with a range."""

import pandas as pd
from openpyxl import load_workbook
from typer.testing import CliRunner

from skillcast.cli.main import app

runner = CliRunner()
SCENARIO = """
name = "keep graduates"
description = "20,000 more graduates a year stay"
[[retention]]
level = "level4plus"
people_per_year = 20000
from_year = 2026
"""


def test_the_report_sets_a_scenario_against_the_baseline(tmp_path):
    plan = tmp_path / "graduates.toml"
    plan.write_text(SCENARIO)
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--demo", "--area", "DM_R1_01", "--draws", "200", "--scenario", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    section = html[html.index('<section id="scenario">') : html.index("</section>", html.index('<section id="scenario">'))]
    assert "keep graduates" in section and "people_per_year = 20000" in section and "common random numbers" in section
    high = section[section.index('data-band="high" data-year="2030"') :]
    effect = float(high.split('data-column="effect" data-value="')[1].split('"')[0])
    assert effect < -50_000, "20,000 graduates a year from 2026 narrow the high band's gap by 2030"
    low = section[section.index('data-band="low" data-year="2030"') :]
    assert abs(float(low.split('data-column="effect" data-value="')[1].split('"')[0])) < 1


def test_the_workbook_names_the_scenario_and_echoes_its_inputs(tmp_path):
    plan = tmp_path / "graduates.toml"
    plan.write_text(SCENARIO)
    out = tmp_path / "book.xlsx"
    result = runner.invoke(app, ["export", "--demo", "--area", "DM_R1_01", "--draws", "200", "--scenario", str(plan), "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert {"scenario inputs", "scenario keep graduates"} <= set(book.sheetnames)
    values = list(book["scenario inputs"].values)
    inputs = pd.DataFrame(values[1:], columns=values[0])
    assert ("retention", "people_per_year", "20000.0") in set(inputs[["lever", "setting", "as given"]].itertuples(index=False, name=None))
    values = list(book["scenario keep graduates"].values)
    effects = pd.DataFrame(values[1:], columns=values[0])
    row = effects.loc[(effects["qualification band"] == "high") & (effects["year"] == 2035)].iloc[0]
    assert row["effect: scenario - baseline gap (people)"] < 0
    assert (
        row["effect 80% range: low (people)"] <= row["effect: scenario - baseline gap (people)"] <= row["effect 80% range: high (people)"]
    )


def test_a_bad_scenario_file_is_one_line_and_writes_nothing(tmp_path):
    plan = tmp_path / "bad.toml"
    plan.write_text('name = "x"\n[activity]\ninactivity_rate = 1.5\n')
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--demo", "--area", "DM_R1_01", "--scenario", str(plan), "--out", str(out)])
    assert result.exit_code == 2 and "activity.inactivity_rate" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_a_report_from_a_bundle_compares_the_area_with_its_parents_and_neighbours(bundle_dir, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--bundle", str(bundle_dir), "--area", "DM_R1_01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    section = html[html.index('<section id="compare">') : html.index("</section>", html.index('<section id="compare">'))]
    assert section.count('data-role="this area"') == 1 and 'data-area="DM_R1" data-role="parent"' in section
    assert section.count('data-role="statistical neighbour"') == 5 and 'data-area="DM_EN" data-role="parent"' in section
    labour = html[html.index('<section id="labour-reserve">') :]
    assert "labour reserve" in labour and 'id="reserve-fill"' in labour
