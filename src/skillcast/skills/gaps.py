"""Skills gaps: demand for people at a qualification level minus the people who have it.

Sign convention, the same everywhere in skillcast: **gap = demand - supply**, so a
**positive gap is a shortage of people** at that level and a negative gap a surplus.

* demand (``skillcast.skills.demand``): jobs (workplace employment incl. self-employed) held at
  each qualification level / band, forecast by the engine;
* supply (``skillcast.skills.supply``): people aged 16-64 whose highest qualification is at that
  level / band, projected by the cohort model (optionally x the activity rate).

Supply counts everyone of working age, in work or not, so across all levels supply
exceeds demand; read a band's gap against the others, not as an absolute.

Intervals (``simulate_gaps``) come from simulation combining both sides: each draw takes a
demand path from the engine's quantiles (one standard-normal draw per area and band, shared
by its years, mapped through the piecewise-linear quantile function through lo_95, lo_80,
point, hi_80, hi_95) and a supply path from the cohort model's simulations (re-sampled
observed flow rates), independently; ``gap_draw = gap + (demand_draw - demand) -
(supply_draw - supply)``. The 80% and 95% intervals are the draws' 10-90% and 2.5-97.5%
quantiles, widened if need be to contain the point. Observed years (both sides observed)
carry no forecast uncertainty: their interval is the point. Bands: low / intermediate /
high and the five levels. Areas above others (England over its LSIPs, the demo's nation
over its regions) are sums of them on both sides, so their gaps add up too.

``compute_gaps`` is the earlier closed form (quadrature of the two sides' interval
half-widths), kept for forecast frames that carry both sides (the engine forecasting
population by band), e.g. when a panel has no age-by-qualification rows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from skillcast.data.qualifications import ALL_BANDS, BANDS, LEVELS
from skillcast.engine.factory import make_forecaster
from skillcast.engine.national_total import nowcast_years
from skillcast.skills import demand as demand_side
from skillcast.skills import small_area
from skillcast.skills import supply as supply_side
from skillcast.skills.gap_table import GAP_COLUMNS
from skillcast.skills.quantiles import QUANTILES, quantile_paths

SUPPLY_BASES: tuple[str, ...] = (
    "people",
    "active",
    "workplace",
)  # what supply counts (docs/gaps.md); 'workplace' is the default where the data allow
BAND_GROUPS: tuple[tuple[str, ...], ...] = (BANDS, LEVELS)  # the imbalance compares a band with the others of its group
DEMAND_MEASURE = "employment"
SUPPLY_MEASURE = "population"
BAND_CLASSIFICATIONS = ("qualification_band", "qualification_level")


def _side(frame: pd.DataFrame, measure: str, prefix: str) -> pd.DataFrame:
    rows = frame.loc[(frame["measure"] == measure) & frame["classification"].isin(BAND_CLASSIFICATIONS)]
    columns = {"forecast": prefix, **{f"{bound}_{level}": f"{prefix}_{bound}_{level}" for bound in ("lo", "hi") for level in (80, 95)}}
    return rows.rename(columns={"code": "band", "period": "year", **columns})[["area", "band", "year", "basis", *columns.values()]]


def observed_as_forecast(history: pd.DataFrame) -> pd.DataFrame:
    """Observed rows in the forecast-frame shape, with intervals equal to the point."""
    frame = history[["area", "measure", "classification", "code", "period"]].copy()
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        frame[column] = history["value"].to_numpy()
    return frame


def compute_gaps(forecasts: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Gaps per area, band and year from forecast rows (and observed rows, if given)."""
    frames = [forecasts.assign(basis="forecast")]
    if history is not None and not history.empty:
        frames.append(observed_as_forecast(history).assign(basis="observed"))
    combined = pd.concat(frames, ignore_index=True)
    demand = _side(combined, DEMAND_MEASURE, "demand")
    supply = _side(combined, SUPPLY_MEASURE, "supply").drop(columns="basis")
    merged = demand.merge(supply, on=["area", "band", "year"], how="inner")
    merged["gap"] = merged["demand"] - merged["supply"]
    for level in (80, 95):
        below = np.hypot(merged["demand"] - merged[f"demand_lo_{level}"], merged[f"supply_hi_{level}"] - merged["supply"])
        above = np.hypot(merged[f"demand_hi_{level}"] - merged["demand"], merged["supply"] - merged[f"supply_lo_{level}"])
        merged[f"gap_lo_{level}"] = merged["gap"] - below
        merged[f"gap_hi_{level}"] = merged["gap"] + above
    order = {band: index for index, band in enumerate(ALL_BANDS)}
    merged = merged.sort_values(["area", "year"], kind="stable")
    merged = merged.assign(_order=merged["band"].map(order)).sort_values(["area", "year", "_order"], kind="stable")
    merged = add_imbalance(merged.assign(gap_basis="people"))
    return merged[GAP_COLUMNS].reset_index(drop=True)


def add_imbalance(table: pd.DataFrame) -> pd.DataFrame:
    """The normalised imbalance (Cedefop), per area, year and band: the band's share of supply
    minus its share of demand within its group (the three bands; the five levels), in
    percentage points. Negative: the band is scarcer among people than among jobs (the
    shortage side). Where ``table`` has no bounds for it, they are the point."""
    table = table.copy()
    table["imbalance"] = np.nan
    for group in BAND_GROUPS:
        rows = table["band"].isin(group)
        keys = [table.loc[rows, "area"], table.loc[rows, "year"]]
        supply_share = table.loc[rows, "supply"] / table.loc[rows, "supply"].groupby(keys).transform("sum")
        demand_share = table.loc[rows, "demand"] / table.loc[rows, "demand"].groupby(keys).transform("sum")
        table.loc[rows, "imbalance"] = 100.0 * (supply_share - demand_share)
    for column in ("imbalance_lo_80", "imbalance_hi_80"):
        if column not in table:
            table[column] = table["imbalance"]
    return table


def _imbalance_draws(
    bands: np.ndarray, years: np.ndarray, demand_draws: np.ndarray, supply_draws: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """10% and 90% quantiles of the imbalance per row of one area, from the draws of both sides
    (NaN where a band of the group is missing that year)."""
    low, high = np.full(len(bands), np.nan), np.full(len(bands), np.nan)
    for group in BAND_GROUPS:
        rows = [np.flatnonzero(bands == band) for band in group]
        if any(len(found) == 0 for found in rows):
            continue
        common = rows[0] if all(np.array_equal(years[found], years[rows[0]]) for found in rows) else None
        if common is None:  # bands with different years: keep the years all have
            shared = sorted(set.intersection(*(set(years[found]) for found in rows)))
            rows = [found[np.isin(years[found], shared)] for found in rows]
        where = np.vstack(rows)  # bands x years (rows sorted by year within a band)
        supply, demand = supply_draws[where], demand_draws[where]
        with np.errstate(invalid="ignore", divide="ignore"):  # an area with no people (the Isles of Scilly): NaN
            share = 100.0 * (supply / supply.sum(axis=0) - demand / demand.sum(axis=0))
        bounds = np.quantile(share, [0.10, 0.90], axis=-1)
        low[where.ravel()], high[where.ravel()] = bounds[0].ravel(), bounds[1].ravel()
    return low, high


# -- simulation intervals combining both sides ---------------------------------------------------

SAME_PATH = {"level4plus": "high"}  # one quantity under two names: one demand path for both
SIDE_COLUMNS: list[str] = [
    "demand_lo_80",
    "demand_hi_80",
    "demand_lo_95",
    "demand_hi_95",
    "supply_lo_80",
    "supply_hi_80",
    "supply_lo_95",
    "supply_hi_95",
]


def _supply_deviations(supply, area: str, bands: np.ndarray, years: np.ndarray, points: np.ndarray, draws: int) -> np.ndarray:
    """Supply draw - point per row (zero in observed years)."""
    deviations = np.zeros((len(bands), draws))
    projected = supply.projected_years.get(area)
    if projected is None or len(projected) == 0:
        return deviations
    by_band = supply_side.levels_to_bands(supply.draws[area])  # band -> draws x projected years
    position = pd.Series(np.arange(len(projected)), index=np.asarray(projected, dtype=int)).reindex(years.astype(int)).to_numpy()
    for band in np.unique(bands):
        rows = np.flatnonzero((bands == band) & ~np.isnan(position))
        if len(rows):
            deviations[rows] = by_band[band][:draws, position[rows].astype(int)].T - points[rows, None]
    return deviations


def simulate_gaps(demand: pd.DataFrame, supply, draws: int, seed: int, basis: str = "people") -> pd.DataFrame:
    """Gaps with simulated intervals per area, band and year (see the module docstring).

    ``demand``: ``band_demand`` rows (with intervals); ``supply``: a ``supply.SupplyResult``
    already on ``basis`` (``supply.scale_supply``), which every row names in ``gap_basis``.
    Returns ``GAP_COLUMNS`` plus each side's own 80%/95% bounds (``SIDE_COLUMNS``).
    """
    supply_rows = supply.table.rename(columns={"basis": "supply_basis"})
    merged = demand.merge(supply_rows, on=["area", "band", "year"], how="inner")
    if merged.empty:
        raise ValueError("no area, band and year has both demand and supply; check that the areas line up")
    table = merged.sort_values(["area", "band", "year"], kind="stable").reset_index(drop=True)
    areas = table["area"].to_numpy(dtype=object)
    bands = table["band"].to_numpy(dtype=object)
    years = table["year"].to_numpy(dtype=int)
    point_demand, point_supply = table["demand"].to_numpy(dtype=float), table["supply"].to_numpy(dtype=float)
    knots = table[["demand_lo_95", "demand_lo_80", "demand", "demand_hi_80", "demand_hi_95"]].to_numpy(dtype=float)
    paths = np.array([SAME_PATH.get(band, band) for band in bands], dtype=object)
    gap = point_demand - point_supply
    out = {name: np.empty(len(table)) for name in (*(f"gap_{q}" for q in QUANTILES), *(f"supply_{q}" for q in QUANTILES))}
    out["imbalance_lo_80"], out["imbalance_hi_80"] = np.full(len(table), np.nan), np.full(len(table), np.nan)
    starts = np.flatnonzero(np.r_[True, areas[1:] != areas[:-1]])
    for start, end in zip(starts, [*starts[1:], len(table)], strict=True):
        area = areas[start]
        rows = slice(start, end)
        rng = np.random.default_rng([seed, zlib.crc32(str(area).encode())])  # an area's draws do not depend on which others are run
        path_codes, path_index = np.unique(paths[rows], return_inverse=True)
        z = rng.standard_normal((len(path_codes), draws))[path_index]  # one path per band, shared by its years
        demand_dev = quantile_paths(knots[rows], z) - point_demand[rows, None]  # zero where the range is a point (observed)
        supply_dev = _supply_deviations(supply, area, bands[rows], years[rows], point_supply[rows], draws)
        gap_draws = gap[rows, None] + demand_dev - supply_dev
        supply_draws = point_supply[rows, None] + supply_dev
        bounds = np.quantile(np.vstack([gap_draws, supply_draws]), list(QUANTILES.values()), axis=1)  # one partition for all four
        count = end - start
        for index, name in enumerate(QUANTILES):
            out[f"gap_{name}"][rows], out[f"supply_{name}"][rows] = bounds[index, :count], bounds[index, count:]
        low, high = _imbalance_draws(bands[rows], years[rows], point_demand[rows, None] + demand_dev, supply_draws)
        out["imbalance_lo_80"][rows], out["imbalance_hi_80"][rows] = low, high
    table["gap"] = gap
    for name, values in out.items():
        table[name] = values
    for level in (80, 95):
        table[f"gap_lo_{level}"] = np.minimum(table[f"gap_lo_{level}"], table["gap"])
        table[f"gap_hi_{level}"] = np.maximum(table[f"gap_hi_{level}"], table["gap"])
        table[f"supply_lo_{level}"] = np.minimum(table[f"supply_lo_{level}"], table["supply"])
        table[f"supply_hi_{level}"] = np.maximum(table[f"supply_hi_{level}"], table["supply"])
    table["gap_lo_95"] = np.minimum(table["gap_lo_95"], table["gap_lo_80"])
    table["gap_hi_95"] = np.maximum(table["gap_hi_95"], table["gap_hi_80"])
    both_observed = (table["basis"] == "observed") & (table["supply_basis"] == "observed")
    table["basis"] = np.where(both_observed, "observed", "forecast")
    order = {band: index for index, band in enumerate(ALL_BANDS)}
    table = table.assign(_order=table["band"].map(order)).sort_values(["area", "year", "_order"], kind="stable")
    table = add_imbalance(table.assign(gap_basis=basis))
    table["imbalance_lo_80"] = np.minimum(table["imbalance_lo_80"], table["imbalance"])
    table["imbalance_hi_80"] = np.maximum(table["imbalance_hi_80"], table["imbalance"])
    return table[GAP_COLUMNS + SIDE_COLUMNS].reset_index(drop=True)


# -- the whole analysis: demand, supply, scenario, gaps -------------------------------------------


class GapSettings(BaseModel):
    """Everything the gaps analysis assumes; built at the edge (CLI) and passed down."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    end_year: int = Field(default=2035, ge=2000, le=2100)
    model: str = "reconciled:national_mix"  # the production model (Config.production_model)
    calibration_windows: int = Field(default=5, ge=1, le=20)
    draws: int = Field(default=1000, ge=20, le=20000)
    seed: int = Field(default=20240601, ge=0)
    nowcast: bool = Field(
        default=True,
        description="the demand forecast takes England's occupational mix from the APS one year past the last observation "
        "(GapInputs.mix_signal), as the production forecasts do (Config.nowcast_occupation_mix)",
    )
    nowcast_national: bool = Field(
        default=True,
        description="the demand forecast takes England's total from the national labour market (GapInputs.national_signal), "
        "as the production forecasts do (Config.nowcast_national)",
    )
    basis: Literal["people", "active", "workplace"] | None = Field(
        default=None, description="what supply counts (docs/gaps.md); None: workplace where the data allow, else people"
    )
    supply: supply_side.SupplyAssumptions = supply_side.SupplyAssumptions()
    exits: demand_side.ExitRates = demand_side.ExitRates()


@dataclass(frozen=True)
class DemandForecast:
    """The engine fitted once on the demand history; baseline and scenario share it."""

    history: pd.DataFrame  # observed target series (bands added)
    forecasts: pd.DataFrame  # engine forecasts to end_year
    description: str = ""  # how it was made, for a bundle's metadata


@dataclass(frozen=True)
class GapAnalysis:
    gaps: pd.DataFrame  # GAP_COLUMNS + side intervals
    demand: pd.DataFrame  # band demand + requirement + cross-check + reference
    occupations: pd.DataFrame  # employment per occupation (observed + forecast, scenario applied)
    mix: pd.DataFrame  # occupation qualification mix (rqf shares)
    supply: supply_side.SupplyResult
    notes: tuple[str, ...]
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # analysed area -> read before quoting (skills.alignment)
    flagged: frozenset[str] = frozenset()  # analysed areas failing the alignment check: in no ranking


FORECAST_VALUES = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]


def area_frames(inputs, forecast: DemandForecast, areas: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The demand history, forecasts and published rows (SI2035 incl. its projection and RQF x
    occupation cells) of ``areas``.

    Where the inputs carry areas' demand themselves (the demo), their own rows. On real data
    an area the engine forecast (a unit, England) keeps its rows; one made of a single whole
    unit (an LSIP's combined authority) takes that unit's; every other area is the sum of
    its districts' shares of their units (``small_area.SmallAreaDemand.expand``).
    """
    model = inputs.small_area
    published = inputs.demand_history
    if model is None:
        return tuple(
            frame.loc[frame["area"].isin(areas)].reset_index(drop=True) for frame in (forecast.history, forecast.forecasts, published)
        )
    engine_areas = set(forecast.forecasts["area"])
    direct, built = {}, []
    for area in areas:
        whole = model.whole_units(area)
        if area in engine_areas:
            direct[area] = area
        elif len(whole) == 1:
            direct[area] = whole[0]
        else:
            built.append(area)
    mapping = pd.DataFrame({"source_area": list(direct.values()), "target": list(direct)})
    needed = published.loc[
        (published["classification"] == demand_side.CROSSED) & ~published["projection"].astype(bool)
        | (published["classification"] == "rqf") & published["projection"].astype(bool)
    ]

    def take(frame: pd.DataFrame, values: list[str]) -> pd.DataFrame:
        own = (
            frame.merge(mapping, left_on="area", right_on="source_area")
            .drop(columns=["area", "source_area"])
            .rename(columns={"target": "area"})
        )
        return pd.concat([own[frame.columns], model.expand(frame, built, values)], ignore_index=True)

    return take(forecast.history, ["value"]), take(forecast.forecasts, FORECAST_VALUES), take(needed, ["value"])


def with_share_error(demand: pd.DataFrame, inputs, forecast: DemandForecast, areas: list[str], settings: GapSettings) -> pd.DataFrame:
    """Band demand whose intervals, for areas built from districts, carry the small-area share error too."""
    model = inputs.small_area
    if model is None:
        return demand
    engine_areas = set(forecast.forecasts["area"])
    built = [area for area in areas if area not in engine_areas and len(model.whole_units(area)) != 1]
    if not built:
        return demand
    units = demand_side.band_demand(forecast.forecasts, forecast.history)
    simulated = small_area.band_intervals(model, units.loc[units["area"].isin(model.units)], built, settings.draws, settings.seed)
    bounds = [f"demand_{bound}" for bound in demand_side.INTERVAL_COLUMNS]
    merged = demand.merge(simulated.drop(columns="demand"), on=["area", "band", "year"], how="left", suffixes=("", "_simulated"))
    for column in bounds:
        merged[column] = merged[f"{column}_simulated"].fillna(merged[column])
    return merged[demand.columns]


def fit_demand(inputs, settings: GapSettings) -> DemandForecast:
    """Fit the production engine on the demand history and forecast to ``end_year``, with the
    nowcast's survey mix when ``settings.nowcast`` (so the gaps' demand is the model that
    ``skillcast train`` registers and ``/forecast`` serves, not the same model without newer data)."""
    history = demand_side.fit_demand_history(inputs.demand_history)
    last_year = int(history["period"].max())
    if settings.end_year <= last_year:
        raise ValueError(f"--year / end year {settings.end_year} is not after the last observed year of demand {last_year}")
    model = make_forecaster(
        settings.model,
        settings.calibration_windows,
        (80, 95),
        settings.seed,
        area_parents=tuple(inputs.area_parents),
        mix_signal=inputs.mix_signal if settings.nowcast else (),
        national_signal=inputs.national_signal if settings.nowcast_national else (),
        nowcast_years=nowcast_years(inputs.national_signal, last_year) if settings.nowcast_national else 0,
    )
    forecasts = model.fit(history).predict(settings.end_year - last_year)
    where = "SI2035's units; districts by small-area estimation, areas their sums" if inputs.small_area is not None else "every area"
    return DemandForecast(history=history, forecasts=forecasts, description=f"gaps.fit_demand ({settings.model}) on {where}")


def demand_forecast(
    inputs, settings: GapSettings, history: pd.DataFrame | None = None, forecasts: pd.DataFrame | None = None
) -> DemandForecast:
    """The demand the gaps rest on, given a job's own ``history`` and ``forecasts``.

    Where the areas carry their demand themselves (a tree of areas such as the demo's, no
    small-area model), the job's forecasts of them are that demand. Otherwise (real data:
    SI2035's publisher ids, districts by small-area estimation) the production model is
    fitted on the inputs' demand series, which the job's series are not."""
    if inputs.small_area is None and history is not None and forecasts is not None:
        return DemandForecast(history=history, forecasts=forecasts, description=f"the job's own forecasts ({settings.model}) of every area")
    return fit_demand(inputs, settings)


def demand_areas(inputs, demand: DemandForecast) -> list[str]:
    """The areas whose gaps ``demand`` can answer: every area where districts make them up, else those it has demand for."""
    if inputs.small_area is not None:
        return list(inputs.areas)
    forecast = set(demand.history.loc[demand.history["measure"] == DEMAND_MEASURE, "area"])
    return [area for area in inputs.areas if area in forecast]


def apply_demand_growth(occupations: pd.DataFrame, demand: pd.DataFrame, mix: pd.DataFrame, scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Faster or slower growth of chosen occupations, and the jobs it adds to each band.

    Forecast employment of occupation o in year t is multiplied by (1 + x_o)^(t - t0),
    t0 = the area's last observed year; the extra jobs are spread over bands by o's
    qualification mix and added to demand (intervals move with the point).
    """
    if scenario is None or not scenario.demand:
        return occupations, demand
    occupations = occupations.copy()
    extra_growth = occupations["occupation"].astype(str).map(scenario.growth_for)
    last_observed = occupations.loc[occupations["basis"] == "observed"].groupby("area")["year"].max()
    steps = (occupations["year"] - occupations["area"].map(last_observed)).clip(lower=0)
    factor = np.where(occupations["basis"] == "forecast", (1.0 + extra_growth) ** steps, 1.0)
    added = occupations["employment"] * (factor - 1.0)
    for column in ("employment", "lo_80", "hi_80", "lo_95", "hi_95"):
        occupations[column] = occupations[column] * factor
    extra = occupations.assign(employment=added)
    by_band = demand_side.demand_by_occupation(extra.loc[added != 0], mix).rename(columns={"demand_by_occupation": "extra"})
    demand = demand.merge(by_band, on=["area", "band", "year"], how="left")
    demand["extra"] = demand["extra"].fillna(0.0).where(demand["basis"] == "forecast", 0.0)
    for column in ("demand", "demand_lo_80", "demand_hi_80", "demand_lo_95", "demand_hi_95"):
        demand[column] = np.maximum(demand[column] + demand["extra"], 0.0)
    return occupations, demand.drop(columns="extra")


def supply_moves(scenario, inputs, areas: list[str], first_year: int, end_year: int) -> dict[str, supply_side.Moves]:
    """Each leaf's completions and retention from a scenario's supply levers.

    A lever applies to each analysed leaf area in full; for an analysed parent (England),
    it is shared among its leaves by their 16-64 population, so the parent gets it once.
    """
    if scenario is None or not (scenario.completions or scenario.retention):
        return {}
    targets = [area for area in areas if scenario.applies_to(area)]
    weights: dict[str, float] = {}
    base = inputs.stock.loc[inputs.stock["period"] == inputs.stock.groupby("area")["period"].transform("max")]
    people = base.groupby("area")["value"].sum()
    for area in targets:
        if area in inputs.parents:
            children = inputs.parents[area]
            total = float(people.reindex(children).sum())
            for child in children:
                if child not in targets:
                    weights[child] = weights.get(child, 0.0) + float(people.get(child, 0.0)) / total
        else:
            weights[area] = 1.0
    level_index = {level: index for index, level in enumerate(LEVELS)}
    moves = {}
    for area, weight in weights.items():
        completions: dict[int, list] = {}
        retention: dict[int, list] = {}
        for year in range(first_year, end_year + 1):
            for lever in scenario.completions:
                if lever.from_year <= year <= lever.to_year:
                    completions.setdefault(year, []).append((level_index[lever.level], lever.people_per_year * weight, lever.age_band))
            for lever in scenario.retention:
                if lever.from_year <= year <= lever.to_year:
                    retention.setdefault(year, []).append((level_index[lever.level], lever.people_per_year * weight))
        moves[area] = supply_side.Moves(completions=completions, retention=retention)
    return moves


def realism_notes(scenario, inputs, areas: list[str]) -> list[str]:
    """Extra completions set against the learners the area's FE and skills system achieves a year."""
    if scenario is None or not scenario.completions:
        return []
    notes = []
    extra = sum(lever.people_per_year for lever in scenario.completions)
    for area in areas:
        if area in inputs.fe_achievements:
            year, achieved = inputs.fe_achievements[area]
            ratio = extra / achieved if achieved else float("inf")
            flag = " - more than a fifth of all FE achievements: ambitious" if ratio > 0.2 else ""
            notes.append(
                f"{area}: {extra:,.0f} extra completions a year = {ratio:.1%} of the {achieved:,.0f} FE and skills learners achieving in {year}{flag}"
            )
    return notes


def analyse(
    inputs, settings: GapSettings, forecast: DemandForecast, areas: list[str], scenario=None, population: pd.DataFrame | None = None
) -> GapAnalysis:
    """Demand, supply and gaps (with intervals) for ``areas``; ``scenario`` changes the flows.

    ``population``: an optional projection of people by area, age band and year that the
    cohort model's band sizes follow (``supply.project_area``).
    """
    history, forecasts, published = area_frames(inputs, forecast, areas)
    demand = demand_side.band_demand(forecasts, history)
    demand = with_share_error(demand, inputs, forecast, areas, settings)
    has_occupations = history["classification"].isin(demand_side.OCCUPATION_CLASSIFICATIONS).any()
    if has_occupations:
        occupations = demand_side.occupation_series(forecasts, history)
        mix = demand_side.occupation_mix(published, occupations)
        occupations, demand = apply_demand_growth(occupations, demand, mix, scenario)
    elif scenario is not None and scenario.demand:
        raise ValueError("scenario [[demand]] levers need employment by occupation, which these data lack")
    else:
        occupations = pd.DataFrame(columns=["area", "occupation", "year", "employment", "basis"])
        mix = pd.DataFrame(columns=["area", "occupation", "rqf", "share", "source"])

    basis = settings.basis or inputs.default_basis
    if basis != "people" and not inputs.basis_factors.get(basis):
        raise ValueError(
            f"--basis {basis}: these data have no economic activity{' or employed residents' if basis == 'workplace' else ''} "
            "by area (needs local-skills-time-series); use --basis people"
        )
    leaves = inputs.leaves_for(areas, basis)
    parents = {parent: children for parent, children in inputs.parents.items() if parent in areas}
    first_projected = int(inputs.stock["period"].max()) + 1
    moves = supply_moves(scenario, inputs, areas, first_projected, settings.end_year)
    assumptions = settings.supply.model_copy(update={"draws": settings.draws, "seed": settings.seed})
    supply = supply_side.project_supply(
        inputs.stock,
        leaves,
        parents,
        inputs.national,
        settings.end_year,
        assumptions,
        population=population,
        moves=moves,
        national_parts=inputs.parents.get(inputs.national),
        growth_groups=inputs.growth_groups,
    )

    rates = demand_side.replacement_rates(supply.age_mix, settings.exits)
    demand = demand_side.requirement(demand, rates)
    if has_occupations:
        demand = demand.merge(demand_side.demand_by_occupation(occupations, mix), on=["area", "band", "year"], how="left")
    demand = demand.merge(demand_side.reference_demand(published), on=["area", "band", "year"], how="left")

    if basis != "people":
        factors = inputs.basis_factors[basis]
        inflow = (
            {leaf: (inputs.growth_groups[leaf], share) for leaf, share in inputs.inflow.items() if share > 0}
            if basis == "workplace"
            else {}
        )
        supply = supply_side.scale_supply(supply, {leaf: factors[leaf] for leaf in leaves}, parents, inflow)
    gaps = simulate_gaps(demand, supply, settings.draws, settings.seed, basis)
    gaps = gaps.loc[gaps["area"].isin(areas)].reset_index(drop=True)
    notes = tuple(inputs.notes) + tuple(realism_notes(scenario, inputs, areas))
    warnings = {area: texts for area, texts in getattr(inputs, "warnings", {}).items() if area in set(areas)}
    flagged = frozenset(area for area in getattr(inputs, "flagged", frozenset()) if area in set(areas))
    return GapAnalysis(
        gaps=gaps,
        demand=demand.reset_index(drop=True),
        occupations=occupations,
        mix=mix,
        supply=supply,
        notes=notes,
        warnings=warnings,
        flagged=flagged,
    )
