"""Apprenticeship priorities: which occupations an area should train for at levels 2-5.

For each occupation (SOC 2020 sub-major group where the data have it, else major group)
over the window (first year, last year] - by default the last observed year of demand to
2035:

* **growth** - the projected change in its jobs held at RQF levels 2-5 (the apprenticeship
  levels): (employment at the end - at the start) x its share of jobs at levels 2-5.
* **replacement** - jobs at levels 2-5 that open as holders leave: each year's jobs at
  each of those levels x an annual replacement rate. The rate is the occupation's own
  where a publisher gives it (SI2035 2020-2035 replacement demand / 2020 jobs / 15, the
  only source here with occupations' age structures); otherwise the exit rate of the
  people holding that qualification band in the area (``demand.replacement_rates``).
* **shortage** - ``(growth + replacement) x uplift``, where the uplift adds (each capped
  at ``cap``, each only when positive):
  - ``weights.gap`` x how much tighter the occupation's qualification band is than the
    area's labour market as a whole in the last year (demand / supply of the band over
    demand / supply of all bands, minus 1; people outnumber jobs in every band, so only
    the relative tightness says anything), the bands weighted by the occupation's jobs at
    levels 2-3 (intermediate) and 4-5 (high);
  - ``weights.shortage_vacancies`` x (skill-shortage vacancies per job in its SOC major
    group / the all-occupation rate - 1), ESS 2017, England;
  - ``weights.adverts`` x (new online job adverts per job in the group / the
    all-occupation rate - 1), ONS/Textkernel, England, latest full year.

**score = max(growth + replacement, 0) + shortage**; each row reports the three parts as
shares of its score, so it explains itself (a shrinking occupation shows negative growth).
With a budget, money is allocated in proportion to the scores (``allocate``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from skillcast.skills.demand import replacement_rates, rqf_to_levels

APPRENTICESHIP_RQF: tuple[str, ...] = ("rqf2", "rqf3", "rqf4", "rqf5")
BAND_OF_RQF = {"rqf2": "intermediate", "rqf3": "intermediate", "rqf4": "high", "rqf5": "high"}
PRIORITY_COLUMNS: list[str] = [
    "rank",
    "area",
    "occupation",
    "title",
    "jobs_start",
    "jobs_end",
    "share_levels_2_5",
    "growth",
    "replacement",
    "shortage",
    "score",
    "growth_pct",
    "replacement_pct",
    "shortage_pct",
    "band_tightness",
    "ssv_ratio",
    "advert_ratio",
    "replacement_source",
    "top_unit_groups",
    "explanation",
]


# SOC 2020 major group titles (ONS), for data without the SOC structure table (the demo).
SOC2020_MAJOR_TITLES: dict[str, str] = {
    "1": "Managers, directors and senior officials",
    "2": "Professional occupations",
    "3": "Associate professional occupations",
    "4": "Administrative and secretarial occupations",
    "5": "Skilled trades occupations",
    "6": "Caring, leisure and other service occupations",
    "7": "Sales and customer service occupations",
    "8": "Process, plant and machine operatives",
    "9": "Elementary occupations",
}


class PriorityWeights(BaseModel):
    """How much each shortage signal lifts an occupation's requirement (see module doc)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gap: float = Field(default=1.0, ge=0, le=10, description="local band tightness (forecast)")
    shortage_vacancies: float = Field(default=0.5, ge=0, le=10, description="ESS skill-shortage vacancies (national, 2017)")
    adverts: float = Field(default=0.5, ge=0, le=10, description="online job adverts (national, recent)")
    cap: float = Field(default=1.0, gt=0, le=10, description="largest contribution of any one signal")


def band_tightness(gaps: pd.DataFrame, area: str, year: int) -> dict[str, float]:
    """Per band: (demand / supply of the band) / (demand / supply of all bands) - 1, in ``year``."""
    rows = _tightness(gaps, [area], year)
    return {str(band): float(value) for band, value in zip(rows["band"], rows["tightness"], strict=True)}


def _replacement(
    occupations: pd.DataFrame, mix: pd.DataFrame, published: pd.DataFrame, band_rates: pd.DataFrame, start: int, end: int
) -> pd.DataFrame:
    """Jobs at levels 2-5 opening through leavers per occupation over (start, end]."""
    window = occupations.loc[(occupations["year"] >= start) & (occupations["year"] < end)]  # jobs at the start of each year
    jobs = window[["area", "occupation", "year", "employment"]].merge(
        mix.loc[mix["rqf"].isin(APPRENTICESHIP_RQF)], on=["area", "occupation"]
    )
    jobs["jobs"] = jobs["employment"] * jobs["share"]
    if not published.empty:
        jobs = jobs.merge(published, on=["area", "occupation", "rqf"], how="left")
    else:
        jobs["annual_rate"] = np.nan
    band = jobs["rqf"].map(BAND_OF_RQF)
    fallback = band_rates.rename(columns={"band": "qual_band", "exit_rate": "band_rate"})
    jobs = jobs.assign(qual_band=band).merge(fallback, on=["area", "qual_band", "year"], how="left")
    jobs["source"] = np.where(jobs["annual_rate"].notna(), "published (SI2035)", "age structure of the band")
    jobs["rate"] = jobs["annual_rate"].fillna(jobs["band_rate"]).fillna(0.0)
    jobs["replacement"] = jobs["jobs"] * jobs["rate"]
    out = jobs.groupby(["area", "occupation"])[["replacement"]].sum()
    counts = (
        jobs.groupby(["area", "occupation"])["source"].value_counts().unstack(fill_value=0)
    )  # the commonest source (ties: first by name)
    out["replacement_source"] = counts.idxmax(axis=1).reindex(out.index).fillna("") if len(counts) else ""
    return out.reset_index()


def _tightness(gaps: pd.DataFrame, areas: list[str], year: int) -> pd.DataFrame:
    """``band_tightness`` for many areas at once: columns ``area, band, tightness``."""
    rows = gaps.loc[gaps["area"].isin(areas) & (gaps["year"] == year), ["area", "band", "demand", "supply"]]
    main = rows.loc[rows["band"].isin(["low", "intermediate", "high"])].groupby("area")[["demand", "supply"]].sum()
    overall = (main["demand"] / main["supply"]).rename("overall")
    rows = rows.loc[rows["supply"] > 0].merge(overall, left_on="area", right_index=True)
    return rows.assign(tightness=rows["demand"] / rows["supply"] / rows["overall"] - 1.0)[["area", "band", "tightness"]]


def rank_occupations(
    area: str | list[str],
    occupations: pd.DataFrame,
    mix: pd.DataFrame,
    gaps: pd.DataFrame,
    band_rates: pd.DataFrame,
    start: int,
    end: int,
    weights: PriorityWeights,
    published_rates: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    titles: dict[str, str] | None = None,
    unit_groups: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Occupations of ``area`` ranked by score (see module doc); columns ``PRIORITY_COLUMNS``.

    ``area`` may be a list: every area is ranked at once (its own ranks), as each would be alone.
    """
    areas = [area] if isinstance(area, str) else list(area)
    own = occupations.loc[occupations["area"].isin(areas)]
    if own.empty or set(own["area"]) != set(areas):
        raise ValueError(f"no employment by occupation for area {sorted(set(areas) - set(own['area']))[0]!r}")
    years = set(own["year"])
    for year, name in ((start, "first"), (end, "last")):
        if year not in years:
            raise ValueError(f"the {name} year {year} of the window has no employment figures; available {min(years)}-{max(years)}")
    if end <= start:
        raise ValueError(f"the window's last year {end} is not after its first {start}")
    own_mix = mix.loc[mix["area"].isin(areas)]
    share_25 = own_mix.loc[own_mix["rqf"].isin(APPRENTICESHIP_RQF)].groupby(["area", "occupation"])["share"].sum()
    wide = own.pivot_table(index=["area", "occupation"], columns="year", values="employment", aggfunc="sum")
    table = pd.DataFrame(
        {
            "area": wide.index.get_level_values("area").astype(str),
            "occupation": wide.index.get_level_values("occupation").astype(str),
            "jobs_start": wide[start].to_numpy(),
            "jobs_end": wide[end].to_numpy(),
        }
    )
    keys = pd.MultiIndex.from_frame(table[["area", "occupation"]])
    table["share_levels_2_5"] = share_25.reindex(keys).fillna(0.0).to_numpy()
    table["growth"] = (table["jobs_end"] - table["jobs_start"]) * table["share_levels_2_5"]
    published = (
        published_rates.loc[published_rates["area"].isin(areas)]
        if published_rates is not None and not published_rates.empty
        else pd.DataFrame()
    )
    replacement = _replacement(own, own_mix, published, band_rates.loc[band_rates["area"].isin(areas)], start, end)
    table = table.merge(replacement, on=["area", "occupation"], how="left")
    table["replacement"] = table["replacement"].fillna(0.0)
    table["replacement_source"] = table["replacement_source"].fillna("")

    tight = _tightness(gaps, areas, end)
    levels = rqf_to_levels(own_mix.loc[own_mix["rqf"].isin(APPRENTICESHIP_RQF), ["area", "occupation", "rqf", "share"]])
    by_band = levels.groupby(["area", "occupation", "qualification_band"], as_index=False)["share"].sum()
    by_band = by_band.loc[by_band["qualification_band"].isin(["intermediate", "high"])]
    by_band = by_band.merge(tight.rename(columns={"band": "qualification_band"}), on=["area", "qualification_band"], how="left")
    by_band["weighted"] = by_band["share"] * by_band["tightness"].fillna(0.0)
    summed = by_band.groupby(["area", "occupation"])[["weighted", "share"]].sum()
    tightness = summed["weighted"] / summed["share"].where(summed["share"] > 0)
    table["band_tightness"] = tightness.reindex(pd.MultiIndex.from_frame(table[["area", "occupation"]])).to_numpy()
    signals = signals if signals is not None and not signals.empty else pd.DataFrame(columns=["occupation", "ssv_ratio", "advert_ratio"])
    by_code = signals.set_index("occupation")
    for column in ("ssv_ratio", "advert_ratio"):
        exact = table["occupation"].map(by_code[column]) if column in by_code else pd.Series(np.nan, index=table.index)
        if table["occupation"].str.len().eq(1).all() and column in by_code:  # major groups: average their sub-majors
            majors = by_code[column].groupby(by_code.index.str[:1]).mean()
            exact = table["occupation"].map(majors)
        table[column] = exact

    cap = weights.cap
    uplift = (
        weights.gap * table["band_tightness"].fillna(0.0).clip(0.0, cap)
        + weights.shortage_vacancies * (table["ssv_ratio"] - 1.0).fillna(0.0).clip(0.0, cap)
        + weights.adverts * (table["advert_ratio"] - 1.0).fillna(0.0).clip(0.0, cap)
    )
    need = (table["growth"] + table["replacement"]).clip(lower=0.0)
    table["shortage"] = need * uplift
    table["score"] = need + table["shortage"]
    scale = table["growth"].abs() + table["replacement"] + table["shortage"]
    for part in ("growth", "replacement", "shortage"):
        table[f"{part}_pct"] = np.where(scale > 0, 100.0 * table[part] / scale.where(scale > 0, 1.0), 0.0)
    titles = {**SOC2020_MAJOR_TITLES, **(titles or {})}
    table["title"] = table["occupation"].map(titles).fillna("")
    table["top_unit_groups"] = (
        table["occupation"].map(_top_units(unit_groups)).fillna("") if unit_groups is not None and not unit_groups.empty else ""
    )
    table["explanation"] = [_explain(row) for row in table.itertuples()]
    order = {name: index for index, name in enumerate(areas)}
    table = table.assign(_area=table["area"].map(order)).sort_values(["_area", "score", "occupation"], ascending=[True, False, True])
    table["rank"] = table.groupby("_area").cumcount().to_numpy() + 1
    return table[PRIORITY_COLUMNS].reset_index(drop=True)


def _top_units(unit_groups: pd.DataFrame, per_group: int = 3) -> pd.Series:
    """The unit groups with most adverts in each sub-major group: where the data go finer."""
    ranked = unit_groups.sort_values("adverts", ascending=False).groupby("occupation").head(per_group)
    text = ranked.assign(label=ranked["unit"] + " " + ranked["title"].str.slice(0, 40))
    return text.groupby("occupation")["label"].agg("; ".join)


def _explain(row) -> str:
    parts = [f"growth {row.growth_pct:+.0f}%", f"replacement {row.replacement_pct:.0f}%", f"shortage {row.shortage_pct:.0f}%"]
    reasons = []
    if pd.notna(row.band_tightness) and row.band_tightness > 0:
        reasons.append(f"its band {row.band_tightness:+.0%} tighter than average")
    if pd.notna(row.ssv_ratio) and row.ssv_ratio > 1:
        reasons.append(f"skill-shortage vacancies {row.ssv_ratio:.1f}x average")
    if pd.notna(row.advert_ratio) and row.advert_ratio > 1:
        reasons.append(f"adverts {row.advert_ratio:.1f}x average")
    return " / ".join(parts) + (f" ({'; '.join(reasons)})" if reasons else "")


ALLOCATION_METHOD = (
    "Each occupation with a positive score gets budget x its score / the sum of positive scores, "
    "score = max(growth + replacement, 0) x (1 + shortage uplift), all counted in jobs at RQF levels 2-5 "
    "over the window; the amounts are rounded to whole pounds, the remainder going to the top-ranked occupation."
)


def allocate(ranking: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Add ``allocation`` (pounds, in proportion to positive scores) and ``per_job`` to a ranking."""
    if not np.isfinite(budget) or budget <= 0:
        raise ValueError(f"--budget: expected a positive amount of pounds, got {budget!r}")
    positive = ranking["score"].clip(lower=0.0)
    if positive.sum() <= 0:
        raise ValueError("no occupation has a positive score, so there is nothing to allocate to")
    shares = positive / positive.sum()
    pounds = np.floor(shares * budget)
    pounds.iloc[int(np.argmax(shares.to_numpy()))] += budget - pounds.sum()
    out = ranking.copy()
    out["allocation"] = pounds
    out["allocation_share"] = shares
    need = (out["growth"] + out["replacement"]).clip(lower=0.0)
    out["per_job"] = np.where(need > 0, pounds / need.where(need > 0, 1.0), np.nan)
    return out


def rank_from_analysis(
    area: str | list[str], analysis, inputs, settings, weights: PriorityWeights | None = None
) -> tuple[pd.DataFrame, int]:
    """One area's ranking (or several areas', each its own) from a finished ``gaps.analyse``
    run, and the window's first year.

    The window starts at the last observed year of employment by occupation; replacement
    uses the exit rates of the people holding each band (the run's cohort supply), and
    the publisher's occupation rates where ``inputs`` carry them.
    """
    if analysis.occupations.empty:
        raise ValueError("these data have no employment by occupation to rank")
    start = int(analysis.occupations.loc[analysis.occupations["basis"] == "observed", "year"].max())
    rates = replacement_rates(analysis.supply.age_mix, settings.exits)
    ranking = rank_occupations(
        area,
        analysis.occupations,
        analysis.mix,
        analysis.gaps,
        rates,
        start,
        settings.end_year,
        weights or PriorityWeights(),
        published_rates=inputs.occupation_replacement,
        signals=inputs.signals,
        titles=inputs.titles,
        unit_groups=inputs.unit_groups,
    )
    return ranking, start


def rank_areas(areas: list[str], analysis, inputs, settings, weights: PriorityWeights | None = None) -> pd.DataFrame:
    """Rankings of every area in ``areas`` that has employment by occupation, stacked
    (``PRIORITY_COLUMNS``; all at once, each the ranking it would get alone); areas without
    occupations, and areas failing the alignment check (``analysis.flagged``), are left out,
    not an error, so a bundle can carry priorities wherever the data allow them."""
    if analysis.occupations.empty:
        return pd.DataFrame(columns=PRIORITY_COLUMNS)
    with_occupations = set(analysis.occupations["area"]) - set(getattr(analysis, "flagged", ()))  # a flagged area is in no ranking
    chosen = [area for area in areas if area in with_occupations]
    if not chosen:
        return pd.DataFrame(columns=PRIORITY_COLUMNS)
    return rank_from_analysis(chosen, analysis, inputs, settings, weights)[0]
