"""`skillcast report`: the area report's structure, its numbers against `skillcast gaps`, self-containment, PDF, real data."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.reports.content import thousands

runner = CliRunner()
AREA = "DM_R1_01"
DRAWS = "200"
SECTIONS = ("summary", "demand-supply", "gap", "priorities", "accuracy", "sources", "caveats", "all-years")
EXTERNAL = re.compile(
    r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I
)


def one_line_error(result, text: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error:") and text in lines[-1], result.output
    assert "Traceback" not in result.output


def table_cells(html: str, table_id: str) -> pd.DataFrame:
    """Rows of a report table: band, year, column, the exact value (data-value) and the text shown."""
    body = re.search(rf'<table id="{table_id}".*?</table>', html, re.S)
    assert body, f"no table {table_id}"
    rows = []
    for band, year, cells in re.findall(r'<tr class="\w+" data-band="(\w+)" data-year="(\d+)">(.*?)</tr>', body.group(0), re.S):
        for column, value, text in re.findall(r'data-column="(\w+)" data-value="([^"]*)">(?:<strong>)?([^<]*)<', cells):
            rows.append({"band": band, "year": int(year), "column": column, "value": float(value), "text": text})
    return pd.DataFrame(rows)


def check_numbers_match(html: str, gaps: pd.DataFrame, area: str) -> int:
    """Every number in the report's gap tables equals the gaps table (exactly) and is shown rounded; returns cells checked."""
    expected = gaps.loc[gaps["area"] == area].set_index(["band", "year"])
    checked = 0
    for table_id in ("gap-table", "gap-table-all"):
        cells = table_cells(html, table_id)
        assert len(cells) > 0
        for row in cells.itertuples():
            truth = float(expected.loc[(row.band, row.year), row.column])
            assert row.value == pytest.approx(truth, rel=1e-12, abs=1e-6), (table_id, row)
            signed = row.column.startswith("gap")
            assert row.text == thousands(truth, signed=signed), (table_id, row)
            checked += 1
    shown = table_cells(html, "gap-table-all")
    bands = ("low", "intermediate", "high")
    assert set(zip(shown["band"], shown["year"], strict=True)) == {
        (band, year) for band, year in expected.index if band in bands
    }  # every year
    return checked


def check_self_contained(html: str) -> None:
    assert not EXTERNAL.findall(html), EXTERNAL.findall(html)[:5]
    assert "<script" not in html.lower() and "<link" not in html.lower() and "<img" not in html.lower()


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report-demo")
    out, gaps = folder / "report.html", folder / "gaps.csv"
    result = runner.invoke(app, ["report", "--demo", "--area", AREA, "--draws", DRAWS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output.replace("\n", "")
    made = runner.invoke(app, ["gaps", "--demo", "--area", AREA, "--draws", DRAWS, "--out", str(gaps)])
    assert made.exit_code == 0, made.output
    return out, pd.read_csv(gaps)


def test_demo_report_has_its_sections_and_charts_and_says_synthetic(demo_files):
    out, _ = demo_files
    html = out.read_text()
    for section in SECTIONS:
        assert f'<section id="{section}"' in html, section
    charts = re.findall(r'<svg class="chart"[^>]*data-chart="([\w-]+)"', html)
    assert charts == ["band-low", "band-intermediate", "band-high", "gap", "priorities"]
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        assert 1_000 < len(svg) < 150_000  # drawn, and kept small
        assert "SYNTHETIC" in svg  # every chart carries the watermark on demo data
    assert "jobs and people" in html and "thousands of people" in html  # titles and units survive as text
    assert 'id="synthetic-warning"' in html and "@media print" in html
    assert len(re.findall(r'<tr data-occupation="', html)) >= 3
    assert '<table id="shortage-heatmap" class="heat">' in html  # the demo has no indicators: cells read "-"
    assert re.search(r'<tr data-model="naive"', html) and re.search(r'<tr data-model="skillcast \(', html)
    check_self_contained(html)


def test_years_after_the_data_up_to_today_are_nowcasts_in_the_report(demo_files):
    """The demo is observed to 2024 and Config.nowcast_until is 2026: 2025 and 2026 say nowcast, 2027 on forecast."""
    html = demo_files[0].read_text()
    table = re.search(r'<table id="gap-table-all".*?</table>', html, re.S).group(0)
    basis = {int(year): label for label, year in re.findall(r'<tr class="(\w+)" data-band="\w+" data-year="(\d+)"', table)}
    assert {year for year, label in basis.items() if label == "nowcast"} == {2025, 2026}
    assert basis[2024] == "observed" and basis[2027] == "forecast"
    assert "Years marked nowcast have already happened" in html


def test_demo_report_numbers_are_those_of_skillcast_gaps(demo_files):
    out, gaps = demo_files
    assert check_numbers_match(out.read_text(), gaps, AREA) > 100


def test_the_headline_agrees_with_the_gaps_table(demo_files):
    out, gaps = demo_files
    html = out.read_text()
    row = gaps.loc[(gaps["area"] == AREA) & (gaps["band"] == "high") & (gaps["year"] == 2030)].iloc[0]
    sentence = re.search(r"<li>High qualifications \(level 4 and above\), 2030: (.*?)</li>", html).group(1)
    if row.gap_lo_80 > 0:
        assert "shortage is likely" in sentence
    elif row.gap_hi_80 < 0:
        assert "surplus is likely" in sentence
    else:
        assert "no clear shortage or surplus" in sentence


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["report", "--demo", "--area", "Ashvale Town"], "did you mean: DM_R1_01"),
        (["report", "--demo", "--area", "all"], "one area at a time"),
        (["report", "--demo", "--area", AREA, "--out", "report.txt"], "should end in .html or .pdf"),
        (["report", "--demo", "--area", AREA, "--out", "report.html", "--format", "pdf"], "does not match --format pdf"),
        (["report", "--demo", "--area", AREA, "--format", "docx"], "expected html or pdf"),
        (["report", "--demo", "--bundle", "b", "--area", AREA], "choose one source"),
        (["report", "--data", "no-such-store", "--area", "GM_LSIP"], "no skillcast data store here"),
        (["report", "--bundle", "no-such-bundle", "--area", "DM_EN"], "not a forecast bundle"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    one_line_error(runner.invoke(app, arguments), message)
    assert list(tmp_path.iterdir()) == [], "no file, not even a temp file"


def test_pdf_without_chromium_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLCAST_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "report.pdf"
    one_line_error(runner.invoke(app, ["report", "--demo", "--area", AREA, "--out", str(out)]), "needs Chromium")
    assert not out.exists()


@pytest.mark.slow
def test_make_demo_writes_a_report_with_the_numbers_of_its_gaps_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("SKILLCAST_HOME", str(tmp_path / "home"))
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--no-track"])
    assert result.exit_code == 0, result.output
    report = out / "report.html"
    assert f"report: {report}" in result.output.replace("\n", "")
    html = report.read_text()
    assert check_numbers_match(html, pd.read_csv(out / "gaps.csv"), "DM_EN") > 100  # the demo's own numbers
    assert 'id="synthetic-warning"' in html and len(re.findall(r'<svg class="chart"', html)) == 5
    check_self_contained(html)


# -- from a bundle (what the service holds) ---------------------------------------------------------


def test_report_from_a_bundle_shows_the_bundles_gaps(bundle_dir, tmp_path):
    out = tmp_path / "bundle.html"
    result = runner.invoke(app, ["report", "--bundle", str(bundle_dir), "--area", "dm_en", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    gaps = pd.read_parquet(bundle_dir / "gaps.parquet")
    assert check_numbers_match(html, gaps, "DM_EN") > 100
    assert len(re.findall(r'<svg class="chart"', html)) >= 4 and "SYNTHETIC" in html
    check_self_contained(html)
    one_line_error(
        runner.invoke(app, ["report", "--bundle", str(bundle_dir), "--area", "Ashvale Town", "--out", str(tmp_path / "x.html")]),
        "did you mean: DM_R1_01",
    )


def test_charts_work_from_plain_frames_and_pick_units():
    from skillcast.reports.charts import band_chart, gap_chart, unit_for

    years = np.arange(2015, 2031)
    basis = np.where(years <= 2020, "observed", "forecast")
    demand = pd.DataFrame({"band": "high", "year": years, "demand": np.linspace(40_000, 60_000, len(years)), "basis": basis})
    supply = pd.DataFrame(
        {
            "band": "high",
            "year": years,
            "supply": np.linspace(45_000, 55_000, len(years)),
            "basis": np.where(years <= 2021, "observed", "projected"),
        }
    )
    svg = band_chart(demand, supply, "high", area_name="Testshire", band_label="High", source="Source: test", last_observed=2020)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "Testshire" in svg and "thousands of people" in svg
    assert "SYNTHETIC" not in svg and 'width="' not in svg.split(">", 1)[0]
    gaps = demand.assign(gap=demand["demand"] - supply["supply"], gap_lo_80=np.nan, gap_hi_80=np.nan, gap_lo_95=np.nan, gap_hi_95=np.nan)
    assert "Skills gap" in gap_chart(gaps, area_name="Testshire", source="s", bands=("high",), synthetic=True)
    assert unit_for([1.5e7]) == (1e6, "millions") and unit_for([90_000]) == (1e3, "thousands") and unit_for([900]) == (1.0, "")


# -- PDF and the browser -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium():
    from skillcast.reports.html import CHROMIUM, has_chromium

    if not has_chromium():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium) or playwright missing"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def test_pdf_report_and_the_page_fetches_nothing(chromium, bundle_dir, demo_files, tmp_path):
    from skillcast.reports.html import screenshot

    out = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", "--bundle", str(bundle_dir), "--area", "DM_EN", "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000 and data.count(b"/Type /Page") >= 3
    assert [path.name for path in tmp_path.iterdir()] == ["report.pdf"]
    html, _ = demo_files
    shot = tmp_path / "report.png"
    assert screenshot(html.read_text(), shot) == [], "the report tried to fetch something"
    assert shot.stat().st_size > 50_000


# -- real data -----------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_real_lsip_report_has_charts_and_the_numbers_of_its_gaps_table(real_store, tmp_path):
    out, gaps = tmp_path / "gm.html", tmp_path / "gm.csv"
    result = runner.invoke(app, ["report", "--data", str(real_store.path), "--area", "GM_LSIP", "--draws", "300", "--out", str(out)])
    assert result.exit_code == 0, result.output
    made = runner.invoke(app, ["gaps", "--data", str(real_store.path), "--area", "GM_LSIP", "--draws", "300", "--out", str(gaps)])
    assert made.exit_code == 0, made.output
    html = out.read_text()
    table = pd.read_csv(gaps)
    assert check_numbers_match(html, table, "E69000014") > 100
    assert "Greater Manchester" in html and "SYNTHETIC" not in html
    charts = re.findall(r'<svg class="chart"[^>]*data-chart="([\w-]+)"', html)
    assert charts == ["band-low", "band-intermediate", "band-high", "gap", "priorities"]
    assert html.count("Skills Imperative 2035") >= 3  # the publisher's projection drawn in each band chart
    for section in SECTIONS:
        assert f'<section id="{section}"' in html, section
    sources = re.search(r'<table id="source-table".*?</table>', html, re.S).group(0)
    assert "si2035" in sources and "aps-qualifications" in sources and "2024-08" in sources
    # the first page names each source's last observed period (the data vintage)
    vintage = re.search(r'<p class="meta" id="data-vintage">(.*?)</p>', html, re.S).group(1)
    assert "Skills Imperative 2035" in vintage and "to 2020" in vintage
    assert "the national labour market" in vintage and "to Oct-Dec 2025" in vintage and "2024-04/2025-03" in vintage
    windows = [
        int(n)
        for n in re.findall(r'<td class="num">(\d+)</td></tr>', re.search(r'<table id="accuracy-table".*?</table>', html, re.S).group(0))
    ]
    assert windows and min(windows) >= 4 * 8  # 8 band and level series x 4 origins at least
    accuracy = re.search(r'<table id="accuracy-table".*?</table>', html, re.S).group(0)
    production = re.search(r'<tr data-model="skillcast \(.*?</tr>', accuracy, re.S).group(0)
    mase, coverage_80, coverage_95, direction, faster, mape = (float(value) for value in re.findall(r'data-value="([^"]+)"', production))
    assert all(0 < value < 1 for value in (coverage_80, coverage_95, direction, faster)) and mase > 0 and mape > 0
    assert "occupation groups, 4 years ahead, it said rightly whether jobs would grow or shrink" in html
    gap_rows = re.search(r'<table id="gap-table-all".*?</table>', html, re.S).group(0)
    nowcast = {int(year) for year in re.findall(r'<tr class="nowcast" data-band="\w+" data-year="(\d+)"', gap_rows)}
    assert nowcast == set(range(2021, 2027)), "SI2035 is observed to 2020; 'today' is 2026"
    assert len(re.findall(r'<tr data-occupation="', html)) == 10
    heat = re.search(r'<table id="shortage-heatmap".*?</table>', html, re.S).group(0)
    assert len(re.findall(r"<tr data-heat-occupation=", heat)) >= 20  # occupations x indicators
    assert "vs England (LQ)" in heat and "skill-shortage vacancies" in heat
    # readable in print: high / low cells carry a marker, not colour alone
    for level, marker in (("high", "\u25b2"), ("low", "\u25bc")):
        cells = re.findall(rf'<td class="num {level}">([^<]*)</td>', heat)
        assert cells and all(cell.startswith(marker) for cell in cells)
    assert "% of score" not in html and "shortage rating" in html
    check_self_contained(html)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_export_of_one_lsip(real_store, tmp_path):
    from openpyxl import load_workbook

    def rows(sheet) -> pd.DataFrame:
        values = list(sheet.values)
        return pd.DataFrame(values[1:], columns=values[0])

    out = tmp_path / "gm.xlsx"
    result = runner.invoke(app, ["export", "--data", str(real_store.path), "--area", "GM_LSIP", "--draws", "200", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    gaps = rows(book["gaps"])
    assert set(gaps["area code"]) == {"E69000014"} and gaps["publisher's projection, SI2035 (jobs)"].notna().any()
    sources = rows(book["sources"])
    assert {"si2035", "aps-qualifications"} <= set(sources["source"])
    assert len(rows(book["priorities"])) == 26
