"""``skillcast fetch ...``: download public tables into files the rest of skillcast reads.

Mounted by ``skillcast.cli.main`` as ``app.add_typer(fetch_app, name="fetch")``. Like every
command, bad input or an unreachable server ends with one line on stderr and exit code 2,
and nothing half-written is left behind: the output file appears whole (``data.atomic``) or not at all.
"""

from __future__ import annotations

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
    out: Annotated[Path, typer.Option(help="folder to write the parquet file into")],
    table: Annotated[str, typer.Option(help=f"which table: {', '.join(TABLES)}")] = "qualifications",
    geography: Annotated[str, typer.Option(help="lad, region, country, or a NOMIS code like TYPE424")] = "lad",
    years: Annotated[str, typer.Option(help="Jan-Dec years: FIRST:LAST, one year, or a comma list")] = "2017:2021",
    cache_dir: Annotated[Path | None, typer.Option(help="response cache (default: $SKILLCAST_HOME/cache/nomis)")] = None,
    base_url: Annotated[str, typer.Option(help="NOMIS API root")] = DEFAULT_BASE_URL,
    timeout: Annotated[float, typer.Option(help="seconds to wait for each response")] = 30.0,
    retries: Annotated[int, typer.Option(help="extra attempts after a connection error, timeout, 5xx or 429")] = 3,
    backoff: Annotated[float, typer.Option(help="seconds before the first retry (doubling each time)")] = 1.0,
    variables: Annotated[str | None, typer.Option(help="NM_17_5 variable codes per NVQ level, e.g. nvq1=123,nvq2=456")] = None,
    refresh: Annotated[bool, typer.Option(help="ignore cached responses and ask NOMIS again")] = False,
) -> None:
    """APS highest qualification (NVQ levels, people 16-64) from NOMIS into OUT/nomis_aps_qualifications.parquet."""
    try:
        if table not in TABLES:
            raise ValueError(f"unknown --table {table!r}; expected one of {sorted(TABLES)}")
        year_list = parse_years(years)
        overrides = parse_variables(variables)
        if cache_dir is None:
            from skillcast.config import Config

            cache_dir = Config.from_env().home / "cache" / "nomis"
        client = NomisClient(base_url=base_url, cache_dir=cache_dir, timeout=timeout, retries=retries, backoff=backoff)
        result = fetch_aps_qualifications(client, geography, year_list, variables=overrides, refresh=refresh)
        target = out / TABLES[table]
        write_table(result.panel, target)
    except (NomisError, DataError, ValueError, OSError) as error:
        errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    panel = result.panel
    found = sorted(int(year) for year in panel["period"].unique())
    suppressed = ", ".join(f"{code} {count}" for code, count in sorted(result.suppressed.items())) or "none"
    console.print(f"wrote {target}: {len(panel)} rows, {panel['area'].nunique()} areas, years {found}", highlight=False, soft_wrap=True)
    console.print(f"suppressed cells: {suppressed}; missing values: {int(panel['value'].isna().sum())}", highlight=False, soft_wrap=True)
    console.print(
        f"NOMIS requests: {client.network_requests}, pages from cache: {client.cache_hits} ({cache_dir})", highlight=False, soft_wrap=True
    )
    for note in result.notes[1:]:  # the first note is the URL, too long for a summary
        console.print(f"note: {note}", highlight=False, soft_wrap=True)
