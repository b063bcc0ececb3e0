"""The cohort (stock-flow) supply model: small cases with known answers, then the real APS data."""

import numpy as np
import pandas as pd
import pytest

from skillcast.data.qualifications import LEVELS
from skillcast.data.schema import DataError
from skillcast.skills.cohort import AGE_BANDS, AGES, age_one_year, aged_bands, apply_gains, collapse, estimate_gains, expand
from skillcast.skills.supply import Moves, SupplyAssumptions, fill_suppressed_districts, project_area, project_supply, stock_from_panel

NONE, LEVEL1, LEVEL2, LEVEL3, HIGH = range(len(LEVELS))
WIDTHS = np.array([4, 5, 5, 10, 10, 15])


def even_cube(per_age: float = 100.0, level_of_band: dict[int, int] | None = None) -> np.ndarray:
    """Bands x levels with ``per_age`` people at every single age, all at one level per band."""
    bands = np.zeros((len(AGE_BANDS), len(LEVELS)))
    for band, width in enumerate(WIDTHS):
        bands[band, (level_of_band or {}).get(band, NONE)] = per_age * width
    return bands


def project(
    cube_last: np.ndarray, years: int, gains: np.ndarray | None = None, moves: Moves | None = None, history: np.ndarray | None = None
):
    """Project a stock with no gains and no growth (band sizes held) unless given."""
    cube = history if history is not None else np.stack([cube_last, cube_last])
    observed = np.arange(2021 - len(cube) + 1, 2022)
    pairs = len(cube) - 1
    return project_area(
        "A",
        observed,
        cube,
        2021 + years,
        gains=np.zeros((pairs, len(AGE_BANDS), 4)) if gains is None else gains,
        growth=np.zeros(pairs),
        samples=np.zeros((20, pairs), dtype=int),
        assumptions=SupplyAssumptions(draws=20),
        moves=moves,
    )


def test_expand_and_collapse_keep_every_band_and_level():
    bands = np.arange(30, dtype=float).reshape(6, 5) * 10
    assert np.allclose(collapse(expand(bands)), bands)
    assert expand(bands).shape == (len(AGES), len(LEVELS))


def test_a_cohort_in_20_24_moves_to_25_29_over_five_years():
    ages = expand(even_cube(level_of_band={1: HIGH}))  # only the 20-24s are graduates
    no_entrants = np.zeros(len(LEVELS))
    one = collapse(age_one_year(ages, no_entrants))
    assert one[1, HIGH] == pytest.approx(400) and one[2, HIGH] == pytest.approx(100)  # one single age moved up
    for _ in range(5):
        ages = age_one_year(ages, no_entrants)
    five = collapse(ages)
    assert five[1, HIGH] == pytest.approx(0) and five[2, HIGH] == pytest.approx(500)
    for _ in range(5):
        ages = age_one_year(ages, no_entrants)
    assert collapse(ages)[3, HIGH] == pytest.approx(500)  # ten years on, all of them are in 30-39


def test_the_oldest_leave_at_65_a_single_age_each_year():
    ages = expand(even_cube(level_of_band={5: LEVEL2}))
    after = collapse(age_one_year(ages, np.zeros(len(LEVELS))))
    assert after[5, LEVEL2] == pytest.approx(1400)  # 50-64: 15 ages of 100, the 64-year-olds gone
    for _ in range(14):
        ages = age_one_year(ages, np.zeros(len(LEVELS)))
    assert collapse(ages)[5, LEVEL2] == pytest.approx(100)  # fourteen years on, only the 50-year-olds are left
    assert collapse(age_one_year(ages, np.zeros(len(LEVELS))))[5, LEVEL2] == pytest.approx(0)


def test_projection_ages_cohorts_through_the_bands_with_the_right_timing():
    result = project(even_cube(level_of_band={1: HIGH}), years=10)
    high_by_band = result.point[:, :, HIGH]  # years x bands
    assert high_by_band[0, 1] == pytest.approx(400) and high_by_band[0, 2] == pytest.approx(100)
    assert high_by_band[4, 1] == pytest.approx(0) and high_by_band[4, 2] == pytest.approx(500)
    assert high_by_band[9, 3] == pytest.approx(500)
    assert np.allclose(result.point.sum(axis=2), even_cube().sum(axis=1))  # sizes held (no growth given)


def test_entrants_arrive_with_the_recent_young_mix():
    history = np.stack([even_cube(), even_cube(), even_cube()])
    history[0, 0] = [400, 0, 0, 0, 0]  # 16-19 all 'none' three years ago
    history[1, 0] = [0, 400, 0, 0, 0]  # then all level 1
    history[2, 0] = [0, 0, 400, 0, 0]  # now all level 2
    result = project(history[-1], years=4, history=history)
    young = result.point[3, 0]  # after four years the 16-19s are all entrants
    assert np.allclose(young / young.sum(), [1 / 3, 1 / 3, 1 / 3, 0, 0])


def test_gains_move_people_above_a_threshold_and_never_below():
    ages = np.zeros((len(AGES), len(LEVELS)))
    ages[:, NONE] = 100
    gains = np.zeros((len(AGE_BANDS), 4))
    gains[:, 0] = 0.1  # a tenth of those below level 1 reach at least level 1
    gained = apply_gains(ages, gains)
    assert np.allclose(gained[:, NONE], 90) and np.allclose(gained[:, LEVEL1], 10)
    assert np.allclose(gained.sum(axis=1), 100)
    crazy = np.zeros((len(AGE_BANDS), 4))
    crazy[:, 3] = 2.0  # nonsense rates are clipped, never more people than there are
    assert (apply_gains(ages, crazy) >= 0).all() and np.allclose(apply_gains(ages, crazy).sum(axis=1), 100)


def test_gain_rates_are_recovered_from_stocks_made_with_them():
    rng = np.random.default_rng(3)
    first = rng.uniform(50, 500, (len(AGE_BANDS), len(LEVELS)))
    truth = rng.uniform(0.0, 0.2, (len(AGE_BANDS), 4))
    second = apply_gains(aged_bands(first), truth, by_age=True)  # bands as rows: one rate per band
    assert np.allclose(estimate_gains(np.stack([first, second]))[0], truth, atol=1e-9)


def test_completions_move_people_up_and_retention_adds_them():
    cube = even_cube(level_of_band={band: LEVEL2 for band in range(6)})
    moves = Moves(completions={2022: [(LEVEL3, 250.0, "20-24")]}, retention={2022: [(HIGH, 40.0)]})
    base = project(cube, years=1)
    changed = project(cube, years=1, moves=moves)
    assert changed.point[0, :, LEVEL3].sum() - base.point[0, :, LEVEL3].sum() == pytest.approx(250)
    assert changed.point[0, :, LEVEL3][1] == pytest.approx(250)  # only 20-24s completed
    assert changed.point[0].sum() - base.point[0].sum() == pytest.approx(40)  # retention adds people
    assert changed.point[0, :, HIGH].sum() == pytest.approx(40)


def test_levels_add_to_bands_and_leaves_to_their_parent():
    rows = []
    for area, scale in (("A", 1.0), ("B", 2.0)):
        for year in (2019, 2020, 2021):
            for band_index, band in enumerate(AGE_BANDS):
                for level_index, level in enumerate(LEVELS):
                    value = scale * (100 + 10 * band_index + 5 * level_index + year - 2019)
                    rows.append({"area": area, "period": year, "age_band": band, "level": level, "value": value})
    stock = pd.DataFrame(rows)
    result = project_supply(stock, ["A", "B"], {"AB": ["A", "B"]}, "AB", 2030, SupplyAssumptions(draws=50))
    table = result.table.set_index(["area", "band", "year"])["supply"].sort_index()
    for area in ("A", "B", "AB"):
        levels = sum(table.loc[(area, level)] for level in LEVELS)
        bands = table.loc[(area, "low")] + table.loc[(area, "intermediate")] + table.loc[(area, "high")]
        assert np.allclose(levels, bands)
    assert np.allclose(table.loc["AB"], table.loc["A"] + table.loc["B"])
    assert result.draws["AB"].shape == (50, 9, len(LEVELS))
    assert np.allclose(result.draws["AB"], result.draws["A"] + result.draws["B"])


def test_suppressed_district_cells_are_filled_to_the_published_total(tmp_path):
    from skillcast.data.geography import Geography

    geography = Geography.from_frame(
        pd.DataFrame(
            [
                {"area": "E1", "name": "England", "type": "country", "parent": ""},
                {"area": "D1", "name": "One", "type": "lad", "parent": "E1"},
                {"area": "D2", "name": "Two", "type": "lad", "parent": "E1"},
            ]
        )
    )
    rows = [
        {"area": area, "measure": "population", "classification": "nvq", "code": "nvq4", "period": 2021, "value": total}
        for area, total in (("D1", 1000.0), ("D2", 3000.0))
    ]
    cells = {"D1": [100, 200, np.nan, 300, np.nan, np.nan], "D2": [300, 600, 600, 600, 600, 300]}
    for area, values in cells.items():
        for band, value in zip(AGE_BANDS, values, strict=True):
            rows.append(
                {
                    "area": area,
                    "measure": "population",
                    "classification": "age_band|nvq",
                    "code": f"{band}|nvq4",
                    "period": 2021,
                    "value": value,
                }
            )
    filled = fill_suppressed_districts(pd.DataFrame(rows), geography)
    one = filled.loc[filled["area"] == "D1"].set_index("code")["value"]
    assert one.sum() == pytest.approx(1000)  # the published 16-64 count
    assert one["20-24|nvq4"] == 200 and one["16-19|nvq4"] == 100  # published cells untouched
    # the missing 400 goes to 25-29, 40-49, 50-64 in England's proportions for nvq4 (600:600:300)
    assert one["25-29|nvq4"] == pytest.approx(160) and one["50-64|nvq4"] == pytest.approx(80)
    stock = stock_from_panel(filled)
    assert set(stock["level"]) == set(LEVELS)


def test_too_little_history_is_a_clear_error():
    stock = pd.DataFrame(
        [{"area": "A", "period": 2021, "age_band": band, "level": level, "value": 1.0} for band in AGE_BANDS for level in LEVELS]
    )
    with pytest.raises(DataError, match="at least two observed years"):
        project_supply(stock, ["A"], {}, "A", 2030, SupplyAssumptions(draws=20))


# -- real data ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(real_store):
    from skillcast.data.store import Store

    out = real_store.path
    # the store keeps retired district codes, so 2017 districts add up to 2023 LSIPs
    assert Store(out).geography().successor["E06000048"] == "E06000057"  # Northumberland's 2020 code change
    from skillcast.pipeline import store_inputs

    return store_inputs(Store(out)).gap_inputs()


def test_real_supply_covers_every_district_and_areas_are_their_sums(real):
    districts = real.parents["E92000001"]
    assert len(districts) == 296 and sorted(real.leaves) == sorted(districts)
    lsips = [area for area in real.parents if area.startswith("E69")]
    parents = {"E92000001": districts, **{lsip: real.parents[lsip] for lsip in lsips}}
    result = project_supply(
        real.stock, districts, parents, "E92000001", 2035, SupplyAssumptions(draws=100), growth_groups=real.growth_groups
    )
    table = result.table.set_index(["area", "band", "year"])["supply"].sort_index()
    england = table.loc["E92000001"]
    people_2021 = england.loc[["low", "intermediate", "high"]].xs(2021, level="year").sum()
    # APS England 16-64 (sum of districts) is about 35m; the age-band cells filled from it add back to it
    assert people_2021 == pytest.approx(35.1e6, rel=0.02)
    high_share = england.loc[("high", 2021)] / people_2021
    assert 0.41 < high_share < 0.45  # README: NVQ4+ 43.7% of 16-64s in 2021 (sum of LADs)
    assert england.loc[("high", 2035)] > england.loc[("high", 2021)]  # younger cohorts are more qualified
    assert np.allclose(england, sum(table.loc[district] for district in districts))
    assert np.allclose(england, sum(table.loc[lsip] for lsip in lsips))  # and the LSIPs, each the sum of its districts
    # districts grow with their LSIP (their own APS totals are too noisy to extrapolate)
    main = table.loc[table.index.get_level_values("band").isin(["low", "intermediate", "high"])]
    people = main.groupby(level=["area", "year"]).sum().unstack()
    growth = (people[2035] / people[2021]).reindex(districts).dropna()
    assert growth.between(0.85, 1.25).all(), growth.loc[~growth.between(0.85, 1.25)]


def test_real_combined_authorities_come_from_their_districts(real):
    assert sorted(real.parents["E47000001"]) == sorted(real.parents["E69000014"])  # GM CA and GM LSIP: the same ten districts
    assert sorted(real.parents["E47000014"]) == sorted(real.parents["E69000023"] + real.parents["E69000024"])  # NE CA = 2 LSIPs
    people = real.stock.loc[real.stock["period"] == 2021].groupby("area")["value"].sum()
    lancashire = people.reindex(real.parents["E47000018"]).sum()  # a CA SI2035 does not publish
    assert lancashire == pytest.approx(people.reindex(real.parents["E69000019"]).sum())  # = the Lancashire LSIP's districts
    assert 0.9e6 < lancashire < 1.0e6


def test_band_sizes_follow_a_population_projection_when_given():
    cube = even_cube(level_of_band={band: LEVEL2 for band in range(6)})
    sizes = cube.sum(axis=1)
    population = pd.DataFrame(
        [
            {"area": "A", "age_band": band, "year": year, "value": sizes[index] * (1 + 0.1 * (year - 2021))}
            for index, band in enumerate(AGE_BANDS)
            for year in (2022, 2023)
        ]
    )
    result = project_area(
        "A",
        np.array([2020, 2021]),
        np.stack([cube, cube]),
        2024,
        np.zeros((1, 6, 4)),
        np.array([0.05]),
        np.zeros((20, 1), dtype=int),
        SupplyAssumptions(draws=20),
        population=population,
    )
    assert np.allclose(result.point[0].sum(axis=1), sizes * 1.1) and np.allclose(result.point[1].sum(axis=1), sizes * 1.2)
    assert np.allclose(result.point[2].sum(axis=1), sizes * 1.2)  # past the projection's last year: held
