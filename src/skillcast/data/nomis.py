"""Fetch Annual Population Survey tables from the NOMIS API, politely and reproducibly.

NOMIS (https://www.nomisweb.co.uk/api/v01) serves ONS labour-market data as CSV. This
module has two halves:

* ``NomisClient`` does the HTTP: a timeout on every request, retries with exponential
  backoff on the failures that pass (connection errors, timeouts, HTTP 5xx and 429,
  honouring ``Retry-After`` up to a cap), no retry on other 4xx (asking again will not
  help), an on-disk cache so a second run needs no network, and paging: NOMIS returns
  at most 25,000 rows per call to guests, so the client asks again with
  ``recordoffset`` until a page comes back short.
* ``parse_aps_csv`` is a pure function from the CSV text to a validated panel, so it is
  tested on recorded responses without any network.

Every error is one line naming what failed and where, like the rest of skillcast.

Which NOMIS codes (read this before trusting a fetch)
-----------------------------------------------------
Dataset ``NM_17_5`` is the APS "variables" analysis: for each variable it publishes the
percentage (measure 20599) with its numerator (21001, a count of people), denominator
(21002) and 95% confidence half-width of the percentage (21003). Those measure codes are
used in many public NOMIS query URLs. The variables for highest qualification
(table T19, NVQ-based, exclusive levels) are in ``NVQ_VARIABLES``. Only ``nvq4``
(290, "% with NVQ4+ - aged 16-64") is corroborated by public code that names it; the
others could not be verified offline and are left ``None`` on purpose rather than
guessed. Find them in https://www.nomisweb.co.uk/api/v01/dataset/NM_17_5/variable.def.htm
and pass them with ``variables=`` (or ``--variables`` on the command line), or fill in the
dict. As a guard, the parser checks each returned ``VARIABLE_NAME`` against the level it
was asked for (``NVQ_NAME_PATTERNS``), so a wrong code fails loudly instead of
mislabelling data.

The NVQ-based levels end with Jan-Dec 2021: from 2022 the APS publishes RQF levels
instead (a different set of variables), so later years come back empty and are named in
the result's notes.

Another route, if the NM_17_5 codes prove awkward: DfE's Local Skills Dashboard
(dfe-analytical-services/lsip_dashboard, importData/importQualification.R) pulls T19 as
counts from the APS dataset ``NM_17_1``, selecting the ``CELL`` codes whose description
contains "T19:" and "Total" and keeping measure "Value". That is where
``../shared/data/aps_local_skills_dfe/aps_qual_nvq_16_64_*.csv`` comes from.
``skillcast.data.nomis_cells`` pulls NM_17_1 tables T01, T09b and T13a that way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pandas as pd

from skillcast.data.atomic import write_text
from skillcast.data.schema import DataError, validate
from skillcast.data.sources.common import SourceResult, parse_counts

DEFAULT_BASE_URL = "https://www.nomisweb.co.uk/api/v01"
APS_DATASET = "NM_17_5"
SOURCE = "ONS Annual Population Survey via NOMIS"
RESULT_NAME = "nomis_aps_qualifications"
PAGE_SIZE = 25_000  # NOMIS's row cap per call for guest users

# Friendly geography names -> NOMIS geography type codes (any 'TYPEnnn' is also accepted).
# TYPE424: local authorities, district / unitary (as of April 2023); TYPE480: regions
# (England's nine regions plus Wales and Scotland); TYPE499: countries.
GEOGRAPHY_TYPES: dict[str, str] = {"lad": "TYPE424", "region": "TYPE480", "country": "TYPE499"}

# skillcast 'nvq' code -> NM_17_5 variable code. None = not verified; must be supplied.
NVQ_VARIABLES: dict[str, int | None] = {
    "none": None,  # "% with no qualifications (NVQ) - aged 16-64"
    "nvq1": None,  # "% with NVQ1 only - aged 16-64"
    "nvq2": None,  # "% with NVQ2 only - aged 16-64"
    "trade_apprenticeships": None,  # "% with trade apprenticeships - aged 16-64"
    "nvq3": None,  # "% with NVQ3 only - aged 16-64"
    "nvq4": 290,  # "% with NVQ4+ - aged 16-64" (seen named in public NOMIS query code)
    "other": None,  # "% with other qualifications (NVQ) - aged 16-64"
}

# What each level's VARIABLE_NAME must say (case-insensitive); all must also say 16-64.
NVQ_NAME_PATTERNS: dict[str, str] = {
    "none": r"\bno qualifications\b",
    "nvq1": r"\bnvq ?1 only\b",
    "nvq2": r"\bnvq ?2 only\b",
    "trade_apprenticeships": r"\btrade apprenticeships?\b",
    "nvq3": r"\bnvq ?3 only\b",
    "nvq4": r"\bnvq ?4 ?\+|\bnvq ?4 and above\b",
    "other": r"\bother qualifications\b",
}

# NM_17_5 measures: which column of the panel each one feeds.
MEASURES = {"numerator": 21001, "denominator": 21002, "confidence": 21003}
_MEASURE_BY_CODE = {str(code): name for name, code in MEASURES.items()}

REQUIRED_COLUMNS = ["DATE", "GEOGRAPHY_CODE", "VARIABLE_CODE", "VARIABLE_NAME", "MEASURES_NAME", "OBS_VALUE"]


class NomisError(Exception):
    """NOMIS could not be reached or answered something unusable. The message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(_one_line(message))


def _one_line(text: object, limit: int = 400) -> str:
    flat = re.sub(r"\s+", " ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class NomisClient:
    """HTTP access to the NOMIS API with timeouts, retries, a disk cache and paging.

    ``retries`` is the number of extra attempts after the first; the wait before retry
    ``n`` (0-based) is ``backoff * 2**n`` seconds, or the server's ``Retry-After`` capped
    at ``max_retry_after``. ``transport`` is passed to ``httpx.Client`` (for tests or a
    proxy). ``last_fetched`` is when the newest data returned by the last ``fetch_csv``
    call left NOMIS (the cache file's time when it came from the cache).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        cache_dir: Path | None = None,
        timeout: float = 30,
        retries: int = 3,
        backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        page_size: int = PAGE_SIZE,
        max_retry_after: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.transport = transport
        self.page_size = page_size
        self.max_retry_after = max_retry_after
        self.network_requests = 0  # HTTP requests sent (including retries)
        self.cache_hits = 0  # pages served from the cache
        self.last_fetched: datetime | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url

    def url_for(self, dataset: str, params: dict) -> str:
        """The full URL of one page; parameters sorted so the same query is the same URL.

        Commas, and the ``|`` and ``;`` of user-defined areas (``MAKE|name|code;code``), are
        sent as NOMIS documents them; spaces as ``%20``."""
        pairs = {key: str(value) for key, value in sorted(params.items())}
        return f"{self.base_url}/dataset/{dataset}.data.csv?{urlencode(pairs, safe=',|;', quote_via=quote)}"

    def fetch_csv(self, dataset: str, params: dict, refresh: bool = False, check: Callable[[str, str, int], None] | None = None) -> str:
        """All rows of a NOMIS query as one CSV text (one header), paging past the row cap.

        Pages are asked for with ``recordoffset`` = rows received so far until a page has
        fewer than ``page_size`` rows. Each page is cached under a hash of its URL;
        ``refresh=True`` ignores (and rewrites) the cache. ``check(text, url, offset)``, when
        given, vets each page from the network before it is cached (a bad page is never kept).
        """
        header: str | None = None
        bodies: list[str] = []
        offset = 0
        fetched: list[datetime] = []
        with httpx.Client(timeout=self.timeout, transport=self.transport, follow_redirects=True) as http:
            while True:
                url = self.url_for(dataset, {**params, "recordoffset": offset})
                text, when = self._page(http, url, refresh, _page_check(check, offset))
                fetched.append(when)
                first_line, _, rest = text.partition("\n")
                rows = _count_rows(text)
                if header is None:
                    header = first_line
                elif first_line.strip() != header.strip():
                    raise NomisError(
                        f"NOMIS page at {url} has header {first_line.strip()[:120]!r}, unlike the first page's; expected the same columns on every page"
                    )
                if rows and bodies and rest.rstrip("\r\n") == bodies[-1].rstrip("\r\n"):
                    raise NomisError(f"NOMIS sent the same rows again for {url}; it seems to ignore recordoffset, so paging cannot go on")
                if rows:
                    bodies.append(rest if rest.endswith("\n") else rest + "\n")
                offset += rows
                if rows < self.page_size:
                    break
        self.last_fetched = max(fetched)
        return header.rstrip("\r") + "\n" + "".join(bodies)

    def fetch_text(self, url: str, check: Callable[[str, str], None], refresh: bool = False) -> str:
        """One response that is not a data page (a definition), with the same retries and cache;
        ``check(text, url)`` refuses a bad body before it is cached."""
        with httpx.Client(timeout=self.timeout, transport=self.transport, follow_redirects=True) as http:
            text, _ = self._page(http, url, refresh, check)
        return text

    # -- one page: cache, then network -------------------------------------------------

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        suffix = ".json" if urlsplit(url).path.endswith(".json") else ".csv"
        return self.cache_dir / f"{hashlib.sha256(url.encode()).hexdigest()}{suffix}"

    def _page(self, http: httpx.Client, url: str, refresh: bool, check: Callable[[str, str], None]) -> tuple[str, datetime]:
        cached = self._cache_path(url)
        if cached is not None and cached.is_file() and not refresh:
            self.cache_hits += 1
            return cached.read_text(encoding="utf-8"), datetime.fromtimestamp(cached.stat().st_mtime, tz=UTC)
        text = self._get(http, url)
        check(text, url)
        if cached is not None:
            write_text(cached, text)
        return text, datetime.now(UTC)

    def _get(self, http: httpx.Client, url: str) -> str:
        """GET with retries on passing failures; one-line NomisError otherwise."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            last_try = attempt == attempts - 1
            try:
                self.network_requests += 1
                response = http.get(url)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:  # retrying cannot help
                raise NomisError(
                    f"cannot ask NOMIS at {url}: {_one_line(error, 160)}; expected an http(s) base URL like {DEFAULT_BASE_URL}"
                ) from None
            except httpx.TimeoutException:
                if last_try:
                    raise NomisError(
                        f"cannot reach NOMIS at {self.host}: no answer within {self.timeout:g}s "
                        f"({attempts} attempts); check the network or use a cached response"
                    ) from None
                self._wait(attempt, None)
                continue
            except httpx.TransportError as error:  # DNS failure, refused connection, reset
                if last_try:
                    raise NomisError(
                        f"cannot reach NOMIS at {self.host}: {_reason(error)} ({attempts} attempts); "
                        "check the network or use a cached response"
                    ) from None
                self._wait(attempt, None)
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if last_try:
                    raise NomisError(f"NOMIS at {self.host} answered HTTP {status} for {url} after {attempts} attempts; try again later")
                self._wait(attempt, response.headers.get("Retry-After"))
                continue
            if status >= 400:
                raise NomisError(
                    f"NOMIS rejected the request with HTTP {status} for {url}: {_one_line(response.text, 160) or '(empty body)'}"
                )
            return _decode(response)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt)
        server_delay = _retry_after_seconds(retry_after)
        if server_delay is not None:
            delay = server_delay
        time.sleep(max(0.0, min(delay, self.max_retry_after)))


def _page_check(extra: Callable[[str, str, int], None] | None, offset: int) -> Callable[[str, str], None]:
    """``_check_csv``, then the caller's own check of the page at ``offset``."""

    def check(text: str, url: str) -> None:
        _check_csv(text, url)
        if extra is not None:
            extra(text, url, offset)

    return check


def _decode(response: httpx.Response) -> str:
    """The body as text; NOMIS sends UTF-8 (a BOM is dropped)."""
    return response.content.decode("utf-8-sig", errors="replace")


def _reason(error: Exception) -> str:
    text = _one_line(error, 160)
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if any(word in lowered for word in ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")):
        return "host name not found (DNS)"
    return text or type(error).__name__


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _check_csv(text: str, url: str) -> None:
    """Refuse what is not a NOMIS CSV (an HTML error page, an empty body, no OBS_VALUE)."""
    stripped = text.lstrip()
    if not stripped:
        raise NomisError(f"NOMIS returned an empty body for {url}; expected a CSV with a header row")
    if stripped.startswith("<"):
        title = re.search(r"<title>(.*?)</title>", stripped, re.IGNORECASE | re.DOTALL)
        what = f" ({_one_line(title.group(1), 80)})" if title else ""
        raise NomisError(f"NOMIS returned an HTML/XML page{what} instead of CSV for {url}; expected a CSV with an OBS_VALUE column")
    header = next(csv.reader(io.StringIO(stripped)), [])
    columns = [column.strip().upper() for column in header]
    if "OBS_VALUE" not in columns:
        raise NomisError(f"NOMIS response for {url} has no OBS_VALUE column (found {columns[:8]}); expected a NOMIS data CSV")


def _count_rows(text: str) -> int:
    """Data rows in a CSV text (records after the header; quoted newlines handled)."""
    return max(0, sum(1 for record in csv.reader(io.StringIO(text)) if record) - 1)


# -- APS highest qualification -------------------------------------------------------------


def nomis_geography(geography_type: str) -> str:
    """'lad' / 'region' / 'country' or a NOMIS 'TYPEnnn' code -> the NOMIS code."""
    key = geography_type.strip()
    if key.lower() in GEOGRAPHY_TYPES:
        return GEOGRAPHY_TYPES[key.lower()]
    if re.fullmatch(r"(?i)type\d+", key):
        return key.upper()
    raise ValueError(f"unknown geography {geography_type!r}; expected one of {sorted(GEOGRAPHY_TYPES)} or a NOMIS code like TYPE424")


def area_type_of(geography_type: str) -> str:
    """The skillcast area type ('lad', 'region', 'country') for a geography argument."""
    code = nomis_geography(geography_type)
    for name, nomis_code in GEOGRAPHY_TYPES.items():
        if nomis_code == code:
            return name
    return code.lower()


def complete_variables(overrides: dict[str, int] | None = None) -> dict[str, int]:
    """``NVQ_VARIABLES`` with ``overrides`` applied; every level must end up with a code."""
    variables = dict(NVQ_VARIABLES)
    for level, code in (overrides or {}).items():
        if level not in variables:
            raise ValueError(f"unknown NVQ level {level!r} in variables; expected one of {list(NVQ_VARIABLES)}")
        variables[level] = int(code)
    missing = [level for level, code in variables.items() if code is None]
    if missing:
        raise NomisError(
            f"no verified NOMIS NM_17_5 variable code for {missing}; look them up at "
            f"{DEFAULT_BASE_URL}/dataset/{APS_DATASET}/variable.def.htm and pass them, e.g. "
            f"--variables {missing[0]}=CODE (or fill skillcast.data.nomis.NVQ_VARIABLES)"
        )
    codes = list(variables.values())
    if len(set(codes)) != len(codes):
        raise ValueError(f"the same NOMIS variable code is given for two NVQ levels: {variables}")
    return variables  # type: ignore[return-value]


def aps_params(geography_type: str, years: list[int], variables: dict[str, int]) -> dict[str, str]:
    """Query parameters for Jan-Dec ``years`` of the T19 variables (DATE 'YYYY-12')."""
    return {
        "geography": nomis_geography(geography_type),
        "date": ",".join(f"{year}-12" for year in sorted(set(years))),
        "variable": ",".join(str(code) for code in variables.values()),
        "measures": ",".join(str(code) for code in MEASURES.values()),
    }


def parse_aps_csv(
    text: str,
    variables: dict[str, int] | None = None,
    where: str = "NOMIS response",
    vintage: str | None = None,
    area_type: str | None = None,
) -> SourceResult:
    """NM_17_5 CSV text -> validated panel of people aged 16-64 by highest NVQ level.

    ``value`` is the numerator (a count of people); ``ci95`` is the published 95%
    half-width of the percentage applied to the denominator (treating the denominator,
    which the APS weights to population estimates, as fixed). Suppressed cells ('!', '*',
    '~', blank with a non-'A' OBS_STATUS) become NaN and are counted in ``suppressed``.
    ``where`` names the response in errors. ``vintage`` defaults to today's date.
    """
    variables = complete_variables(variables)
    level_of = {str(code): level for level, code in variables.items()}
    raw = _read_aps_frame(text, where)

    result = SourceResult(source=RESULT_NAME, panel=pd.DataFrame(), files=[])
    if raw.empty:
        raise DataError(f"{where}: no data rows; expected APS rows for the requested areas and years")

    codes = _check_levels(raw, variables, level_of, where)
    dates = _annual_dates(raw, where)

    measure = _measure_names(raw, where)
    numerator = measure == "numerator"
    if not numerator.any():
        raise DataError(f"{where}: no Numerator rows (measure {MEASURES['numerator']}); expected counts of people")

    number = pd.Series(float("nan"), index=raw.index)
    number[numerator] = parse_values(raw, numerator, where, result.suppressed)
    for name in ("denominator", "confidence"):  # their suppression only blanks ci95
        rows = measure == name
        if rows.any():
            number[rows] = parse_values(raw, rows, where, Counter())

    wide = _wide_cells(raw, codes.map(level_of), dates, measure, number, where)
    result.panel = validate(_aps_panel(wide, vintage), source=where)
    if "GEOGRAPHY_NAME" in raw.columns:
        result.areas = _area_names(raw, area_type)
    return result


def _read_aps_frame(text: str, where: str) -> pd.DataFrame:
    """The CSV as text columns with upper-case names, refused in one line if it is not a CSV or lacks a
    column the parse needs (NOMIS errors come back as odd bodies, not HTTP errors)."""
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"{where}: empty CSV; expected a header row with {REQUIRED_COLUMNS}") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{where}: not a well-formed CSV ({_one_line(str(error).splitlines()[0], 160)})") from None
    raw.columns = [str(column).strip().upper() for column in raw.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in raw.columns]
    if missing:
        raise DataError(f"{where}: missing column(s) {missing}; found {list(raw.columns)[:12]}")
    return raw


def _check_levels(raw: pd.DataFrame, variables: dict[str, int], level_of: dict[str, str], where: str) -> pd.Series:
    """Each row's variable code, checked against what NOMIS says the variable is: the codes are not all verified
    (``NVQ_VARIABLES``), so a wrong one must fail loudly instead of mislabelling data."""
    codes = raw["VARIABLE_CODE"].str.strip()
    unknown = ~codes.isin(list(level_of))
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{where}: line {row + 2}, column 'VARIABLE_CODE', value {codes[row]!r}: not one of the requested variables {variables}"
        )
    for code, name in raw.assign(code=codes)[["code", "VARIABLE_NAME"]].drop_duplicates().itertuples(index=False):
        level = level_of[code]
        if not (re.search(NVQ_NAME_PATTERNS[level], name, re.IGNORECASE) and "16-64" in name):
            raise DataError(
                f"{where}: NOMIS variable {code} is {name!r}, but it is mapped to NVQ level {level!r} "
                f"(expected a name matching {NVQ_NAME_PATTERNS[level]!r} and '16-64'); fix its code in skillcast.data.nomis.NVQ_VARIABLES or --variables"
            )
    return codes


def _annual_dates(raw: pd.DataFrame, where: str) -> pd.Series:
    """Each row's DATE, which must be a Jan-Dec year ('YYYY-12', the period's last month): other APS periods
    overlap and would count people twice."""
    dates = raw["DATE"].str.strip()
    not_annual = ~dates.str.fullmatch(r"\d{4}-12")
    if not_annual.any():
        row = int(not_annual.to_numpy().nonzero()[0][0])
        label = raw.at[row, "DATE_NAME"] if "DATE_NAME" in raw.columns else dates[row]
        raise DataError(f"{where}: line {row + 2}, column 'DATE', value {dates[row]!r} ({label}): expected a Jan-Dec period like '2021-12'")
    return dates


def _wide_cells(raw: pd.DataFrame, levels: pd.Series, dates: pd.Series, measure: pd.Series, number: pd.Series, where: str) -> pd.DataFrame:
    """One row per area, level and year with its numerator, denominator and confidence side by side; a repeated
    measure for a cell is refused, since it would be unclear which to keep."""
    key = ["area", "code", "period"]
    cells = pd.DataFrame(
        {
            "area": raw["GEOGRAPHY_CODE"].str.strip(),
            "code": levels,
            "period": dates.str[:4].astype(int),
            "measure": measure,
            "number": number,
        }
    )
    repeated = cells.duplicated(key + ["measure"])
    if repeated.any():
        row = int(repeated.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{where}: line {row + 2}: a second {cells.at[row, 'measure']} row for area {cells.at[row, 'area']!r}, year {cells.at[row, 'period']}, level {cells.at[row, 'code']!r}"
        )
    wide = cells.loc[measure == "numerator", key + ["number"]].rename(columns={"number": "numerator"})
    for name in ("denominator", "confidence"):
        part = cells.loc[measure == name, key + ["number"]].rename(columns={"number": name})
        wide = wide.merge(part, on=key, how="left")
    return wide


def _aps_panel(wide: pd.DataFrame, vintage: str | None) -> pd.DataFrame:
    """The cells in the data contract's long format (not yet validated): the numerator as the count, and the
    confidence half-width turned from percentage points into people."""
    return pd.DataFrame(
        {
            "area": wide["area"],
            "measure": "population",
            "classification": "nvq",
            "code": wide["code"],
            "period": wide["period"],
            "value": wide["numerator"],
            "source": SOURCE,
            "vintage": vintage or date.today().isoformat(),
            "ci95": wide["confidence"] / 100.0 * wide["denominator"],
        }
    )


def _area_names(raw: pd.DataFrame, area_type: str | None) -> pd.DataFrame:
    """The areas the response names (``area, name, type, parent``): the areas this source defines, so the store's
    geography can name them."""
    names = raw[["GEOGRAPHY_CODE", "GEOGRAPHY_NAME"]].drop_duplicates("GEOGRAPHY_CODE")
    return pd.DataFrame(
        {"area": names["GEOGRAPHY_CODE"].str.strip(), "name": names["GEOGRAPHY_NAME"].str.strip(), "type": area_type or "", "parent": ""}
    ).reset_index(drop=True)


def _measure_names(raw: pd.DataFrame, where: str) -> pd.Series:
    """'numerator' / 'denominator' / 'confidence' / 'variable' for each row."""
    names = raw["MEASURES_NAME"].str.strip().str.lower()
    if "MEASURES" in raw.columns:  # the code, when present, is the surer guide
        by_code = raw["MEASURES"].str.strip().map(_MEASURE_BY_CODE)
        names = by_code.fillna(names)
    known = names.isin(["numerator", "denominator", "confidence", "variable"])
    if not known.all():
        row = int((~known).to_numpy().nonzero()[0][0])
        raise DataError(
            f"{where}: line {row + 2}, column 'MEASURES_NAME', value {raw.at[row, 'MEASURES_NAME']!r}: expected Numerator, Denominator, Confidence or Variable"
        )
    return names


def parse_values(raw: pd.DataFrame, rows: pd.Series, where: str, suppressed: Counter) -> pd.Series:
    """OBS_VALUE of ``rows`` as numbers (via ``parse_counts``, which counts '!', '*', '~' ...).

    A blank value whose OBS_STATUS is a flag other than 'A' (normal) is missing and counted
    under that flag, so the summary says why it is missing.
    """
    text = raw.loc[rows, "OBS_VALUE"]
    flagged = pd.Series(False, index=text.index)
    if "OBS_STATUS" in raw.columns:
        status = raw.loc[rows, "OBS_STATUS"].str.strip()
        flagged = (text.str.strip() == "") & ~status.isin(["", "A"])
        for flag, count in status[flagged].value_counts().items():
            suppressed[f"status {flag}"] += int(count)
    numbers = pd.Series(float("nan"), index=text.index)
    if (~flagged).any():
        numbers[~flagged] = parse_counts(text[~flagged], where, "OBS_VALUE", suppressed)
    return numbers


def fetch_aps_qualifications(
    client: NomisClient, geography_type: str, years: list[int], variables: dict[str, int] | None = None, refresh: bool = False
) -> SourceResult:
    """APS highest qualification (T19, NVQ levels) of people aged 16-64, Jan-Dec ``years``.

    ``variables`` overrides codes in ``NVQ_VARIABLES`` (every level needs one). Years the
    response has no rows for are named in ``notes`` (NVQ levels end with 2021).
    """
    if not years:
        raise ValueError("no years requested; expected e.g. 2019:2021")
    nomis_geography(geography_type)  # a bad geography is reported before missing codes
    codes = complete_variables(variables)
    params = aps_params(geography_type, years, codes)
    text = client.fetch_csv(APS_DATASET, params, refresh=refresh)
    where = client.url_for(APS_DATASET, params)
    if _count_rows(text) == 0:
        raise NomisError(f"NOMIS returned no rows for {where}; check the geography and years (the APS NVQ levels end with Jan-Dec 2021)")
    fetched = client.last_fetched or datetime.now(UTC)
    result = parse_aps_csv(text, codes, where=where, vintage=fetched.date().isoformat(), area_type=area_type_of(geography_type))
    result.notes.append(f"fetched {where} (plus recordoffset paging)")
    absent = sorted(set(years) - set(result.panel["period"].unique()))
    if absent:
        result.notes.append(f"no rows for {absent}: the APS NVQ-based levels end with Jan-Dec 2021 (RQF levels after)")
    return result
