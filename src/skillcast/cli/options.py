"""The options several commands share, and what the data options choose.

Every command builds its ``Config`` once (``Config.from_env`` at its start) and passes it
down; the data options pick the job's inputs: the synthetic demo (``--demo``) or an ingested
store (``--data``, default ``HOME/data``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from skillcast.config import Config

DataOption = Annotated[Path | None, typer.Option(help="store folder made by `skillcast ingest all` (default .skillcast/data)")]
DemoOption = Annotated[bool, typer.Option("--demo", help="run on the SYNTHETIC demo panel instead of a store")]
BundleOption = Annotated[Path | None, typer.Option(help="a forecast bundle folder (what the service answers from) instead of a store")]
ScenarioOption = Annotated[Path | None, typer.Option(help="scenario TOML: completions, retention, demand growth (see docs/gaps.md)")]
SeedOption = Annotated[int, typer.Option(help="seed of the simulations")]
DrawsOption = Annotated[int, typer.Option(min=20, max=20000, help="simulations for the intervals")]
TrackingOption = Annotated[
    str | None, typer.Option(help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else SQLite under .skillcast/)")
]
BasisOption = Annotated[
    str | None,
    typer.Option(
        help="what supply counts: workplace (default where the data allow: active people x jobs per employed resident), active or people"
    ),
]
ActiveOption = Annotated[bool, typer.Option("--active", help="the same as --basis active (kept for earlier scripts)")]


def store_folder(data: Path | None, config: Config) -> Path:
    """``--data``, else the store under the config's home."""
    return data or config.home / "data"


def open_store(data: Path | None, config: Config):
    """The store ``--data`` names, else the one under the config's home (``data.store.Store``).

    With no ``--data`` and no store at home: one line saying how to make it (``make retrain``,
    which keeps the delivery it validated there, or ``skillcast ingest all``).
    """
    from skillcast.data.store import MANIFEST_FILE, Store

    folder = store_folder(data, config)
    if data is None and not (folder / MANIFEST_FILE).is_file():
        raise FileNotFoundError(
            f"no data store at {folder} (the default): make it with `make retrain` or "
            f"`skillcast ingest all {config.data_dir}`, or pass --data STORE, or --demo for the synthetic demo"
        )
    return Store(folder)


def job_inputs(data: Path | None, demo: bool, config: Config):
    """The job's inputs (``pipeline.JobInputs``) that ``--data`` / ``--demo`` choose; one-line errors for a bad store."""
    from skillcast.pipeline import demo_inputs, store_inputs

    if demo:
        if data is not None:
            raise ValueError("--demo and --data: choose one (the demo makes its own synthetic panel)")
        from skillcast.data.demo import demo_panel

        return demo_inputs(*demo_panel(), config.targets)
    return store_inputs(open_store(data, config))


def gap_inputs(data: Path | None, demo: bool, config: Config):
    """What the gaps analysis needs (``gap_inputs.GapInputs``) from the demo or the store."""
    return job_inputs(data, demo, config).gap_inputs()
