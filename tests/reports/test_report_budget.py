"""`skillcast report --budget` and `skillcast export --budget`: what a budget buys by route and level, in the report's
"What £X buys" section and the workbook's "budget by route" sheet, with the funding's source and assumptions."""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.data.standards import ROUTE_NAMES, load_products, products_vintage

runner = CliRunner()
AREA = "DM_R1_01"
DRAWS = "200"
BUDGET = 5_000_000


def section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}">')
    return html[start : html.index("</section>", start)]


def budget_rows(html: str) -> pd.DataFrame:
    """The "What £X buys" table: route, level, the exact money, cost per start and starts, and the occupations served."""
    table = re.search(r'<table id="budget-table">.*?</table>', html, re.S)
    assert table, "no budget table"
    rows = []
    for route, level, cells in re.findall(r'<tr data-route="(\w+)" data-level="(\d+)">(.*?)</tr>', table.group(0), re.S):
        values = {column: float(value) for column, value in re.findall(r'data-column="(\w+)" data-value="([^"]*)"', cells)}
        served = re.findall(r'<span class="served" data-occupation="(\w+)">([^<]*)</span>', cells)
        name = re.search(r"<td>([^<]*)</td>", cells).group(1)
        rows.append({"route": route, "level": int(level), "name": name, **values, "served": served})
    return pd.DataFrame(rows)


def total_row(html: str) -> dict[str, float]:
    row = re.search(r'<tr id="budget-total">(.*?)</tr>', html, re.S)
    assert row, "no total row"
    return {column: float(value) for column, value in re.findall(r'data-column="(\w+)" data-value="([^"]*)"', row.group(1))}


def priority_cells(html: str) -> pd.DataFrame:
    """The priorities table's budget columns: occupation, allocation, starts (exact)."""
    table = re.search(r'<table id="priority-table">.*?</table>', html, re.S).group(0)
    rows = []
    for occupation, cells in re.findall(r'<tr data-occupation="(\w+)">(.*?)</tr>', table, re.S):
        values = {column: float(value) for column, value in re.findall(r'data-column="(\w+)" data-value="([^"]*)"', cells)}
        rows.append({"occupation": occupation, **values})
    return pd.DataFrame(rows)


def shipped_band(route: str, level: int) -> float:
    """The median funding band of every shipped product of a route at a level: the cost per start of an occupation with
    no products of its own (the demo's, which has no SOC descriptions to match products with)."""
    products = load_products()
    return float(products.loc[(products["route"] == route) & (products["level"] == level), "max_funding"].median())


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report-budget")
    with_budget, without = folder / "budget.html", folder / "plain.html"
    result = runner.invoke(app, ["report", "--demo", "--area", AREA, "--draws", DRAWS, "--budget", str(BUDGET), "--out", str(with_budget)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["report", "--demo", "--area", AREA, "--draws", DRAWS, "--out", str(without)])
    assert result.exit_code == 0, result.output
    return with_budget.read_text(), without.read_text()


def test_the_demo_report_says_what_the_budget_buys_by_route_and_level(demo_reports):
    html, _ = demo_reports
    assert '<section id="budget">' in html and "What £5,000,000 buys" in section(html, "budget")
    assert html.index('<section id="priorities">') < html.index('<section id="budget">') < html.index('<section id="accuracy">')
    rows = budget_rows(html)
    assert len(rows) > 0 and not rows.duplicated(["route", "level"]).any()
    assert set(rows["route"]) <= set(ROUTE_NAMES) and list(rows["name"]) == [ROUTE_NAMES[route] for route in rows["route"]]
    for row in rows.itertuples():
        assert row.starts == pytest.approx(row.allocation / row.cost_per_start, rel=1e-9), row
        assert row.cost_per_start == pytest.approx(shipped_band(row.route, row.level)), row  # the demo's bands: every product's
        assert 1 <= len(row.served) <= 3 and all(title.strip() for _, title in row.served), row  # codes with their titles
    order = [(list(ROUTE_NAMES).index(route), level) for route, level in zip(rows["route"], rows["level"], strict=True)]
    assert order == sorted(order)
    assert rows["allocation"].sum() == pytest.approx(BUDGET, abs=1e-3)  # every pound of the budget is spent
    total = total_row(html)
    assert total["allocation"] == pytest.approx(BUDGET, abs=1e-3) and total["starts"] == pytest.approx(rows["starts"].sum())
    assert total["cost_per_start"] == pytest.approx(BUDGET / rows["starts"].sum())


def test_the_section_names_its_funding_source_and_its_assumptions(demo_reports):
    html, _ = demo_reports
    funding = re.search(r'<p class="units" id="budget-funding">(.*?)</p>', html, re.S).group(1)
    products = load_products()
    assert "Skills England" in funding and "Open Government Licence v3.0" in funding
    assert f"records to {products_vintage(products)}" in funding and f"{len(products):,} products" in funding
    assumptions = re.search(r'<p class="units" id="budget-assumptions">(.*?)</p>', html, re.S).group(1)
    assert (
        "Assumption" in assumptions
        and "10% goes to foundation apprenticeships" in assumptions
        and "5% to apprenticeship units" in assumptions
    )
    assert "No foundation apprenticeship or apprenticeship unit is matched" in assumptions  # the demo has no SOC descriptions
    assert "Starts funded are each route" in section(html, "caveats")


def test_the_priorities_table_gains_each_occupations_budget_and_starts(demo_reports):
    html, _ = demo_reports
    assert "budget<br>(pounds)" in section(html, "priorities") and "starts<br>funded" in section(html, "priorities")
    cells = priority_cells(html)
    assert len(cells) > 0 and {"allocation", "starts"} <= set(cells.columns)
    assert (cells["allocation"] > 0).all() and (cells["starts"] > 0).all() and cells["allocation"].sum() <= BUDGET
    table = re.search(r'<table id="priority-table">.*?</table>', html, re.S).group(0)
    titles = dict(re.findall(r'<tr data-occupation="(\w+)">\s*<td class="num">\d+</td><td>\w+</td><td>([^<]*)</td>', table))
    assert set(titles) == set(cells["occupation"])
    starts = cells.set_index("occupation")["starts"]
    for row in budget_rows(html).itertuples():
        counts = []
        for code, text in row.served:
            title, count = re.fullmatch(r"\w+ (.*) \(([\d.,]+)\)", text).groups()
            counts.append(float(count.replace(",", "")))
            if code in titles:
                assert title == titles[code], (code, title)
                assert starts[code] >= counts[-1] - 0.5, (code, row)  # an occupation's starts on one route and level: part of its all
        assert counts == sorted(counts, reverse=True), row  # served most first


def test_without_a_budget_the_report_has_no_budget_section_or_columns(demo_reports):
    _, html = demo_reports
    assert '<section id="budget">' not in html and 'id="budget-table"' not in html and "What £" not in html
    assert "starts<br>funded" not in html and 'data-column="allocation"' not in html and "Starts funded are" not in html
    assert '<section id="priorities">' in html  # the priorities are still there


def test_a_costs_file_states_the_cost_per_start_and_the_route_shares(tmp_path):
    costs = tmp_path / "costs.json"
    costs.write_text(json.dumps({"level2": 7000, "routes": {"foundation": 0.2, "unit": 0.1}}))
    out = tmp_path / "report.html"
    arguments = ["report", "--demo", "--area", AREA, "--draws", DRAWS, "--budget", "2000000", "--costs", str(costs), "--out", str(out)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    rows = budget_rows(html).set_index(["route", "level"])
    assert rows.loc[("apprenticeship", 2), "cost_per_start"] == pytest.approx(7000, rel=1e-12)  # stated, instead of the band
    others = rows.drop(index=("apprenticeship", 2))
    assert all(row.cost_per_start == pytest.approx(shipped_band(route, level)) for (route, level), row in others.iterrows())
    assert rows["allocation"].sum() == pytest.approx(2_000_000, abs=1e-3)
    assumptions = re.search(r'id="budget-assumptions">(.*?)</p>', html, re.S).group(1)
    assert "20% goes to foundation" in assumptions and "10% to apprenticeship units" in assumptions and str(costs) in assumptions
    assert "level 2 £7,000" in assumptions


def test_routes_with_products_of_their_own_get_their_share_and_their_bands(demo_result, tmp_path):
    """An occupation with its own foundation apprenticeship and unit: 10% and 5% of its money go to them, at their bands."""
    from skillcast.cli.report import Spending, bundle_report
    from skillcast.reports.html import render
    from skillcast.skills.apprenticeships import BudgetAssumptions
    from skillcast.skills.funding import BAND_COLUMNS, default_bands

    bundle = demo_result.bundle
    own = bundle.priorities.loc[bundle.priorities["area"] == AREA].sort_values("rank")
    chosen = str(own.loc[own["openings"] > 0, "occupation"].iloc[0])
    extra = pd.DataFrame(
        [
            [chosen, "foundation", 2, 3000.0, 1, "FA0000 Test (£3,000)", "test band"],
            [chosen, "unit", 3, 1500.0, 1, "AU0000 Test", "test band"],
        ],
        columns=BAND_COLUMNS,
    )
    bands = pd.concat([default_bands(), extra], ignore_index=True)
    report = bundle_report(dataclasses.replace(bundle, funding=bands), AREA, spending=Spending(BUDGET, BudgetAssumptions()))
    html = render(report)
    rows = budget_rows(html).set_index(["route", "level"])
    money = priority_cells(html).set_index("occupation").loc[chosen, "allocation"]
    assert rows.loc[("foundation", 2), "allocation"] == pytest.approx(0.10 * money)
    assert rows.loc[("unit", 3), "allocation"] == pytest.approx(0.05 * money)
    assert rows.loc[("foundation", 2), "starts"] == pytest.approx(0.10 * money / 3000)
    assert rows.loc[("unit", 3), "starts"] == pytest.approx(0.05 * money / 1500)
    assert [code for code, _ in rows.loc[("foundation", 2), "served"]] == [chosen]
    assert list(rows.index.get_level_values("route")).index("foundation") > list(rows.index.get_level_values("route")).index(
        "apprenticeship"
    )
    assert rows["allocation"].sum() == pytest.approx(BUDGET, abs=1e-3)
    assert "foundation apprenticeships" in section(html, "summary")


def test_a_report_from_a_bundle_takes_a_budget(bundle_dir, tmp_path):
    out = tmp_path / "bundle.html"
    result = runner.invoke(app, ["report", "--bundle", str(bundle_dir), "--area", AREA, "--budget", str(BUDGET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = budget_rows(out.read_text())
    assert len(rows) > 0 and rows["allocation"].sum() == pytest.approx(BUDGET, abs=1e-3)
    assert all(row.starts == pytest.approx(row.allocation / row.cost_per_start) for row in rows.itertuples())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--budget", "0"], "--budget: expected a positive amount of pounds"),
        (["--budget", "-5"], "--budget: expected a positive amount of pounds"),
        (["--costs", "costs.json"], "--costs: costs per start and route shares apply to a budget"),
    ],
)
@pytest.mark.parametrize("command", ["report", "export"])
def test_a_bad_budget_is_one_line_exit_2_and_no_file(tmp_path, monkeypatch, command, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "costs.json").write_text("{}")
    out = tmp_path / ("out.html" if command == "report" else "out.xlsx")
    result = runner.invoke(app, [command, "--demo", "--area", AREA, "--out", str(out), *arguments])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error:") and message in lines[-1], result.output
    assert not out.exists()


def sheet(book, name: str) -> pd.DataFrame:
    values = list(book[name].values)
    width = len(values[0])
    return pd.DataFrame([list(row) + [None] * (width - len(row)) for row in values[1:]], columns=values[0])


def test_the_workbook_has_a_budget_by_route_sheet_with_units(tmp_path):
    out = tmp_path / "budget.xlsx"
    result = runner.invoke(app, ["export", "--demo", "--area", "all", "--draws", DRAWS, "--budget", str(BUDGET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out, read_only=True)
    assert book.sheetnames.index("priorities") + 1 == book.sheetnames.index("budget by route")
    bought = sheet(book, "budget by route")
    for title in ("area code", "SOC 2020 code", "occupation", "route name", "RQF level of the products", "allocation (pounds)"):
        assert title in bought.columns, title
    starts = next(column for column in bought.columns if column.startswith("starts funded"))
    assert "(starts" in starts and "cost per start (pounds)" in bought.columns
    assert len(bought) > 0 and set(bought["route (apprenticeship / foundation / unit)"]) <= set(ROUTE_NAMES)
    assert (bought[starts] - bought["allocation (pounds)"] / bought["cost per start (pounds)"]).abs().max() < 1e-6
    spent = bought.groupby("area code")["allocation (pounds)"].sum()
    assert len(spent) > 1 and (spent - BUDGET).abs().max() < 1e-3  # each area is given the whole budget
    assert (bought["occupation"].astype(str).str.len() > 0).all()

    ranked = sheet(book, "priorities")
    for title in ("starts funded: apprenticeships (starts)", "starts funded: foundation apprenticeships (starts)", "allocation (pounds)"):
        assert title in ranked.columns, title
    per_occupation = bought.groupby(["area code", "SOC 2020 code"])[starts].sum()
    table = ranked.set_index(["area code", "SOC 2020 code"])[starts]
    table = table.loc[table > 0]
    assert len(table) > 0 and (per_occupation.reindex(table.index) - table).abs().max() < 1e-6
    about = dict(sheet(book, "about").itertuples(index=False, name=None))
    assert "£5,000,000 for each area" in about["budget"] and "Open Government Licence v3.0" in about["budget by route"]
    assert "Assumption" in about["assumptions"]


def test_the_workbook_from_a_bundle_has_the_budget_sheet(bundle_dir, tmp_path):
    out = tmp_path / "bundle.xlsx"
    result = runner.invoke(app, ["export", "--bundle", str(bundle_dir), "--area", AREA, "--budget", str(BUDGET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    bought = sheet(load_workbook(out, read_only=True), "budget by route")
    assert set(bought["area code"]) == {AREA} and bought["allocation (pounds)"].sum() == pytest.approx(BUDGET, abs=1e-3)
