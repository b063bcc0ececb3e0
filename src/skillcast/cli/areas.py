"""``skillcast areas [QUERY]``: list the areas skillcast knows, or find one by name or code.

Registered by ``skillcast.cli.main``. Reads only the geography: of the store (default
.skillcast/data), of a forecast bundle (``--bundle``) or of the synthetic demo (``--demo``).
A query is matched as every ``--area`` option matches it (``skillcast.data.finder``): any
case, accents, '&' or 'and', shortened and retired names, a typo or two. Each area is shown
with its type and what it sits in (a district) or is made of (a larger area).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from skillcast.cli.console import clear_errors, console
from skillcast.cli.options import BundleOption, DataOption, DemoOption, store_folder
from skillcast.config import Config

TYPE_CHOICES = {"district": "lad", "county": "county", "ca": "mca", "lsip": "lsip", "lep": "lep", "region": "region", "country": "country"}


def _geography(data: Path | None, demo: bool, bundle: Path | None, config: Config):
    if sum(bool(choice) for choice in (data, demo, bundle)) > 1:
        raise ValueError("--data, --demo and --bundle: choose one source of areas")
    if demo:
        from skillcast.data.demo import demo_geography

        return demo_geography()
    if bundle is not None:
        from skillcast.bundle import ForecastBundle

        return ForecastBundle.load(bundle).geography
    from skillcast.data.store import Store

    return Store(store_folder(data, config)).geography()


def areas(
    query: Annotated[
        str | None, typer.Argument(help="a name or code to look for (any case; e.g. 'leeds', 'greater manchester', E08000035)")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--type", help="only areas of this type: district, county, ca, lsip, lep, region or country")
    ] = None,
    data: DataOption = None,
    demo: DemoOption = False,
    bundle: BundleOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="most rows to show")] = 500,
) -> None:
    """List areas (districts, counties, combined authorities, LSIPs, LEPs, regions, England) or find one by name."""
    from skillcast.data.finder import QUERY_WORDS, TYPE_LABELS, AmbiguousArea, AreaFinder, UnknownArea

    with clear_errors():
        wanted = None
        if kind is not None:
            if kind.lower() not in TYPE_CHOICES:
                raise ValueError(f"--type: {kind!r} is not an area type; expected one of {sorted(TYPE_CHOICES)}")
            wanted = TYPE_CHOICES[kind.lower()]
        finder = AreaFinder(_geography(data, demo, bundle, Config.from_env()))
        if query is None:
            codes = [code for code in finder.places() if wanted is None or finder.geography.type_of(code) == wanted]
            title = f"{len(codes)} areas" + (f" of type {kind}" if kind else "")
        else:
            matches = [match for match in finder.search(query, limit=limit) if wanted is None or match.type == wanted]
            if not matches:
                try:
                    finder.resolve(query)
                except (UnknownArea, AmbiguousArea) as error:
                    raise ValueError(str(error)) from None
                raise ValueError(f"area {query!r}: no {kind} matches")
            codes = [match.code for match in matches]
            title = f"areas matching {query!r}"
        table = Table(title=title)
        for column in ("code", "name", "type", "where"):
            table.add_column(column, overflow="fold")
        for code in codes[:limit]:
            kind_label = TYPE_LABELS.get(finder.geography.type_of(code), finder.geography.type_of(code))
            table.add_row(code, finder.geography.name(code), kind_label, finder.describe(code).split(" - ", 1)[-1])
        console.print(table)
        if query is not None:
            try:
                chosen = finder.resolve(query)
                console.print(f"--area {query!r} means {chosen}: {finder.describe(chosen)}", highlight=False)
            except AmbiguousArea as error:
                kinds = dict.fromkeys(QUERY_WORDS.get(finder.geography.type_of(code), "") for code, _ in error.candidates)
                examples = " or ".join(f"'{query} {word}'" for word in kinds if word)
                console.print(
                    f"--area {query!r} is ambiguous: give one of the codes above, or add the type (e.g. {examples})", highlight=False
                )
        if len(codes) > limit:
            console.print(f"... {len(codes) - limit} more; narrow with a query or --type")
