"""``skillcast areas [QUERY]``: list the areas skillcast knows, or find one by name or code.

Registered by ``skillcast.cli.main``. Reads only a geography, and needs no store: the one
chosen (the store ``--data``, a forecast bundle ``--bundle``, the synthetic demo ``--demo``),
else the first there is of the store under SKILLCAST_HOME (``HOME/data``), the registry
champion's bundle (downloaded once by ``skillcast serve``, or now), the ONS lookups of the
data folder (SKILLCAST_DATA_DIR/lookups: what ``ingest`` reads its areas from) and the
bundle ``skillcast serve`` falls back to (the demo's: SYNTHETIC). A line under the table says
which. A query is matched as every ``--area`` option matches it (``skillcast.data.finder``):
any case, accents, '&' or 'and', shortened and retired names, a typo or two. Each area is
shown with its type and what it sits in (a district) or is made of (a larger area).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from skillcast.cli.console import clear_errors, console
from skillcast.cli.options import BundleOption, DataOption, DemoOption, store_folder
from skillcast.cli.tables import LABEL, TEXT, narrow_table
from skillcast.config import Config

TYPE_CHOICES = {"district": "lad", "county": "county", "ca": "mca", "lsip": "lsip", "lep": "lep", "region": "region", "country": "country"}


def _chosen_geography(data: Path | None, demo: bool, bundle: Path | None):
    """(geography, where it came from) of the source an option names, or None when none does."""
    if sum(bool(choice) for choice in (data, demo, bundle)) > 1:
        raise ValueError("--data, --demo and --bundle: choose one source of areas")
    if demo:
        from skillcast.data.demo import demo_geography

        return demo_geography(), "the SYNTHETIC demo's areas (--demo)"
    if bundle is not None:
        from skillcast.data.bundle_files import check_bundle
        from skillcast.data.geography import read_geography

        return read_geography(check_bundle(bundle)), f"the bundle {bundle}"
    if data is not None:
        from skillcast.data.store import Store

        return Store(data).geography(), f"the store {data}"
    return None


def _champion_bundle(config: Config) -> tuple[Path, str] | None:
    """(folder, version) of the registry champion's bundle, when there is a champion and it can be had."""
    from skillcast.cli.serve import champion_uri
    from skillcast.mlops.served import served_bundle

    uri = champion_uri(config)
    if uri is None:
        return None
    try:
        folder, _, version = served_bundle(uri, config.resolved_tracking_uri(), config.home / "served")  # the cache `serve` uses
        return folder, version
    except Exception:  # noqa: BLE001 - an unreachable registry or artifact store: the next source is tried
        return None


def _default_geography(config: Config):
    """(geography, where it came from): the first source there is (module doc), else a one-line error."""
    from skillcast.data.geography import read_geography
    from skillcast.data.store import MANIFEST_FILE, Store

    store = store_folder(None, config)
    if (store / MANIFEST_FILE).is_file():
        return Store(store).geography(), f"the store {store}"
    champion = _champion_bundle(config)
    if champion is not None:
        folder, version = champion
        return read_geography(folder), f"the bundle of champion version {version} ({folder}); no store at {store}"
    lookups = config.data_dir / "lookups"
    if lookups.is_dir() and any(lookups.glob("*.csv")):
        from skillcast.data.sources.lookups import load_geography

        return load_geography(lookups), f"the ONS lookups in {lookups}; no store at {store}"
    fallback = config.resolved_bundle()
    if (fallback / "geography.parquet").is_file():
        return read_geography(fallback), f"the bundle {fallback} (SYNTHETIC if it is the demo's); no store at {store}"
    raise FileNotFoundError(
        f"no areas to list: no store at {store}, no champion in the registry, no lookups in {lookups} and no bundle at "
        f"{fallback}; set SKILLCAST_DATA_DIR to the data folder, or run `skillcast ingest all FOLDER` or `skillcast demo`"
    )


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
        geography, source = _chosen_geography(data, demo, bundle) or _default_geography(Config.from_env())
        finder = AreaFinder(geography)
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
        rows = []
        for code in codes[:limit]:
            kind_label = TYPE_LABELS.get(finder.geography.type_of(code), finder.geography.type_of(code))
            rows.append([code, finder.geography.name(code), kind_label, finder.describe(code).split(" - ", 1)[-1]])
        console.print(narrow_table(title, [("code", LABEL), ("name", TEXT), ("type", TEXT), ("where", TEXT)], rows))
        console.print(f"areas from {source}", highlight=False)
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
