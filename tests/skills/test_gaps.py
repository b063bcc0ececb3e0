import numpy as np
import pandas as pd
import pytest

from skillcast.skills.gaps import GAP_COLUMNS, compute_gaps


def forecast_rows(measure: str, value: float, low: float, high: float) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "area": "A",
                "measure": measure,
                "classification": "qualification_band",
                "code": "high",
                "period": 2030,
                "forecast": value,
                "lo_80": low,
                "hi_80": high,
                "lo_95": low - 10,
                "hi_95": high + 10,
            }
        ]
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


# -- simulated intervals (issue #5) ----------------------------------------------------------------

from skillcast.skills.gaps import simulate_gaps  # noqa: E402
from skillcast.skills.quantiles import quantile_paths  # noqa: E402
from skillcast.skills.supply import SupplyResult  # noqa: E402


def tiny_supply(points: dict[tuple[str, int], float], spread: float, draws: int = 400) -> SupplyResult:
    """One area 'A', one projected year 2030, level4plus only (the high band); draws = point + spread x N(0,1)."""
    rng = np.random.default_rng(1)
    rows, level_draws = [], np.zeros((draws, 1, 5))
    for (band, year), value in points.items():
        rows.append({"area": "A", "band": band, "year": year, "supply": value, "basis": "observed" if year < 2030 else "projected"})
    level_draws[:, 0, 4] = points[("high", 2030)] + spread * rng.standard_normal(draws)
    return SupplyResult(
        table=pd.DataFrame(rows),
        draws={"A": level_draws},
        projected_years={"A": np.array([2030])},
        age_mix=pd.DataFrame(),
        gains=np.zeros((1, 6, 4)),
        pairs=[(2020, 2021)],
    )


def demand_rows(points: dict[tuple[str, int], tuple[float, float]]) -> pd.DataFrame:
    """(band, year) -> (point, half-width of the 95% interval); the 80% one is 0.65 of it."""
    rows = []
    for (band, year), (value, half) in points.items():
        rows.append(
            {
                "area": "A",
                "band": band,
                "year": year,
                "demand": value,
                "demand_lo_80": value - 0.65 * half,
                "demand_hi_80": value + 0.65 * half,
                "demand_lo_95": value - half,
                "demand_hi_95": value + half,
                "basis": "observed" if year < 2030 else "forecast",
            }
        )
    return pd.DataFrame(rows)


def test_simulated_gap_is_demand_minus_supply_positive_when_jobs_outnumber_people():
    demand = demand_rows({("high", 2024): (120.0, 0.0), ("high", 2030): (150.0, 20.0)})
    supply = tiny_supply({("high", 2024): 100.0, ("high", 2030): 110.0}, spread=10.0)
    table = simulate_gaps(demand, supply, draws=400, seed=0)
    assert list(table.columns[: len(GAP_COLUMNS)]) == GAP_COLUMNS
    gaps = table.set_index("year")
    assert gaps.loc[2024, "gap"] == 20.0 and gaps.loc[2030, "gap"] == 40.0  # more jobs than people: a shortage, positive
    assert np.allclose(gaps["gap"], gaps["demand"] - gaps["supply"])
    observed = gaps.loc[2024]
    assert observed["basis"] == "observed" and observed["gap_lo_95"] == observed["gap"] == observed["gap_hi_95"]
    ahead = gaps.loc[2030]
    assert ahead["gap_lo_95"] <= ahead["gap_lo_80"] <= ahead["gap"] <= ahead["gap_hi_80"] <= ahead["gap_hi_95"]
    # both sides' spreads combine: sd of the gap ~ sqrt((20/1.96)^2 + 10^2) = 14.3 -> 95% half-width ~ 28
    assert 22 < (ahead["gap_hi_95"] - ahead["gap_lo_95"]) / 2 < 34
    assert ahead["supply_lo_95"] < ahead["supply"] < ahead["supply_hi_95"]


def test_a_surplus_of_people_is_a_negative_gap():
    demand = demand_rows({("high", 2024): (80.0, 0.0), ("high", 2030): (90.0, 5.0)})
    supply = tiny_supply({("high", 2024): 100.0, ("high", 2030): 120.0}, spread=1.0)
    gaps = simulate_gaps(demand, supply, draws=200, seed=0)
    assert (gaps["gap"] < 0).all() and (gaps["gap_hi_95"] < 0).all()


def test_quantile_paths_pass_through_the_published_quantiles():
    knots = np.array([[10.0, 20.0, 30.0, 45.0, 60.0]])
    z = np.array([[-1.959964, -1.281552, 0.0, 1.281552, 1.959964, 3.0]])
    values = quantile_paths(knots, z)[0]
    assert np.allclose(values[:5], knots[0]) and values[5] > 60.0


def test_demo_nation_gap_is_the_sum_of_its_areas(demo_result):
    gaps = demo_result.gaps.set_index(["area", "band", "year"]).sort_index()
    areas = [code for code in demo_result.bundle.geography.codes() if code.count("_") == 2]
    summed = sum(gaps.loc[code, ["demand", "supply", "gap"]] for code in areas)
    nation = gaps.loc["DM_EN", ["demand", "supply", "gap"]]
    assert np.allclose(nation.to_numpy(), summed.to_numpy(), rtol=1e-9)


# -- the gap basis and the normalised imbalance (#15) ------------------------------------------------


def test_imbalance_is_share_of_supply_minus_share_of_demand_in_points():
    from skillcast.skills.gaps import add_imbalance

    table = pd.DataFrame(
        {
            "area": "A",
            "year": 2030,
            "band": ["low", "intermediate", "high"],
            "demand": [20.0, 30.0, 50.0],  # shares 20 / 30 / 50%
            "supply": [60.0, 90.0, 50.0],  # shares 30 / 45 / 25%
        }
    )
    out = add_imbalance(table).set_index("band")["imbalance"]
    assert out.to_dict() == pytest.approx({"low": 10.0, "intermediate": 15.0, "high": -25.0})
    doubled = add_imbalance(table.assign(supply=table["supply"] * 2.5)).set_index("band")["imbalance"]
    assert np.allclose(doubled, out)  # any common scale of supply (how many are inactive) leaves it unchanged


def test_supply_on_another_basis_scales_each_district_and_parents_still_add_up():
    from skillcast.skills.supply import scale_supply

    rows = [
        {"area": area, "band": "high", "year": year, "supply": value, "basis": basis}
        for area, value in (("d1", 100.0), ("d2", 300.0), ("P", 400.0))
        for year, basis in ((2021, "observed"), (2030, "projected"))
    ]
    draws = {area: np.full((10, 1, 5), value / 5) for area, value in (("d1", 100.0), ("d2", 300.0), ("P", 400.0))}
    people = SupplyResult(
        pd.DataFrame(rows), draws, {a: np.array([2030]) for a in draws}, pd.DataFrame(), np.zeros((1, 6, 4)), [(2020, 2021)]
    )
    workplace = scale_supply(people, {"d1": 0.8, "d2": 1.5}, {"P": ["d1", "d2"]})
    table = workplace.table.set_index(["area", "year"])["supply"]
    assert table[("d1", 2030)] == pytest.approx(80.0) and table[("d2", 2030)] == pytest.approx(450.0)
    assert table[("P", 2030)] == pytest.approx(530.0) and table[("P", 2021)] == pytest.approx(530.0)
    assert np.allclose(workplace.draws["P"].sum(axis=2), 530.0)


def test_the_demo_says_its_basis_and_every_gap_row_names_it(demo_result):
    assert set(demo_result.gaps["gap_basis"]) == {"people"}  # the demo has no activity or employed residents
    main = demo_result.gaps.loc[demo_result.gaps["band"].isin(["low", "intermediate", "high"])]
    assert np.allclose(main.groupby(["area", "year"])["imbalance"].sum(), 0.0)  # shares of the same whole
