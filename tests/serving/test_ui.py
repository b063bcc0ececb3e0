"""The /ui page in a real headless Chromium (Debian's, driven by Playwright) against a real
`skillcast serve` on 127.0.0.1: the page a user sees, not just the HTML it is made of."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.helpers import free_port, running_server, serve_command

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / ".skillcast" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing under CI=true: .ci/run installs Debian's chromium for this test")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); the browser test needs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def serve_with_a_key(bundle: Path, keys_folder: Path):
    """`skillcast serve` of ``bundle`` on a free port with one browser key: yields (base URL, key)."""
    from skillcast.api.keys import create_key

    keys_file = keys_folder / "keys.json"
    key = create_key(keys_file, "browser-test")
    port = free_port()
    command = serve_command(port, "--bundle", str(bundle), "--api-keys-file", str(keys_file))
    base = f"http://127.0.0.1:{port}"
    with running_server(command, f"{base}/readyz", cwd=REPO):
        yield base, key


@pytest.fixture(scope="module")
def served(bundle_dir, tmp_path_factory):
    yield from serve_with_a_key(bundle_dir, tmp_path_factory.mktemp("ui-keys"))


@pytest.mark.slow
def test_the_page_shows_an_areas_charts_and_priorities_and_downloads_the_spreadsheet(browser, served, demo_result, tmp_path):
    base, key = served
    page = browser.new_page(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    failed_requests = []
    page.on("requestfailed", lambda request: failed_requests.append(request.url))
    page.goto(f"{base}/ui/")
    page.fill("#api-key", key)
    page.click("#key-form button")
    page.wait_for_selector("#priorities tbody tr", timeout=30_000)
    page.select_option("#area", "DM_R1_01")
    expect(page.locator("#area-title")).to_contain_text("DM_R1_01", timeout=30_000)  # no string eval: the page's CSP forbids it
    page.wait_for_selector("#priorities tbody tr")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "ui-DM_R1_01.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000

    assert "Ashvale" in page.text_content("#area-title")
    assert page.is_visible("#synthetic-note")
    assert page.locator("#supply-demand svg").count() == 3 and page.locator("#gap-chart svg").count() == 3
    assert page.locator("#gap-chart polygon").count() == 6  # an 80% and a 95% band per chart
    ranked = demo_result.bundle.priorities.query("area == 'DM_R1_01'").sort_values("rank")
    first_row = page.locator("#priorities tbody tr").first.text_content()
    assert ranked.iloc[0]["title"] in first_row
    shown = ranked.head(10).query("openings > 0")  # the page leaves out occupations with nothing to fill, and says so
    assert page.locator("#priorities tbody tr").count() == len(shown)
    if len(shown) < min(10, len(ranked)):
        assert "not shown" in page.text_content("#zero-note")
    rated = demo_result.bundle.shortages.query("area == 'DM_R1_01'")
    assert page.locator("#shortages tbody tr").count() == len(rated) > 0
    assert page.locator("#shortages tbody td.rating").first.text_content() in ("shortage", "recruitment difficulty", "no shortage")
    reserve = demo_result.bundle.labour_reserve.query("area == 'DM_R1_01' and measure == 'reserve'").sort_values("year")
    assert page.locator("#reserve tbody tr").count() >= 8 and page.is_visible("#reserve-fill")
    assert f"{reserve['value'].iloc[-1] / 1e3:.0f}k" in page.text_content("#reserve")
    assert page.locator("#reserve-fill tbody tr").count() == 3 and "want a job" in page.text_content("#reserve-assumptions")

    page.wait_for_selector("#compare tbody tr")
    roles = page.locator("#compare td.role").all_text_contents()
    assert roles[0] == "this area" and "parent" in roles and sum(role.startswith("statistical neighbour") for role in roles) == 5
    page.fill("#compare-with", "DM_R2")  # the other region: neither parent nor neighbour
    page.click("#compare-form button")
    expect(page.locator("#compare tbody tr").last).to_contain_text("(DM_R2)")
    assert "standardised" in page.text_content("#compare-method")

    page.fill("#scenario-name", "keep graduates")
    page.select_option("#scenario-lever", "retention")
    page.select_option("#scenario-level", "level4plus")
    page.fill("#scenario-people", "20000")
    page.fill("#scenario-from", "2026")
    page.click("#scenario-form button")
    expect(page.locator("#scenario-status")).to_contain_text("against the baseline", timeout=60_000)
    effects = page.locator("#scenario-table tbody tr")
    assert effects.count() == 6  # three bands, 2030 and 2035
    high = [effects.nth(index) for index in range(6) if "High" in effects.nth(index).text_content()]
    assert len(high) == 2 and all(row.locator("td.effect").text_content().startswith("-") for row in high)  # more graduates: less short
    assert '"people_per_year":20000' in page.text_content("#scenario-echo") and "keep graduates" in page.text_content("#scenario-echo")

    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    workbook_path = tmp_path / "download.xlsx"
    download_info.value.save_as(workbook_path)
    from openpyxl import load_workbook

    workbook = load_workbook(workbook_path, read_only=True)
    assert "gaps" in workbook.sheetnames and "priorities" in workbook.sheetnames and "labour reserve" in workbook.sheetnames
    assert not failed_requests, failed_requests


def pounds_or_count(text: str) -> float:
    """A number as the page shows it: '£2,426,128', '9,000', '4.5'."""
    return float(text.strip().removeprefix("\u00a3").replace(",", ""))


@pytest.mark.slow
def test_a_budget_shows_what_it_buys_by_route_with_its_funding_source(browser, served, demo_result):
    import httpx
    import pandas as pd

    from skillcast.data.standards import ROUTE_NAMES, load_products, products_vintage

    base, key = served
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(f"{base}/ui/")
    page.fill("#api-key", key)
    page.click("#key-form button")
    page.wait_for_selector("#priorities tbody tr", timeout=30_000)
    page.select_option("#area", "DM_R1_01")
    expect(page.locator("#area-title")).to_contain_text("DM_R1_01", timeout=30_000)
    assert page.is_hidden("#budget-result") and page.is_hidden("#priorities th.budget-column >> nth=0")
    page.fill("#budget", "5000000")
    page.click("#budget-form button")
    page.wait_for_selector("#purchases tbody tr[data-route]", timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ui-budget-DM_R1_01.png"), full_page=True)

    answer = httpx.post(
        f"{base}/priorities", json={"area": "DM_R1_01", "budget": 5000000}, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ).json()
    bought = pd.DataFrame(answer["purchases"])
    groups = bought.groupby(["route", "level"]).agg(allocation=("allocation", "sum"), starts=("starts", "sum"))
    rows = page.locator("#purchases tbody tr[data-route]")
    assert rows.count() == len(groups) > 0  # one row per route and level the budget buys
    shown = []
    for index in range(rows.count()):
        row = rows.nth(index)
        route, level = row.get_attribute("data-route"), int(row.get_attribute("data-level"))
        money, per_start = (
            pounds_or_count(row.locator("td.money").text_content()),
            pounds_or_count(row.locator("td.per-start").text_content()),
        )
        starts = pounds_or_count(row.locator("td.starts").text_content())
        truth = groups.loc[(route, level)]
        assert row.locator("td.route").text_content() == ROUTE_NAMES[route]
        assert money == pytest.approx(truth["allocation"], abs=0.5) and starts == pytest.approx(truth["starts"], abs=0.5)
        assert per_start == pytest.approx(truth["allocation"] / truth["starts"], abs=0.5)
        assert starts == pytest.approx(money / per_start, rel=0.01)  # starts are money / cost per start
        if demo_result.bundle.funding.empty:  # the demo has no products matched to its occupations: every product's median band
            products = load_products()
            band = products.loc[(products["route"] == route) & (products["level"] == level), "max_funding"].median()
            assert per_start == pytest.approx(band, abs=0.5)
        most = row.locator("td").last.text_content()
        top = bought.loc[(bought["route"] == route) & (bought["level"] == level)].groupby("occupation")["starts"].sum().idxmax()
        title = next(item["title"] for item in answer["rows"] if item["occupation"] == top)
        assert most.startswith(f"{top} {title}"), most  # the occupation served most first, with its title
        shown.append((list(ROUTE_NAMES).index(route), level))
    assert shown == sorted(shown)  # grouped by route, then level
    total = page.locator("#purchases tbody tr.total")
    assert pounds_or_count(total.locator("td.money").text_content()) == pytest.approx(5_000_000, abs=1)
    assert pounds_or_count(total.locator("td.starts").text_content()) == pytest.approx(groups["starts"].sum(), abs=0.5)
    assert "5,000,000" in page.text_content("#budget-title")
    funding = page.text_content("#funding-line")
    assert "Skills England" in funding and "Open Government Licence v3.0" in funding
    assert f"records to {products_vintage(load_products())}" in funding
    assert "10% goes to foundation apprenticeships" in page.text_content("#budget-assumptions")
    assert page.is_visible("#priorities th.budget-column >> nth=1")
    first = page.locator("#priorities tbody tr").first
    ranked = [row for row in answer["rows"] if (row.get("openings") or 0) > 0]
    assert pounds_or_count(first.locator("td.money").text_content()) == pytest.approx(ranked[0]["allocation"], abs=0.5)

    page.fill("#budget", "")  # no budget: back to the ranking alone
    page.click("#budget-form button")
    expect(page.locator("#budget-result")).to_be_hidden()
    assert page.is_hidden("#priorities th.budget-column >> nth=0") and page.locator("#priorities td.money").count() == 0
    page.fill("#budget", "-3")
    page.click("#budget-form button")
    expect(page.locator("#budget-status")).to_contain_text("positive amount of pounds")
    assert not refused, refused


@pytest.mark.slow
def test_the_page_says_when_the_key_is_refused(browser, served):
    base, _ = served
    page = browser.new_page()
    page.goto(f"{base}/ui/")
    page.fill("#api-key", "sk_wrong")
    page.click("#key-form button")
    expect(page.locator("#status")).to_contain_text("refused", timeout=20_000)
    assert "401" in page.text_content("#status")
    assert page.is_hidden("#results")


@pytest.mark.slow
def test_typing_an_area_name_finds_it(browser, served):
    base, key = served
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{base}/ui/")
    page.fill("#api-key", key)
    page.click("#key-form button")
    page.wait_for_selector("#find", state="visible", timeout=30_000)
    page.fill("#find", "ashvale")  # the name, any case, not the code
    page.press("#find", "Enter")
    expect(page.locator("#area-title")).to_contain_text("DM_R1_01", timeout=30_000)
    assert "Ashvale" in page.text_content("#area-title") and "Supply basis: people" in page.text_content("#basis-line")
    page.fill("#find", "Ashvale Town")
    page.press("#find", "Enter")
    expect(page.locator("#status")).to_contain_text("404", timeout=30_000)
    assert "did you mean" in page.text_content("#status")


@pytest.fixture(scope="module")
def served_real(real_bundle_dir, tmp_path_factory):
    yield from serve_with_a_key(real_bundle_dir, tmp_path_factory.mktemp("ui-real-keys"))


@pytest.mark.slow
def test_a_council_types_its_district_and_sees_its_gaps_basis_and_warnings(browser, served_real):
    base, key = served_real
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{base}/ui/")
    page.fill("#api-key", key)
    page.click("#key-form button")
    page.wait_for_selector("#find", state="visible", timeout=60_000)
    page.fill("#find", "leeds")
    page.press("#find", "Enter")
    expect(page.locator("#area-title")).to_contain_text("E08000035", timeout=60_000)
    assert "Leeds" in page.text_content("#area-title") and "West Yorkshire CA" in page.text_content("#area-description")
    assert "Supply basis: workplace" in page.text_content("#basis-line") and page.locator("#gap-chart svg").count() == 3
    page.fill("#find", "E06000053")  # the Isles of Scilly: no APS survey, flagged (Enterprise M3 is repaired, #23)
    page.press("#find", "Enter")
    expect(page.locator("#area-title")).to_contain_text("FLAGGED", timeout=60_000)
    assert "no APS survey estimates" in page.text_content("#area-warnings")
    page.fill("#find", "West Midlands")  # the CA or the region: both offered
    page.press("#find", "Enter")
    page.wait_for_selector("#matches li", timeout=60_000)
    assert page.locator("#matches li").count() == 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ui-find-area.png"), full_page=True)


def test_the_api_docs_page_works_under_its_content_security_policy(browser, served):
    """Swagger UI at /docs, from this origin only, with the service's CSP (issue #17, finding 9 and 10)."""
    base, _ = served
    page = browser.new_page()
    blocked, elsewhere = [], []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None)
    page.on("request", lambda request: elsewhere.append(request.url) if not request.url.startswith(base) else None)
    page.goto(f"{base}/docs")
    expect(page.locator(".opblock-summary-path").first).to_be_visible(timeout=30_000)
    assert page.locator(".opblock").count() >= 15  # every operation of /docs.json
    assert not blocked, blocked
    assert not elsewhere, elsewhere
