"""The NOMIS client and APS reader against a real local HTTP server serving recorded responses.

No mocking of httpx and no network beyond 127.0.0.1: a ThreadingHTTPServer in a background
thread plays NOMIS, and can be told to fail, hang, answer HTML or page its rows.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from skillcast.cli.fetch import fetch_app, parse_years
from skillcast.data.nomis import NVQ_VARIABLES, SOURCE, NomisClient, NomisError, fetch_aps_qualifications, parse_aps_csv
from skillcast.data.schema import DataError, validate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nomis"
RECORDED = (FIXTURES / "aps_t19_lad_2020_2021.csv").read_text(encoding="utf-8")
HTML_PAGE = (FIXTURES / "error_page.html").read_text(encoding="utf-8")
# The fixture's codes: 290 is NOMIS's NVQ4+; the others are placeholders (see the README there).
FIXTURE_VARIABLES = {"none": 9001, "nvq1": 9002, "nvq2": 9003, "trade_apprenticeships": 9004, "nvq3": 9005, "nvq4": 290, "other": 9006}
FIXTURE_ROWS = RECORDED.count("\n") - 1


class FakeNomis:
    """What the local server does; tests change these fields before making requests."""

    def __init__(self) -> None:
        self.fail_first = 0  # answer the first N requests with fail_status
        self.fail_status = 503
        self.retry_after: str | None = None
        self.hang_seconds = 0.0  # sleep this long before answering
        self.html = False  # answer an HTML page instead of CSV
        self.page_size: int | None = None  # serve at most this many rows from recordoffset
        self.ignore_offset = False  # serve the first page whatever recordoffset says
        self.requests: list[str] = []  # paths+queries received
        self.lock = threading.Lock()

    def queries(self) -> list[dict[str, str]]:
        return [{key: values[0] for key, values in parse_qs(urlsplit(path).query).items()} for path in self.requests]


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        fake: FakeNomis = self.server.fake  # type: ignore[attr-defined]
        with fake.lock:
            fake.requests.append(self.path)
            number = len(fake.requests)
        try:
            if number <= fake.fail_first:
                headers = {"Retry-After": fake.retry_after} if fake.retry_after else {}
                return self._send(fake.fail_status, "text/plain", "Service Unavailable", headers)
            if fake.hang_seconds:
                time.sleep(fake.hang_seconds)
            if not urlsplit(self.path).path.endswith("/dataset/NM_17_5.data.csv"):
                return self._send(404, "text/plain", "no such dataset")
            if fake.html:
                return self._send(200, "text/html; charset=utf-8", HTML_PAGE)
            return self._send(200, "text/csv; charset=utf-8", self._page(fake))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def _page(self, fake: FakeNomis) -> str:
        header, *rows = RECORDED.splitlines(keepends=True)
        offset = 0 if fake.ignore_offset else int(parse_qs(urlsplit(self.path).query).get("recordoffset", ["0"])[0])
        size = fake.page_size or 25_000
        return header + "".join(rows[offset : offset + size])

    def _send(self, status: int, content_type: str, body: str, headers: dict | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def fake():
    """A fake NOMIS on 127.0.0.1 (free port); yields its state with ``.base_url`` set."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.fake = FakeNomis()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    server.fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/v01"  # type: ignore[attr-defined]
    try:
        yield server.fake  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_for(base_url: str, **options) -> NomisClient:
    settings = {"timeout": 2.0, "retries": 3, "backoff": 0.01, "cache_dir": None} | options
    return NomisClient(base_url=base_url, **settings)


def recorded_value(area: str, year: int, variable: int, measure: str) -> str:
    frame = pd.read_csv(FIXTURES / "aps_t19_lad_2020_2021.csv", dtype=str, keep_default_na=False)
    row = frame.loc[
        (frame["GEOGRAPHY_CODE"] == area)
        & (frame["DATE"] == f"{year}-12")
        & (frame["VARIABLE_CODE"] == str(variable))
        & (frame["MEASURES_NAME"] == measure)
    ]
    return row["OBS_VALUE"].item()


# -- fetching and parsing ------------------------------------------------------------------


def test_a_fetch_parses_into_a_valid_panel_with_the_recorded_values(fake):
    client = client_for(fake.base_url)
    result = fetch_aps_qualifications(client, "lad", [2020, 2021], variables=FIXTURE_VARIABLES)
    panel = result.panel

    assert len(panel) == 3 * 2 * 7
    assert validate(panel).equals(panel)
    assert set(panel["measure"]) == {"population"} and set(panel["classification"]) == {"nvq"}
    assert set(panel["code"]) == set(NVQ_VARIABLES)
    assert set(panel["area"]) == {"E06000001", "E08000003", "E07000222"}
    assert sorted(panel["period"].unique()) == [2020, 2021]
    assert set(panel["source"]) == {SOURCE} and set(panel["vintage"]) == {date.today().isoformat()}

    manchester = panel.set_index(["area", "code", "period"])
    assert manchester.at[("E08000003", "nvq4", 2021), "value"] == 196000
    confidence = float(recorded_value("E08000003", 2021, 290, "Confidence"))
    assert manchester.at[("E08000003", "nvq4", 2021), "ci95"] == pytest.approx(confidence / 100 * 404900)

    # suppressed cells: '!' and '*' in OBS_VALUE, and a blank value flagged Q in OBS_STATUS
    assert dict(result.suppressed) == {"!": 1, "*": 1, "status Q": 1}
    assert panel["value"].isna().sum() == 3
    assert pd.isna(manchester.at[("E07000222", "trade_apprenticeships", 2021), "value"])
    assert pd.isna(manchester.at[("E06000001", "nvq1", 2021), "ci95"])

    assert dict(zip(result.areas["area"], result.areas["name"], strict=True))["E08000003"] == "Manchester"
    assert set(result.areas["type"]) == {"lad"}

    (query,) = fake.queries()
    assert query["geography"] == "TYPE424" and query["date"] == "2020-12,2021-12"
    assert query["measures"] == "21001,21002,21003" and query["recordoffset"] == "0"
    assert sorted(query["variable"].split(",")) == sorted(str(code) for code in FIXTURE_VARIABLES.values())


def test_years_with_no_rows_are_named_in_the_notes(fake):
    result = fetch_aps_qualifications(client_for(fake.base_url), "lad", [2020, 2021, 2022], variables=FIXTURE_VARIABLES)
    assert any("[2022]" in note and "2021" in note for note in result.notes)


def test_missing_variable_codes_fail_in_one_line_before_any_request(fake):
    with pytest.raises(NomisError) as caught:
        fetch_aps_qualifications(client_for(fake.base_url), "lad", [2021])
    message = str(caught.value)
    assert "\n" not in message and "nvq1" in message and "--variables" in message
    assert fake.requests == []


def test_a_wrong_variable_code_is_caught_by_the_name_nomis_returns(fake):
    swapped = FIXTURE_VARIABLES | {"nvq1": 9003, "nvq2": 9002}
    with pytest.raises(DataError, match="variable 9002 is '% with NVQ1 only - aged 16-64', but it is mapped to NVQ level 'nvq2'"):
        fetch_aps_qualifications(client_for(fake.base_url), "lad", [2020, 2021], variables=swapped)


def test_a_non_annual_period_is_refused():
    quarterly = RECORDED.replace('"2021-12","Jan 2021-Dec 2021"', '"2021-09","Oct 2020-Sep 2021"', 1)
    with pytest.raises(DataError, match="expected a Jan-Dec period"):
        parse_aps_csv(quarterly, FIXTURE_VARIABLES, where="recorded.csv")


def test_an_unknown_geography_is_a_clear_error(fake):
    with pytest.raises(ValueError, match="unknown geography 'ward'"):
        fetch_aps_qualifications(client_for(fake.base_url), "ward", [2021], variables=FIXTURE_VARIABLES)
    assert fake.requests == []


# -- retries, timeouts, unreachable hosts ----------------------------------------------------


def test_retries_succeed_after_two_503s_with_retry_after_capped(fake):
    fake.fail_first, fake.retry_after = 2, "3600"
    client = client_for(fake.base_url, max_retry_after=0.01)
    started = time.perf_counter()
    result = fetch_aps_qualifications(client, "lad", [2020, 2021], variables=FIXTURE_VARIABLES)
    assert time.perf_counter() - started < 2, "Retry-After must be capped"
    assert len(fake.requests) == 3 and len(result.panel) == 42


def test_503_every_time_gives_up_after_the_retries_in_one_line(fake):
    fake.fail_first = 100
    with pytest.raises(NomisError) as caught:
        client_for(fake.base_url, retries=2).fetch_csv("NM_17_5", {"geography": "TYPE424"})
    assert "\n" not in str(caught.value) and "HTTP 503" in str(caught.value) and "3 attempts" in str(caught.value)
    assert len(fake.requests) == 3


def test_a_4xx_is_not_retried(fake):
    fake.fail_first, fake.fail_status = 100, 400
    with pytest.raises(NomisError, match="HTTP 400"):
        client_for(fake.base_url).fetch_csv("NM_17_5", {"geography": "TYPE424"})
    assert len(fake.requests) == 1


def test_a_timeout_is_retried_then_reported_in_one_line(fake):
    fake.hang_seconds = 1.0
    client = client_for(fake.base_url, timeout=0.2, retries=1)
    with pytest.raises(NomisError) as caught:
        client.fetch_csv("NM_17_5", {"geography": "TYPE424"})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot reach NOMIS at 127.0.0.1:{urlsplit(fake.base_url).port}")
    assert "no answer within 0.2s" in message and "cached response" in message
    assert len(fake.requests) == 2


def test_a_refused_connection_is_a_one_line_error_naming_the_host():
    port = closed_port()
    client = client_for(f"http://127.0.0.1:{port}/api/v01", retries=1)
    with pytest.raises(NomisError) as caught:
        client.fetch_csv("NM_17_5", {"geography": "TYPE424"})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot reach NOMIS at 127.0.0.1:{port}: connection refused")
    assert "check the network or use a cached response" in message
    assert client.network_requests == 2


# -- the cache ------------------------------------------------------------------------------


def test_the_cache_serves_the_second_call_without_any_request(fake, tmp_path):
    cache = tmp_path / "cache"
    first = fetch_aps_qualifications(client_for(fake.base_url, cache_dir=cache), "lad", [2020, 2021], variables=FIXTURE_VARIABLES)
    assert len(fake.requests) == 1
    second_client = client_for(fake.base_url, cache_dir=cache)
    second = fetch_aps_qualifications(second_client, "lad", [2020, 2021], variables=FIXTURE_VARIABLES)
    assert len(fake.requests) == 1, "the second call must not reach the server"
    assert second_client.network_requests == 0 and second_client.cache_hits == 1
    pd.testing.assert_frame_equal(first.panel, second.panel)
    assert [path.suffix for path in cache.iterdir()] == [".csv"], "one cache file, no temp files left"

    refreshed = client_for(fake.base_url, cache_dir=cache)
    fetch_aps_qualifications(refreshed, "lad", [2020, 2021], variables=FIXTURE_VARIABLES, refresh=True)
    assert len(fake.requests) == 2 and refreshed.cache_hits == 0


def test_the_cache_answers_when_nomis_is_down(fake, tmp_path):
    cache = tmp_path / "cache"
    fetch_aps_qualifications(client_for(fake.base_url, cache_dir=cache), "lad", [2021], variables=FIXTURE_VARIABLES)
    fake.fail_first = 100
    again = fetch_aps_qualifications(client_for(fake.base_url, cache_dir=cache, retries=0), "lad", [2021], variables=FIXTURE_VARIABLES)
    assert len(again.panel) == 42  # the recorded response holds both years whatever was asked


# -- responses that are not CSV -------------------------------------------------------------


def test_html_instead_of_csv_is_a_clear_error_and_is_not_cached(fake, tmp_path):
    fake.html = True
    cache = tmp_path / "cache"
    with pytest.raises(NomisError) as caught:
        client_for(fake.base_url, cache_dir=cache).fetch_csv("NM_17_5", {"geography": "TYPE424"})
    message = str(caught.value)
    assert "\n" not in message and "HTML" in message and "instead of CSV" in message
    assert "Service temporarily unavailable" in message and f"{fake.base_url}/dataset/NM_17_5.data.csv" in message
    assert not cache.exists() or not any(cache.iterdir())


# -- paging past the row cap ----------------------------------------------------------------


@pytest.mark.parametrize("page_size", [50, 63])  # 126 rows: a short last page, and an exact multiple
def test_pagination_concatenates_pages(fake, page_size):
    fake.page_size = page_size
    client = client_for(fake.base_url, page_size=page_size)
    text = client.fetch_csv("NM_17_5", {"geography": "TYPE424"})
    assert text == RECORDED
    offsets = [int(query["recordoffset"]) for query in fake.queries()]
    expected = list(range(0, FIXTURE_ROWS + 1, page_size))
    assert offsets == expected
    assert len(parse_aps_csv(text, FIXTURE_VARIABLES).panel) == 42


def test_a_server_that_ignores_recordoffset_does_not_loop_forever(fake):
    fake.page_size, fake.ignore_offset = 50, True
    with pytest.raises(NomisError, match="ignore recordoffset"):
        client_for(fake.base_url, page_size=50).fetch_csv("NM_17_5", {"geography": "TYPE424"})
    assert len(fake.requests) == 2


# -- the command line -----------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(fetch_app, name="fetch")
    return app


def variables_option() -> str:
    return ",".join(f"{level}={code}" for level, code in FIXTURE_VARIABLES.items())


def fetch(tmp_path, out, base_url: str, *options: str):
    """``skillcast fetch nomis`` for 2020-2021 into ``out``, cached under ``tmp_path``, from ``base_url``."""
    arguments = [
        "fetch",
        "nomis",
        "--years",
        "2020:2021",
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--base-url",
        base_url,
    ]
    return CliRunner().invoke(cli(), [*arguments, *options, "--backoff", "0.01", "--variables", variables_option()])


def test_the_cli_writes_the_parquet_and_a_summary(fake, tmp_path):
    out = tmp_path / "out"
    result = fetch(tmp_path, out, fake.base_url, "--table", "qualifications", "--geography", "lad", "--timeout", "2")
    assert result.exit_code == 0, result.output
    written = pd.read_parquet(out / "nomis_aps_qualifications.parquet")
    assert len(written) == 42 and validate(written).shape == written.shape
    assert "42 rows" in result.output and "3 areas" in result.output and "[2020, 2021]" in result.output
    assert "! 1" in result.output and "status Q 1" in result.output
    assert [path.name for path in out.iterdir()] == ["nomis_aps_qualifications.parquet"]


def test_the_cli_exits_2_in_one_line_when_nomis_is_down(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = fetch(tmp_path, out, f"http://127.0.0.1:{closed_port()}/api/v01", "--retries", "1")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach NOMIS" in lines[0]
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == [], "no partial file"


def test_the_cli_refuses_backwards_years_in_one_line(tmp_path):
    result = CliRunner().invoke(cli(), ["fetch", "nomis", "--years", "2023:2019", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "2023:2019" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_year_ranges_parse():
    assert parse_years("2019:2021") == [2019, 2020, 2021]
    assert parse_years("2021") == [2021]
    assert parse_years("2021, 2019") == [2019, 2021]
    with pytest.raises(ValueError, match="expected FIRST:LAST"):
        parse_years("last year")
