"""A deterministic synthetic panel that looks like England's, for the demo and the tests.

Nothing is downloaded. The numbers are made up but calibrated to published national facts,
so the demo behaves like the real thing:

* employment 26.5m (2010) -> 29.9m (2020) -> 30.6m (2024) (Skills Imperative 2035, England);
* share of employment at RQF4+ 36.6% -> 47.3% -> 50.4%, at RQF2 or below 43.9% -> 33.2%
  -> 30.6% (same source);
* people aged 16-64 with NVQ4+ 31% (2010) -> 38.6% (2017) -> 43.7% (2021) (APS);
* SOC 2020 major-group mix of roughly 2020, professionals rising, admin and
  elementary occupations falling.

Twelve areas sit in two regions under one nation; regions and the nation are the exact sums
of their areas. Every row says ``source = SYNTHETIC_SOURCE``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import validate

SYNTHETIC_SOURCE = "skillcast demo (SYNTHETIC, not official statistics)"
DEMO_VINTAGE = "demo-1"
FIRST_YEAR = 2010
LAST_YEAR = 2024

_REGIONS = {
    "DM_R1": ("Northern Uplands (synthetic region)", ["Ashvale", "Brackenford", "Calderhythe", "Dunmoor", "Eskbridge", "Fellgate"]),
    "DM_R2": (
        "Southern Vales (synthetic region)",
        ["Greyhaven", "Harrowmere", "Ivybridge Vale", "Juniper Downs", "Kestrel Bay", "Longmarsh"],
    ),
}
_NATION = ("DM_EN", "Demoland (synthetic England)")

_ANCHOR_YEARS = np.array([2010, 2020, 2024])
_EMPLOYMENT_MILLIONS = np.array([26.47, 29.86, 30.59])

_RQF_CODES = ["none", "rqf1", "rqf2", "rqf3", "rqf4", "rqf5", "rqf6", "rqf7", "rqf8"]
# National shares (%) of employment by RQF level at the anchor years.
_RQF_SHARES = np.array(
    [
        [8.0, 4.5, 3.8],
        [13.0, 10.0, 9.3],
        [22.9, 18.7, 17.5],
        [19.5, 19.5, 19.0],
        [8.0, 9.5, 9.8],
        [6.5, 7.6, 7.9],
        [13.4, 17.6, 18.9],
        [7.2, 10.1, 11.2],
        [1.5, 2.5, 2.6],
    ]
)
_HIGH_RQF = np.array([-1, -1, -0.5, 0, 0.5, 0.5, 1, 1, 1])

_SOC_CODES = [str(code) for code in range(1, 10)]
_SOC_SHARES_2020 = np.array([11.0, 24.5, 14.5, 9.5, 10.0, 8.5, 7.0, 5.8, 9.2])
_SOC_TREND = np.array([0.05, 0.45, 0.15, -0.2, -0.1, 0.05, -0.2, -0.1, -0.1])  # points a year
_HIGH_SOC = np.array([0.5, 1, 0.5, 0, 0, 0, -0.5, -1, -1])

_AGE_BANDS = ["16-19", "20-24", "25-29", "30-39", "40-49", "50-64"]
_AGE_SHARES = np.array([7.0, 9.4, 10.0, 20.5, 21.0, 32.1])
_POPULATION_MILLIONS = np.array([34.2, 35.0, 35.6])
_NVQ_CODES = ["none", "nvq1", "nvq2", "trade_apprenticeships", "nvq3", "nvq4", "other"]
_NVQ_YEARS = np.array([2010, 2017, 2021, 2024])
# National shares (%) of people 16-64 by highest qualification; nvq4 is the remainder.
_NVQ_SHARES = np.array(
    [
        [11.0, 8.0, 6.5, 6.0],
        [12.5, 10.5, 9.5, 9.0],
        [16.5, 15.5, 14.8, 14.5],
        [3.5, 3.0, 2.5, 2.3],
        [17.5, 17.5, 17.5, 17.0],
        [np.nan] * 4,
        [8.0, 6.9, 5.5, 4.7],
    ]
)
# How each age band's mix differs from the average (multipliers on each level's share).
_AGE_TILT = np.array(
    [  # none  nvq1  nvq2  trade nvq3  nvq4  other
        [0.6, 2.2, 2.4, 0.3, 1.6, 0.03, 0.6],  # 16-19
        [0.5, 0.9, 1.0, 0.5, 1.9, 0.85, 0.7],  # 20-24
        [0.5, 0.7, 0.8, 0.6, 1.0, 1.35, 1.1],  # 25-29
        [0.6, 0.8, 0.8, 0.8, 0.9, 1.3, 1.2],  # 30-39
        [0.9, 1.0, 0.9, 1.1, 0.9, 1.05, 1.0],  # 40-49
        [1.6, 1.0, 1.0, 1.4, 0.9, 0.8, 1.0],  # 50-64
    ]
)


def demo_geography() -> Geography:
    nation_code, nation_name = _NATION
    rows = [{"area": nation_code, "name": nation_name, "type": "nation", "parent": ""}]
    for region_code, (region_name, area_names) in _REGIONS.items():
        rows.append({"area": region_code, "name": region_name, "type": "region", "parent": nation_code})
        for number, name in enumerate(area_names, start=1):
            rows.append({"area": f"{region_code}_{number:02d}", "name": f"{name} (synthetic)", "type": "area", "parent": region_code})
    return Geography.from_frame(pd.DataFrame(rows))


def _interpolate(anchor_years: np.ndarray, values: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Linear in time between anchors; rows of ``values`` are categories."""
    values = np.atleast_2d(values)
    return np.vstack([np.interp(years, anchor_years, row) for row in values])


def _normalise(shares: np.ndarray, axis: int = 0) -> np.ndarray:
    return shares / shares.sum(axis=axis, keepdims=True)


def _round_to_total(values: np.ndarray, total: float) -> np.ndarray:
    """Round counts so they add exactly to ``total`` (largest remainders)."""
    floors = np.floor(values)
    shortfall = int(round(total - floors.sum()))
    order = np.argsort(-(values - floors))
    floors[order[: max(shortfall, 0)]] += 1
    return floors


def _long(area: str, measure: str, classification: str, codes: list[str], years: np.ndarray, matrix: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": area,
            "measure": measure,
            "classification": classification,
            "code": np.repeat(codes, len(years)),
            "period": np.tile(years, len(codes)),
            "value": matrix.reshape(-1),
        }
    )


def _age_mix(years: np.ndarray) -> np.ndarray:
    """Shares of each qualification within each age band (band x level x year).

    The age tilts are raked (iterative proportional fitting) so the 16-64 mix matches the
    national targets in every year.
    """
    targets = _NVQ_SHARES.copy()
    targets[5] = 100.0 - np.nansum(targets, axis=0)
    targets = _normalise(_interpolate(_NVQ_YEARS, targets, years))  # level x year
    age_weights = (_AGE_SHARES / _AGE_SHARES.sum())[:, None, None]
    mix = _AGE_TILT[:, :, None] * targets[None, :, :]
    for _ in range(50):
        mix = mix / mix.sum(axis=1, keepdims=True)
        achieved = (mix * age_weights).sum(axis=0)
        mix = mix * (targets / achieved)[None, :, :]
    return mix / mix.sum(axis=1, keepdims=True)


def _area_tables(rng: np.random.Generator, years: np.ndarray, jobs: np.ndarray, people: np.ndarray, graduate_tilt: float) -> dict:
    """Employment and population tables of one area, as count matrices (category x year)."""

    def tilted(national_shares: np.ndarray, tilt: np.ndarray, noise: float) -> np.ndarray:
        shares = national_shares * np.exp(graduate_tilt * tilt)[..., None]
        return _normalise(shares * np.exp(rng.normal(0.0, noise, shares.shape)), axis=-2)

    soc_national = _normalise(_SOC_SHARES_2020[:, None] + _SOC_TREND[:, None] * (years - 2020)[None, :])
    soc_counts = tilted(soc_national, _HIGH_SOC, 0.02) * jobs
    soc = np.vstack([_round_to_total(column, round(total)) for column, total in zip(soc_counts.T, jobs, strict=True)]).T
    total = soc.sum(axis=0)
    rqf_national = _normalise(_interpolate(_ANCHOR_YEARS, _RQF_SHARES, years))
    rqf_counts = tilted(rqf_national, _HIGH_RQF, 0.02) * total
    rqf = np.vstack([_round_to_total(column, tot) for column, tot in zip(rqf_counts.T, total, strict=True)]).T

    high_nvq = np.array([-1, -0.5, -0.5, 0, 0, 1, -0.5])
    age_mix = tilted(_age_mix(years), np.broadcast_to(high_nvq, (len(_AGE_BANDS), len(high_nvq))), 0.03)
    band_people = people[None, :] * (_AGE_SHARES / _AGE_SHARES.sum())[:, None]
    cells = np.round(age_mix * band_people[:, None, :])
    return {"soc": soc, "all": total[None, :], "rqf": rqf, "cells": cells}


def _area_paths(rng: np.random.Generator, years: np.ndarray, n_areas: int, national: np.ndarray, drift: float) -> np.ndarray:
    """Each area's share of a national path (areas x years): areas drift, the nation stays on target."""
    weights = rng.dirichlet(np.full(n_areas, 8.0))
    edges = rng.normal(0.0, drift, n_areas)[:, None] * (years - years[0])[None, :]
    wobble = np.cumsum(rng.normal(0.0, drift * 1.5, (n_areas, len(years))), axis=1)
    shares = _normalise(weights[:, None] * np.exp(edges + wobble))
    return shares * national[None, :]


def _tables_to_panel(area: str, tables: dict, years: np.ndarray) -> pd.DataFrame:
    cells = tables["cells"]
    crossed_codes = [f"{band}|{code}" for band in _AGE_BANDS for code in _NVQ_CODES]
    frames = [
        _long(area, "employment", "all", ["all"], years, tables["all"]),
        _long(area, "employment", "soc2020_major", _SOC_CODES, years, tables["soc"]),
        _long(area, "employment", "rqf", _RQF_CODES, years, tables["rqf"]),
        _long(area, "population", "all", ["all"], years, cells.sum(axis=(0, 1))[None, :]),
        _long(area, "population", "nvq", _NVQ_CODES, years, cells.sum(axis=0)),
        _long(area, "population", "age_band", _AGE_BANDS, years, cells.sum(axis=1)),
        _long(area, "population", "age_band|nvq", crossed_codes, years, cells.reshape(-1, len(years))),
    ]
    return pd.concat(frames, ignore_index=True)


def demo_panel(seed: int = 20240601, first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR) -> tuple[pd.DataFrame, Geography]:
    """The synthetic panel (validated, in the data contract) and its geography."""
    rng = np.random.default_rng(seed)
    geography = demo_geography()
    years = np.arange(first_year, last_year + 1)
    leaf_areas = [code for code in geography.codes() if geography.type_of(code) == "area"]
    national_jobs = np.exp(np.interp(years, _ANCHOR_YEARS, np.log(_EMPLOYMENT_MILLIONS * 1e6)))
    national_people = np.exp(np.interp(years, _ANCHOR_YEARS, np.log(_POPULATION_MILLIONS * 1e6)))
    jobs = _area_paths(rng, years, len(leaf_areas), national_jobs, drift=0.004)
    # An area's people follow its jobs closely, with their own small drift.
    people = _normalise(jobs * np.exp(rng.normal(0.0, 0.02, jobs.shape))) * national_people[None, :]
    # Some areas are more graduate-heavy than others; centred so the nation stays on target.
    tilts = rng.normal(0.0, 0.25, len(leaf_areas))
    tilts = tilts - np.average(tilts, weights=jobs[:, 0])
    area_tables = {
        area: _area_tables(rng, years, jobs[index], people[index], graduate_tilt=tilts[index]) for index, area in enumerate(leaf_areas)
    }
    # Regions and the nation are exact sums of the areas below them.
    for parent in [code for code in geography.codes() if geography.type_of(code) == "region"] + [_NATION[0]]:
        leaves = [area for area in leaf_areas if parent in (geography.parent(area), geography.parent(geography.parent(area) or ""))]
        area_tables[parent] = {key: sum(area_tables[leaf][key] for leaf in leaves) for key in area_tables[leaves[0]]}
    panel = pd.concat([_tables_to_panel(area, tables, years) for area, tables in area_tables.items()], ignore_index=True)
    panel["source"] = SYNTHETIC_SOURCE
    panel["vintage"] = DEMO_VINTAGE
    panel["projection"] = False
    return validate(panel, source="demo"), geography


def demo_labour_survey(panel: pd.DataFrame, geography: Geography, seed: int = 20240601, years: int = 5) -> pd.DataFrame:
    """SYNTHETIC labour survey rows for the labour reserve, in the local skills time series' layout (people 16-64:
    population, economically_active, unemployed, economically_inactive, employment_residence) for the panel's last
    ``years`` years. Each area has its own inactivity (about 21%, spread 3 points) and unemployment (about 4.5%)
    rates, with the sampling noise of a survey of about 0.2% of people; regions and the nation are sums."""
    rng = np.random.default_rng(seed + 25)
    people = panel.loc[(panel["measure"] == "population") & (panel["classification"] == "all")]
    people = people.loc[people["period"] > people["period"].max() - years].pivot_table(index="area", columns="period", values="value")
    leaves = [code for code in geography.codes() if geography.type_of(code) == "area"]
    counts = {}
    for area in leaves:
        population = people.loc[area].to_numpy()
        sample = 0.002 * population
        inactivity = np.clip(rng.normal(0.21, 0.03) + rng.normal(0, 1, len(population)) * np.sqrt(0.21 * 0.79 / sample), 0.05, 0.6)
        unemployment = np.clip(rng.normal(0.045, 0.01) + rng.normal(0, 1, len(population)) * np.sqrt(0.045 * 0.955 / sample), 0.01, 0.2)
        inactive = np.round(inactivity * population, -2)
        active = population - inactive
        unemployed = np.round(unemployment * active, -2)
        counts[area] = np.vstack([population, active, unemployed, inactive, active - unemployed])
    for parent in [code for code in geography.codes() if geography.type_of(code) != "area"]:
        below = [leaf for leaf in leaves if parent in (geography.parent(leaf), geography.parent(geography.parent(leaf) or ""))]
        counts[parent] = sum(counts[leaf] for leaf in below)
    measures = ["population", "economically_active", "unemployed", "economically_inactive", "employment_residence"]
    period_years = people.columns.to_numpy()
    frames = [
        _long(area, measure, "all", ["all"], period_years, matrix[row][None, :])
        for area, matrix in counts.items()
        for row, measure in enumerate(measures)
    ]
    survey = pd.concat(frames, ignore_index=True)
    return survey.assign(source=SYNTHETIC_SOURCE, vintage=DEMO_VINTAGE, projection=False)
