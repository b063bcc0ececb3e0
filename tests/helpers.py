"""Small builders for test data with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_panel(series: dict[tuple[str, str, str, str], list[float | None]], first_year: int = 2010) -> pd.DataFrame:
    """A panel from {(area, measure, classification, code): [values from first_year]}."""
    rows = []
    for (area, measure, classification, code), values in series.items():
        for offset, value in enumerate(values):
            rows.append(
                {"area": area, "measure": measure, "classification": classification, "code": code,
                 "period": first_year + offset, "value": np.nan if value is None else value}
            )
    return pd.DataFrame(rows)
