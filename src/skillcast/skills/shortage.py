"""Local shortage ratings: shortage / recruitment difficulty / no shortage per area x occupation,
with the drivers behind each rating in words and numbers.

In the spirit of Jobs and Skills Australia's Occupation Shortage List: several indicators per
occupation (SOC 2020 sub-major group) and area, each standardised, averaged with fixed weights
(``SHORTAGE_WEIGHTS``) into a score, then a class (``classify``).

Which indicators, and at which geography, was decided by a held-out test (ratings from data up
to 2019 against Oct 2022 online adverts per job by area x occupation, 37 LSIPs x 25 sub-majors;
``benchmarks/bench_shortage.py``, docs/shortages.md). Inside an area the order of occupations is
almost all national: no local occupation-specific indicator before 2022 predicted the local
part (ESS by occupation is published for 9 major groups only and samples about 30 skill-shortage
vacancies per occupation in an LSIP; local employment growth deviations reverse sign from one
period to the next). What local data do predict, three years ahead, is how tight an *area* is
overall. So:

* **occupation terms, England's values** (the same for every area): skill-shortage,
  hard-to-fill and all vacancies per job in the occupation's SOC major group over the
  all-occupation rate (ESS 2017, England); new online adverts per job in the sub-major over the
  all-occupation rate (ONS/Textkernel, SOC 2020, latest full year); employment growth, % a year
  (the last five observed years of the demand data, England).
* **area terms, local**: vacancies and skill-shortage vacancies per job over England's (ESS 2019,
  the area's own local education authorities; a district in a two-tier county takes its
  county's), and online adverts per job over England's (Textkernel monthly, latest full year;
  LSIPs, LEPs and combined authorities have their own series, any other area - a district,
  county or region - gets its LSIPs' adverts shared out by jobs). ``area_pressure`` builds them
  and says which basis each area used.

Each term is a log ratio to England's all-occupation level (growth: minus England's
all-occupation growth), divided by its spread (occupation terms: the standard deviation over
occupations; area terms: over the reference areas). Local occupation rates from ESS 2017, local
growth and replacement pressure are left out of the score (they did not help in the held-out
test); replacement pressure is need, not shortage, and counts in the priorities' jobs to fill.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Weights of the standardised terms, fixed before the held-out test (docs/shortages.md): the three
# ESS vacancy measures share one weight, adverts one, growth and each area term a half.
SHORTAGE_WEIGHTS: dict[str, float] = {
    "ssv": 1 / 3,
    "htfv": 1 / 3,
    "vacancies": 1 / 3,
    "adverts": 1.0,
    "growth": 0.5,
    "area_vacancies": 0.5,
    "area_adverts": 0.5,
}
OCCUPATION_TERMS = ("ssv", "htfv", "vacancies", "adverts", "growth")
AREA_TERMS = ("area_vacancies", "area_adverts")
# Class thresholds, fixed a priori (not calibrated to any external list): a score half a spread
# above the all-occupation level, and a ratio 20% above the all-occupation rate.
SHORTAGE_SCORE = 0.5
DIFFICULTY_SCORE = 0.0
PRESSURE_RATIO = 1.2
RATINGS = ("shortage", "recruitment difficulty", "no shortage")

SHORTAGE_COLUMNS: list[str] = [
    "area",
    "occupation",
    "title",
    "rating",
    "shortage_score",
    "drivers",
    "ssv_ratio",
    "htfv_ratio",
    "vacancy_ratio",
    "advert_ratio",
    "growth_pct",
    "area_vacancy_ratio",
    "area_ssv_ratio",
    "area_advert_ratio",
    "area_basis",
    "top_unit_groups",
]
OCCUPATION_SIGNAL_COLUMNS = ["occupation", "ssv_ratio", "htfv_ratio", "vacancy_ratio", "advert_ratio", "growth_pct"]
AREA_SIGNAL_COLUMNS = ["area", "area_vacancy_ratio", "area_ssv_ratio", "area_advert_ratio", "area_basis"]


def _log(ratio: pd.Series) -> pd.Series:
    return np.log(pd.to_numeric(ratio, errors="coerce").where(lambda value: value > 0))


def _spread(values: pd.Series) -> float:
    """The standard deviation of the finite values; 1 where it is undefined or zero (the term then counts as given)."""
    finite = values[np.isfinite(values)]
    spread = float(finite.std()) if len(finite) > 1 else float("nan")
    return spread if np.isfinite(spread) and spread > 0 else 1.0


def standardised_terms(occupations: pd.DataFrame, areas: pd.DataFrame, reference_areas: list[str] | None = None) -> pd.DataFrame:
    """One row per area x occupation: each term's z (0 where the indicator is missing)."""
    occ = occupations.set_index("occupation")
    occ_terms = pd.DataFrame(
        {
            "ssv": _log(occ["ssv_ratio"]),
            "htfv": _log(occ["htfv_ratio"]),
            "vacancies": _log(occ["vacancy_ratio"]),
            "adverts": _log(occ["advert_ratio"]),
            "growth": pd.to_numeric(occ["growth_pct"], errors="coerce"),
        }
    )
    occ_z = occ_terms.apply(lambda column: column / _spread(column)).fillna(0.0)
    own = areas.set_index("area")
    area_terms = pd.DataFrame({"area_vacancies": _log(own["area_vacancy_ratio"]), "area_adverts": _log(own["area_advert_ratio"])})
    reference = area_terms.loc[area_terms.index.isin(reference_areas)] if reference_areas is not None else area_terms
    area_z = pd.DataFrame({term: area_terms[term] / _spread(reference[term]) for term in AREA_TERMS}).fillna(0.0)
    cells = pd.MultiIndex.from_product([area_z.index, occ_z.index], names=["area", "occupation"]).to_frame(index=False)
    return cells.join(occ_z, on="occupation").join(area_z, on="area")


def classify(score: pd.Series, skills_ratio: pd.Series, pressure_ratio: pd.Series) -> pd.Series:
    """shortage: score >= ``SHORTAGE_SCORE`` and skill-shortage vacancies >= ``PRESSURE_RATIO`` x the all-occupation
    rate (the difficulty is about skills); recruitment difficulty: that score without the skills signal, or a score
    >= ``DIFFICULTY_SCORE`` with any vacancy or advert ratio >= ``PRESSURE_RATIO``; else no shortage."""
    skills = skills_ratio.fillna(1.0) >= PRESSURE_RATIO
    pressure = pressure_ratio.fillna(1.0) >= PRESSURE_RATIO
    rating = np.where(
        (score >= SHORTAGE_SCORE) & skills,
        "shortage",
        np.where((score >= SHORTAGE_SCORE) | ((score >= DIFFICULTY_SCORE) & (pressure | skills)), "recruitment difficulty", "no shortage"),
    )
    return pd.Series(rating, index=score.index)


def rate_shortages(
    occupations: pd.DataFrame,
    areas: pd.DataFrame,
    titles: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    reference_areas: list[str] | None = None,
    unit_groups: pd.DataFrame | None = None,
    signal_years: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Every area in ``areas`` x every occupation in ``occupations``: the rating, score and drivers (``SHORTAGE_COLUMNS``).

    ``occupations``: ``OCCUPATION_SIGNAL_COLUMNS`` (England's values; ratios to the all-occupation rate,
    growth in % a year, centred on England's all-occupation growth ``growth_all_pct`` where given,
    else on 0). ``areas``: ``AREA_SIGNAL_COLUMNS``
    (ratios to England). Missing indicators count as average (z = 0) and the drivers say so.
    """
    occupations = occupations.copy()
    for column in OCCUPATION_SIGNAL_COLUMNS[1:]:
        if column not in occupations:
            occupations[column] = np.nan
    areas = areas.copy()
    for column in AREA_SIGNAL_COLUMNS[1:]:
        if column not in areas:
            areas[column] = np.nan if column != "area_basis" else ""
    overall = occupations["growth_all_pct"] if "growth_all_pct" in occupations else pd.Series(0.0, index=occupations.index)
    occupations["growth_rel"] = occupations["growth_pct"] - overall.fillna(0.0)
    z = standardised_terms(occupations.assign(growth_pct=occupations["growth_rel"]), areas, reference_areas)
    total = sum(SHORTAGE_WEIGHTS.values())
    parts = pd.DataFrame({term: z[term] * weight / total for term, weight in SHORTAGE_WEIGHTS.items()})
    table = z[["area", "occupation"]].join(parts.sum(axis=1).rename("shortage_score"))
    table = table.merge(occupations[OCCUPATION_SIGNAL_COLUMNS], on="occupation", how="left").merge(areas, on="area", how="left")
    area_vac = table["area_vacancy_ratio"].fillna(1.0)
    skills = table["ssv_ratio"] * table["area_ssv_ratio"].fillna(1.0)
    pressure = pd.concat(
        [table["vacancy_ratio"] * area_vac, table["htfv_ratio"] * area_vac, table["advert_ratio"] * table["area_advert_ratio"].fillna(1.0)],
        axis=1,
    ).max(axis=1)
    table["rating"] = classify(table["shortage_score"], skills, pressure)
    titles = titles or {}
    table["title"] = [titles.get(code, "") for code in table["occupation"]]
    years = signal_years or {}
    names = names or {}
    table["drivers"] = [_drivers(row, parts.loc[index], years, names) for index, row in zip(table.index, table.itertuples(), strict=True)]
    table["top_unit_groups"] = _top_units(unit_groups, table["occupation"])
    return table[SHORTAGE_COLUMNS].reset_index(drop=True)


def _top_units(unit_groups: pd.DataFrame | None, occupation: pd.Series, per_group: int = 3) -> pd.Series:
    """England's unit groups with the most adverts per job in each sub-major (context: no local unit-group data exist)."""
    if unit_groups is None or unit_groups.empty:
        return pd.Series("", index=occupation.index)
    ranked = unit_groups.sort_values("adverts", ascending=False).groupby("occupation").head(per_group)
    text = ranked.assign(label=ranked["unit"] + " " + ranked["title"].astype(str).str.slice(0, 40))
    return occupation.map(text.groupby("occupation")["label"].agg("; ".join)).fillna("")


def _phrase(term: str, row, years: dict[str, str], names: dict[str, str]) -> str:
    """One indicator in words with its number."""
    major = str(row.occupation)[:1]
    if term in ("ssv", "htfv", "vacancies"):
        label = {"ssv": "skill-shortage vacancies", "htfv": "hard-to-fill vacancies", "vacancies": "vacancies"}[term]
        value = {"ssv": row.ssv_ratio, "htfv": row.htfv_ratio, "vacancies": row.vacancy_ratio}[term]
        return f"{label} per job in SOC major group {major} {value:.2f}x the all-occupation rate (England, {years.get('ess', 'ESS 2017')})"
    if term == "adverts":
        return f"online adverts per job {row.advert_ratio:.2f}x the all-occupation rate (England, {years.get('adverts', 'latest year')})"
    if term == "growth":
        return f"employment growth {row.growth_pct:+.1f}% a year (England, {years.get('growth', 'recent years')})"
    where = names.get(str(row.area), str(row.area))
    if term == "area_vacancies":
        return f"vacancies per job in {where} {row.area_vacancy_ratio:.2f}x England's (ESS 2019; {_basis(row.area_basis, 'vacancies')})"
    return f"online adverts per job in {where} {row.area_advert_ratio:.2f}x England's ({years.get('area_adverts', 'latest year')}; {_basis(row.area_basis, 'adverts')})"


def _basis(text: str, kind: str) -> str:
    """The part of ``area_basis`` ('vacancies: ...; adverts: ...') about ``kind``."""
    for part in str(text or "").split("; "):
        if part.startswith(f"{kind}: "):
            return part[len(kind) + 2 :]
    return "own figures"


def _drivers(row, parts: pd.Series, years: dict[str, str], names: dict[str, str]) -> str:
    """The terms that move the score most, up then down, each with its number; the score last."""
    present = {term: value for term, value in parts.items() if abs(value) >= 0.02}
    up = sorted(((value, term) for term, value in present.items() if value > 0), reverse=True)[:3]
    down = sorted((value, term) for term, value in present.items() if value < 0)[:2]
    pieces = []
    if up:
        pieces.append("up: " + "; ".join(_phrase(term, row, years, names) for _, term in up))
    if down:
        pieces.append("down: " + "; ".join(_phrase(term, row, years, names) for _, term in down))
    if not pieces:
        pieces.append("no indicator far from the all-occupation level (or no indicator data)")
    return f"{row.rating}, score {row.shortage_score:+.2f} - " + " | ".join(pieces)


# -- area-wide pressure (local) -------------------------------------------------------------------


def area_pressure(
    lea_values: pd.DataFrame,
    lsip_adverts: pd.DataFrame,
    own_adverts: pd.DataFrame,
    membership: pd.DataFrame,
    district_jobs: pd.Series,
    national: str,
) -> pd.DataFrame:
    """Every area's vacancies, skill-shortage vacancies and online adverts per job, over England's (``AREA_SIGNAL_COLUMNS``).

    ``lea_values``: ``districts`` (a frozenset: the LEA's districts), ``vacancies``, ``skill_shortage_vacancies``,
    ``employment`` (ESS 2019) per local education authority, plus one row whose ``districts`` is empty for
    England. Each LEA's counts are shared among its districts by jobs, then summed per area
    (``membership``: district, area, weight), so a district in a two-tier county has its county's rates.
    ``lsip_adverts``: ``area, adverts`` for a partition of England (the LSIPs) with
    ``members`` (their districts); ``own_adverts``: ``area, adverts`` of areas with their own series.
    """
    jobs = district_jobs.astype(float)
    district_counts, shared_by = _lea_counts_by_district(lea_values, jobs)
    vac, ssv = _area_vacancy_ratios(lea_values, district_counts, membership)
    advert_ratio, area_jobs, own = _area_advert_ratios(lsip_adverts, own_adverts, membership, jobs)
    areas = sorted(set(area_jobs.index) | {national})
    basis = _area_basis(areas, national, membership, shared_by, own.index)
    out = pd.DataFrame(
        {
            "area": areas,
            "area_vacancy_ratio": vac.reindex(areas).to_numpy(),
            "area_ssv_ratio": ssv.reindex(areas).to_numpy(),
            "area_advert_ratio": advert_ratio.reindex(areas).to_numpy(),
            "area_basis": basis,
        }
    )
    out.loc[out["area"] == national, ["area_vacancy_ratio", "area_ssv_ratio", "area_advert_ratio"]] = 1.0
    return out


def _lea_counts_by_district(lea_values: pd.DataFrame, jobs: pd.Series) -> tuple[pd.DataFrame, dict[str, int]]:
    """Each LEA's ESS counts shared among its districts by jobs (evenly where they have none), and how many
    districts shared each one: ESS is published per LEA, the areas are built from districts."""
    counts = {}
    shared_by = {}
    for row in lea_values.loc[lea_values["districts"].map(len) > 0].itertuples():
        members = [district for district in sorted(row.districts) if district in jobs.index]  # sorted: sums do not depend on the hash seed
        weights = jobs.reindex(members).fillna(0.0)
        weights = weights / weights.sum() if weights.sum() > 0 else pd.Series(1.0 / len(members), index=members)
        for district, share in weights.items():
            counts[district] = (row.vacancies * share, row.skill_shortage_vacancies * share, row.employment * share)
            shared_by[district] = len(members)
    district_counts = pd.DataFrame.from_dict(counts, orient="index", columns=["vacancies", "skill_shortage_vacancies", "employment"])
    return district_counts, shared_by


def _area_vacancy_ratios(lea_values: pd.DataFrame, district_counts: pd.DataFrame, membership: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Vacancies and skill-shortage vacancies per job in each area over England's: England's own row where given,
    else the sum of the districts, so the ratio is to the same all-England rate for every area."""
    national_row = lea_values.loc[lea_values["districts"].map(len) == 0]
    links = membership.loc[membership["district"].isin(district_counts.index)]
    weighted = district_counts.reindex(links["district"]).mul(links["weight"].to_numpy(), axis=0)
    summed = weighted.groupby(links["area"].to_numpy()).sum()
    if len(national_row):
        england = national_row.iloc[0]
        base_vac, base_ssv = england["vacancies"] / england["employment"], england["skill_shortage_vacancies"] / england["employment"]
    else:
        base_vac, base_ssv = (
            district_counts["vacancies"].sum() / district_counts["employment"].sum(),
            (district_counts["skill_shortage_vacancies"].sum() / district_counts["employment"].sum()),
        )
    vac = (summed["vacancies"] / summed["employment"]) / base_vac
    ssv = (summed["skill_shortage_vacancies"] / summed["employment"]) / base_ssv
    return vac, ssv


def _area_advert_ratios(
    lsip_adverts: pd.DataFrame, own_adverts: pd.DataFrame, membership: pd.DataFrame, jobs: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Online adverts per job in each area over England's, with each area's jobs and the own-series adverts: only
    some areas have a series of their own, so the rest get their LSIPs' adverts shared out to districts by jobs."""
    # adverts: each district gets its LSIP's adverts by jobs; areas with their own series use it
    district_adverts = {}
    for row in lsip_adverts.itertuples():
        members = [district for district in sorted(row.members) if district in jobs.index]
        total = jobs.reindex(members).sum()
        for district in members:
            district_adverts[district] = row.adverts * jobs[district] / total if total > 0 else np.nan
    per_district = pd.Series(district_adverts, dtype=float)
    links = membership.loc[membership["district"].isin(per_district.index)]
    area_adverts = per_district.reindex(links["district"]).to_numpy() * links["weight"].to_numpy()
    area_adverts = pd.Series(area_adverts).groupby(links["area"].to_numpy()).sum()
    all_links = membership.loc[membership["district"].isin(jobs.index)]
    area_jobs = (
        pd.Series(jobs.reindex(all_links["district"]).to_numpy() * all_links["weight"].to_numpy())
        .groupby(all_links["area"].to_numpy())
        .sum()
    )
    own = own_adverts.set_index("area")["adverts"]
    adverts = area_adverts.copy()
    adverts.loc[own.index.intersection(area_jobs.index)] = own.reindex(own.index.intersection(area_jobs.index))
    england_rate = per_district.sum() / jobs.reindex(per_district.index).sum() if per_district.sum() > 0 else np.nan
    advert_ratio = (adverts / area_jobs.reindex(adverts.index)) / england_rate
    return advert_ratio, area_jobs, own


def _area_basis(areas: list[str], national: str, membership: pd.DataFrame, shared_by: dict[str, int], own_series: pd.Index) -> list[str]:
    """Which figures each area's ratios rest on, in words ('vacancies: ...; adverts: ...'), so a reader knows
    whether a district's rates are its own or its county's or LSIP's."""
    single = {district for district, size in shared_by.items() if size == 1}
    basis = []
    for area in areas:
        if area == national:
            basis.append("vacancies: England; adverts: England")
            continue
        members = membership.loc[membership["area"] == area, "district"]
        is_district = len(members) == 1 and members.iloc[0] == area
        if is_district:
            vac_text = "its own LEA" if area in single else f"its LEA ({shared_by.get(area, 0)} districts, shared by jobs)"
        else:
            vac_text = "its LEAs, shared by jobs"
        ads_text = "its own series" if area in own_series else ("its LSIP's, by jobs" if is_district else "its LSIPs', by jobs")
        basis.append(f"vacancies: {vac_text}; adverts: {ads_text}")
    return basis
