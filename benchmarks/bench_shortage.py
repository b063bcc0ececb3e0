"""Issue #16: local shortage ratings held out in time, and how local the priorities are.

1. **Held-out validation.** Ratings built only from data up to 2019 (ESS 2017 by occupation and
   ESS 2019 area totals, Textkernel adverts per job in 2019, SI2035 employment 2015-2019) are
   scored against October 2022 online adverts per job by LSIP x SOC 2020 sub-major (Textkernel
   professions through ``data/reference/profession_soc2020_crosswalk.csv``, calibrated so that
   England's sub-major shares equal ONS's SOC-coded adverts of 2022; jobs: SI2035 2020). The
   national rating uses England's indicators only; the local one adds the area terms the
   production rating uses. Metrics: Spearman within areas (mean), pooled, across areas within an
   occupation, and the England-wide top-quartile hit rates; then an ablation (each term dropped).
2. **Priorities**: every area's ranking (local and absolute mode) from one gaps run; the median
   pairwise Spearman of the orders (LSIPs; all sub-national areas incl. districts), the weight
   frontier, agreement with the Working Futures 7 LEP highest/lowest growth lists (reported, not
   tuned to), and top fives with drivers for Cornwall, Greater Manchester, a London LSIP and a
   district.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/bench_shortage.py --store STORE`` (a store from
``skillcast ingest all ../shared/data --out STORE``); about 2-3 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from skillcast.data.sources.common import slug
from skillcast.data.store import Store
from skillcast.skills import shortage
from skillcast.skills.demand import ENGLAND, si2035_codes
from skillcast.skills.district_inputs import real_inputs
from skillcast.skills.gap_inputs import SOURCES, TABLES
from skillcast.skills.gaps import GapSettings, analyse, fit_demand
from skillcast.skills.priorities import PriorityWeights, local_score, rank_areas

COMMAND = "PYTHONPATH=src .venv/bin/python benchmarks/bench_shortage.py --store STORE"
EXAMPLES = {
    "Cornwall and Isles of Scilly LSIP": "lsip:Cornwall",
    "Greater Manchester LSIP": "lsip:Greater Manchester",
    "London LSIP": "lsip:London",
    "Croydon (district)": "E09000008",
}
FRONTIER = [(0.70, 0.00), (0.50, 0.20), (0.45, 0.25), (0.35, 0.35), (0.25, 0.45)]


def markdown(frame: pd.DataFrame, index: bool = True) -> str:
    """A frame as a GitHub table (3 decimals)."""
    frame = frame.reset_index() if index else frame
    cells = [[f"{value:.3f}" if isinstance(value, float) else str(value) for value in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(str(column) for column in frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def stage(text: str, started: list[float]) -> None:
    print(f"[{time.perf_counter() - started[0]:6.1f}s] {text}", flush=True)


# -- 1. held-out validation -------------------------------------------------------------------


def target(sources, tables, lsips: dict[str, str]) -> pd.DataFrame:
    """Oct 2022 adverts per 1,000 jobs (2020) by LSIP x sub-major, crosswalked and calibrated to ONS's SOC shares."""
    crosswalk = pd.read_csv(resources.files("skillcast.data") / "reference" / "profession_soc2020_crosswalk.csv", dtype=str)
    crosswalk = crosswalk.assign(code=crosswalk["detailed"].map(slug), weight=crosswalk["weight"].astype(float))
    adverts = sources["job-adverts"]
    rows = adverts.loc[(adverts["classification"] == "profession_detailed") & adverts["area"].isin([*lsips.values(), ENGLAND])]
    mapped = rows.merge(crosswalk[["code", "soc2020_submajor", "weight"]], on="code")
    mapped = mapped.assign(adverts=mapped["value"].fillna(0.0) * mapped["weight"])
    by_cell = mapped.groupby(["area", "soc2020_submajor"])["adverts"].sum().rename("adverts").reset_index()
    soc = adverts.loc[
        (adverts["measure"] == "new_job_adverts") & (adverts["classification"] == "soc2020_unit") & (adverts["period"] == 2022)
    ]
    soc_share = soc.groupby(soc["code"].str[:2])["value"].sum()
    soc_share = soc_share / soc_share.sum()
    england = by_cell.loc[by_cell["area"] == ENGLAND].set_index("soc2020_submajor")["adverts"]
    factor = (soc_share / (england / england.sum())).replace([np.inf, -np.inf], np.nan)
    by_cell["adverts"] = by_cell["adverts"] * by_cell["soc2020_submajor"].map(factor).fillna(1.0)
    jobs = employment(sources, tables, 2020)
    by_cell = by_cell.rename(columns={"soc2020_submajor": "occupation"}).merge(jobs, on=["area", "occupation"])
    by_cell["target"] = 1000.0 * by_cell["adverts"] / by_cell["jobs"]
    out = by_cell.loc[(by_cell["area"] != ENGLAND) & (by_cell["occupation"] != "63") & (by_cell["jobs"] > 0)]
    return out[["area", "occupation", "target"]]


def employment(sources, tables, year: int) -> pd.DataFrame:
    """SI2035 workplace jobs by area (ONS codes) x sub-major in ``year``."""
    codes = si2035_codes(tables["si2035_area_codes"])
    codes["EN"] = ENGLAND
    si = sources["si2035"]
    rows = si.loc[(si["measure"] == "employment") & (si["classification"] == "soc2020_submajor") & (si["period"] == year)]
    rows = rows.assign(area=rows["area"].map(codes)).dropna(subset=["area"])
    return rows.groupby(["area", "code"], as_index=False)["value"].sum().rename(columns={"code": "occupation", "value": "jobs"})


def ratings_2019(inputs, sources, tables, lsips: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Occupation signals (England) and area signals (LSIPs) from data up to 2019 only."""
    ess = sources["ess"]
    england = ess.loc[(ess["area"] == ENGLAND) & (ess["period"] == 2017)]
    by_major = england.loc[england["classification"] == "soc2010_major"].pivot_table(index="code", columns="measure", values="value")
    totals = england.loc[england["classification"] == "all"].set_index("measure")["value"]
    occupations = pd.DataFrame({"occupation": sorted(set(employment(sources, tables, 2019)["occupation"]))})
    for measure, column in (
        ("skill_shortage_vacancies", "ssv_ratio"),
        ("hard_to_fill_vacancies", "htfv_ratio"),
        ("vacancies", "vacancy_ratio"),
    ):
        ratio = (by_major[measure] / by_major["employment"]) / (totals[measure] / totals["employment"])
        occupations[column] = occupations["occupation"].str[:1].map(ratio)
    jobs15, jobs19 = employment(sources, tables, 2015), employment(sources, tables, 2019)
    en15 = jobs15.loc[jobs15["area"] == ENGLAND].set_index("occupation")["jobs"]
    en19 = jobs19.loc[jobs19["area"] == ENGLAND].set_index("occupation")["jobs"]
    occupations["growth_pct"] = occupations["occupation"].map(100 * ((en19 / en15) ** 0.25 - 1))
    occupations["growth_all_pct"] = 100 * ((en19.sum() / en15.sum()) ** 0.25 - 1)
    occupations["advert_ratio"] = np.nan  # England's SOC-coded adverts start in 2021
    adverts = sources["job-adverts"]
    ads = adverts.loc[(adverts["measure"] == "job_adverts") & (adverts["classification"] == "all") & (adverts["period"] == 2019)]
    ads = ads.set_index("area")["value"]
    area_jobs = jobs19.groupby("area")["jobs"].sum()
    per_job = (ads.reindex(lsips) / area_jobs.reindex(lsips)).dropna()
    england_rate = ads.reindex(lsips).sum() / area_jobs[ENGLAND]
    areas = inputs.area_signals.loc[inputs.area_signals["area"].isin(lsips), ["area", "area_vacancy_ratio", "area_ssv_ratio"]].copy()
    areas["area_advert_ratio"] = areas["area"].map(per_job / england_rate)
    areas["area_basis"] = ""
    return occupations, areas


def scores(occupations, areas, drop: tuple[str, ...] = (), local: bool = True) -> pd.DataFrame:
    """The rating with some terms dropped (weight 0); national: the area terms left out."""
    saved = dict(shortage.SHORTAGE_WEIGHTS)
    try:
        for term in drop + (() if local else shortage.AREA_TERMS):
            shortage.SHORTAGE_WEIGHTS[term] = 0.0
        return shortage.rate_shortages(occupations, areas, reference_areas=list(areas["area"]))
    finally:
        shortage.SHORTAGE_WEIGHTS.clear()
        shortage.SHORTAGE_WEIGHTS.update(saved)


def metrics(rated: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    cells = rated.merge(truth, on=["area", "occupation"])
    within = [spearmanr(rows["shortage_score"], rows["target"])[0] for _, rows in cells.groupby("area")]
    across = [
        spearmanr(rows["shortage_score"], rows["target"])[0]
        for _, rows in cells.groupby("occupation")
        if rows["shortage_score"].nunique() > 1
    ]
    top = cells["target"] >= cells["target"].quantile(0.75)
    picked = cells["shortage_score"] >= cells["shortage_score"].quantile(0.75)
    hits_within = []
    for _, rows in cells.groupby("area"):
        truth_top = rows["target"] >= rows["target"].quantile(0.75)
        rated_top = rows["shortage_score"].rank(ascending=False, method="first") <= truth_top.sum()
        hits_within.append((truth_top & rated_top).sum() / truth_top.sum())
    short = cells["rating"] == "shortage"
    return {
        "cells": len(cells),
        "within-area rho (mean)": float(np.nanmean(within)),
        "within-area top-quartile hit": float(np.mean(hits_within)),
        "pooled rho": float(spearmanr(cells["shortage_score"], cells["target"])[0]),
        "England-wide top-quartile hit": float((top & picked).sum() / picked.sum()),
        "'shortage' cells in England-wide top quartile": float((short & top).sum() / short.sum()) if short.any() else float("nan"),
        "across areas within occupation (mean rho)": float(np.nanmean(across)) if across else float("nan"),
    }


# -- 2. priorities ----------------------------------------------------------------------------


def median_pairwise(ranking: pd.DataFrame, areas: list[str], column: str = "rank") -> float:
    wide = ranking.loc[ranking["area"].isin(areas)].pivot_table(index="occupation", columns="area", values=column)
    corr = wide.rank().corr().to_numpy()
    upper = corr[np.triu_indices(len(corr), 1)]
    return float(np.nanmedian(upper))


def wf_agreement(ranking: pd.DataFrame, wf: pd.DataFrame, titles: dict[str, str]) -> dict[str, float]:
    """P(a WF highest-growth occupation ranks above a WF lowest-growth one), and WF-lowest in our top 5, per LEP."""
    by_title = {str(title).strip().lower(): code for code, title in titles.items() if len(str(code)) == 2}
    occupations = wf.loc[wf["category_type"] == "occupation"].assign(
        code=lambda frame: frame["category"].str.strip().str.lower().map(by_title)
    )
    wins, pairs, lowest_top5, leps = 0, 0, 0, 0
    for lep, rows in occupations.dropna(subset=["code"]).groupby("lep"):
        own = ranking.loc[ranking["area"] == lep].set_index("occupation")["rank"]
        if own.empty:
            continue
        leps += 1
        high = [own[code] for code in rows.loc[rows["list"] == "highest_growth", "code"] if code in own]
        low = [own[code] for code in rows.loc[rows["list"] == "lowest_growth", "code"] if code in own]
        wins += sum(h < lo for h in high for lo in low)
        pairs += len(high) * len(low)
        lowest_top5 += sum(rank <= 5 for rank in low)
    return {
        "LEPs": leps,
        "P(high above low)": wins / pairs if pairs else float("nan"),
        "WF-lowest in our top 5 (per LEP)": lowest_top5 / max(leps, 1),
    }


def find(inputs, text: str) -> str:
    if ":" in text:
        kind, name = text.split(":", 1)
        found = [code for code in inputs.areas if inputs.geography.type_of(code) == kind and name.lower() in inputs.names[code].lower()]
        return found[0]
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=Path(".skillcast/data"))
    parser.add_argument("--draws", type=int, default=100, help="simulations of the gaps run (priorities do not use the intervals)")
    args = parser.parse_args()
    started = [time.perf_counter()]
    store = Store(args.store)
    sources, tables = store.available((*SOURCES, "reference"), (*TABLES, "wf7_rankings"))
    inputs = real_inputs(sources, store.geography(), tables)
    stage("inputs read", started)

    # 1. held-out validation
    codes = si2035_codes(tables["si2035_area_codes"])
    lsips = {area_id: code for area_id, code in codes.items() if code in inputs.geography and inputs.geography.type_of(code) == "lsip"}
    truth = target(sources, tables, lsips)
    occupations, areas = ratings_2019(inputs, sources, tables, sorted(set(truth["area"])))
    rows = {
        "national (England's indicators only)": metrics(scores(occupations, areas, local=False), truth),
        "local (England's occupation terms + area ESS 2019 and adverts 2019)": metrics(scores(occupations, areas), truth),
    }
    for term in ("ssv", "htfv", "vacancies", "growth", "area_vacancies", "area_adverts"):
        rows[f"local without {term}"] = metrics(scores(occupations, areas, drop=(term,)), truth)
    validation = pd.DataFrame(rows).T
    stage(f"held-out validation: {int(validation['cells'].iloc[0])} cells, {truth['area'].nunique()} LSIPs", started)
    print(markdown(validation.drop(columns="cells")))

    # 2. priorities of every area
    settings = GapSettings(draws=args.draws)
    analysis = analyse(inputs, settings, fit_demand(inputs, settings), inputs.areas)
    stage(f"gaps of {len(inputs.areas)} areas", started)
    local = rank_areas(list(inputs.areas), analysis, inputs, settings, mode="local")
    absolute = rank_areas(list(inputs.areas), analysis, inputs, settings, mode="absolute")
    stage(f"priorities of {local['area'].nunique()} areas, both modes", started)
    geography = inputs.geography
    ranked = sorted(set(local["area"]))
    lsip_codes = [area for area in ranked if geography.type_of(area) == "lsip"]
    sub_national = [area for area in ranked if area != ENGLAND]
    districts = [area for area in ranked if area in set(geography.districts())]
    table = []
    for name, ranking in (("absolute mode", absolute), ("local mode", local)):
        caring = int(((ranking["occupation"] == "61") & (ranking["rank"] == 1) & ranking["area"].isin(sub_national)).sum())
        table.append(
            {
                "ordering": name,
                f"LSIPs ({len(lsip_codes)})": median_pairwise(ranking, lsip_codes),
                f"all sub-national ({len(sub_national)}, incl. {len(districts)} districts)": median_pairwise(ranking, sub_national),
                "caring (61) first in": f"{caring} of {len(sub_national)}",
            }
        )
    print("\nMedian pairwise Spearman of priority orders")
    print(markdown(pd.DataFrame(table), index=False))

    print("\nWeight frontier (per 1,000 / LQ; shortage 0.2, relevance 0.1): median pairwise rho, LSIPs and all sub-national; top-5 share")
    frontier = []
    for per_1000, lq in FRONTIER:
        rescored = local.assign(score=local_score(local, PriorityWeights(per_1000=per_1000, need_lq=lq)))
        rescored["rank"] = rescored.groupby("area")["score"].rank(ascending=False, method="first")
        top5 = rescored.loc[rescored["rank"] <= 5].groupby("area")["openings"].sum() / rescored.groupby("area")["openings"].sum()
        frontier.append(
            {
                "weights": f"{per_1000:.2f} / {lq:.2f} / 0.20 / 0.10",
                "LSIPs": median_pairwise(rescored, lsip_codes),
                "all sub-national": median_pairwise(rescored, sub_national),
                "median top-5 share of jobs to fill": float(top5.median()),
            }
        )
    print(markdown(pd.DataFrame(frontier), index=False))

    wf = tables.get("wf7_rankings")
    if wf is not None:
        agreement = pd.DataFrame(
            {name: wf_agreement(ranking, wf, inputs.titles) for name, ranking in (("absolute", absolute), ("local", local))}
        ).T
        print("\nAgreement with Working Futures 7 LEP highest/lowest growth lists (reported, not tuned to)")
        print(markdown(agreement))

    print("\nTop fives, local mode")
    for label, text in EXAMPLES.items():
        code = find(inputs, text)
        rows = local.loc[local["area"] == code].sort_values("rank").head(5)
        print(f"\n**{label}** ({code} {inputs.names.get(code, '')})")
        for row in rows.itertuples():
            print(f"{row.rank}. {row.occupation} {row.title}: {row.explanation}")
            print(f"   shortage drivers: {row.shortage_drivers}")
    stage("done", started)
    print(f"\nrerun: {COMMAND}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
