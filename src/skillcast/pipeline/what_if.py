"""What-if: one area's gaps and priorities under a scenario, beside its baseline, on request.

A scenario changes flows inside the cohort model and the occupations' growth (``skills.scenarios``),
so it cannot be laid over a bundle's finished rows without a second, approximate meaning. The
service, the report and the CLI therefore run the gaps analysis again for the area, baseline and
scenario together from the same simulated draws, on the inputs the bundle was made from (the
demo's for a synthetic bundle; the store's otherwise). The demand model is fitted once, on the
first call (seconds on the demo, about ten on the real store), and kept; each answer then takes
one or two seconds. Its baseline is the area's own run: with the same data it agrees with the
bundle's figures up to simulation noise (the bundle simulates every area at once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.config import Config
from skillcast.pipeline.inputs import JobInputs
from skillcast.skills.scenarios import Scenario

BASELINE = "baseline"
EFFECT_COLUMNS = ["area", "band", "year", "basis", "baseline_gap", "scenario_gap", "effect", "effect_lo_80", "effect_hi_80"]
EFFECT_METHOD = (
    "effect = scenario gap - baseline gap, both from the same simulated draws (common random numbers); its range is "
    "the difference of the two runs' 10th and 90th percentiles (the lower and the higher, widened to hold the effect), "
    "so it carries the uncertainty the scenario itself adds or removes: a lever that adds a fixed number of people has "
    "a range of about nothing"
)


@dataclass(frozen=True)
class WhatIfResult:
    """One area's baseline and scenario: ``gaps`` (``gap_output.output_table``, a ``scenario`` column of 'baseline'
    and the scenario's name) and ``effects`` (``EFFECT_COLUMNS``); ``priorities`` of both when asked for."""

    area: str
    scenario: Scenario
    gaps: pd.DataFrame
    effects: pd.DataFrame
    priorities: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()


def effects(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """The scenario's effect on each band's gap (``EFFECT_COLUMNS``) from an ``output_table`` of both runs."""
    keys = ["area", "band", "year"]
    base = table.loc[table["scenario"] == BASELINE].set_index(keys)
    other = table.loc[table["scenario"] == name].set_index(keys).reindex(base.index)
    low = other["gap_lo_80"] - base["gap_lo_80"]
    high = other["gap_hi_80"] - base["gap_hi_80"]
    out = pd.DataFrame(
        {
            "basis": base["basis"],
            "baseline_gap": base["gap"],
            "scenario_gap": other["gap"],
            "effect": other["gap"] - base["gap"],
            "effect_lo_80": np.minimum(np.minimum(low, high), other["gap"] - base["gap"]),
            "effect_hi_80": np.maximum(np.maximum(low, high), other["gap"] - base["gap"]),
        }
    )
    return out.reset_index()[EFFECT_COLUMNS]


class WhatIf:
    """Runs scenarios for one area at a time on ``inputs`` (made on first use); thread-safe, one run at a time."""

    def __init__(self, inputs: Callable[[], JobInputs], config: Config, draws: int = 500) -> None:
        self.inputs = inputs
        self.config = config
        self.draws = draws
        self._lock = threading.Lock()  # one analysis at a time: each holds every draw of the area in memory
        self._state: tuple | None = None

    def _prepared(self) -> tuple:
        """(gap inputs, settings, fitted demand), made once."""
        with self._lock:
            if self._state is None:
                from skillcast.pipeline.job import gap_settings
                from skillcast.skills.gaps import fit_demand

                gap_inputs = self.inputs().gap_inputs()
                settings = gap_settings(self.config, self.draws)
                self._state = (gap_inputs, settings, fit_demand(gap_inputs, settings))
            return self._state

    def resolve(self, area: str) -> str:
        return self._prepared()[0].resolve(area, "area")

    def run(self, area: str, scenario: Scenario, priorities: bool = False) -> WhatIfResult:
        """The area's baseline and scenario (and their priorities with ``priorities``); ``ValueError`` naming the
        field when the scenario cannot apply to these data (e.g. an occupation they do not have)."""
        from skillcast.skills.gap_output import output_table
        from skillcast.skills.gaps import analyse
        from skillcast.skills.priorities import analysis_areas, rank_from_analysis

        if scenario.name == BASELINE:
            raise ValueError("scenario.name: 'baseline' names the baseline; give the scenario another name")
        gap_inputs, settings, forecast = self._prepared()
        code = self.resolve(area)
        check_occupations(scenario, forecast.history)
        plan = scenario.model_copy(update={"areas": None})  # the levers act on the area asked about
        areas = analysis_areas([code], gap_inputs) if priorities else [code]
        with self._lock:
            runs = {
                BASELINE: analyse(gap_inputs, settings, forecast, areas),
                plan.name: analyse(gap_inputs, settings, forecast, areas, plan),
            }
        table = output_table(runs, gap_inputs, None, self.config.nowcast_until)
        table = table.loc[table["area"] == code].reset_index(drop=True)
        ranked = None
        if priorities:
            parts = [rank_from_analysis(code, run, gap_inputs, settings)[0].assign(scenario=name) for name, run in runs.items()]
            ranked = pd.concat(parts, ignore_index=True)
        notes = tuple(note for note in runs[plan.name].notes if note not in runs[BASELINE].notes)
        return WhatIfResult(code, plan, table, effects(table, plan.name), ranked, notes)


def check_occupations(scenario: Scenario, history: pd.DataFrame) -> None:
    """Every ``demand`` lever names an occupation (SOC 2020 major or sub-major) the data hold; else one line naming it."""
    if not scenario.demand:
        return
    codes = set(history.loc[history["classification"].astype(str).str.startswith("soc2020"), "code"].astype(str))
    for index, lever in enumerate(scenario.demand):
        if not any(code == lever.occupation or code.startswith(lever.occupation) for code in codes):
            raise ValueError(f"scenario.demand[{index}].occupation: {lever.occupation!r} is no SOC 2020 group in these data")
