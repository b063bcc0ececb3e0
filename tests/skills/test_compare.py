"""skills.compare (#25): statistical neighbours and the comparison rows, on tiny data with known answers."""

import numpy as np
import pandas as pd
import pytest

from skillcast.data.geography import Geography
from skillcast.skills.compare import SIMILARITY, comparison, indicators, neighbours


def tiny_geography() -> Geography:
    areas = pd.DataFrame(
        {
            "area": ["N", "R", "A", "B", "C", "D"],
            "name": ["Nation", "Region", "Alpha", "Beta", "Gamma", "Delta"],
            "type": ["nation", "region", "area", "area", "area", "area"],
            "parent": ["", "N", "R", "R", "R", "R"],
        }
    )
    return Geography.from_frame(areas)


def tiny_gaps() -> pd.DataFrame:
    """Alpha and Beta alike (jobs 100/110, same mix); Gamma and Delta far (10x the jobs, other mixes)."""
    rows = []
    jobs = {"A": 100.0, "B": 110.0, "C": 1000.0, "D": 5000.0, "R": 6210.0, "N": 6210.0}
    high = {"A": 0.5, "B": 0.5, "C": 0.2, "D": 0.8, "R": 0.6, "N": 0.6}
    for area, total in jobs.items():
        for band, share in (("low", 0.2), ("intermediate", 0.8 - high[area]), ("high", high[area])):
            demand = total * share
            rows.append({"area": area, "band": band, "year": 2030, "demand": demand, "supply": demand * 0.9, "gap": demand * 0.1})
    return pd.DataFrame(rows)


def test_indicators_per_1000_jobs_and_shares():
    table = indicators(tiny_gaps(), None, 2030)
    assert table.loc["A", "jobs"] == pytest.approx(100)
    assert table.loc["A", "high_share_jobs"] == pytest.approx(0.5) and table.loc["C", "high_share_people"] == pytest.approx(0.2)
    assert table.loc["D", "high_gap_per_1000"] == pytest.approx(0.8 * 5000 * 0.1 / 5000 * 1000)  # 80 per 1,000
    assert np.isnan(table.loc["A", "inactivity_rate"]), "no reserve: no rates, never a made-up 0"


def test_the_nearest_neighbour_is_the_area_most_alike_and_of_the_same_type():
    table = indicators(tiny_gaps(), None, 2030)
    table["inactivity_rate"], table["unemployment_rate"] = 0.2, 0.04  # the same everywhere: no information
    found = neighbours(table, tiny_geography(), "A", count=2)
    assert list(found.index) == ["B", "C"], "Beta is Alpha's twin; Gamma nearer than Delta (size and mix)"
    assert found.iloc[0] < found.iloc[1] and "R" not in found.index and "N" not in found.index
    assert len(SIMILARITY) == 5


def test_an_area_missing_a_similarity_indicator_is_no_neighbour():
    table = indicators(tiny_gaps(), None, 2030)
    table["inactivity_rate"], table["unemployment_rate"] = 0.2, 0.04
    table.loc["B", "inactivity_rate"] = np.nan
    assert "B" not in neighbours(table, tiny_geography(), "A", count=3).index


def test_comparison_rows_say_why_each_area_is_there():
    table = indicators(tiny_gaps(), None, 2030)
    table["inactivity_rate"], table["unemployment_rate"] = 0.2, 0.04
    rows = comparison(table, tiny_geography(), "A", picked=["D"])
    roles = dict(zip(rows["area"], rows["role"], strict=True))
    assert roles["A"] == "this area" and roles["R"] == roles["N"] == "parent" and roles["B"] == "statistical neighbour"
    assert roles["D"] == "statistical neighbour", "a picked area already a neighbour keeps that role, listed once"
    assert list(rows["area"]).count("D") == 1 and rows.loc[rows["area"] == "A", "name"].iloc[0] == "Alpha"
