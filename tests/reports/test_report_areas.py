"""Reports and workbooks of every council's area (#15): by name, naming the basis, warning where the data disagree."""

from openpyxl import load_workbook
from typer.testing import CliRunner

from skillcast.cli.main import app

runner = CliRunner()


def test_a_district_report_names_its_basis_and_imbalance(real_bundle_dir, tmp_path):
    out = tmp_path / "leeds.html"
    result = runner.invoke(app, ["report", "--bundle", str(real_bundle_dir), "--area", "Leeds", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Skills supply and demand: Leeds" in html and "E08000035" in html
    assert 'id="gap-basis"' in html and "<strong>workplace</strong>" in html and "imbalance<br>(points)" in html
    assert 'id="area-notes"' not in html  # nothing to warn about in Leeds


def test_a_repaired_area_report_and_workbook_carry_the_warning(real_bundle_dir, tmp_path):
    out = tmp_path / "em3.html"
    result = runner.invoke(app, ["report", "--bundle", str(real_bundle_dir), "--area", "Enterprise M3 LSIP", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text()
    # Enterprise M3 fails the check as published and is repaired (#23): its report and workbook say so
    assert 'id="area-notes"' in html and "do not cover the same places" in html and "repaired: jobs taken from" in html
    book = tmp_path / "em3.xlsx"
    result = runner.invoke(app, ["export", "--bundle", str(real_bundle_dir), "--area", "E69000009", "--out", str(book)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(book, read_only=True)
    about = [" ".join(str(cell) for cell in row if cell is not None) for row in workbook["about"].iter_rows(values_only=True)]
    assert any("repaired: jobs taken from" in line for line in about)
    header = [cell for cell in next(workbook["gaps"].iter_rows(values_only=True))]
    assert any("WARNING" in str(cell) for cell in header) and any("gap basis" in str(cell) for cell in header)
