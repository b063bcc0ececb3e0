"""The columns of a gaps table and their dtypes: one list for the analysis (``gaps``), the
bundle the service answers from and the retrain that writes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the service reads GAP_COLUMNS; it should not load pandas for it
    import pandas as pd

GAP_DTYPES: dict[str, str] = {
    "area": "str",
    "band": "str",
    "year": "int64",
    "demand": "float64",  # jobs
    "supply": "float64",  # people, on the basis in gap_basis
    "gap": "float64",  # demand - supply: positive = a shortage of people
    "gap_lo_80": "float64",
    "gap_hi_80": "float64",
    "gap_lo_95": "float64",
    "gap_hi_95": "float64",
    "basis": "str",  # observed / forecast
    "gap_basis": "str",  # what supply counts: workplace, active or people
    "imbalance": "float64",  # the band's share of supply - its share of demand, points
    "imbalance_lo_80": "float64",
    "imbalance_hi_80": "float64",
}
GAP_COLUMNS: list[str] = list(GAP_DTYPES)


def typed_gaps(gaps: pd.DataFrame | None) -> pd.DataFrame:
    """``gaps`` cut to ``GAP_COLUMNS`` with their dtypes; an empty table of them for None (no gaps could be made)."""
    import pandas as pd

    if gaps is None:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in GAP_DTYPES.items()})
    return gaps[GAP_COLUMNS].astype(GAP_DTYPES).reset_index(drop=True)
