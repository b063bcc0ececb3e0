import numpy as np
import pandas as pd

from skillcast.gaps import GAP_COLUMNS, compute_gaps


def forecast_rows(measure: str, value: float, low: float, high: float) -> pd.DataFrame:
    return pd.DataFrame(
        [{"area": "A", "measure": measure, "classification": "qualification_band", "code": "high", "period": 2030,
          "forecast": value, "lo_80": low, "hi_80": high, "lo_95": low - 10, "hi_95": high + 10}]
    )


def test_more_jobs_than_people_is_a_positive_gap_a_shortage():
    frames = pd.concat([forecast_rows("employment", 100.0, 94.0, 108.0), forecast_rows("population", 80.0, 72.0, 86.0)])
    gaps = compute_gaps(frames)
    assert list(gaps.columns) == GAP_COLUMNS
    row = gaps.iloc[0]
    assert row["gap"] == 20.0 and row["gap"] == row["demand"] - row["supply"]
    # lower: demand low by 6 while supply high by 6 -> sqrt(36+36); upper: demand high by 8, supply low by 8.
    assert np.isclose(row["gap_lo_80"], 20 - np.hypot(6, 6)) and np.isclose(row["gap_hi_80"], 20 + np.hypot(8, 8))
    assert row["gap_lo_95"] < row["gap_lo_80"] <= row["gap"] <= row["gap_hi_80"] < row["gap_hi_95"]


def test_demo_gaps_hold_in_every_row(demo_result):
    gaps = demo_result.gaps
    assert np.allclose(gaps["gap"], gaps["demand"] - gaps["supply"])
    assert (gaps["gap_lo_95"] <= gaps["gap_lo_80"]).all() and (gaps["gap_lo_80"] <= gaps["gap"]).all()
    assert (gaps["gap"] <= gaps["gap_hi_80"]).all() and (gaps["gap_hi_80"] <= gaps["gap_hi_95"]).all()
    observed = gaps.loc[gaps["basis"] == "observed"]
    assert (observed["gap_lo_95"] == observed["gap"]).all() and (observed["gap_hi_95"] == observed["gap"]).all()
    assert set(gaps["year"]) == set(range(2010, 2036))
    assert set(gaps["band"]) == {"low", "intermediate", "high", "none", "level1", "level2", "level3", "level4plus"}
