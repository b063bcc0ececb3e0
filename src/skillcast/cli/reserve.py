"""``skillcast labour-reserve``: an area's unemployed and inactive people against England's, and its gaps.

Registered by ``skillcast.cli.main``. Reads the store (or the demo), makes the labour reserve with
the job's own stage (``pipeline.job.reserve`` through ``JobInputs.labour_reserve``) and, unless
``--no-gaps``, the area's gaps as ``skillcast gaps`` does, then sets each band's gap beside the people
England's activity rates would bring into work (``skills.labour_reserve.fill_gaps``). Tables fit an
80-column terminal. Bad input ends with one line and exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from skillcast.cli.console import clear_errors, console, stages
from skillcast.cli.options import DataOption, DemoOption, DrawsOption, SeedOption, job_inputs
from skillcast.config import Config
from skillcast.data.atomic import write_table
from skillcast.reports.reserve import METHOD, fill_records, level_rows, summary_rows


def reserve_table(rows: pd.DataFrame, title: str) -> Table:
    """The newest figures of one area: measure, value, 80% interval and England's rate; the period in the title."""
    summary = summary_rows(rows)
    period = next((row["period"] for row in summary if row["measure"] == "reserve"), "")
    table = Table(title=f"{title}, {period}", title_justify="left")
    for column in ("measure", "value", "80% interval", "England"):
        table.add_column(column, justify="left" if column == "measure" else "right", overflow="fold")
    for row in summary:
        label = row["label"] + (f" ({row['period'].removeprefix('Jan-Dec ')})" if row["period"] != period else "")
        table.add_row(label, row["value"], row["interval"], row["england"])
    return table


def levels_table(rows: pd.DataFrame) -> Table:
    table = Table(title="By highest qualification (estimated mix)", title_justify="left")
    for column in ("level", "reserve", "at England's rates"):
        table.add_column(column, justify="left" if column == "level" else "right")
    for row in level_rows(rows):
        table.add_row(row["level"], row["reserve"], row["at_england_rates"])
    return table


def fill_table(fill: pd.DataFrame, year: int) -> Table:
    """Each band's gap in ``year`` beside the people England's rates would bring into work at its levels."""
    table = Table(title=f"Gaps in {year} and the reserve at England's rates", title_justify="left")
    for column in ("band", "gap", "80% interval", "at England's", "could fill"):
        table.add_column(column, justify="left" if column == "band" else "right")
    for row in fill_records(fill):
        table.add_row(row["band"], row["gap"], row["interval"], row["at_england_rates"], row["filled"])
    return table


def labour_reserve(
    area: Annotated[str, typer.Option(help="area name or code (e.g. Leeds, Greater Manchester, E06000052)")],
    data: DataOption = None,
    demo: DemoOption = False,
    year: Annotated[int | None, typer.Option(help="the gap year to set the reserve against (default: its newest year)")] = None,
    gaps: Annotated[bool, typer.Option("--gaps/--no-gaps", help="also make the area's gaps and set the reserve against them")] = True,
    history: Annotated[bool, typer.Option("--history", help="every survey year in --out, not only the newest")] = False,
    out: Annotated[Path | None, typer.Option(help="write the area's reserve rows to this CSV (or .parquet) file")] = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = 20240601,
) -> None:
    """The labour reserve: unemployed and inactive people 16-64 who want a job, against England, and how much of each
    band's gap England's activity rates would fill (docs/labour_reserve.md)."""
    with clear_errors():
        from skillcast.pipeline.job import gap_settings
        from skillcast.pipeline.job import reserve as reserve_stage
        from skillcast.reports.reserve import fill_rows
        from skillcast.skills.gaps import analyse, fit_demand
        from skillcast.skills.labour_reserve import latest_rows

        config = Config.from_env()
        steps = ["read data", "labour reserve"] + (["forecast demand", "gaps"] if gaps else []) + (["write"] if out else [])
        with stages(steps) as stage:
            stage("read data")
            inputs = job_inputs(data, demo, config)
            gap_inputs = inputs.gap_inputs()
            code = gap_inputs.resolve(area)
            stage("labour reserve")
            table, info = reserve_stage(inputs)
            if table is None:
                raise ValueError(f"--data: no labour reserve from these data ({info['error']})")
            rows = table.loc[table["area"] == code]
            if rows.empty:
                raise ValueError(f"--area: {area!r} ({code}) has no labour survey figures in these data")
            fill, gap_year = None, None
            if gaps:
                settings = gap_settings(config, draws, seed)
                stage("forecast demand")
                forecast = fit_demand(gap_inputs, settings)
                stage("gaps")
                run = analyse(gap_inputs, settings, forecast, [code])
                gap_year, fill = fill_rows(rows, run.gaps, code, year)
            if out:
                stage("write")
                write_table(rows if history else latest_rows(rows), out)
        synthetic = " [SYNTHETIC]" if gap_inputs.synthetic else ""
        console.print(reserve_table(rows, f"Labour reserve, {code} {gap_inputs.names.get(code, '')}{synthetic}"))
        if (rows["level"] != "all").any():
            console.print(levels_table(rows))
        if fill is not None and len(fill):
            console.print(fill_table(fill, gap_year))
        share = f"{info['wants_job_share']:.1%}" + (f", {info['national_period']}" if info.get("national_period") else ", set: no A01 here")
        console.print(f"{METHOD} Share of the inactive who want a job: {share}.", highlight=False)
        if out:
            console.print(f"wrote {len(rows if history else latest_rows(rows)):,} rows to {out}")
