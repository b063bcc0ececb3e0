"""APS tables of NOMIS dataset NM_17_1 as the DfE Local Skills Dashboard pulls them, written
where the ``aps-soc2020`` source reads them.

The dashboard (``dfe-analytical-services/lsip_dashboard``, ``importData/importEmp*.R``)
asks NOMIS for the dataset's cell definition and picks cells by their description text,
never by number: cell numbers are NOMIS's internal ids and change when a table is
redefined. This module does the same:

1. **Cells by description.** ``GET /dataset/NM_17_1/cell.def.sdmx.json`` (an SDMX-JSON
   codelist, the layout NOMIS uses for every dimension: ``structure.codelists.codelist[]
   .code[]`` with ``value`` and ``description.value``). Each table has a pattern for the
   descriptions it wants (``TABLE_SHAPES``) and the categories that must all be there:
   T01 (economic activity by age) the five counts the ``aps-soc2020`` reader takes, T09b
   (employment by SOC 2020 sub-major group, "All people - ..." cells) the 26 groups, T13a
   (employment by industry, SIC 2007) the 9 broad groups. A definition that lacks one
   (NOMIS redefined the table) is a one-line ``NomisError`` naming the table and the
   description expected.
2. **Data.** ``NM_17_1.data.csv`` for those cells, measure 20100 (``MEASURES_NAME`` "Value",
   the count; the dashboard keeps the same), April-March years (``date=YYYY-03``), two
   requests a table: NOMIS's own geography types (countries, districts as of April 2023,
   combined authorities as of May 2025) in one, and user-defined areas
   (``MAKE|<name>|<code>;<code>...``: the LSIPs of the lookups and the Greater London
   Authority as London's districts) in the other. ``NomisClient`` pages, retries and
   caches. Each page is checked before it is cached: every line has the header's fields
   and the rows reach ``RECORD_COUNT``, else the response was cut short.
3. **Output.** Rows in the reader's employment CSV layout (``aps_soc2020.CSV_COLUMNS``):
   metric ``all``/``inemployment``/``selfemployed``/``unemployed`` at 16+ and
   ``inactive`` at 16-64 (T01), ``inemployment`` by occupation (T09b) and by industry
   (T13a); ``period`` ``2024-04/2025-03``. A suppressed cell (empty value with a status
   other than ``A``, e.g. ``Q`` "These figures are missing.") is written empty, so the
   reader counts it as suppressed, and is counted here by its status. Countries other
   than England are dropped, as the dashboard does.

Left out: T19/T19a (highest qualification, NVQ and RQF). The reader's employment CSV
has no qualification metric, and no real T19a cell description was available to map its
levels from; ``aps-soc2020`` takes them from the dashboard's ``.rds`` instead.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from skillcast.data.atomic import write_table
from skillcast.data.nomis import NomisClient, NomisError, parse_values
from skillcast.data.schema import DataError
from skillcast.data.sources.aps_soc2020 import CSV_COLUMNS, FILES, INDUSTRIES, METRICS
from skillcast.data.sources.common import read_csv_checked
from skillcast.data.sources.lookups import FILES as LOOKUP_FILES

DATASET = "NM_17_1"
VALUE_MEASURE = 20100  # "Value": the count (20701 is its confidence interval)
TABLES = ("T09b", "T01", "T13a")
LEFT_OUT = {
    "T19a": "RQF qualifications do not fit the aps-soc2020 employment CSV (no qualification metric) and no real T19a cell "
    "description was available to map their levels from; aps-soc2020 reads them from the dashboard's .rds",
    "T19": "NVQ qualifications end with Jan-Dec 2021; use --table qualifications (NM_17_5) or the dashboard's .rds",
}
OUTPUT = Path("aps_soc2020_dfe") / "aps_nomis_dfe_employment_soc2020_by_area_fetched.csv"  # fits aps_soc2020.FILES[0]
EMPLOYMENT_PATTERN = FILES[0]
GEOGRAPHIES = ("country", "lad", "mca", "lsip")
GEOGRAPHY_NAMES = {"country": "countries", "lad": "districts", "mca": "combined authorities", "lsip": "LSIPs"}

# skillcast geography -> (NOMIS type code, GEOGRAPHY_TYPE as NOMIS names it, the reader's area_type)
NOMIS_TYPES: dict[str, tuple[str, str, str]] = {
    "country": ("TYPE499", "countries", "COUNTRY"),
    "lad": ("TYPE424", "local authorities: district / unitary (as of April 2023)", "LADU"),
    "mca": ("TYPE442", "combined authorities (as of May 2025)", "MCA"),
}
USER_DEFINED = "user defined geography"  # GEOGRAPHY_TYPE of a MAKE area (lsip_dashboard R/functions.R formatNomis)
COUNTRIES_KEPT = {"E92000001"}  # England; the dashboard drops the other countries too
GLA = "Greater London Authority"  # not a NOMIS combined authority: asked for as London's districts
LONDON = "London"  # its region in lad23_to_region_england.csv

SOC2020_SUBMAJOR_TITLES: dict[str, str] = {  # ONS SOC 2020 Volume 1, sub-major groups
    "11": "Corporate managers and directors",
    "12": "Other managers and proprietors",
    "21": "Science, research, engineering and technology professionals",
    "22": "Health professionals",
    "23": "Teaching and other educational professionals",
    "24": "Business, media and public service professionals",
    "31": "Science, engineering and technology associate professionals",
    "32": "Health and social care associate professionals",
    "33": "Protective service occupations",
    "34": "Culture, media and sports occupations",
    "35": "Business and public service associate professionals",
    "41": "Administrative occupations",
    "42": "Secretarial and related occupations",
    "51": "Skilled agricultural and related trades",
    "52": "Skilled metal, electrical and electronic trades",
    "53": "Skilled construction and building trades",
    "54": "Textiles, printing and other skilled trades",
    "61": "Caring personal service occupations",
    "62": "Leisure, travel and related personal service occupations",
    "63": "Community and civil enforcement occupations",
    "71": "Sales occupations",
    "72": "Customer service occupations",
    "81": "Process, plant and machine operatives",
    "82": "Transport and mobile machine drivers and operatives",
    "91": "Elementary trades and related occupations",
    "92": "Elementary administration and service occupations",
}

# T01: (age, status) as the description names them -> the reader's metric. Real labels:
# "T01:22 (Aged 16-64 - All : All People )", "T01:16 (All aged 16 & over - Unemployed : All People)".
T01_METRICS: dict[tuple[str, str], str] = {
    ("All aged 16 & over", "All"): "all",
    ("All aged 16 & over", "In employment"): "inemployment",
    ("All aged 16 & over", "Self Employed"): "selfemployed",
    ("All aged 16 & over", "Unemployed"): "unemployed",
    ("Aged 16-64", "Inactive"): "inactive",
}
# Each table's descriptions (case and spacing forgiven), and one as it should look, for errors.
TABLE_SHAPES: dict[str, tuple[re.Pattern, str]] = {
    "T01": (
        re.compile(r"T01:\d+ \((?P<age>.+?) - (?P<status>.+?) : All People\s*\)", re.IGNORECASE),
        "T01:n (All aged 16 & over - In employment : All People )",
    ),
    "T09b": (
        re.compile(r"T09b:\d+ \(All people - (?P<name>.+?) \(SOC ?2020\) : All people\s*\)", re.IGNORECASE),
        "T09b:n (All people - Corporate managers and directors (SOC2020) : All people )",
    ),
    "T13a": (
        re.compile(r"T13a:\d+ \((?P<sections>[A-Z](?:[A-Z,\-]*)) (?P<name>.+?) \(SIC 2007\) : All people\s*\)", re.IGNORECASE),
        "T13a:n (C Manufacturing (SIC 2007) : All people )",
    ),
}
REQUIRED_COLUMNS = [
    "DATE",
    "DATE_NAME",
    "GEOGRAPHY_NAME",
    "GEOGRAPHY_CODE",
    "GEOGRAPHY_TYPE",
    "CELL",
    "MEASURES",
    "MEASURES_NAME",
    "OBS_VALUE",
]


@dataclass(frozen=True)
class Cell:
    """One NM_17_1 cell and where its counts go in the reader's layout."""

    table: str
    code: str  # NOMIS's cell id, as the definition gives it
    description: str
    metric: str
    breakdown: str
    subgroup: str
    soc2020_submajor: str = ""


@dataclass(frozen=True)
class MadeArea:
    """A user-defined area (``MAKE|name|codes``) and the reader's area type for it."""

    name: str
    codes: tuple[str, ...]
    area_type: str  # LSIP or MCA


@dataclass(frozen=True)
class AreaGroup:
    """One ``geography=`` value and how to read the areas NOMIS answers with."""

    label: str
    geography: str
    types: dict[str, str]  # NOMIS GEOGRAPHY_TYPE (lower case) -> reader area_type
    made: dict[str, str] = field(default_factory=dict)  # user-defined area name -> reader area_type


@dataclass
class TablesFetch:
    """What ``fetch_aps_tables`` got: rows in the reader's layout and an account of them."""

    rows: pd.DataFrame
    cells: dict[str, list[Cell]]
    suppressed: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


# -- 1. cells by description ------------------------------------------------------------------


def definition_url(client: NomisClient) -> str:
    return f"{client.base_url}/dataset/{DATASET}/cell.def.sdmx.json"


def fetch_cell_definition(client: NomisClient, refresh: bool = False) -> dict[str, str]:
    """NOMIS's NM_17_1 cell codelist as ``{cell id: description}``."""
    url = definition_url(client)
    return parse_codelist(client.fetch_text(url, _check_json, refresh=refresh), url)


def _check_json(text: str, url: str) -> None:
    """Refuse what is not an SDMX-JSON codelist before it is cached."""
    stripped = text.lstrip()
    if not stripped:
        raise NomisError(f"NOMIS returned an empty body for {url}; expected the SDMX-JSON cell definition")
    if stripped.startswith("<"):
        raise NomisError(f"NOMIS returned an HTML/XML page instead of JSON for {url}; expected the SDMX-JSON cell definition")
    parse_codelist(text, url)


def _as_list(value: object) -> list:
    """NOMIS's JSON gives a single object where a list of one is meant."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_codelist(text: str, where: str) -> dict[str, str]:
    """``structure.codelists.codelist[].code[]`` -> ``{str(value): description}``."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NomisError(f"{where}: not JSON ({error.msg} at line {error.lineno}); expected the SDMX-JSON cell definition") from None
    structure = document.get("structure") if isinstance(document, dict) else None
    codelists = _as_list(structure.get("codelists", {}).get("codelist")) if isinstance(structure, dict) else []
    codes: dict[str, str] = {}
    for codelist in codelists:
        for code in _as_list(codelist.get("code") if isinstance(codelist, dict) else None):
            description = code.get("description") if isinstance(code, dict) else None
            label = description.get("value") if isinstance(description, dict) else description
            if isinstance(code, dict) and code.get("value") is not None and isinstance(label, str):
                codes[str(code["value"])] = label.strip()
    if not codes:
        raise NomisError(
            f"{where}: no codes in the cell definition; expected SDMX-JSON structure.codelists.codelist[].code[] with value and description"
        )
    return codes


def _words(text: str) -> str:
    """Lower case, '&' as 'and', punctuation and spacing dropped: how descriptions are compared."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower().replace("&", " and ")).strip()


@cache
def _industry_names() -> dict[str, tuple[str, str]]:
    """Comparable industry name -> (slug, the name written as ``subgroup``)."""
    names: dict[str, tuple[str, str]] = {}
    for published, slug in INDUSTRIES.items():
        display = next(name for name, same in INDUSTRIES.items() if same == slug)  # the first spelling (the correct one)
        names[_words(published)] = (slug, display[0].upper() + display[1:])
    return names


def _cell_for(table: str, match: re.Match, code: str, description: str) -> tuple[str, Cell] | None:
    """(category key, cell) for a description of ``table``'s shape, or None if it is not a category read."""
    if table == "T01":
        metric = {(_words(age), _words(status)): metric for (age, status), metric in T01_METRICS.items()}.get(
            (_words(match["age"]), _words(match["status"]))
        )
        if metric is None:
            return None
        return metric, Cell(table, code, description, metric, "Total", "Total")
    if table == "T09b":
        group = next((group for group, title in SOC2020_SUBMAJOR_TITLES.items() if _words(title) == _words(match["name"])), None)
        if group is None:
            return None
        subgroup = f"{group} - {SOC2020_SUBMAJOR_TITLES[group]}"
        return group, Cell(table, code, description, "inemployment", "Occupation (SOC2020 Sub-Major Group)", subgroup, group)
    found = _industry_names().get(_words(match["name"]))
    if found is None:
        return None
    return found[0], Cell(table, code, description, "inemployment", "Industry", found[1])


def _wanted(table: str) -> dict[str, str]:
    """Category key -> how to name it in an error, for every category ``table`` must have."""
    if table == "T01":
        return {metric: f"{age} - {status}" for (age, status), metric in T01_METRICS.items()}
    if table == "T09b":
        return {group: f"{group} {title}" for group, title in SOC2020_SUBMAJOR_TITLES.items()}
    return {slug: slug.replace("_", " ") for slug in dict.fromkeys(INDUSTRIES.values())}


def resolve_cells(definition: dict[str, str], table: str) -> list[Cell]:
    """The cells of ``table`` the reader takes, found by description; every category must be there once."""
    if table not in TABLE_SHAPES:
        raise ValueError(
            f"unknown NM_17_1 table {table!r}; expected one of {list(TABLES)}" + (f" ({LEFT_OUT[table]})" if table in LEFT_OUT else "")
        )
    pattern, example = TABLE_SHAPES[table]
    found: dict[str, list[Cell]] = {}
    for code, description in definition.items():
        match = pattern.fullmatch(description.strip())
        picked = _cell_for(table, match, code, description) if match else None
        if picked is not None:
            found.setdefault(picked[0], []).append(picked[1])
    wanted = _wanted(table)
    missing = [label for key, label in wanted.items() if key not in found]
    if missing:
        raise NomisError(
            f"NOMIS's {DATASET} cell definition has changed: table {table} has no cell for {missing[:4]}"
            f"{' and more' if len(missing) > 4 else ''} (expected descriptions like {example!r}); update skillcast.data.nomis_cells"
        )
    repeated = [cells for key, cells in found.items() if key in wanted and len(cells) > 1]
    if repeated:
        described = " / ".join(repr(cell.description) for cell in repeated[0][:2])
        raise NomisError(
            f"NOMIS's {DATASET} cell definition has changed: table {table} has {len(repeated[0])} cells like {described}; expected one"
        )
    return [found[key][0] for key in wanted]


# -- 2. areas ---------------------------------------------------------------------------------


def made_areas(lookups: Path, geographies: list[str]) -> list[MadeArea]:
    """The LSIPs (from the 2023 LSIP lookup) and the Greater London Authority (London's districts in the
    region lookup) as user-defined areas, for the geographies asked for."""
    areas: list[MadeArea] = []
    if "lsip" in geographies:
        lsip = read_csv_checked(Path(lookups) / LOOKUP_FILES["lsip"], ["LAD23CD", "LSIP23NM"])
        for name, rows in lsip.groupby("LSIP23NM", sort=True):
            areas.append(MadeArea(str(name).strip(), tuple(sorted(rows["LAD23CD"].str.strip().unique())), "LSIP"))
    if "mca" in geographies:
        region = read_csv_checked(Path(lookups) / LOOKUP_FILES["region"], ["LAD23CD", "RGN_NM"])
        london = sorted(region.loc[region["RGN_NM"].str.strip() == LONDON, "LAD23CD"].str.strip().unique())
        if not london:
            raise DataError(
                f"{Path(lookups) / LOOKUP_FILES['region']}: no districts in region {LONDON!r}; expected London's 33 to make the {GLA}"
            )
        areas.append(MadeArea(GLA, tuple(london), "MCA"))
    return areas


def area_groups(geographies: list[str], made: list[MadeArea]) -> list[AreaGroup]:
    """At most two requests a table: NOMIS's geography types together, then the user-defined areas."""
    unknown = [name for name in geographies if name not in GEOGRAPHIES]
    if unknown or not geographies:
        raise ValueError(f"unknown geographies {unknown or geographies}; expected some of {list(GEOGRAPHIES)}")
    groups = []
    typed = [name for name in GEOGRAPHIES if name in geographies and name in NOMIS_TYPES]
    if typed:
        codes = ",".join(NOMIS_TYPES[name][0] for name in typed)
        types = {NOMIS_TYPES[name][1].lower(): NOMIS_TYPES[name][2] for name in typed}
        groups.append(AreaGroup(f"geography {codes} ({', '.join(GEOGRAPHY_NAMES[name] for name in typed)})", codes, types))
    if made:
        for area in made:
            if "|" in area.name or "%" in area.name or not area.codes:
                raise ValueError(f"user-defined area {area.name!r}: a name without '|' or '%' and at least one district code is needed")
        value = ",".join(f"MAKE|{area.name}|{';'.join(area.codes)}" for area in made)
        kinds = Counter(area.area_type for area in made)
        label = f"geography MAKE|... ({', '.join(f'{count} {kind}' for kind, count in kinds.items())} as user-defined areas)"
        groups.append(AreaGroup(label, value, {USER_DEFINED: "LSIP"}, {area.name: area.area_type for area in made}))
    return groups


# -- 3. data ----------------------------------------------------------------------------------


def april_to_march_dates(years: list[int]) -> str:
    """NOMIS date codes of the April-March years ending in ``years`` (an APS period is coded by its last month)."""
    if not years:
        raise ValueError("no years requested; expected e.g. 2022:2026 (the years the April-March periods end)")
    return ",".join(f"{year}-03" for year in sorted(set(years)))


def check_page(page_size: int) -> Callable[[str, str, int], None]:
    """A page check for ``NomisClient.fetch_csv``: a line with fewer fields than the header, or fewer rows than
    ``RECORD_COUNT`` leaves for this offset, means the response was cut short (and it is not cached)."""

    def check(text: str, url: str, offset: int) -> None:
        records = [record for record in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if record]
        header, rows = [name.strip().upper() for name in records[0]], records[1:]
        for number, record in enumerate(rows, start=2):
            if len(record) != len(header):
                raise NomisError(f"NOMIS cut the response short: line {number} has {len(record)} of {len(header)} fields ({url})")
        if not rows or "RECORD_COUNT" not in header:
            return
        counts = {record[header.index("RECORD_COUNT")].strip() for record in rows}
        if len(counts) != 1 or not next(iter(counts)).isdigit():
            raise NomisError(f"NOMIS cut the response short: RECORD_COUNT is not one number on every line ({sorted(counts)[:3]}) ({url})")
        total = int(counts.pop())
        expected = min(page_size, total - offset)
        if len(rows) < expected:
            raise NomisError(
                f"NOMIS cut the response short: {len(rows)} rows from offset {offset} where RECORD_COUNT {total} leaves {expected} ({url})"
            )

    return check


def fetch_table(client: NomisClient, table: str, cells: list[Cell], group: AreaGroup, dates: str, refresh: bool = False) -> TablesFetch:
    """One table for one group of areas, in the reader's layout; errors name the table and the areas."""
    where = f"{DATASET} {table}, {group.label}"
    params = {"cell": ",".join(cell.code for cell in cells), "date": dates, "geography": group.geography, "measures": VALUE_MEASURE}
    try:
        text = client.fetch_csv(DATASET, params, refresh=refresh, check=check_page(client.page_size))
        return parse_table(text, cells, group, dates, where)
    except (NomisError, DataError) as error:
        message = _QUERY_URL.sub(lambda url: f"the query at recordoffset {_offset_of(url[0])}", str(error))  # the table and areas say which
        raise NomisError(message if message.startswith(where) else f"{where}: {message}") from None


_QUERY_URL = re.compile(r"https?://\S+?\.data\.csv\?[^\s:)]*")


def _offset_of(url: str) -> str:
    found = re.search(r"recordoffset=(\d+)", url)
    return found[1] if found else "0"


def _read_frame(text: str, where: str) -> pd.DataFrame:
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise NomisError(f"{where}: not a well-formed CSV ({str(error).splitlines()[0] if str(error) else 'empty'})") from None
    raw.columns = [str(column).strip().upper() for column in raw.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in raw.columns]
    if missing:
        raise NomisError(f"{where}: missing column(s) {missing}; found {list(raw.columns)[:12]}")
    if raw.empty:
        raise NomisError(f"{where}: NOMIS returned no rows; expected counts for the cells, years and areas asked for")
    count = raw["RECORD_COUNT"].str.strip().iloc[0] if "RECORD_COUNT" in raw.columns else ""
    if count.isdigit() and int(count) != len(raw):  # a page past the first came back empty or short
        raise NomisError(f"{where}: NOMIS cut the response short: {len(raw)} rows in all where RECORD_COUNT says {count}")
    return raw


def _first_bad(bad: pd.Series, raw: pd.DataFrame, column: str, where: str, expected: str) -> None:
    if bad.any():
        row = bad.index[bad.to_numpy().nonzero()[0][0]]
        raise NomisError(f"{where}: line {row + 2}, column {column!r}, value {raw.at[row, column]!r}: expected {expected}")


def _area_types(raw: pd.DataFrame, group: AreaGroup, where: str) -> tuple[pd.Series, list[str]]:
    """The reader's area type of each row ('' for a country other than England), and notes."""
    kind = raw["GEOGRAPHY_TYPE"].str.strip().str.lower()
    names = raw["GEOGRAPHY_NAME"].str.strip()
    area_type = kind.map(group.types)
    made = names.map(group.made)
    area_type = made.where((kind == USER_DEFINED) & made.notna(), area_type)
    _first_bad(
        area_type.isna(), raw, "GEOGRAPHY_TYPE", where, f"one of {sorted(group.types)} (a NOMIS geography type code may have changed)"
    )
    other_country = (area_type == "COUNTRY") & ~raw["GEOGRAPHY_CODE"].str.strip().isin(COUNTRIES_KEPT)
    notes = []
    strangers = sorted(set(names[(kind == USER_DEFINED) & made.isna()]))
    if strangers and group.made:
        notes.append(f"{where}: user-defined area(s) NOMIS named otherwise than asked, kept as LSIPs: {strangers[:5]}")
    return area_type.mask(other_country, ""), notes


def _periods(raw: pd.DataFrame, dates: str, where: str) -> pd.Series:
    """'2025-03' (Apr 2024-Mar 2025) -> '2024-04/2025-03', the reader's label; anything else is refused."""
    date = raw["DATE"].str.strip()
    _first_bad(~date.isin(dates.split(",")), raw, "DATE", where, f"one of the periods asked for ({dates})")
    year = date.str[:4].astype(int)
    label = "Apr " + (year - 1).astype(str) + "-Mar " + year.astype(str)
    _first_bad(
        raw["DATE_NAME"].str.strip().str.lower() != label.str.lower(),
        raw,
        "DATE_NAME",
        where,
        "an April-March year like 'Apr 2024-Mar 2025'",
    )
    return (year - 1).astype(str) + "-04/" + year.astype(str) + "-03"


def parse_table(text: str, cells: list[Cell], group: AreaGroup, dates: str, where: str) -> TablesFetch:
    """An NM_17_1 CSV -> rows of the reader's layout (suppressed cells empty, counted by their status)."""
    raw = _read_frame(text, where)
    is_value = (raw["MEASURES"].str.strip() == str(VALUE_MEASURE)) | (raw["MEASURES_NAME"].str.strip().str.lower() == "value")
    raw = raw.loc[is_value]
    if raw.empty:
        raise NomisError(f"{where}: no rows of measure {VALUE_MEASURE} (Value); expected counts of people")
    cell_of = {cell.code: cell for cell in cells}
    code = raw["CELL"].str.strip()
    _first_bad(~code.isin(list(cell_of)), raw, "CELL", where, f"one of the {len(cells)} cells asked for")
    area_type, notes = _area_types(raw, group, where)
    period = _periods(raw, dates, where)
    kept = area_type != ""
    result = TablesFetch(rows=pd.DataFrame(), cells={cells[0].table: cells}, notes=notes)
    values = parse_values(raw, kept, where, result.suppressed)
    cell = code[kept].map(cell_of)
    result.rows = pd.DataFrame(
        {
            "area_type": area_type[kept],
            "area_name": raw.loc[kept, "GEOGRAPHY_NAME"].str.strip(),
            "metric": cell.map(lambda item: item.metric),
            "age": cell.map(lambda item: METRICS[item.metric][1]),
            "breakdown": cell.map(lambda item: item.breakdown),
            "subgroup": cell.map(lambda item: item.subgroup),
            "soc2020_submajor": cell.map(lambda item: item.soc2020_submajor),
            "period": period[kept],
            "value": values,
        }
    )
    repeated = result.rows.duplicated(["area_type", "area_name", "metric", "subgroup", "period"])
    if repeated.any():
        row = repeated.index[repeated.to_numpy().nonzero()[0][0]]
        raise NomisError(f"{where}: line {row + 2}: a second row for {raw.at[row, 'GEOGRAPHY_NAME']!r}, cell {code[row]}, {period[row]}")
    return result


def check_tables(tables: list[str]) -> list[str]:
    """The tables asked for, checked before any request."""
    if not tables:
        raise ValueError(f"no tables asked for; expected some of {list(TABLES)}")
    for table in tables:
        if table not in TABLES:
            why = f" ({LEFT_OUT[table]})" if table in LEFT_OUT else ""
            raise ValueError(f"NM_17_1 table {table!r} is not fetched{why}; expected some of {list(TABLES)}")
    return list(dict.fromkeys(tables))


def fetch_aps_tables(
    client: NomisClient,
    tables: list[str],
    years: list[int],
    groups: list[AreaGroup],
    refresh: bool = False,
    on_request: Callable[[str], None] | None = None,
) -> TablesFetch:
    """The definition, then every table for every group of areas; nothing is returned unless all succeeded.

    ``on_request(label)`` hears each step as it starts (the command line's progress bar).
    """
    tables, dates = check_tables(tables), april_to_march_dates(years)
    announce = on_request or (lambda label: None)
    announce("cell definition")
    definition = fetch_cell_definition(client, refresh)
    cells = {table: resolve_cells(definition, table) for table in tables}
    result = TablesFetch(rows=pd.DataFrame(columns=CSV_COLUMNS), cells=cells)
    frames = []
    for table in tables:
        for group in groups:
            announce(f"{table}, {group.label}")
            part = fetch_table(client, table, cells[table], group, dates, refresh)
            frames.append(part.rows)
            result.suppressed.update(part.suppressed)
            result.notes += part.notes
    rows = pd.concat(frames, ignore_index=True)
    whole = rows["value"].dropna()
    if (whole == whole.round()).all():
        rows["value"] = rows["value"].round().astype("Int64")
    order = {"COUNTRY": 0, "MCA": 1, "LSIP": 2, "LADU": 3}
    rows = rows.sort_values(
        ["area_type", "area_name", "metric", "breakdown", "soc2020_submajor", "subgroup", "period"],
        key=lambda column: column.map(order).fillna(column) if column.name == "area_type" else column,
    )
    result.rows = rows[CSV_COLUMNS].reset_index(drop=True)
    found = sorted({int(period[-7:-3]) for period in result.rows["period"]})
    absent = sorted(set(years) - set(found))
    if absent:
        result.notes.append(f"NOMIS had no rows for the April-March years ending {absent}")
    return result


# -- 4. output --------------------------------------------------------------------------------


def output_path(out: Path) -> Path:
    """Where the fetched file goes under ``out``; refused if another employment file there would be read beside it."""
    out = Path(out)
    target = out / OUTPUT
    others = [path for path in sorted(out.glob(EMPLOYMENT_PATTERN)) if path != target]
    if others:
        raise ValueError(
            f"{others[0]} is already there, and the aps-soc2020 source would read it beside the fetched file "
            f"(the same areas and years twice); move it out of {out} or fetch into another folder"
        )
    return target


def write_fetched(fetch: TablesFetch, out: Path) -> Path:
    """The rows as ``out/aps_soc2020_dfe/aps_nomis_dfe_employment_soc2020_by_area_fetched.csv``, atomically."""
    target = output_path(out)
    write_table(fetch.rows[CSV_COLUMNS], target)
    return target
