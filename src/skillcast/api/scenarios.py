"""The service's scenario answers: ``/gaps`` and ``/priorities`` with a ``scenario``, as plain values.

A scenario is run for the area asked about (``pipeline.what_if``), baseline and scenario together, on
the inputs the bundle was made from: the demo's for a synthetic bundle, else the ingested store under
``HOME/data`` (``skillcast ingest all`` writes it). A service with neither answers the baseline only and
refuses a scenario with a 400 saying why. The scenario is echoed in every answer that used it.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from skillcast.bundle import InvalidQuery
from skillcast.config import Config
from skillcast.skills.scenarios import Scenario

if TYPE_CHECKING:  # the pipeline (and scikit-learn) load on the first scenario, not at the service's start
    from skillcast.pipeline.what_if import WhatIf

BASELINE = "baseline"  # pipeline.what_if.BASELINE
NO_INPUTS = "scenarios need the data the figures were made from: no ingested store at {store} (run `skillcast ingest all`)"


class Runner:
    """The service's scenario runner, made on the first scenario asked for: ``pipeline.what_if.WhatIf`` on the
    demo's inputs for a synthetic bundle, else on the ingested store under ``HOME/data``."""

    def __init__(self, synthetic: bool, config: Config) -> None:
        self.synthetic = synthetic
        self.config = config
        self.store = Path(config.home) / "data"
        self._made: WhatIf | None = None
        self._lock = threading.Lock()

    @property
    def inputs(self) -> str:
        """What scenarios run on, in words."""
        return "the demo's SYNTHETIC inputs" if self.synthetic else f"the ingested store {self.store}"

    def get(self) -> WhatIf:
        """The runner; ``InvalidQuery`` (400) when there is nothing to run scenarios on."""
        if not self.synthetic and not (self.store / "manifest.json").is_file():
            raise InvalidQuery("scenario", NO_INPUTS.format(store=self.store))
        with self._lock:
            if self._made is None:
                from skillcast.pipeline import demo_inputs, store_inputs
                from skillcast.pipeline.what_if import WhatIf

                if self.synthetic:
                    from skillcast.data.demo import demo_panel

                    self._made = WhatIf(lambda: demo_inputs(*demo_panel(), self.config.targets), self.config)
                else:
                    from skillcast.data.store import Store

                    self._made = WhatIf(lambda: store_inputs(Store(self.store)), self.config)
            return self._made


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {name: (None if isinstance(value, float) and not math.isfinite(value) else value) for name, value in record.items()}
        for record in frame.to_dict(orient="records")
    ]


def _run(runner: Runner, area: str, scenario: Scenario, priorities: bool = False):
    if scenario.is_empty():
        raise InvalidQuery("scenario", "the scenario changes nothing: give completions, retention, demand or activity")
    what_if = runner.get()
    try:
        return what_if.run(area, scenario, priorities=priorities)
    except ValueError as error:
        field, _, message = str(error).partition(": ")
        named = message and " " not in field  # "scenario.demand[0].occupation: ..." names its field
        raise InvalidQuery(field if named else "scenario", message if named else str(error)) from None


def scenario_gaps(runner: Runner, area: str, scenario: Scenario, band: str | None, years: list[int] | None) -> dict:
    """The area's gaps under ``scenario`` (``rows``), its baseline (``baseline_rows``) and the effect on each gap with
    its range (``effects``), from one run; the scenario echoed as given."""
    from skillcast.pipeline.what_if import EFFECT_METHOD

    result = _run(runner, area, scenario)
    table, effect = result.gaps, result.effects
    if band is not None:
        table, effect = table.loc[table["band"] == band], effect.loc[effect["band"] == band]
    if years:
        table, effect = table.loc[table["year"].isin(years)], effect.loc[effect["year"].isin(years)]
    return {
        "area": result.area,
        "rows": _records(table.loc[table["scenario"] != BASELINE]),
        "baseline_rows": _records(table.loc[table["scenario"] == BASELINE]),
        "effects": _records(effect.drop(columns=["area"])),
        "effect_method": EFFECT_METHOD,
        "scenario": scenario.model_dump(mode="json"),
        "scenario_inputs": runner.inputs,
        "scenario_notes": list(result.notes),
    }


def scenario_priorities(runner: Runner, area: str, scenario: Scenario, top: int | None) -> dict:
    """The area's ranking under ``scenario`` (``rows``) and its baseline ranking (``baseline_rows``), from one run."""
    result = _run(runner, area, scenario, priorities=True)
    ranked = result.priorities
    scenario_rows = ranked.loc[ranked["scenario"] != BASELINE].drop(columns="scenario")
    baseline_rows = ranked.loc[ranked["scenario"] == BASELINE].drop(columns="scenario")
    if top is not None:
        scenario_rows, baseline_rows = scenario_rows.head(top), baseline_rows.head(top)
    return {
        "area": result.area,
        "rows": _records(scenario_rows),
        "baseline_rows": _records(baseline_rows),
        "scenario": scenario.model_dump(mode="json"),
        "scenario_inputs": runner.inputs,
    }
