"""Supply of skills: people aged 16-64 by highest qualification, projected by a cohort model.

**Definition.** Supply is the number of *people* aged 16-64 living in an area whose highest
qualification is at a level (``skillcast.data.qualifications.LEVELS``: none, level1, level2,
level3, level4plus) or band (low, intermediate, high), in work or not: the ``people`` basis.
The gaps analysis can put it on another basis (``--basis active`` or ``workplace``:
``scale_supply``, see docs/gaps.md). Demand (``skillcast.skills.demand``) is
*jobs* by the qualification of the people holding them; the gap is demand - supply, so a
positive gap is a shortage of people (``skillcast.skills.gaps``).

**Why a cohort (stock-flow) model.** Qualifications change slowly and mostly by cohort
replacement: every year the oldest (least qualified) people leave the working-age
population at 65 and young people, far more often graduates, come in. Extrapolating the
16-64 totals (as the engine does for any series) cannot see that; tracking who is how old
can. The model follows people by single year of age (16 ... 64) and level:

1. **Age.** Everyone gets a year older; those aged 64 leave; entrants arrive at 16 (as many
   as a quarter of the 16-19 band) with the qualification mix of recent young cohorts (the
   area's 16-19 mix over the last ``entrant_years`` observed years).
2. **Gain qualifications.** In each age band, of the people below a threshold level
   (level1, level2, level3, level4plus), a share ``g[band, threshold]`` reaches at least
   that level during the year. The shares are the *observed* rates: for each pair of
   consecutive APS years, the change in each band's mix not explained by ageing, estimated
   on the national stock (England = the sum of its LSIPs; in the demo, the nation) and
   used for every area, because local year-to-year changes are mostly survey noise. They
   are net of selective migration, so a rate may be slightly negative.
3. **Population.** Each band is then scaled to its population: by default the band's last
   observed size growing at the area's observed (median) annual 16-64 growth; or, when
   given, a population projection (``population``: area, age_band, year, value). Scaling
   is level-neutral: it moves people in and out with their band's mix. (The APS bands are
   too coarse to age the population itself: the uniform-within-band assumption sends a
   fifteenth of 50-64 out each year, more than the real outflow while the 1960s cohorts
   are in their fifties, so band sizes come from growth or a projection, not from ageing.)

Observed data: APS 2017-2021 (people 16-64 by age band x NVQ level). Published bands are
16-19, 20-24, 25-29, 30-39, 40-49 and 50-64; within a band, ages are taken as equally
common and equally qualified in the base year (the uniform-within-band assumption). After
the first projected year each single age carries its own mix, so cohorts keep their
qualifications as they age.

**Suppressed district cells.** The DfE extract's LSIP and LEP rows of the by-age file are
sums of the *published* district cells, with suppressed ones counted as zero; in England
their age bands add to only 94% (2017) to 92% (2021) of the 16-64 total. So supply is built
from districts instead (``fill_suppressed_districts``): for each district, year and level
the published 16-64 count minus its published age cells is spread over the suppressed age
cells in proportion to England's age mix of that level, then districts are summed to LSIPs
and combined authorities with ``skillcast.data.aggregate.aggregate_districts``.

**Central rates and uncertainty.** The central run takes, for each rate, the *median*
over the observed year pairs, so one unusual year (APS 2020, when interviews moved to the
telephone and qualification shares jumped) does not set the trend. ``draws`` simulations
each re-sample the observed year pairs with replacement (the same re-sample for every area,
so national shocks are shared) and take the medians over the re-sampled pairs; with four
pairs there are only 35 distinct re-samples, each projected once. That is the uncertainty
of rates estimated from four year pairs; APS sampling error in the base year and
unforeseen migration are not added on top.

**Scenarios** (``skillcast.skills.scenarios``): extra completions move people up to a level from
the level below (people for whom it is a new highest qualification); retention adds people
at a level, with that level's age profile, who then age like everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from skillcast.data.qualifications import BAND_OF_LEVEL, BANDS, LEVEL_SHARES, LEVELS
from skillcast.data.schema import DataError
from skillcast.skills.cohort import (
    AGE_BANDS,
    AGES,
    BAND_INDICATOR,
    BAND_OF_AGE,
    BAND_RANGE,
    age_one_year,
    apply_gains,
    collapse,
    estimate_gains,
    expand,
)

AGE_CLASSIFICATION = "age_band|nvq"
SUPPLY_BANDS: tuple[str, ...] = BANDS + LEVELS  # what a supply row's ``band`` may be


class SupplyAssumptions(BaseModel):
    """What the cohort model assumes beyond the data; passed explicitly, never global."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    draws: int = Field(default=1000, ge=20, le=20000, description="simulations for the intervals")
    seed: int = Field(default=20240601, ge=0)
    entrant_years: int = Field(default=3, ge=1, le=10, description="recent years whose 16-19 mix entrants take")
    population_growth: bool = Field(default=True, description="bands grow at the area's observed 16-64 growth (else held flat)")


# -- from the panel to stocks ------------------------------------------------------------------


def _split(code: pd.Series) -> pd.DataFrame:
    parts = code.str.split("|", n=1, expand=True)
    return pd.DataFrame({"age_band": parts[0], "nvq": parts[1]}, index=code.index)


def fill_suppressed_districts(panel: pd.DataFrame, geography) -> pd.DataFrame:
    """District ``age_band|nvq`` population rows with suppressed cells filled (see module doc).

    Needs each district's 16-64 count per NVQ level (classification ``nvq``). Where that is
    itself suppressed it is estimated from the district's other levels and England's level
    mix. Returns rows in the data contract (measure population), no NaN.
    """
    population = panel.loc[panel["measure"] == "population"]
    types = {code: geography.type_of(code) for code in population["area"].unique() if code in geography}
    districts = population.loc[population["area"].map(types).eq("lad")]
    cells = districts.loc[districts["classification"] == AGE_CLASSIFICATION]
    if cells.empty:
        raise DataError("supply: no district rows of people by age band and qualification (age_band|nvq) in the data")
    cells = pd.concat([cells[["area", "period", "value"]], _split(cells["code"])], axis=1)
    cells = cells.loc[cells["age_band"].isin(AGE_BANDS)]
    wide = cells.pivot_table(index=["area", "period", "nvq"], columns="age_band", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=list(AGE_BANDS))
    totals = (
        districts.loc[districts["classification"] == "nvq"]
        .set_index(["area", "period", "code"])["value"]
        .rename_axis(["area", "period", "nvq"])
    )
    total = totals.reindex(wide.index)
    published = wide.sum(axis=1, min_count=1).fillna(0.0)

    # A suppressed 16-64 cell: the district's known levels scaled up by England's level mix.
    level_mix = totals.groupby(level="nvq").sum()
    level_mix = level_mix / level_mix.sum()
    mix_of_row = pd.Series(wide.index.get_level_values("nvq").map(level_mix).to_numpy(dtype=float), index=wide.index)
    known_sum = total.groupby(level=["area", "period"]).transform("sum")
    known_mix = mix_of_row.where(total.notna(), 0.0).groupby(level=["area", "period"]).transform("sum")
    estimate = known_sum * mix_of_row / known_mix.where(known_mix > 0)
    total = total.fillna(np.maximum(estimate, published)).fillna(published)

    # Spread what the published age cells miss over the suppressed ones, by England's age mix of the level.
    age_mix = cells.groupby(["nvq", "age_band"])["value"].sum()
    age_mix = age_mix / age_mix.groupby(level="nvq").transform("sum")
    by_level = age_mix.unstack("age_band").reindex(columns=list(AGE_BANDS)).fillna(0.0)
    weights = pd.DataFrame(
        by_level.reindex(wide.index.get_level_values("nvq")).fillna(0.0).to_numpy(), index=wide.index, columns=list(AGE_BANDS)
    ).where(wide.isna(), 0.0)
    weight_sum = weights.sum(axis=1)
    missing = (total - published).clip(lower=0.0)
    filled = wide.fillna(0.0) + weights.div(weight_sum.where(weight_sum > 0, 1.0), axis=0).mul(missing, axis=0)
    long = filled.stack().rename("value").reset_index()
    return pd.DataFrame(
        {
            "area": long["area"],
            "measure": "population",
            "classification": AGE_CLASSIFICATION,
            "code": long["age_band"] + "|" + long["nvq"],
            "period": long["period"].astype("int64"),
            "value": long["value"].astype(float),
        }
    )


def stock_from_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """People by area, year, age band and level (``area, period, age_band, level, value``).

    From ``age_band|nvq`` population rows; NVQ codes map to levels as in
    ``skillcast.data.qualifications`` (trade apprenticeships half to level 2, half to level 3).
    An area-year with any missing cell is left out rather than under-counted.
    """
    rows = panel.loc[(panel["measure"] == "population") & (panel["classification"] == AGE_CLASSIFICATION)]
    rows = pd.concat([rows[["area", "period", "value"]], _split(rows["code"])], axis=1)
    rows = rows.loc[rows["age_band"].isin(AGE_BANDS)]
    mapping = pd.DataFrame(
        [{"nvq": code, "level": level, "weight": weight} for code, shares in LEVEL_SHARES["nvq"].items() for level, weight in shares]
    )
    mapped = rows.merge(mapping, on="nvq", how="inner")
    incomplete = mapped.groupby(["area", "period"])["value"].transform(lambda values: values.isna().any())
    mapped = mapped.loc[~incomplete.astype(bool)]
    mapped = mapped.assign(value=mapped["value"] * mapped["weight"])
    stock = mapped.groupby(["area", "period", "age_band", "level"], as_index=False)["value"].sum()
    # every area-year must have all bands x levels (zero where nobody)
    full = pd.MultiIndex.from_product(
        [stock["area"].unique(), sorted(stock["period"].unique()), AGE_BANDS, LEVELS], names=["area", "period", "age_band", "level"]
    )
    present = stock.set_index(["area", "period"]).index.unique()
    stock = stock.set_index(["area", "period", "age_band", "level"])["value"].reindex(full)
    stock = stock.loc[stock.index.droplevel(["age_band", "level"]).isin(present)].fillna(0.0)
    return stock.reset_index()


def stock_cubes(stock: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each area's (years, array years x age bands x levels), from one reshape of the stock."""
    table = stock.set_index(["area", "period", "age_band", "level"])["value"].unstack("level").reindex(columns=list(LEVELS)).fillna(0.0)
    cubes = {}
    for area, rows in table.groupby(level="area", sort=False):
        rows = rows.droplevel("area")
        years = np.array(sorted(rows.index.get_level_values("period").unique()))
        full = pd.MultiIndex.from_product([years, list(AGE_BANDS)], names=["period", "age_band"])
        cube = rows.reindex(full).fillna(0.0).to_numpy(dtype=float).reshape(len(years), len(AGE_BANDS), len(LEVELS))
        cubes[str(area)] = (years, cube)
    return cubes


# -- the cohort machinery (pure numpy; leading axes broadcast, e.g. draws) ----------------------


# -- projection ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moves:
    """Scenario changes to one area's supply flows, per projected year (levels indexed as LEVELS).

    ``completions[y]``: list of (level index, people, age band or None) moved up to that level;
    ``retention[y]``: list of (level index, people) added at that level.
    """

    completions: dict[int, list[tuple[int, float, str | None]]]
    retention: dict[int, list[tuple[int, float]]]

    @classmethod
    def none(cls) -> Moves:
        return cls(completions={}, retention={})


def _complete(ages: np.ndarray, level: int, people: float, band: str | None) -> np.ndarray:
    """Move ``people`` up to ``level`` from the levels below it, nearest level first."""
    ages = ages.copy()
    if band is None:
        mask = np.ones(len(AGES), dtype=bool)
    else:
        low, high = BAND_RANGE[band]
        mask = (AGES >= low) & (AGES <= high)
    remaining = np.full(ages.shape[:-2], float(people))
    for source in range(level - 1, -1, -1):
        held = ages[..., :, source] * mask
        available = held.sum(axis=-1)
        take = np.minimum(remaining, available)
        share = np.where(available > 0, take / np.where(available > 0, available, 1.0), 0.0)
        moved = held * share[..., None]
        ages[..., :, source] -= moved
        ages[..., :, level] += moved
        remaining = remaining - take
    return ages


def _retain(extra: np.ndarray, main: np.ndarray, level: int, people: float) -> np.ndarray:
    """Add ``people`` at ``level`` with the age profile of that level's current holders."""
    holders = main[..., :, level]
    total = holders.sum(axis=-1, keepdims=True)
    profile = np.where(total > 0, holders / np.where(total > 0, total, 1.0), 1.0 / len(AGES))
    extra = extra.copy()
    extra[..., :, level] += people * profile
    return extra


@dataclass(frozen=True)
class AreaProjection:
    area: str
    years: np.ndarray  # projected years
    point: np.ndarray  # years x age bands x levels (central run: median rates over all pairs)
    draws: np.ndarray  # draws x years x levels (for intervals)


def project_area(
    area: str,
    observed_years: np.ndarray,
    cube: np.ndarray,
    end_year: int,
    gains: np.ndarray,
    growth: np.ndarray,
    samples: np.ndarray,
    assumptions: SupplyAssumptions,
    population: pd.DataFrame | None = None,
    moves: Moves | None = None,
) -> AreaProjection:
    """Project one area from its last observed year to ``end_year``.

    ``gains``: pairs x bands x 4 (national rates per observed pair); ``growth``: the area's
    16-64 growth per pair; ``samples``: draws x pairs indices of the re-sampled pairs. The
    central run (``point``) takes every pair once.
    """
    moves = moves or Moves.none()
    base_year = int(observed_years[-1])
    years = np.arange(base_year + 1, end_year + 1)
    if len(years) == 0:
        return AreaProjection(area, years, np.zeros((0, len(AGE_BANDS), len(LEVELS))), np.zeros((samples.shape[0], 0, len(LEVELS))))
    central = np.arange(gains.shape[0])[None, :]
    # A draw is a multiset of pairs; with few pairs many draws repeat one, so each distinct
    # multiset is projected once (35 of them for four pairs) and the draws point at it.
    picks, which = np.unique(np.sort(np.vstack([central, samples]), axis=1), axis=0, return_inverse=True)
    which = which.reshape(-1)
    # Medians over the (re-sampled) pairs: robust to one unusual year such as APS 2020.
    gain_draws = np.median(gains[picks], axis=1)  # (1 + draws) x bands x 4
    rates_by_age = gain_draws[:, BAND_OF_AGE, :]
    growth_draws = np.median(growth[picks], axis=1) if assumptions.population_growth else np.zeros(len(picks))
    recent = cube[-assumptions.entrant_years :, 0, :].sum(axis=0)
    entrant_mix = recent / recent.sum() if recent.sum() > 0 else np.full(len(LEVELS), 1.0 / len(LEVELS))
    base_bands = cube[-1].sum(axis=-1)  # bands
    targets = _targets(area, base_bands, base_year, years, growth_draws, population, which[0])  # picks x years x bands

    main = np.broadcast_to(expand(cube[-1]), (len(picks), len(AGES), len(LEVELS))).copy()
    extra = np.zeros_like(main)
    point = np.empty((len(years), len(AGE_BANDS), len(LEVELS)))
    draws = np.empty((len(picks), len(years), len(LEVELS)))
    for step, year in enumerate(years):
        entrants = main[:, 0:4, :].sum(axis=1) / 4.0  # a quarter of the 16-19s, before ageing
        entrants = entrants.sum(axis=-1, keepdims=True) * entrant_mix[None, :]
        main = apply_gains(age_one_year(main, entrants), rates_by_age, by_age=True)
        if extra.any():  # only scenarios with retention carry extra people
            extra = apply_gains(age_one_year(extra, np.zeros_like(entrants)), rates_by_age, by_age=True)
        sizes = main @ np.ones(len(LEVELS))  # draws x ages
        band_sizes = sizes @ BAND_INDICATOR
        scale = np.where(band_sizes > 0, targets[:, step, :] / np.where(band_sizes > 0, band_sizes, 1.0), 0.0)
        main = main * scale[:, BAND_OF_AGE][:, :, None]
        for level, people, band in moves.completions.get(int(year), []):
            main = _complete(main, level, people, band)
        for level, people in moves.retention.get(int(year), []):
            extra = _retain(extra, main, level, people)
        people = np.maximum(main + extra, 0.0)  # retention may be negative: never fewer than nobody
        point[step] = collapse(people[which[0]])
        draws[:, step, :] = people.sum(axis=1)
    return AreaProjection(area=area, years=years, point=point, draws=draws[which[1:]])


def _targets(area, base_bands, base_year, years, growth_draws, population, central: int) -> np.ndarray:
    """Band sizes per draw and year: observed size x growth, or a given population projection."""
    horizon = (years - base_year)[None, :, None]
    grown = base_bands[None, None, :] * (1.0 + growth_draws[:, None, None]) ** horizon
    if population is None or area not in set(population["area"]):
        return grown
    rows = population.loc[population["area"] == area]
    table = rows.pivot_table(index="year", columns="age_band", values="value", aggfunc="sum").reindex(columns=list(AGE_BANDS))
    if table.isna().any().any():
        raise DataError(f"population projection: area {area!r} lacks age band(s) {[b for b in AGE_BANDS if table[b].isna().all()]}")
    table = table.reindex(years).ffill().bfill()
    projected = table.to_numpy(dtype=float)
    # Draws keep their relative spread around the central growth path.
    return projected[None, :, :] * grown / grown[central : central + 1]


def area_growth(cube: np.ndarray) -> np.ndarray:
    """Observed annual growth of the 16-64 total per year pair."""
    totals = cube.sum(axis=(1, 2))
    return totals[1:] / np.where(totals[:-1] > 0, totals[:-1], 1.0) - 1.0


# -- the whole supply side ---------------------------------------------------------------------


@dataclass(frozen=True)
class SupplyResult:
    """Supply per area, band and year with simulation draws, plus what the model learned."""

    table: pd.DataFrame  # area, band, year, supply, basis ('observed' | 'projected')
    draws: dict[str, np.ndarray]  # area -> draws x projected years x levels
    projected_years: dict[str, np.ndarray]
    age_mix: pd.DataFrame  # area, year, band (qualification), age_band, share: for replacement demand
    gains: np.ndarray  # observed pairs x age bands x 4 (national)
    pairs: list[tuple[int, int]]


def levels_to_bands(values: np.ndarray) -> dict[str, np.ndarray]:
    """Last axis levels -> {band or level: values} for all of SUPPLY_BANDS."""
    out = {level: values[..., index] for index, level in enumerate(LEVELS)}
    for band in BANDS:
        out[band] = sum(values[..., index] for index, level in enumerate(LEVELS) if BAND_OF_LEVEL[level] == band)
    return out


def project_supply(
    stock: pd.DataFrame,
    leaves: list[str],
    parents: dict[str, list[str]],
    national: str,
    end_year: int,
    assumptions: SupplyAssumptions,
    population: pd.DataFrame | None = None,
    moves: dict[str, Moves] | None = None,
    national_parts: list[str] | None = None,
    growth_groups: dict[str, list[str]] | None = None,
) -> SupplyResult:
    """Project every leaf area with the cohort model; a parent is the sum of its leaves.

    ``growth_groups``: leaf -> the areas whose summed 16-64 total sets its growth (a
    district grows with its LSIP: a district's own APS totals are too noisy to extrapolate);
    default each leaf's own.

    ``parents``: parent area -> the leaves that add up to it (e.g. England -> its LSIPs).
    ``national``: the area whose stock gives the gain rates: an area in ``stock``, or the
    sum of ``national_parts`` (default ``parents[national]``). Every area must share the
    same observed years.
    """
    moves = moves or {}
    all_cubes = stock_cubes(stock)
    if national in all_cubes:
        national_years, national_cube = all_cubes[national]
    else:
        national_years, national_cube = _summed_cube(all_cubes, national, national_parts or parents.get(national, []))
    if len(national_years) < 2:
        raise DataError("supply: at least two observed years of people by age and qualification are needed to estimate flows")
    if not np.array_equal(np.diff(national_years), np.ones(len(national_years) - 1)):
        raise DataError(f"supply: observed years must be consecutive; got {national_years.tolist()}")
    gains = estimate_gains(national_cube)
    pairs = [(int(a), int(b)) for a, b in zip(national_years[:-1], national_years[1:], strict=True)]
    rng = np.random.default_rng(assumptions.seed)
    samples = rng.integers(0, len(pairs), size=(assumptions.draws, len(pairs)))

    projections: dict[str, AreaProjection] = {}
    cubes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for area in leaves:
        if area not in all_cubes:
            raise DataError(f"supply: no people by age band and qualification for area {area!r}")
        years, cube = all_cubes[area]
        if not np.array_equal(years, national_years):
            raise DataError(f"supply: area {area} has years {years.tolist()}, expected the national {national_years.tolist()}")
        cubes[area] = (years, cube)
        group = (growth_groups or {}).get(area)
        growth = area_growth(_summed_cube(all_cubes, area, group)[1] if group else cube)
        projections[area] = project_area(area, years, cube, end_year, gains, growth, samples, assumptions, population, moves.get(area))
    for parent, children in parents.items():
        missing = [child for child in children if child not in projections]
        if missing:
            raise DataError(f"supply: {parent} adds up {len(children)} areas but {missing[:3]} have no supply")
        first = projections[children[0]]
        cubes[parent] = _summed_cube(cubes, parent, children)
        projections[parent] = AreaProjection(
            parent, first.years, sum(projections[c].point for c in children), sum(projections[c].draws for c in children)
        )
    return SupplyResult(
        table=_supply_table(cubes, projections),
        draws={area: projection.draws for area, projection in projections.items()},
        projected_years={area: projection.years for area, projection in projections.items()},
        age_mix=_age_mix(cubes, projections),
        gains=gains,
        pairs=pairs,
    )


def scale_supply(
    result: SupplyResult, factors: dict[str, float], parents: dict[str, list[str]], inflow: dict[str, tuple[list[str], float]] | None = None
) -> SupplyResult:
    """Supply on another basis: each leaf's people x its factor (an activity rate), plus, where
    ``inflow`` gives one, ``share`` x the people of a pool of leaves (its LSIP: the workers its
    jobs draw in, with the pool's mix), projected and simulated like its own; each parent is
    the sum of its scaled leaves, so areas still add up. The age mix (for replacement demand)
    stays that of the people."""
    inflow = inflow or {}
    leaves = [leaf for leaf in factors if leaf in result.draws]
    wide = result.table.pivot_table(index=["band", "year", "basis"], columns="area", values="supply", aggfunc="sum")
    people = wide.to_numpy()
    column = {area: index for index, area in enumerate(wide.columns)}
    pools: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}  # each pool's people and draws, summed once

    def pool_of(members: list[str]) -> tuple[np.ndarray, np.ndarray]:
        key = tuple(members)
        if key not in pools:
            pools[key] = (people[:, [column[member] for member in members]].sum(axis=1), sum(result.draws[member] for member in members))
        return pools[key]

    scaled = np.empty((len(wide), len(leaves)))
    draws: dict[str, np.ndarray] = {}
    for index, leaf in enumerate(leaves):
        scaled[:, index] = people[:, column[leaf]] * factors[leaf]
        draws[leaf] = result.draws[leaf] * factors[leaf]
        members, share = inflow.get(leaf, ([], 0.0))
        if share > 0:
            pool_people, pool_draws = pool_of(members)
            scaled[:, index] += pool_people * share
            draws[leaf] = draws[leaf] + pool_draws * share
    position = {leaf: index for index, leaf in enumerate(leaves)}
    columns = [scaled]
    for parent, children in parents.items():
        columns.append(scaled[:, [position[child] for child in children]].sum(axis=1, keepdims=True))
        draws[parent] = sum(draws[child] for child in children)
    table = pd.DataFrame(np.hstack(columns), index=wide.index, columns=[*leaves, *parents]).rename_axis(columns="area")
    table = table.stack().rename("supply").reset_index().dropna(subset=["supply"])
    return SupplyResult(
        table=table[list(result.table.columns)],
        draws=draws,
        projected_years=result.projected_years,
        age_mix=result.age_mix,
        gains=result.gains,
        pairs=result.pairs,
    )


def _summed_cube(cubes: dict, whole: str, areas: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """An area's stock (England, a region) as the sum of the areas that make it up."""
    if not areas or any(area not in cubes for area in areas):
        raise DataError(f"supply: no people by age band and qualification for {whole!r} or all its parts")
    parts = [cubes[area] for area in areas]
    years = parts[0][0]
    for area, (other, _) in zip(areas, parts, strict=True):
        if not np.array_equal(other, years):
            raise DataError(f"supply: area {area} has years {other.tolist()}, expected {years.tolist()} like {areas[0]}")
    return years, sum(cube for _, cube in parts)


def _supply_table(cubes, projections) -> pd.DataFrame:
    frames = []
    for area, (years, cube) in cubes.items():
        projection = projections[area]
        for basis, when, values in (("observed", years, cube.sum(axis=1)), ("projected", projection.years, projection.point.sum(axis=1))):
            by_band = levels_to_bands(values)  # band -> years
            frames.append(
                pd.DataFrame(
                    {
                        "area": area,
                        "band": np.repeat(list(by_band), len(when)),
                        "year": np.tile(when.astype(int), len(by_band)),
                        "supply": np.concatenate(list(by_band.values())),
                        "basis": basis,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _age_mix(cubes, projections) -> pd.DataFrame:
    """Share of each qualification band's (and level's) people in each age band, per year."""
    frames = []
    for area, (years, cube) in cubes.items():
        projection = projections[area]
        all_years = np.concatenate([years, projection.years]).astype(int)
        values = np.concatenate([cube, projection.point], axis=0)  # years x age bands x levels
        by_band = levels_to_bands(values)  # band -> years x age bands
        stacked = np.stack(list(by_band.values()))  # bands x years x age bands
        total = stacked.sum(axis=2, keepdims=True)
        share = stacked / np.where(total > 0, total, 1.0)
        n_bands, n_years, n_ages = share.shape
        frames.append(
            pd.DataFrame(
                {
                    "area": area,
                    "year": np.tile(np.repeat(all_years, n_ages), n_bands),
                    "band": np.repeat(list(by_band), n_years * n_ages),
                    "age_band": np.tile(list(AGE_BANDS), n_bands * n_years),
                    "share": share.reshape(-1),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def activity_rates(panel: pd.DataFrame) -> pd.Series:
    """Each area's latest economic activity rate of people 16-64 (economically active / all)."""
    rows = panel.loc[panel["classification"] == "all"]
    active = rows.loc[rows["measure"] == "economically_active"].set_index(["area", "period"])["value"]
    people = rows.loc[rows["measure"] == "population"].set_index(["area", "period"])["value"]
    rate = (active / people).dropna()
    rate = rate.loc[(rate > 0) & (rate <= 1)]
    if rate.empty:
        return pd.Series(dtype=float)
    latest = rate.reset_index().sort_values("period").groupby("area").last()
    return latest["value"].rename("activity_rate")
