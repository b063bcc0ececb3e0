"""Which series the engine forecasts: (measure, classification) pairs, qualification bands added."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the configuration reads DEFAULT_TARGETS; it should not load pandas for it
    import pandas as pd

DEFAULT_TARGETS: tuple[tuple[str, str], ...] = (
    ("employment", "all"),
    ("employment", "soc2020_major"),
    ("employment", "rqf"),
    ("employment", "qualification_level"),
    ("employment", "qualification_band"),
    ("population", "all"),
    ("population", "nvq"),
    ("population", "qualification_level"),
    ("population", "qualification_band"),
)


def select_targets(panel: pd.DataFrame, targets: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The (measure, classification) series the engine forecasts, qualification bands added."""
    import pandas as pd

    from skillcast.data.qualifications import add_qualification_bands

    enriched = add_qualification_bands(panel)
    wanted = pd.MultiIndex.from_tuples(targets, names=["measure", "classification"])
    keep = pd.MultiIndex.from_frame(enriched[["measure", "classification"]]).isin(wanted)
    selected = enriched.loc[keep].reset_index(drop=True)
    if selected.empty:
        raise ValueError(f"the panel has none of the target series {list(targets)}")
    return selected
