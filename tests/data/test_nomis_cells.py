"""`skillcast fetch nomis --tables`: NM_17_1 cells found by their descriptions, fetched from a real
local HTTP server on 127.0.0.1 that replays the synthetic fixtures of tests/fixtures/nomis (see
the README there), and read back through the aps-soc2020 reader.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from skillcast.cli.fetch import fetch_app, last_april_to_march_years
from skillcast.data import nomis_cells
from skillcast.data.geography import Geography
from skillcast.data.nomis import NomisClient, NomisError
from skillcast.data.nomis_cells import MadeArea
from skillcast.data.sources import aps_soc2020

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nomis"
DEFINITION = (FIXTURES / "NM_17_1_cell.def.sdmx.json").read_text(encoding="utf-8")
HTML_PAGE = (FIXTURES / "error_page.html").read_text(encoding="utf-8")
GROUPS = {"nomis_types": "TYPE499,TYPE424,TYPE442", "user_defined": "MAKE|"}
RESPONSES = {
    (table, group): (FIXTURES / f"NM_17_1_{table}_{group}.data.csv").read_text(encoding="utf-8")
    for table in ("T01", "T09b", "T13a")
    for group in GROUPS
}
DATES = "2025-03,2026-03"
YEARS = [2025, 2026]
MADE = [
    MadeArea("Kent and Medway", ("E07000105", "E07000112"), "LSIP"),
    MadeArea("Greater London Authority", ("E09000001", "E09000002"), "MCA"),
]
ENGLAND, ADUR, GM, KENT = "E92000001", "E07000223", "E47000001", "E69000018"


def fixture_frame(table: str, group: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"NM_17_1_{table}_{group}.data.csv", dtype=str, keep_default_na=False)


def fixture_value(table: str, group: str, area: str, date: str, description_part: str) -> int:
    frame = fixture_frame(table, group)
    row = frame.loc[
        (frame["GEOGRAPHY_NAME"] == area) & (frame["DATE"] == date) & frame["CELL_NAME"].str.contains(description_part, regex=False)
    ]
    return int(row["OBS_VALUE"].item())


class FakeNm171:
    """What the local NOMIS does; tests change these fields before making requests."""

    def __init__(self) -> None:
        self.definition = DEFINITION
        self.refuse: tuple[int, str, str] | None = None  # (status, content type, body) for data requests
        self.mangle: Callable[[str], str] | None = None  # applied to a data response (the whole result, before paging)
        self.page_size = 25_000
        self.requests: list[str] = []
        self.cells = {table: set(fixture_frame(table, "nomis_types")["CELL"]) for table in ("T01", "T09b", "T13a")}
        self.lock = threading.Lock()

    def data_queries(self) -> list[dict[str, str]]:
        return [{key: values[0] for key, values in parse_qs(urlsplit(path).query).items()} for path in self.requests if ".data.csv" in path]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        fake: FakeNm171 = self.server.fake  # type: ignore[attr-defined]
        with fake.lock:
            fake.requests.append(self.path)
        path = urlsplit(self.path).path
        if path.endswith("/dataset/NM_17_1/cell.def.sdmx.json"):
            return self._send(200, "application/json", fake.definition)
        if not path.endswith("/dataset/NM_17_1.data.csv"):
            return self._send(404, "text/plain", "no such dataset")
        if fake.refuse:
            return self._send(*fake.refuse)
        query = {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}
        table = next((name for name, cells in fake.cells.items() if set(query.get("cell", "").split(",")) == cells), None)
        geography = query.get("geography", "")
        group = "user_defined" if geography.startswith("MAKE|") else "nomis_types" if geography == GROUPS["nomis_types"] else None
        if table is None or group is None or query.get("date") != DATES or query.get("measures") != "20100":
            return self._send(400, "text/plain", f"unexpected query {query}")
        text = RESPONSES[(table, group)]
        if fake.mangle:
            text = fake.mangle(text)
        header, *rows = text.splitlines(keepends=True)
        offset = int(query.get("recordoffset", "0"))
        return self._send(200, "text/csv", header + "".join(rows[offset : offset + fake.page_size]))

    def _send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def nomis():
    """A fake NOMIS on 127.0.0.1 (free port) replaying the NM_17_1 fixtures; yields its state with ``.base_url``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = FakeNm171()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    server.fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/v01"  # type: ignore[attr-defined]
    try:
        yield server.fake  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tiny_geography() -> Geography:
    rows = [
        (ENGLAND, "England", "country"),
        (ADUR, "Adur", "lad"),
        ("E07000105", "Ashford", "lad"),
        (GM, "Greater Manchester", "mca"),
        (KENT, "Kent and Medway", "lsip"),
    ]
    return Geography.from_frame(pd.DataFrame([{"area": a, "name": n, "type": t, "parent": ""} for a, n, t in rows]))


def client_for(base_url: str, **options) -> NomisClient:
    return NomisClient(base_url=base_url, **({"timeout": 2.0, "retries": 1, "backoff": 0.01, "cache_dir": None} | options))


def fetch_all(base_url: str, **options):
    client = client_for(base_url, **options)
    groups = nomis_cells.area_groups(list(nomis_cells.GEOGRAPHIES), MADE)
    return client, nomis_cells.fetch_aps_tables(client, list(nomis_cells.TABLES), YEARS, groups)


def one_value(panel: pd.DataFrame, **where) -> float:
    rows = panel
    for column, wanted in where.items():
        rows = rows.loc[rows[column] == wanted]
    assert len(rows) == 1, f"expected one row for {where}, found {len(rows)}"
    return float(rows["value"].iloc[0])


# -- cells by description --------------------------------------------------------------------


def test_cells_are_picked_by_their_descriptions():
    definition = nomis_cells.parse_codelist(DEFINITION, "fixture")
    t01 = {cell.metric: cell for cell in nomis_cells.resolve_cells(definition, "T01")}
    assert set(t01) == {"all", "inemployment", "selfemployed", "unemployed", "inactive"}
    assert t01["inactive"].description == "T01:40 (Aged 16-64 - Inactive : All People )"  # 16-64, not 16+
    assert t01["inemployment"].description.startswith("T01:7 (All aged 16 & over - In employment")
    t09b = nomis_cells.resolve_cells(definition, "T09b")
    assert [cell.soc2020_submajor for cell in t09b] == list(nomis_cells.SOC2020_SUBMAJOR_TITLES)
    assert t09b[0].subgroup == "11 - Corporate managers and directors" and "Full-time" not in " ".join(c.description for c in t09b)
    t13a = nomis_cells.resolve_cells(definition, "T13a")
    assert len(t13a) == 9 and t13a[0].subgroup == "Agriculture and fishing" and t13a[5].subgroup == "Transport and communication"
    assert {cell.code for cell in t01.values()} == FakeNm171().cells["T01"]  # the cells the replayed responses hold


def test_a_single_codelist_object_instead_of_a_list_is_read():
    document = json.loads(DEFINITION)
    document["structure"]["codelists"]["codelist"] = document["structure"]["codelists"]["codelist"][0]
    assert nomis_cells.parse_codelist(json.dumps(document), "x") == nomis_cells.parse_codelist(DEFINITION, "x")


@pytest.mark.parametrize(
    ("old", "new", "table", "named"),
    [
        ("Community and Civil Enforcement Occupations (SOC2020)", "Community Occupations (SOC2020)", "T09b", "63 Community and civil"),
        ("(Aged 16-64 - Inactive : All People )", "(Aged 16-64 - Economically inactive : All People )", "T01", "Aged 16-64 - Inactive"),
        ("C Manufacturing (SIC 2007)", "C Manufacturing (SIC 2027)", "T13a", "manufacturing"),
    ],
)
def test_a_changed_definition_is_one_line_naming_the_table_before_any_data_request(nomis, old, new, table, named):
    assert old in nomis.definition
    nomis.definition = nomis.definition.replace(old, new)
    with pytest.raises(NomisError) as raised:
        fetch_all(nomis.base_url)
    message = str(raised.value)
    assert "\n" not in message and f"table {table}" in message and named in message and "definition has changed" in message
    assert nomis.data_queries() == []


# -- a full fetch, through the reader ------------------------------------------------------------


def test_a_full_fetch_is_read_by_the_aps_soc2020_reader_with_the_replayed_values(nomis, tmp_path, tiny_geography):
    client, fetched = fetch_all(nomis.base_url)
    assert client.network_requests == 1 + 3 * 2  # the definition, then each table for NOMIS's types and for the MAKE areas
    path = nomis_cells.write_fetched(fetched, tmp_path)
    assert sorted(tmp_path.glob(aps_soc2020.FILES[0])) == [path]  # named into the reader's FILES pattern

    result = aps_soc2020.read([path], tiny_geography)
    panel = result.panel
    # 4 areas kept of NOMIS's types (Wales dropped, as the dashboard does) + 2 made, 2 years, 5 + 26 + 9 cells; 6 suppressed
    assert len(fetched.rows) == 6 * 2 * 40 and len(panel) == 6 * 2 * 40 - 6
    assert "Wales" not in set(fetched.rows["area_name"])
    # the fetched rows say where they came from, not the dashboard's pull
    assert set(panel["vintage"]) == {"nomis-" + datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d")}
    assert set(panel["source"]) == {aps_soc2020.FETCHED_SOURCE}
    assert one_value(panel, area=ENGLAND, measure="employment_residence", classification="all", period=2026) == fixture_value(
        "T01", "nomis_types", "England", "2026-03", "16 & over - In employment"
    )
    assert one_value(panel, area=ENGLAND, measure="economically_inactive", period=2025) == fixture_value(
        "T01", "nomis_types", "England", "2025-03", "Aged 16-64 - Inactive"
    )
    assert one_value(panel, area=ADUR, classification="soc2020_submajor", code="11", period=2025) == fixture_value(
        "T09b", "nomis_types", "Adur", "2025-03", "Corporate Managers"
    )
    assert one_value(panel, area=GM, classification="industry_broad", code="manufacturing", period=2026) == fixture_value(
        "T13a", "nomis_types", "Greater Manchester", "2026-03", "C Manufacturing"
    )
    assert one_value(panel, area=KENT, measure="unemployed", period=2026) == fixture_value(
        "T01", "user_defined", "Kent and Medway", "2026-03", "Unemployed"
    )
    assert one_value(panel, area="mca:greater_london_authority", measure="population_16_plus", period=2025) == fixture_value(
        "T01", "user_defined", "Greater London Authority", "2025-03", "16 & over - All :"
    )
    assert result.unmatched_areas == ["mca 'Greater London Authority'"]  # as with the dashboard's own pull
    assert set(result.tables["aps_soc2020_periods"]["label"]) == {"2024-04/2025-03", "2025-04/2026-03"}


def test_suppressed_cells_are_written_empty_and_counted_by_their_status(nomis, tmp_path, tiny_geography):
    _, fetched = fetch_all(nomis.base_url)
    assert fetched.suppressed == {"status Q": 6}
    rows = fetched.rows
    adur = rows.loc[(rows["area_name"] == "Adur") & (rows["metric"] == "unemployed") & (rows["period"] == "2024-04/2025-03")]
    assert adur["value"].isna().all() and len(adur) == 1
    text = nomis_cells.write_fetched(fetched, tmp_path).read_text()
    assert "LADU,Adur,unemployed,16+,Total,Total,,2024-04/2025-03,\n" in text
    result = aps_soc2020.read([tmp_path / nomis_cells.OUTPUT], tiny_geography)
    assert result.suppressed == {"(blank)": 6}
    assert result.panel.loc[(result.panel["area"] == ADUR) & (result.panel["measure"] == "unemployed")]["period"].tolist() == [2026]


def test_the_queries_carry_the_resolved_cells_the_april_march_dates_and_make_areas(nomis):
    fetch_all(nomis.base_url)
    assert nomis.requests[0].endswith("/api/v01/dataset/NM_17_1/cell.def.sdmx.json")
    queries = nomis.data_queries()
    assert [query["geography"].split("|")[0] for query in queries] == ["TYPE499,TYPE424,TYPE442", "MAKE"] * 3
    assert {query["date"] for query in queries} == {DATES} and {query["measures"] for query in queries} == {"20100"}
    assert queries[1]["geography"] == "MAKE|Kent and Medway|E07000105;E07000112,MAKE|Greater London Authority|E09000001;E09000002"
    assert "MAKE|Kent%20and%20Medway|E07000105;E07000112" in nomis.requests[2]  # spaces as %20; | ; and , as NOMIS takes them


def test_pages_past_the_row_cap_are_joined(nomis):
    nomis.page_size = 50
    client, paged = fetch_all(nomis.base_url, page_size=50)
    nomis.page_size = 25_000
    _, whole = fetch_all(nomis.base_url)
    pd.testing.assert_frame_equal(paged.rows, whole.rows)
    t09b_offsets = [int(q["recordoffset"]) for q in nomis.data_queries() if q["geography"].startswith("TYPE") and len(q["cell"]) > 200]
    assert t09b_offsets[:6] == [0, 50, 100, 150, 200, 250]  # 260 rows: six pages


def test_a_rerun_is_served_from_the_cache(nomis, tmp_path):
    first, _ = fetch_all(nomis.base_url, cache_dir=tmp_path / "cache")
    again, fetched = fetch_all(nomis.base_url, cache_dir=tmp_path / "cache")
    assert first.network_requests == 7 and again.network_requests == 0 and again.cache_hits == 7 and len(fetched.rows) == 480


# -- refusals and cut responses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((400, "text/plain", "Cannot create query"), "HTTP 400"),
        ((200, "text/html", HTML_PAGE), "HTML/XML page"),
        ((200, "text/csv", ""), "empty body"),
    ],
)
def test_a_refusal_is_one_line_naming_the_table_and_the_geography(nomis, answer, said):
    nomis.refuse = answer
    with pytest.raises(NomisError) as raised:
        fetch_all(nomis.base_url)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("NM_17_1 T09b, geography TYPE499,TYPE424,TYPE442") and said in message


def test_a_refused_definition_is_one_line(nomis):
    nomis.definition = HTML_PAGE
    with pytest.raises(NomisError, match="HTML/XML page instead of JSON .*cell.def.sdmx.json"):
        fetch_all(nomis.base_url)


def drop_last_rows(text: str) -> str:
    return "".join(text.splitlines(keepends=True)[:-3])


def cut_mid_line(text: str) -> str:
    return text[: len(text) - 150]


@pytest.mark.parametrize("mangle", [drop_last_rows, cut_mid_line])
def test_a_truncated_response_is_one_line_naming_the_table_and_is_not_cached(nomis, tmp_path, mangle):
    nomis.mangle = mangle
    with pytest.raises(NomisError) as raised:
        fetch_all(nomis.base_url, cache_dir=tmp_path / "cache")
    message = str(raised.value)
    assert "\n" not in message and message.startswith("NM_17_1 T09b, geography TYPE499") and "cut the response short" in message
    assert [path.suffix for path in (tmp_path / "cache").iterdir()] == [".json"]  # the definition only


def test_rows_short_of_record_count_over_all_pages_are_refused():
    """A later page that comes back empty passes the page check (it has no RECORD_COUNT to compare); the whole does not."""
    text = drop_last_rows(RESPONSES[("T01", "nomis_types")])
    cells = nomis_cells.resolve_cells(nomis_cells.parse_codelist(DEFINITION, "x"), "T01")
    group = nomis_cells.area_groups(["country", "lad", "mca"], [])[0]
    with pytest.raises(NomisError, match=r"cut the response short: 47 rows in all where RECORD_COUNT says 50"):
        nomis_cells.parse_table(text, cells, group, DATES, "T01")


def test_a_wrong_period_is_refused(nomis):
    nomis.mangle = lambda text: text.replace("Apr 2024-Mar 2025", "Jul 2024-Jun 2025")
    with pytest.raises(NomisError, match="column 'DATE_NAME', value 'Jul 2024-Jun 2025': expected an April-March year"):
        fetch_all(nomis.base_url)


def test_t19a_and_unknown_tables_are_refused_before_any_request(nomis):
    client = client_for(nomis.base_url)
    with pytest.raises(ValueError, match="T19a.*RQF qualifications do not fit"):
        nomis_cells.fetch_aps_tables(client, ["T09b", "T19a"], YEARS, nomis_cells.area_groups(["country"], []))
    assert nomis.requests == []


def test_the_default_years_are_the_last_five_april_march_years_published():
    from datetime import date

    assert last_april_to_march_years(date(2026, 12, 7)) == [2022, 2023, 2024, 2025, 2026]
    assert last_april_to_march_years(date(2026, 7, 1)) == [2021, 2022, 2023, 2024, 2025]


# -- the command line ------------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(fetch_app, name="fetch")
    return app


def write_lookups(folder: Path) -> Path:
    """The two lookups the user-defined areas are made from (tiny, hand-written)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lad23_to_lsip_aug2023.csv").write_text(
        "LAD23CD,LAD23NM,LSIP23CD,LSIP23NM\nE07000105,Ashford,E69000018,Kent and Medway\nE07000112,Folkestone and Hythe,E69000018,Kent and Medway\n"
    )
    (folder / "lad23_to_region_england.csv").write_text(
        "LAD23CD,LAD23NM,RGN_CD,RGN_NM\nE09000001,City of London,E12000007,London\nE09000002,Barking and Dagenham,E12000007,London\n"
        "E07000105,Ashford,E12000008,South East\n"
    )
    return folder


def fetch_cli(tmp_path: Path, out: Path, base_url: str, *options: str):
    arguments = ["fetch", "nomis", "--tables", "T09b,T01,T13a", "--years", "2025:2026", "--out", str(out)]
    arguments += ["--cache-dir", str(tmp_path / "cache"), "--base-url", base_url, "--retries", "0", "--timeout", "2", *options]
    return CliRunner().invoke(cli(), arguments)


def test_the_cli_writes_the_file_the_reader_takes_and_a_summary(nomis, tmp_path):
    out = tmp_path / "data"
    write_lookups(out / "lookups")
    result = fetch_cli(tmp_path, out, nomis.base_url)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out / nomis_cells.OUTPUT, dtype=str, keep_default_na=False)
    assert list(written.columns) == aps_soc2020.CSV_COLUMNS and len(written) == 480
    assert "480 rows" in result.output and "T09b 26, T01 5, T13a 9" in result.output and "status Q 6" in result.output
    assert "NOMIS requests: 7" in result.output
    assert nomis.data_queries()[1]["geography"].startswith("MAKE|Kent and Medway|E07000105;E07000112,MAKE|Greater London Authority|")


def exits_2_in_one_line(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert all(word in lines[0] for word in words), lines[0]


@pytest.mark.parametrize("case", ["refusal", "changed definition", "truncated"])
def test_a_failed_cli_fetch_exits_2_in_one_line_and_leaves_the_earlier_file(nomis, tmp_path, case):
    out = tmp_path / "data"
    write_lookups(out / "lookups")
    earlier = out / nomis_cells.OUTPUT
    earlier.parent.mkdir(parents=True)
    earlier.write_text("an earlier fetch\n")
    if case == "refusal":
        nomis.refuse = (400, "text/plain", "Cannot create query")
    elif case == "changed definition":
        nomis.definition = nomis.definition.replace("Sales Occupations", "Selling Occupations")
    else:
        nomis.mangle = drop_last_rows
    result = fetch_cli(tmp_path, out, nomis.base_url)
    exits_2_in_one_line(result, "T09b")
    assert earlier.read_text() == "an earlier fetch\n" and sorted(path.name for path in earlier.parent.iterdir()) == [earlier.name]


def test_the_cli_refuses_t19a_and_a_second_employment_file_before_any_request(nomis, tmp_path):
    out = tmp_path / "data"
    write_lookups(out / "lookups")
    exits_2_in_one_line(fetch_cli(tmp_path, out, nomis.base_url, "--tables", "T09b,T19a"), "T19a", "dashboard's .rds")
    dashboard = out / "aps_soc2020_dfe" / "aps_nomis_dfe_employment_soc2020_by_area_2020_2025.csv"
    dashboard.parent.mkdir(parents=True)
    dashboard.write_text("area_type\n")
    exits_2_in_one_line(fetch_cli(tmp_path, out, nomis.base_url), dashboard.name, "move it out")
    exits_2_in_one_line(fetch_cli(tmp_path, tmp_path / "empty", nomis.base_url), "lad23_to_lsip_aug2023.csv", "no such file")
    assert nomis.requests == []


@pytest.mark.realdata
def test_the_fetched_folder_goes_through_ingest_all_and_a_failed_refetch_leaves_the_store(nomis, tmp_path, data_dir):
    """fetch -> FOLDER/aps_soc2020_dfe/ -> `skillcast ingest all FOLDER` with the real ONS lookups (38 LSIPs as MAKE areas)."""
    from skillcast.cli.main import app
    from skillcast.data.store import Store

    folder = tmp_path / "folder"
    shutil.copytree(data_dir / "lookups", folder / "lookups")
    assert fetch_cli(tmp_path, folder, nomis.base_url).exit_code == 0
    assert nomis.data_queries()[1]["geography"].count("MAKE|") == 39  # 38 LSIPs and the GLA
    store = tmp_path / "store"
    ingested = CliRunner().invoke(app, ["ingest", "all", str(folder), "--out", str(store)])
    assert ingested.exit_code == 0, ingested.output
    panel = Store(store).source_panel("aps-soc2020")
    assert one_value(panel, area=ENGLAND, measure="employment_residence", classification="all", period=2026) == fixture_value(
        "T01", "nomis_types", "England", "2026-03", "16 & over - In employment"
    )
    assert one_value(panel, area="E69000018", measure="unemployed", period=2026) == fixture_value(
        "T01", "user_defined", "Kent and Medway", "2026-03", "Unemployed"
    )
    before = {path.name: path.read_bytes() for path in store.iterdir() if path.is_file()}
    written = (folder / nomis_cells.OUTPUT).read_bytes()
    nomis.refuse = (400, "text/plain", "Cannot create query")
    exits_2_in_one_line(fetch_cli(tmp_path, folder, nomis.base_url, "--refresh"), "T09b", "HTTP 400")
    assert (folder / nomis_cells.OUTPUT).read_bytes() == written
    assert {path.name: path.read_bytes() for path in store.iterdir() if path.is_file()} == before
