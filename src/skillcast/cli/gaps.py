"""``skillcast gaps`` and ``skillcast priorities``: skills gaps and apprenticeship priorities.

Registered by ``skillcast.cli.main``. The I/O edge of the gaps analysis: reads the store (or
makes the demo panel, ``cli.options.gap_inputs``), a scenario TOML and an optional population
projection, runs the pure stages (``skills.gaps``, ``skills.priorities``, ``skills.gap_output``),
prints a table and writes the result atomically (``data.atomic``): whole or not at all. Bad
input ends with one line and exit code 2.

Sign convention everywhere: gap = demand - supply; a positive gap is a shortage of people.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from skillcast.cli.console import clear_errors, console, stages
from skillcast.cli.options import ActiveOption, BasisOption, DataOption, DemoOption, DrawsOption, ScenarioOption, SeedOption, gap_inputs
from skillcast.cli.tables import INTERVAL, LABEL, NUMBER, TEXT, narrow_table, notes_below
from skillcast.config import Config
from skillcast.data.atomic import write_table

MAIN_BANDS = ("low", "intermediate", "high")
ALL_ORDER = ("low", "intermediate", "high", "none", "level1", "level2", "level3", "level4plus")


def _parse_year(text: str, option: str = "--year") -> int | None:
    if text.strip().lower() == "all":
        return None
    try:
        year = int(text)
    except ValueError:
        raise ValueError(f"{option}: {text!r} is not a year; expected a year such as 2030, or 'all'") from None
    if not 2000 <= year <= 2100:
        raise ValueError(f"{option}: {year} is out of range; expected a year between 2000 and 2100")
    return year


def _population(path: Path, inputs) -> pd.DataFrame:
    """The population projection file with its areas resolved as every ``--area`` is."""
    from skillcast.data.population import read_population_projection
    from skillcast.skills.cohort import AGE_BANDS

    frame = read_population_projection(path, AGE_BANDS)
    frame["area"] = [inputs.resolve(area, f"{path}: column 'area'") for area in frame["area"]]
    return frame


def _scenario_areas(plan, inputs, path: Path | None):
    """The scenario with its ``areas`` as area codes (SI2035 ids accepted)."""
    if plan is None or plan.areas is None:
        return plan
    return plan.model_copy(update={"areas": [inputs.resolve(area, f"{path}: areas") for area in plan.areas]})


def _areas(inputs, area: str) -> list[str]:
    return inputs.areas if area.strip().lower() == "all" else [inputs.resolve(area)]


def _millions(value: float) -> str:
    return f"{value / 1e6:+.2f}m" if abs(value) >= 1e6 else f"{value / 1e3:+,.0f}k"


def _count(value: float) -> str:
    return f"{value / 1e6:.2f}m" if abs(value) >= 1e6 else f"{value / 1e3:,.0f}k"


def _interval(low: float, high: float) -> str:
    return f"{_millions(low)} to {_millions(high)}"


def _range(low: float, high: float) -> str:
    """The interval, or 'observed' where both sides are published figures (no range)."""
    return _interval(low, high) if high - low > 0.5 else "observed"


# -- gaps -----------------------------------------------------------------------------------------


def gaps(
    data: DataOption = None,
    demo: DemoOption = False,
    area: Annotated[str, typer.Option(help="area code, SI2035 id (e.g. GM_LSIP) or 'all'")] = "all",
    year: Annotated[str, typer.Option(help="a year up to 2035, or 'all'")] = "all",
    out: Annotated[Path | None, typer.Option(help="write the table to this CSV (or .parquet) file")] = None,
    scenario: ScenarioOption = None,
    basis: BasisOption = None,
    active: ActiveOption = False,
    population: Annotated[Path | None, typer.Option(help="population projection CSV: area, age_band, year, value")] = None,
    end_year: Annotated[int, typer.Option(help="last year projected")] = 2035,
    draws: DrawsOption = 1000,
    seed: SeedOption = 20240601,
) -> None:
    """Skills gaps per area, qualification band and year: demand - supply (positive = shortage), with 80%/95% intervals."""
    with clear_errors():
        from skillcast.pipeline.job import gap_settings
        from skillcast.skills.gap_output import BASIS_WORDS, choose_basis, output_table, relevant_notes
        from skillcast.skills.gaps import analyse, fit_demand
        from skillcast.skills.scenarios import load_scenario

        config = Config.from_env()
        chosen_year = _parse_year(year)
        if chosen_year is not None and chosen_year > end_year:
            raise ValueError(f"--year: {chosen_year} is after the last projected year {end_year}")
        plan = load_scenario(scenario) if scenario else None
        steps = (
            ["read data", "prepare inputs", "forecast demand", "baseline gaps"]
            + (["scenario gaps"] if plan else [])
            + (["write"] if out else [])
        )
        with stages(steps) as stage:
            stage("read data")
            inputs = gap_inputs(data, demo, config)
            stage("prepare inputs")
            areas = _areas(inputs, area)
            plan = _scenario_areas(plan, inputs, scenario)
            projection = _population(population, inputs) if population else None
            settings = gap_settings(config, draws, seed, choose_basis(basis, active), end_year)
            stage("forecast demand")
            forecast = fit_demand(inputs, settings)
            stage("baseline gaps")
            runs = {"baseline": analyse(inputs, settings, forecast, areas, population=projection)}
            if plan:
                stage("scenario gaps")
                runs[plan.name] = analyse(inputs, settings, forecast, areas, scenario=plan, population=projection)
            table = output_table(runs, inputs, chosen_year, config.nowcast_until)
            if out:
                stage("write")
                write_table(table, out)
        if inputs.synthetic:
            console.print("[bold yellow]SYNTHETIC DEMO DATA[/]: not official statistics.")
        console.print(_print_gaps(table, inputs, chosen_year, plan.name if plan else None))
        for note in relevant_notes(runs, inputs, areas):
            console.print(f"note: {note}", highlight=False)
        print_warnings(runs["baseline"], areas)
        used = str(table["gap_basis"].iloc[0])
        console.print(
            f"basis: {used} - supply = {BASIS_WORDS[used]}. gap = demand (jobs) - supply; a positive gap is a shortage of people. "
            "imbalance = the band's share of supply - its share of demand, in points (negative: scarcer among people than among jobs). "
            f"Intervals: 80% and 95%, {draws} simulations of both sides.",
            highlight=False,
        )
        if out:
            console.print(f"wrote {len(table):,} rows to {out}")


def print_warnings(run, areas: list[str], limit: int = 12) -> None:
    """Warnings about the areas shown (a failed alignment check first); the rest are in the output file's 'warning' column."""
    ordered = [area for area in areas if area in run.flagged] + [area for area in areas if area not in run.flagged]
    lines = [text for area in ordered for text in run.warnings.get(area, ())]
    for text in lines[:limit]:
        console.print(f"[bold red]WARNING[/] {text}" if "ALIGNMENT CHECK FAILED" in text else f"[yellow]warning[/] {text}", highlight=False)
    if len(lines) > limit:
        flagged = len([area for area in areas if area in run.flagged])
        console.print(
            f"... {len(lines) - limit} more warnings ({flagged} areas flagged in all): see the 'warning' column of --out", highlight=False
        )


def _print_gaps(table: pd.DataFrame, inputs, year: int | None, scenario: str | None) -> Table:
    """Three bands (and, with a scenario, the levels it changes) for up to ten areas at the chosen year (or three key years)."""
    bands = list(MAIN_BANDS)
    if scenario:
        keyed = table.set_index(["scenario", "area", "band", "year"])["gap"]
        moved = (keyed.loc[scenario] - keyed.loc["baseline"]).abs().groupby(level="band").max()
        bands += [band for band in moved.index if band not in MAIN_BANDS and moved[band] > 0.5]
    shown = table.loc[table["band"].isin(bands)]
    areas = list(dict.fromkeys(shown["area"]))
    if len(areas) > 10:
        national = sorted((code for code in areas if code in inputs.parents), key=lambda code: -len(inputs.parents[code]))
        areas = (national + [code for code in areas if code not in national])[:10]  # larger areas first
    years = [year] if year is not None else _key_years(shown)
    basis = str(table["gap_basis"].iloc[0]) if len(table) else ""
    where = f" in {areas[0]} {inputs.names.get(areas[0], '')}" if len(areas) == 1 else ""
    title = f"Skills gap{where}, {basis} basis: demand - supply (positive = shortage)" + (" [SYNTHETIC]" if inputs.synthetic else "")
    title += f"; first {len(areas)} areas, all in the output file" if len(set(shown["area"])) > len(areas) else ""
    columns = [("area", LABEL), ("band", LABEL), ("year", NUMBER), ("demand", NUMBER, 2), ("supply", NUMBER, 3), ("gap", NUMBER)]
    columns += [("80% interval", INTERVAL), ("imbalance (pt)", NUMBER, 1)]
    if scenario:
        columns += [(f"gap: {scenario}", NUMBER), ("scenario 80%", INTERVAL)]
    rows = []
    base = shown.loc[shown["scenario"] == "baseline"].set_index(["area", "band", "year"])
    other = shown.loc[shown["scenario"] == scenario].set_index(["area", "band", "year"]) if scenario else None
    for code in areas:
        for when in years:
            for band in [band for band in ALL_ORDER if band in bands]:
                key = (code, band, when)
                if key not in base.index:
                    continue
                row = base.loc[key]
                label = f"{code}\nFLAGGED" if bool(row.flagged) else code  # never a plain number: see the warning printed below
                cells = [
                    label,
                    band,
                    str(when),
                    _count(row.demand),
                    _count(row.supply),
                    _millions(row.gap),
                    _range(row.gap_lo_80, row.gap_hi_80),
                    f"{row.imbalance:+.1f}" if pd.notna(row.imbalance) else "",
                ]
                if other is not None and key in other.index:
                    alt = other.loc[key]
                    cells += [_millions(alt.gap), _range(alt.gap_lo_80, alt.gap_hi_80)]
                rows.append(cells)
    return narrow_table(title, columns, rows, console.width, text_room=0)


def _key_years(table: pd.DataFrame) -> list[int]:
    observed = table.loc[table["basis"] == "observed", "year"]
    last = int(table["year"].max())
    candidates = [int(observed.max()) if len(observed) else int(table["year"].min()), 2030, last]
    return sorted({year for year in candidates if year in set(table["year"])})


# -- priorities ----------------------------------------------------------------------------------


def priorities(
    area: Annotated[str, typer.Option(help="area name or code (e.g. Cornwall, GM_LSIP, E06000052)")],
    data: DataOption = None,
    demo: DemoOption = False,
    budget: Annotated[float | None, typer.Option(help="Skills Levy / apprenticeship budget in pounds to allocate")] = None,
    mode: Annotated[
        str, typer.Option(help="local (default: need relative to the area's size and to England) or absolute (volume)")
    ] = "local",
    costs: Annotated[
        Path | None, typer.Option(help="JSON/TOML: pounds per start at levels (level2..level5) replacing the funding bands; routes shares")
    ] = None,
    relevance: Annotated[
        Path | None, typer.Option(help="reviewed CSV occupation,relevance[,reason] replacing the parsed relevance")
    ] = None,
    scenario: ScenarioOption = None,
    year: Annotated[int, typer.Option(help="last year of the requirement window (first: the last observed year)")] = 2035,
    top: Annotated[int, typer.Option(min=1, max=500, help="rows to print")] = 15,
    out: Annotated[Path | None, typer.Option(help="write the full ranking to this CSV (or .parquet) file")] = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = 20240601,
) -> None:
    """Rank occupations for apprenticeships (RQF 2-5): jobs to fill per 1,000 jobs and against England, the local
    shortage rating, apprenticeship relevance; optionally allocate a budget and convert it to starts."""
    with clear_errors():
        from skillcast.pipeline.job import gap_settings
        from skillcast.skills.apprenticeships import BudgetAssumptions, load_costs
        from skillcast.skills.scenarios import load_scenario

        config = Config.from_env()
        mode = _check_priority_options(budget, mode, area)
        assumptions = load_costs(costs) if costs else BudgetAssumptions()
        plan = load_scenario(scenario) if scenario else None
        steps = ["read data", "forecast demand", "baseline ranking"] + (["scenario ranking"] if plan else []) + (["write"] if out else [])
        with stages(steps) as stage:
            stage("read data")
            inputs, code = _priority_inputs(data, demo, config, relevance, area)
            plan = _scenario_areas(plan, inputs, scenario)
            settings = gap_settings(config, draws, seed, end_year=year)
            runs, rankings = _priority_rankings(stage, inputs, settings, code, plan, mode, budget, assumptions)
            table = pd.concat([ranking.assign(scenario=name) for name, ranking in rankings.items()], ignore_index=True)
            if out:
                stage("write")
                write_table(table, out)
        if inputs.synthetic:
            console.print("[bold yellow]SYNTHETIC DEMO DATA[/]: not official statistics.")
        final = rankings[plan.name] if plan else rankings["baseline"]
        baseline = rankings["baseline"] if plan else None
        for part in _print_ranking(final, baseline, inputs, code, top, budget, plan.name if plan else None):
            console.print(part)
        if budget is not None:
            run = runs[plan.name if plan else "baseline"][1]
            console.print(_print_routes(final, inputs, assumptions, run.mix, budget))
        _print_priority_notes(runs, inputs, code, settings, mode, budget, costs, assumptions)
        if out:
            console.print(f"wrote {len(table):,} rows to {out}")


def _check_priority_options(budget: float | None, mode: str, area: str) -> str:
    """The mode, lower-cased, once ``--budget``, ``--mode`` and ``--area`` are checked: bad options fail before
    any data are read."""
    from skillcast.skills.priorities import MODES

    if budget is not None and not budget > 0:
        raise ValueError(f"--budget: expected a positive amount of pounds, got {budget}")
    if mode.strip().lower() not in MODES:
        raise ValueError(f"--mode: {mode!r} is not a mode; expected one of {list(MODES)}")
    mode = mode.strip().lower()
    if area.strip().lower() == "all":
        raise ValueError("--area: priorities are for one area at a time; give an area name or code")
    return mode


def _priority_inputs(data: Path | None, demo: bool, config: Config, relevance: Path | None, area: str):
    """(inputs, area code): the gap inputs with any reviewed relevance applied, and the area, refused if it failed
    the alignment check (its figures cannot be trusted for a ranking)."""
    from dataclasses import replace

    from skillcast.skills.apprenticeships import override_relevance

    inputs = gap_inputs(data, demo, config)
    if relevance:
        inputs = replace(inputs, relevance=override_relevance(inputs.relevance, relevance))
    code = inputs.resolve(area)
    if code in inputs.flagged:
        raise ValueError(f"--area: {' '.join(inputs.warnings.get(code, (f'{code} failed the alignment check',)))} No priorities.")
    return inputs, code


def _priority_rankings(stage, inputs, settings, code: str, plan, mode: str, budget: float | None, assumptions):
    """(runs, rankings): the baseline and scenario rankings (``_rank``'s triples, and the ranking tables, with the
    budget allocated where given); demand is forecast once and shared by both."""
    from skillcast.skills.gaps import fit_demand
    from skillcast.skills.priorities import PriorityWeights, allocate

    stage("forecast demand")
    forecast = fit_demand(inputs, settings)
    stage("baseline ranking")
    weights = PriorityWeights()
    runs = {"baseline": _rank(inputs, settings, forecast, code, weights, None, mode)}
    if plan:
        stage("scenario ranking")
        runs[plan.name] = _rank(inputs, settings, forecast, code, weights, plan, mode)
    rankings = {name: ranking for name, (ranking, _, _) in runs.items()}
    if budget is not None:
        rankings = {
            name: allocate(ranking, budget, assumptions.costs, run.mix, inputs.funding, assumptions.routes)
            for name, (ranking, run, _) in runs.items()
        }
    return runs, rankings


def _print_priority_notes(runs, inputs, code: str, settings, mode: str, budget: float | None, costs: Path | None, assumptions) -> None:
    """What the ranking rests on, under the table: the analysis notes, the requirement window and the order used,
    and with a budget the allocation method, the costs per start and the area's FE pipeline."""
    from skillcast.skills.gap_output import relevant_notes
    from skillcast.skills.priorities import ALLOCATION_METHOD

    for note in relevant_notes({name: run for name, (_, run, _) in runs.items()}, inputs, [code]):
        console.print(f"note: {note}", highlight=False)
    window = f"{runs['baseline'][2]}-{settings.end_year}"
    console.print(
        f"jobs to fill = jobs held at RQF 2-5 opening {window} (replacement + growth where positive). {MODE_WORDS[mode]}", highlight=False
    )
    if budget is not None:
        console.print(f"allocation method: {ALLOCATION_METHOD}", highlight=False)
        console.print(funding_text(assumptions, costs), highlight=False)
        console.print(fe_pipeline_text(inputs, code), highlight=False)


def funding_text(assumptions, costs: Path | None) -> str:
    """Where the costs per start come from and what the routes' shares assume, in one line."""
    from skillcast.data.standards import load_products, products_vintage

    products = load_products()
    stated = assumptions.costs.stated()
    said = [
        f"funding bands: Skills England's {len(products)} products open to new starts (standards, foundation apprenticeships, "
        f"units; records to {products_vintage(products)}, Open Government Licence v3.0)"
    ]
    if stated:
        said.append(f"stated instead ({costs}): " + ", ".join(f"level {name[-1]} £{value:,.0f}" for name, value in stated.items()))
    routes = assumptions.routes
    said.append(
        f"route shares (assumption{', from ' + str(costs) if costs else ''}): {routes.foundation:.0%} of an occupation's money to "
        f"foundation apprenticeships and {routes.unit:.0%} to apprenticeship units where it has one, the rest to apprenticeships"
    )
    return "; ".join(said)


def _print_routes(ranking: pd.DataFrame, inputs, assumptions, mix, budget: float) -> Table:
    """What the budget buys, by route and level (``reports.budget.route_rows``, as the report shows it)."""
    from skillcast.reports.budget import route_rows
    from skillcast.skills.funding import buy, default_bands

    bands = inputs.funding if not inputs.funding.empty else default_bands()
    rows = [
        [
            row["route_name"],
            str(row["level"]),
            f"£{row['allocation']:,.0f}",
            f"£{row['cost_per_start']:,.0f}" if row["starts"] else "-",
            f"{row['starts']:,.0f}",
            ", ".join(served["occupation"] for served in row["served"]),
        ]
        for row in route_rows(buy(ranking, bands, assumptions.routes, assumptions.costs, mix))
    ]
    title = f"What £{budget:,.0f} buys, by route (median funding bands of the occupations' own products)"
    columns = [("route", TEXT), ("level", NUMBER), ("money", NUMBER), ("per start", NUMBER), ("starts", NUMBER), ("most for SOC", TEXT)]
    return narrow_table(title, columns, rows)


MODE_WORDS = {
    "local": "Order (--mode local): 0.35 z(log jobs to fill per 1,000 jobs) + 0.35 z(log location quotient vs England) + "
    "0.2 z(shortage score) + 0.1 z(apprenticeship relevance), z over the area's occupations; weights are a policy choice (docs/gaps.md).",
    "absolute": "Order (--mode absolute): jobs to fill x (1 + shortage uplift: shortage 0.5, recruitment difficulty 0.25) x "
    "apprenticeship relevance.",
}


def fe_pipeline_text(inputs, code: str) -> str:
    """The area's FE and skills learners (participation, achievements) as the pipeline an allocation adds to; starts are missing."""
    rows = inputs.fe_pipeline.loc[inputs.fe_pipeline["area"] == code].sort_values("year") if not inputs.fe_pipeline.empty else None
    if rows is None or rows.empty:
        return "FE and skills pipeline: no figures for this area in these data."
    first, last = rows.iloc[0], rows.iloc[-1]
    return (
        f"FE and skills pipeline (all FE and skills learners, not only apprentices): participation {last.fe_participation:,.0f}, "
        f"achievements {last.fe_achievements:,.0f} in {int(last.year)} (achievements {first.fe_achievements:,.0f} in {int(first.year)}); "
        "starts are missing in the published data (empty or zero), so starts funded above are not compared with current starts."
    )


def shortages(
    area: Annotated[str, typer.Option(help="area name or code (e.g. Cornwall, GM_LSIP, E06000052); 'all' for every area")],
    data: DataOption = None,
    demo: DemoOption = False,
    top: Annotated[int, typer.Option(min=1, max=500, help="rows to print")] = 30,
    out: Annotated[Path | None, typer.Option(help="write the ratings to this CSV (or .parquet) file")] = None,
) -> None:
    """Local shortage ratings (shortage / recruitment difficulty / no shortage) per occupation, with their drivers."""
    with clear_errors():
        with stages(["read data", "rate"] + (["write"] if out else [])) as stage:
            stage("read data")
            inputs = gap_inputs(data, demo, Config.from_env())
            codes = None if area.strip().lower() == "all" else [inputs.resolve(area)]
            stage("rate")
            table = inputs.shortages(codes)
            if out:
                stage("write")
                write_table(table, out)
        if inputs.synthetic:
            console.print("[bold yellow]SYNTHETIC DEMO DATA[/]: not official statistics; no vacancy or advert signals.")
        if codes:
            for part in _print_shortages(table, inputs, codes[0], top):
                console.print(part)
        else:
            counts = table["rating"].value_counts()
            console.print(
                f"{table['area'].nunique():,} areas rated: "
                + ", ".join(f"{name} {counts.get(name, 0):,}" for name in ("shortage", "recruitment difficulty", "no shortage"))
            )
        console.print(
            "score = weighted mean of standardised indicators: England's vacancy, skill-shortage and hard-to-fill rates (ESS) and "
            "online adverts per job by occupation, employment growth, and the area's own vacancies and adverts per job; see docs/shortages.md",
            highlight=False,
        )
        if out:
            console.print(f"wrote {len(table):,} rows to {out}")


def _print_shortages(table: pd.DataFrame, inputs, code: str, top: int) -> list[Table]:
    """The ratings in a table that fits 80 columns, then the drivers of each below it."""
    title = f"Shortage ratings, {code} {inputs.names.get(code, '')}" + (" [SYNTHETIC]" if inputs.synthetic else "")
    style = {"shortage": "bold red", "recruitment difficulty": "yellow", "no shortage": "green"}
    rows, drivers = [], []
    for row in table.sort_values("shortage_score", ascending=False).head(top).itertuples():
        rows.append([row.occupation, row.title, f"[{style.get(row.rating, '')}]{row.rating}[/]", f"{row.shortage_score:+.2f}"])
        said = f"{row.rating}, score {row.shortage_score:+.2f} - "  # the table's own figures, not repeated below it
        drivers.append((f"SOC {row.occupation}", row.drivers.removeprefix(said)))
    columns = [("SOC", LABEL), ("occupation", TEXT), ("rating", TEXT), ("score", NUMBER)]
    return [narrow_table(title, columns, rows), notes_below("What moves each score (up, then down):", drivers)]


def _rank(inputs, settings, forecast, code: str, weights, plan, mode: str = "local"):
    from skillcast.skills.gaps import analyse
    from skillcast.skills.priorities import analysis_areas, rank_from_analysis

    run = analyse(inputs, settings, forecast, analysis_areas([code], inputs), scenario=plan)
    ranking, start = rank_from_analysis(code, run, inputs, settings, weights, mode)
    return ranking, run, start


def _print_ranking(
    ranking: pd.DataFrame, baseline: pd.DataFrame | None, inputs, code: str, top: int, budget: float | None, scenario: str | None
) -> list[Table]:
    """The ranking's figures in a table that fits 80 columns, then why each occupation is where it is, below it."""
    title = f"Apprenticeship priorities, {code} {inputs.names.get(code, '')}" + (f" - scenario {scenario!r}" if scenario else "")
    columns = [("rank", NUMBER), ("SOC", LABEL), ("occupation", TEXT), ("jobs to fill", NUMBER), ("per 1,000 jobs", NUMBER, 3)]
    columns += [("LQ vs England", NUMBER, 2), ("shortage rating", TEXT), ("relevance", NUMBER, 1)]
    if baseline is not None:
        columns.insert(1, ("baseline rank", NUMBER))
    if budget is not None:
        columns += [("allocation", NUMBER), ("starts", NUMBER)]
    base_rank = baseline.set_index("occupation")["rank"] if baseline is not None else None
    rows, why = [], []
    for row in ranking.head(top).itertuples():
        cells = [
            str(row.rank),
            row.occupation,
            row.title,
            f"{row.openings:,.0f}",
            f"{row.per_1000:.1f}" if pd.notna(row.per_1000) else "-",
            f"{row.need_lq:.2f}" if pd.notna(row.need_lq) else "-",
            row.rating,
            f"{row.relevance:.2f}" if pd.notna(row.relevance) else "-",
        ]
        if base_rank is not None:
            cells.insert(1, str(int(base_rank.get(row.occupation, 0))))
        if budget is not None:
            cells += [f"£{row.allocation:,.0f}", f"{row.starts:,.0f}"]
        rows.append(cells)
        why.append((f"{row.rank}. SOC {row.occupation}", row.explanation))
    synthetic = " [SYNTHETIC]" if inputs.synthetic else ""
    table = narrow_table(title + synthetic, columns, rows, console.width, left_out_note="each is in the reasons below")
    return [table, notes_below("Why, rank by rank:", why)]
