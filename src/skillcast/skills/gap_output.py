"""What a gaps analysis gives its readers: the output table, the notes about the areas shown, the basis in words.

``skillcast gaps --out``, the report and the workbook all read a gaps run through these, so a
column, a note or a basis reads the same in each.
"""

from __future__ import annotations

import pandas as pd

from skillcast.data.basis import label_nowcast
from skillcast.skills.gap_table import GAP_COLUMNS

BASIS_WORDS: dict[str, str] = {
    "people": "people 16-64 by highest qualification, living in the area",
    "active": "economically active people 16-64 living in the area",
    "workplace": "economically active people 16-64 x the area's jobs per employed resident (the workers its jobs draw on)",
}
REQUIREMENT_COLUMNS: tuple[str, ...] = (
    "expansion_demand",
    "replacement_demand",
    "total_requirement",
    "demand_by_occupation",
    "reference_demand",
)


def choose_basis(basis: str | None, active: bool = False) -> str | None:
    """``--basis`` (or ``--active``, its earlier spelling); None leaves the data's default (workplace where possible)."""
    if basis is not None and basis.strip().lower() not in BASIS_WORDS:
        raise ValueError(f"--basis: {basis!r} is not a basis; expected one of {list(BASIS_WORDS)}")
    if active and basis is not None and basis.strip().lower() != "active":
        raise ValueError(f"--active and --basis {basis}: --active means --basis active; give one")
    return "active" if active else (basis.strip().lower() if basis else None)


def output_table(runs: dict, inputs, year: int | None, nowcast_until: int | None = None) -> pd.DataFrame:
    """Each run's gaps (``{scenario name: gaps.GapAnalysis}``) with the requirement columns, area
    name, scenario, flag and warnings: what ``skillcast gaps --out`` writes. Model years up to
    ``nowcast_until`` (``Config.nowcast_until``) are labelled ``nowcast``, as in the bundle."""
    frames = []
    for name, run in runs.items():
        extra = run.demand[["area", "band", "year", *[column for column in REQUIREMENT_COLUMNS if column in run.demand.columns]]]
        table = run.gaps.merge(extra, on=["area", "band", "year"], how="left")
        table.insert(len(GAP_COLUMNS), "name", table["area"].map(inputs.names).fillna(""))
        table.insert(len(GAP_COLUMNS) + 1, "scenario", name)
        table.insert(len(GAP_COLUMNS) + 2, "flagged", table["area"].isin(run.flagged))
        joined = {area: " | ".join(texts) for area, texts in run.warnings.items()}
        table.insert(len(GAP_COLUMNS) + 3, "warning", [joined.get(area, "") for area in table["area"]])
        frames.append(table)
    table = label_nowcast(pd.concat(frames, ignore_index=True), nowcast_until, "year")
    if year is not None:
        table = table.loc[table["year"] == year]
        if table.empty:
            years = sorted(set(frames[0]["year"]))
            raise ValueError(f"--year: no gaps for {year}; years with both demand and supply: {years[0]}-{years[-1]}")
    return table.reset_index(drop=True)


def relevant_notes(runs: dict, inputs, areas: list[str]) -> list[str]:
    """Notes about the areas shown (a note about one area starts with its code); all of them for every area."""
    every = len(areas) >= len(inputs.areas)
    notes = dict.fromkeys(note for run in runs.values() for note in run.notes)
    return [note for note in notes if every or note.split(" ", 1)[0].rstrip(":") in areas or note not in inputs.notes]
