"""``skillcast fetch ...``: download public tables into files the rest of skillcast reads.

Mounted by ``skillcast.cli.main`` as ``app.add_typer(fetch_app, name="fetch")``. Like every
command, bad input or an unreachable server ends with one line on stderr and exit code 2,
and nothing half-written is left behind: the output file appears whole (``data.atomic``) or not at all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from skillcast.data.atomic import write_table
from skillcast.data.nomis import DEFAULT_BASE_URL, RESULT_NAME, NomisClient, NomisError, fetch_aps_qualifications
from skillcast.data.schema import DataError

fetch_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Download public data (NOMIS) into local files.")
console = Console()
errors = Console(stderr=True)

EXIT_BAD_INPUT = 2
TABLES = {"qualifications": f"{RESULT_NAME}.parquet"}  # --table -> output file name
# --tables and --geographies (skillcast.data.nomis_cells.TABLES and GEOGRAPHIES, not imported here: it loads the
# source readers, and every command starts through this module)
TABLES_NM_17_1 = "T09b,T01,T13a"
GEOGRAPHIES = "country,lad,mca,lsip"


@fetch_app.callback()
def _fetch() -> None:
    """Download public data (NOMIS) into local files."""  # a callback keeps 'nomis' a subcommand


def parse_years(text: str) -> list[int]:
    """'2019:2023' (inclusive), '2021' or '2019,2021' -> sorted years; ValueError otherwise."""
    cleaned = text.replace(" ", "")
    try:
        if ":" in cleaned:
            first_text, last_text = cleaned.split(":", 1)
            first, last = int(first_text), int(last_text)
            if first > last:
                raise ValueError(f"--years {text!r}: the first year is after the last; expected FIRST:LAST like 2019:2021")
            years = list(range(first, last + 1))
        else:
            years = sorted({int(part) for part in cleaned.split(",") if part})
    except ValueError as error:
        if str(error).startswith("--years"):
            raise
        raise ValueError(f"--years {text!r}: expected FIRST:LAST (e.g. 2019:2021), one year, or years separated by commas") from None
    if not years or any(year < 1990 or year > 2100 for year in years):
        raise ValueError(f"--years {text!r}: expected years between 1990 and 2100")
    return years


def parse_variables(text: str | None) -> dict[str, int]:
    """'nvq1=123,nvq2=456' -> {'nvq1': 123, 'nvq2': 456}; ValueError naming the bad part."""
    if not text:
        return {}
    variables: dict[str, int] = {}
    for part in text.split(","):
        level, _, code = part.strip().partition("=")
        if not level or not code.strip().isdigit():
            raise ValueError(f"--variables part {part.strip()!r}: expected LEVEL=CODE, e.g. nvq1=123")
        variables[level.strip()] = int(code)
    return variables


@fetch_app.command("nomis")
def nomis(
    out: Annotated[Path, typer.Option(help="folder to write into (for --tables: a folder laid out like ../shared/data)")],
    tables: Annotated[str | None, typer.Option(help=f"APS tables of NM_17_1 for the aps-soc2020 source, some of {TABLES_NM_17_1}")] = None,
    table: Annotated[str | None, typer.Option(help=f"NM_17_5 table: {', '.join(TABLES)} (the default without --tables)")] = None,
    geography: Annotated[str, typer.Option(help="with --table: lad, region, country, or a NOMIS code like TYPE424")] = "lad",
    geographies: Annotated[str, typer.Option(help=f"with --tables: some of {GEOGRAPHIES}")] = GEOGRAPHIES,
    lookups: Annotated[Path | None, typer.Option(help="with --tables: ONS lookups for the LSIPs and the GLA (default OUT/lookups)")] = None,
    years: Annotated[
        str | None,
        typer.Option(
            help="FIRST:LAST, one year or a list: Jan-Dec years (--table, default 2017:2021); years the April-March periods end (--tables, default the last five)"
        ),
    ] = None,
    cache_dir: Annotated[Path | None, typer.Option(help="response cache (default: $SKILLCAST_HOME/cache/nomis)")] = None,
    base_url: Annotated[str, typer.Option(help="NOMIS API root")] = DEFAULT_BASE_URL,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each response")] = 30.0,
    retries: Annotated[int, typer.Option(help="extra attempts after a connection error, timeout, 5xx or 429")] = 3,
    backoff: Annotated[float, typer.Option(help="seconds before the first retry (doubling each time)")] = 1.0,
    variables: Annotated[str | None, typer.Option(help="NM_17_5 variable codes per NVQ level, e.g. nvq1=123,nvq2=456")] = None,
    refresh: Annotated[bool, typer.Option(help="ignore cached responses and ask NOMIS again")] = False,
) -> None:
    """APS tables from NOMIS: --tables T09b,T01,T13a (NM_17_1) into OUT/aps_soc2020_dfe/ for the aps-soc2020 source,
    or --table qualifications (NM_17_5, NVQ levels) into OUT/nomis_aps_qualifications.parquet."""
    try:
        if tables is not None and table is not None:
            raise ValueError("--tables (NM_17_1) and --table (NM_17_5) ask for different things; give one of them")
        if cache_dir is None:
            from skillcast.config import Config

            cache_dir = Config.from_env().home / "cache" / "nomis"
        client = NomisClient(base_url=base_url, cache_dir=cache_dir, timeout=timeout, retries=retries, backoff=backoff)
        if tables is not None:
            options = {"geographies": geographies, "lookups": lookups, "years": years, "refresh": refresh}
            return _fetch_tables(client, tables, out, **options)
        _fetch_qualifications(client, table or "qualifications", out, geography, years or "2017:2021", variables, refresh)
    except (NomisError, DataError, ValueError, OSError) as error:
        errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _fetch_qualifications(
    client: NomisClient, table: str, out: Path, geography: str, years: str, variables: str | None, refresh: bool
) -> None:
    """--table qualifications: NM_17_5 highest qualification into a parquet file, and a summary."""
    if table not in TABLES:
        raise ValueError(f"unknown --table {table!r}; expected one of {sorted(TABLES)}")
    year_list = parse_years(years)
    overrides = parse_variables(variables)
    result = fetch_aps_qualifications(client, geography, year_list, variables=overrides, refresh=refresh)
    target = out / TABLES[table]
    write_table(result.panel, target)

    panel = result.panel
    found = sorted(int(year) for year in panel["period"].unique())
    suppressed = ", ".join(f"{code} {count}" for code, count in sorted(result.suppressed.items())) or "none"
    console.print(f"wrote {target}: {len(panel)} rows, {panel['area'].nunique()} areas, years {found}", highlight=False, soft_wrap=True)
    console.print(f"suppressed cells: {suppressed}; missing values: {int(panel['value'].isna().sum())}", highlight=False, soft_wrap=True)
    console.print(
        f"NOMIS requests: {client.network_requests}, pages from cache: {client.cache_hits} ({client.cache_dir})",
        highlight=False,
        soft_wrap=True,
    )
    for note in result.notes[1:]:  # the first note is the URL, too long for a summary
        console.print(f"note: {note}", highlight=False, soft_wrap=True)


def last_april_to_march_years(today: date, count: int = 5) -> list[int]:
    """The ``count`` April-March years up to the newest the APS has published by ``today``: ONS publishes
    April-March in July, so from August the year ending last March is there."""
    last = today.year if today.month >= 8 else today.year - 1
    return list(range(last - count + 1, last + 1))


def _fetch_tables(
    client: NomisClient, tables: str, out: Path, geographies: str, lookups: Path | None, years: str | None, refresh: bool
) -> None:
    """--tables: NM_17_1 cells by description, every area group, one file the aps-soc2020 source reads."""
    from skillcast.cli.console import stages
    from skillcast.data import nomis_cells

    names = nomis_cells.check_tables([name.strip() for name in tables.split(",") if name.strip()])
    wanted = [name.strip() for name in geographies.split(",") if name.strip()]
    year_list = parse_years(years) if years else last_april_to_march_years(date.today())
    nomis_cells.output_path(out)  # refused before any request if another employment file is there
    made = nomis_cells.made_areas(lookups or out / "lookups", wanted)
    groups = nomis_cells.area_groups(wanted, made)
    steps = ["cell definition"] + [f"{name}, {group.label}" for name in names for group in groups]
    with stages(steps) as stage:
        fetched = nomis_cells.fetch_aps_tables(client, names, year_list, groups, refresh=refresh, on_request=stage)
    target = nomis_cells.write_fetched(fetched, out)

    rows = fetched.rows
    suppressed = ", ".join(f"{code} {count}" for code, count in sorted(fetched.suppressed.items())) or "none"
    cells = ", ".join(f"{name} {len(found)}" for name, found in fetched.cells.items())
    console.print(
        f"wrote {target}: {len(rows)} rows, {rows['area_name'].nunique()} areas, periods {sorted(rows['period'].unique())}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"cells by description: {cells}; suppressed cells (written empty): {suppressed}", highlight=False, soft_wrap=True)
    console.print(
        f"NOMIS requests: {client.network_requests}, pages from cache: {client.cache_hits} ({client.cache_dir})",
        highlight=False,
        soft_wrap=True,
    )
    for note in fetched.notes:
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
