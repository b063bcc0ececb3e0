"""The national check (issues #5, #15): England's skills gap in 2024 on each basis, beside the two
national anchors - the LGA / Learning and Work Institute figures and SI2035's own England - and the
evidence for the default basis. Prints the tables in docs/national_check.md and docs/gaps.md.

It ingests the data folder into a temporary store (as `skillcast ingest all` does) unless given one,
then runs the gaps analysis for England and the LSIPs on the three bases.
Rerun: .venv/bin/python benchmarks/national_check.py [DATA_DIR] [--store STORE]   (~2 min)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from stores import ingested_store  # benchmarks/stores.py

from skillcast.data.store import Store
from skillcast.pipeline import store_inputs
from skillcast.skills.demand import ENGLAND
from skillcast.skills.gaps import GapSettings, analyse, fit_demand

BANDS = ("low", "intermediate", "high")
LEVELS = ("none", "level1", "level2", "level3", "level4plus")
PUBLISHED_2024 = {"low": -6.2e6, "intermediate": -1.9e6, "high": 4.2e6}  # LGA / L&W 2017: positive = too few people
BASES = ("people", "active", "workplace")


def m(value: float) -> str:
    return f"{value / 1e6:+.2f}m"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default="../shared/data")
    parser.add_argument("--store", help="an ingested store (else the data folder is ingested into a temporary one)")
    args = parser.parse_args()
    started = time.perf_counter()
    with ingested_store(args.data, args.store) as store:
        inputs = store_inputs(Store(store)).gap_inputs()
    settings = GapSettings()
    forecast = fit_demand(inputs, settings)
    lsips = [code for code in inputs.parents if code.startswith("E69")]
    runs = {basis: analyse(inputs, settings.model_copy(update={"basis": basis}), forecast, [ENGLAND, *lsips]) for basis in BASES}
    gaps = {basis: run.gaps.set_index(["area", "band", "year"]) for basis, run in runs.items()}
    demand = runs["people"].demand.set_index(["area", "band", "year"])

    print("Anchor 1. England 2024, gap = demand - supply (positive = too few people), on each basis [80%]; imbalance in points:\n")
    print("| band | LGA / L&W (2017) | people | active | **workplace** (default) | imbalance, pt | demand (jobs) | SI2035 demand |")
    print("|---|---|---|---|---|---|---|---|")
    for band in BANDS:
        cells = []
        for basis in BASES:
            row = gaps[basis].loc[(ENGLAND, band, 2024)]
            cells.append(f"{m(row.gap)} [{m(row.gap_lo_80)} to {m(row.gap_hi_80)}]")
        imbalance = {basis: gaps[basis].loc[(ENGLAND, band, 2024), "imbalance"] for basis in BASES}
        reference = demand.loc[(ENGLAND, band, 2024), "reference_demand"]
        print(
            f"| {band} | {m(PUBLISHED_2024[band])} | {' | '.join(cells)} | {imbalance['workplace']:+.1f} "
            f"(people {imbalance['people']:+.1f}) | {demand.loc[(ENGLAND, band, 2024), 'demand'] / 1e6:.2f}m | {reference / 1e6:.2f}m |"
        )
    supply = runs["people"].supply.table.set_index(["area", "band", "year"])["supply"]
    people_2024 = {band: supply[(ENGLAND, band, 2024)] for band in BANDS}
    print(
        "\nSupply 2024 (people 16-64): "
        + ", ".join(f"{band} {value / 1e6:.2f}m" for band, value in people_2024.items())
        + f"; on the active basis x {gaps['active'].loc[(ENGLAND, 'high', 2024), 'supply'] / people_2024['high']:.3f}, "
        f"workplace x {gaps['workplace'].loc[(ENGLAND, 'high', 2024), 'supply'] / people_2024['high']:.3f} (high band; per district factors)"
    )

    # -- the LGA anchor: which definition reproduces it? -----------------------------------------
    levels = {level: {year: supply[(ENGLAND, level, year)] for year in (2017, 2024)} for level in LEVELS}
    total = {year: sum(levels[level][year] for level in LEVELS) for year in (2017, 2024)}
    factor = {basis: gaps[basis].loc[(ENGLAND, "high", 2024), "supply"] / people_2024["high"] for basis in BASES}
    si_rqf = inputs.demand_history.query("area == @ENGLAND and classification == 'rqf' and period in [2020, 2024]").pivot_table(
        index="code", columns="period", values="value", aggfunc="sum"
    )
    rqf_of = {"none": ["none"], "level1": ["rqf1"], "level2": ["rqf2"], "level3": ["rqf3"], "level4plus": [f"rqf{i}" for i in range(4, 9)]}
    edges = {
        "<L2 / L2-3 / L4+": (("none", "level1"), ("level2", "level3"), ("level4plus",)),
        "<=L2 / L3 / L4+": (("none", "level1", "level2"), ("level3",), ("level4plus",)),
    }
    grid = []
    for edge, parts in edges.items():
        for vintage in ("projected 2024 (cohort model)", "2024 people at 2017 qualification shares"):
            for basis in BASES:
                for year in (2024, 2020):
                    row = {"bands": edge, "supply": vintage, "basis": basis, "demand": f"SI2035 {year}"}
                    for name, group in zip(BANDS, parts, strict=True):
                        people = sum(
                            levels[level][2024] if vintage.startswith("projected") else levels[level][2017] / total[2017] * total[2024]
                            for level in group
                        )
                        jobs = sum(si_rqf.loc[code, year] for level in group for code in rqf_of[level])
                        row[name] = jobs - people * factor[basis]
                    row["distance"] = sum(abs(row[name] - PUBLISHED_2024[name]) for name in BANDS)
                    grid.append(row)
    grid = pd.DataFrame(grid).sort_values("distance")
    print("\nThe LGA / L&W anchor (-6.2 / -1.9 / +4.2m): 24 definitions, closest first (SI2035 demand, our APS supply):\n")
    print("| bands | supply | basis | demand | low | intermediate | high | net | distance |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in grid.head(6).itertuples():
        print(
            f"| {row.bands} | {row.supply} | {row.basis} | {row.demand} | {m(row.low)} | {m(row.intermediate)} | {m(row.high)} | "
            f"{m(row.low + row.intermediate + row.high)} | {row.distance / 1e6:.2f}m |"
        )
    high_share = {year: levels["level4plus"][year] / total[year] for year in (2017, 2024)}
    implied = si_rqf.loc[[f"rqf{i}" for i in range(4, 9)], 2024].sum() - PUBLISHED_2024["high"]
    print(
        f"\nLevel 4+ share of people 16-64: {high_share[2017]:.1%} (2017), {high_share[2024]:.1%} (2024, cohort model). "
        f"The anchor's +4.2m needs {implied / 1e6:.2f}m people at level 4+ in 2024 ({implied / total[2024]:.1%} of 16-64s) against SI2035's 2024 jobs."
    )

    # -- anchor 2: SI2035's own England ------------------------------------------------------------
    print("\nAnchor 2. SI2035's England: jobs (our England = the sum of its 40 units) and 2020-2035 flows:\n")
    window = runs["people"].demand.query("area == @ENGLAND and year > 2020")
    published = inputs.published.query("area == @ENGLAND").set_index("band")
    print(
        "| band | jobs 2020 | 2024 ours / SI2035 | 2035 ours / SI2035 | replacement 2021-35 ours / SI2035 | total requirement ours / SI2035 |"
    )
    print("|---|---|---|---|---|---|")
    for band in BANDS:
        row = {year: demand.loc[(ENGLAND, band, year)] for year in (2020, 2024, 2035)}
        ours = window.loc[window["band"] == band]
        print(
            f"| {band} | {row[2020]['demand'] / 1e6:.2f}m | {row[2024]['demand'] / 1e6:.2f}m / {row[2024]['reference_demand'] / 1e6:.2f}m | "
            f"{row[2035]['demand'] / 1e6:.2f}m / {row[2035]['reference_demand'] / 1e6:.2f}m | {ours['replacement_demand'].sum() / 1e6:.2f}m / "
            f"{published.loc[band, 'replacement_demand'] / 1e6:.2f}m | {ours['total_requirement'].sum() / 1e6:.2f}m / {published.loc[band, 'total_requirement'] / 1e6:.2f}m |"
        )
    main_rows = window.loc[window["band"].isin(BANDS)]
    print(
        f"| all | | | | {main_rows['replacement_demand'].sum() / 1e6:.2f}m / {published.loc[list(BANDS), 'replacement_demand'].sum() / 1e6:.2f}m | "
        f"{main_rows['total_requirement'].sum() / 1e6:.2f}m / {published.loc[list(BANDS), 'total_requirement'].sum() / 1e6:.2f}m |"
    )

    # -- the evidence for the default basis ---------------------------------------------------------
    alignment = inputs.alignment.set_index("area")
    good = [code for code in lsips if not alignment.at[code, "flagged"]]
    rows = []
    for code in good:
        row = {"lsip": code, "commuting": alignment.at[code, "residents_ratio"]}
        for basis in BASES:
            year = gaps[basis].loc[code].xs(2020, level="year").loc[list(BANDS)]
            row[basis] = year["gap"].sum() / year["demand"].sum()
        rows.append(row)
    evidence = pd.DataFrame(rows)
    print(f"\nWhich basis? All-band gap / jobs in 2020 for the {len(good)} LSIPs that pass the alignment check, against their")
    print("jobs per employed resident (England = 1; commuting):\n")
    print("| basis | correlation with commuting | mean | sd | range |")
    print("|---|---|---|---|---|")
    for basis in BASES:
        values = evidence[basis]
        print(
            f"| {basis} | {np.corrcoef(evidence['commuting'], values)[0, 1]:+.2f} | {values.mean():+.3f} | {values.std():.3f} | "
            f"{values.min():+.2f} to {values.max():+.2f} |"
        )
    imbalance = pd.DataFrame({basis: gaps[basis].loc[(good, "high", 2030), "imbalance"].to_numpy() for basis in BASES})
    print(
        f"\nHigh band imbalance 2030 across those LSIPs (points): people {imbalance['people'].mean():+.1f} (sd {imbalance['people'].std():.1f}), "
        f"workplace {imbalance['workplace'].mean():+.1f} (sd {imbalance['workplace'].std():.1f}); largest difference between the bases in one LSIP "
        f"{(imbalance['people'] - imbalance['workplace']).abs().max():.2f} points"
    )
    flagged = alignment.loc[alignment["flagged"] & alignment.index.str.startswith("E69")]
    print("\nAlignment check (jobs / what the districts' workplaces imply; tolerance 0.80-1.25): flagged LSIPs:")
    for code, row in flagged.iterrows():
        print(f"  {code} {inputs.names[code]}: {row['ratio']:.2f} (jobs per employed resident {row['residents_ratio']:.2f} x England's)")
    ordinary = alignment.loc[~alignment["flagged"] & alignment.index.str.match("E69|E47")]
    print(
        f"  the other LSIPs and CAs: {ordinary['ratio'].min():.2f} to {ordinary['ratio'].max():.2f} (residents {ordinary['residents_ratio'].min():.2f} to {ordinary['residents_ratio'].max():.2f})"
    )
    print(f"\n{time.perf_counter() - started:.0f} s. Rerun: .venv/bin/python benchmarks/national_check.py [DATA_DIR] [--store STORE]")


if __name__ == "__main__":
    main()
