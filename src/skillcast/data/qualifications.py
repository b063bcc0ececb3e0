"""One mapping from published qualification levels to the bands every later stage uses.

Demand is published in RQF levels (the qualifications held by people in jobs), supply in
APS's NVQ-equivalent highest qualification. To compare them, both are mapped to five
levels and three bands:

=================  =====================================  ==================  ============
level              RQF codes                              NVQ codes           band
=================  =====================================  ==================  ============
``none``           none                                   none, other         low
``level1``         rqf1                                   nvq1                low
``level2``         rqf2                                   nvq2, ½ trade app.  intermediate
``level3``         rqf3                                   nvq3, ½ trade app.  intermediate
``level4plus``     rqf4 … rqf8                            nvq4 (4 and above)  high
=================  =====================================  ==================  ============

"Other qualifications" (mostly foreign or unclassified) go to ``none`` as ONS does for its
"below level 2" figures; trade apprenticeships are split half to level 2 and half to
level 3, the ONS/DfE convention. "Low" is below level 2, "intermediate" levels 2-3 and
"high" level 4 and above, the split the LGA / Learning and Work Institute comparison uses.
"""

from __future__ import annotations

import pandas as pd

from skillcast.data.schema import OPTIONAL_COLUMNS, SERIES_KEY

LEVELS: tuple[str, ...] = ("none", "level1", "level2", "level3", "level4plus")
BANDS: tuple[str, ...] = ("low", "intermediate", "high")
ALL_BANDS: tuple[str, ...] = BANDS + LEVELS  # what a gaps row may be: a band or a level
BAND_OF_LEVEL: dict[str, str] = {"none": "low", "level1": "low", "level2": "intermediate", "level3": "intermediate", "level4plus": "high"}

# published code -> list of (level, weight); weights of one code add to 1.
LEVEL_SHARES: dict[str, dict[str, list[tuple[str, float]]]] = {
    "rqf": {
        "none": [("none", 1.0)],
        "rqf1": [("level1", 1.0)],
        "rqf2": [("level2", 1.0)],
        "rqf3": [("level3", 1.0)],
        **{f"rqf{level}": [("level4plus", 1.0)] for level in range(4, 9)},
    },
    "nvq": {
        "none": [("none", 1.0)],
        "other": [("none", 1.0)],
        "nvq1": [("level1", 1.0)],
        "nvq2": [("level2", 1.0)],
        "trade_apprenticeships": [("level2", 0.5), ("level3", 0.5)],
        "nvq3": [("level3", 1.0)],
        "nvq4": [("level4plus", 1.0)],
    },
}


def _mapping_frame(classification: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"code": code, "level": level, "weight": weight}
            for code, shares in LEVEL_SHARES[classification].items()
            for level, weight in shares
        ]
    )


def _sum_if_complete(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``value`` summed per ``keys``; a total is only known when every part is known: never under-count silently."""
    summed = frame.groupby(keys, sort=False, dropna=False)["value"].agg(["sum", "count", "size"])
    return summed["sum"].where(summed["count"] == summed["size"]).rename("value").reset_index()


def add_qualification_bands(panel: pd.DataFrame) -> pd.DataFrame:
    """Return ``panel`` plus ``qualification_level`` and ``qualification_band`` series.

    They are derived from every ``rqf`` and ``nvq`` series present, per area, measure and
    period (and source, vintage and projection flag where the panel has them). A level or
    band is missing (NaN) in a period where any published code it draws on is missing.
    """
    group = ["area", "measure", "period"] + [c for c in OPTIONAL_COLUMNS if c in panel.columns]
    derived = []
    for classification in LEVEL_SHARES:
        rows = panel.loc[panel["classification"] == classification]
        if rows.empty:
            continue
        mapped = rows.merge(_mapping_frame(classification), on="code", how="inner")
        mapped["value"] = mapped["value"] * mapped["weight"]
        levels = _sum_if_complete(mapped, group + ["level"]).rename(columns={"level": "code"}).assign(classification="qualification_level")
        bands = _sum_if_complete(levels.assign(code=levels["code"].map(BAND_OF_LEVEL)), group + ["code"]).assign(
            classification="qualification_band"
        )
        derived.extend([levels, bands])
    if not derived:
        return panel
    extra = pd.concat(derived, ignore_index=True)[list(panel.columns)]
    combined = pd.concat([panel, extra], ignore_index=True)
    return combined.sort_values(SERIES_KEY + ["period"], kind="stable").reset_index(drop=True)
