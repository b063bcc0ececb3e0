"""What one run of the main job reads, as frames: the demo and a store differ here, and only here.

``JobInputs`` holds the series the models fit, the areas and their hierarchy, the survey
rows the nowcast takes England's occupational mix from, and how to assemble what the gaps
analysis needs. ``demo_inputs`` makes them from the synthetic demo panel; ``store_inputs``
reads them from an ingested store (the one place this layer reads anything, through
``data.store``). Every later stage is the same code for both (``pipeline.job``), as in
Kedro: demo and production differ by their data, not their code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pandas as pd
from pydantic import BaseModel, ConfigDict

from skillcast.data.demo import demo_labour_survey
from skillcast.data.geography import Geography
from skillcast.data.schema import DataError, observations
from skillcast.data.sources.lookups import ENGLAND
from skillcast.data.sources.national_lms import national_signal
from skillcast.data.store import Store
from skillcast.data.vintage import data_vintage
from skillcast.engine.national_mix import MixSignal
from skillcast.engine.national_total import NationalSignal
from skillcast.engine.nowcast import APS_SOURCE, SOC2020_SOURCE, survey_mix_signal
from skillcast.engine.targets import DEFAULT_TARGETS, select_targets
from skillcast.skills.district_inputs import real_inputs
from skillcast.skills.gap_inputs import SOURCES, TABLES, GapInputs, tree_inputs
from skillcast.skills.labour_reserve import LOCAL_SOURCE, ReserveAssumptions, reserve_from_sources


class TrainingData(BaseModel):
    """Which ingested series the model trains on (the job file's ``[data]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = "si2035"
    measure: str = "employment"
    classifications: tuple[str, ...] = ("all", "soc2020_major", "soc2020_submajor", "rqf")

    def select(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The source's observations of the measure and classifications (never a publisher's projection)."""
        rows = observations(panel)
        rows = rows.loc[(rows["measure"] == self.measure) & rows["classification"].isin(self.classifications)].reset_index(drop=True)
        if rows.empty:
            raise DataError(f"source {self.source!r} has no {self.measure} observations with classifications {list(self.classifications)}")
        return rows


@dataclass(frozen=True)
class JobInputs:
    """Frames in; the job's stages read nothing else."""

    training: pd.DataFrame  # the series the models fit: observations only
    geography: Geography
    survey: pd.DataFrame | None  # rows holding the APS occupations (the nowcast's England mix), if any
    gap_inputs: Callable[[], GapInputs]  # what the gaps analysis needs; may raise when the data cannot give it
    national: pd.DataFrame | None = None  # the ONS labour market series (national_lms), if any
    labour_reserve: Callable[[], tuple[pd.DataFrame, dict]] | None = None  # every area's reserve (skills.labour_reserve); None: no survey
    description: dict = field(default_factory=dict)  # what the bundle metadata says about the training data
    forecasts_note: str = "the training series"  # the bundle's note: what the forecasts are of ...
    gaps_note: str = "demand - supply by qualification band"  # ... and what the gaps cover

    def hierarchy(self) -> tuple[tuple[str, str], ...]:
        """(child, parent) area pairs for a reconciled model: every parent the training series hold.
        A parent is summed only where all its children have the series (``reconcile``), so a child
        missing from the panel leaves its parent as forecast."""
        areas = set(self.training["area"])
        return tuple((area, parent) for area in self.geography.codes() if (parent := self.geography.parent(area)) and parent in areas)

    def mix_signal(self, enabled: bool = True) -> MixSignal:
        """England's occupational mix from the survey rows, when ``enabled`` (``Config.nowcast_occupation_mix``)."""
        return survey_mix_signal(self.survey) if enabled else ()

    def national_signal(self, enabled: bool = True) -> tuple[NationalSignal, dict[str, str]]:
        """England's total from the national labour market (``Config.nowcast_national``), and the
        last period of each series it rests on; empty without the national series."""
        if not enabled or self.national is None or self.national.empty:
            return (), {}
        return national_signal(self.national)


def demo_inputs(panel: pd.DataFrame, geography: Geography, targets: tuple[tuple[str, str], ...] = DEFAULT_TARGETS) -> JobInputs:
    """The synthetic demo: areas that carry both sides themselves, in a tree (``tree_inputs``)."""
    observed = observations(panel)
    leaves = [code for code in geography.codes() if geography.type_of(code) == "area"]

    def reserve() -> tuple[pd.DataFrame, dict]:
        """The demo has no A01, so the share of the inactive who want a job is set (England's 2025 figure, rounded)."""
        survey = {LOCAL_SOURCE: demo_labour_survey(panel, geography), "aps-qualifications": panel}
        return reserve_from_sources(survey, None, geography, ReserveAssumptions(wants_job_share=DEMO_WANTS_JOB_SHARE), leaves)

    return JobInputs(
        training=select_targets(observed, targets),
        geography=geography,
        survey=panel,
        gap_inputs=lambda: tree_inputs(observed, geography, synthetic=True),
        labour_reserve=reserve,
        description={
            "targets": [list(target) for target in targets],
            "data_vintage": [
                {"source": "demo", "what": "the demo's SYNTHETIC series", "last_period": str(last), "year": last}
                for last in [int(observed["period"].max())]
            ],
        },
        forecasts_note="the demo's SYNTHETIC series",
        gaps_note="demand - supply by qualification band for every demo area (its own people by age and qualification)",
    )


def store_inputs(store: Store, data: TrainingData | None = None) -> JobInputs:
    """An ingested store: SI2035 series to train on, every district and area of districts for the gaps."""
    data = data or TrainingData()
    training = data.select(store.source_panel(data.source))
    geography = store.geography()

    national = store.available((), ("national_series",))[1].get("national_series")

    def gap_inputs() -> GapInputs:
        sources, tables = store.available(SOURCES, TABLES)
        signal = national_signal(national)[0] if national is not None else ()
        return replace(real_inputs(sources, geography, tables), national_signal=signal)

    def reserve() -> tuple[pd.DataFrame, dict]:
        sources = store.available(RESERVE_SOURCES)[0]
        return reserve_from_sources(sources, national, geography)

    return JobInputs(
        training=training,
        geography=geography,
        survey=_survey(store),
        national=national,
        gap_inputs=gap_inputs,
        labour_reserve=reserve,
        description={"training_data": data.model_dump(mode="json"), "data_vintage": data_vintage(store.manifest())},
        forecasts_note="SI2035 employment series (SI2035 area ids)",
        gaps_note="demand - supply by qualification band for every district and every area of districts (ONS codes), "
        "from gaps.analyse on the same store",
    )


RESERVE_SOURCES = (LOCAL_SOURCE, SOC2020_SOURCE, "aps-qualifications")
DEMO_WANTS_JOB_SHARE = 0.22


def _survey(store: Store) -> pd.DataFrame | None:
    """England's survey occupation rows of every coding the store holds (SOC 2010, SOC 2020)."""
    panels = store.available((APS_SOURCE, SOC2020_SOURCE))[0]
    rows = [panel.loc[panel["area"] == ENGLAND] for panel in panels.values()]
    return pd.concat(rows, ignore_index=True) if rows else None
