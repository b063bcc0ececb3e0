"""Apprenticeship priorities: which occupations an area should train for at levels 2-5, and why
there rather than anywhere.

For each occupation (SOC 2020 sub-major group where the data have it, else major group) over
the window (first year, last year] - by default the last observed year of demand to 2035:

* **jobs to fill** (``openings``) - jobs held by people whose highest qualification is at RQF
  2-5 that must be filled: **replacement** (holders leaving: each year's jobs at each level x an
  annual replacement rate - the occupation's own where a publisher gives it, SI2035 2020-2035,
  else the exit rate of the people holding that band in the area) plus **growth** where
  positive (the change in its jobs x their share held at RQF 2-5). These are jobs *held* at a
  level, not jobs *needing* it: the data record holders' qualifications. ``net_need`` =
  max(growth + replacement, 0) is shown beside it.
* **per 1,000 jobs** - openings per 1,000 of the area's jobs (all occupations, first year), and
  the **location quotient of need** (``need_lq``) - that over England's (the ``national`` area),
  same occupation: above 1, the area needs this occupation more than England does.
* the local **shortage rating** (``skillcast.skills.shortage``) and its score;
* **apprenticeship relevance** (``skillcast.skills.apprenticeships``).

Ranking (``mode``):

* ``local`` (default): score = 0.35 z(log per 1,000) + 0.35 z(log LQ) + 0.2 z(shortage score)
  + 0.1 z(relevance), z over the area's own occupations (so an area's order does not depend on
  which other areas are ranked). The weights (``PriorityWeights``) are a policy choice, fixed
  before looking at any result; docs/gaps.md shows how the order changes with them.
* ``absolute``: score = openings x (1 + uplift of the rating: shortage 0.5, recruitment
  difficulty 0.25) x relevance - volume planning: the biggest occupations first.

Each row's ``explanation`` gives the numbers (jobs, per 1,000, LQ, rating, relevance), never
shares of a score. With a budget, ``allocate`` splits money by need x relevance x (1 + uplift)
(x LQ^0.5 in local mode) and converts it to starts at a stated cost per start by level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from skillcast.skills.demand import replacement_rates, rqf_to_levels

APPRENTICESHIP_RQF: tuple[str, ...] = ("rqf2", "rqf3", "rqf4", "rqf5")
BAND_OF_RQF = {"rqf2": "intermediate", "rqf3": "intermediate", "rqf4": "high", "rqf5": "high"}
INDICATOR_COLUMNS = [
    "ssv_ratio",
    "vacancy_ratio",
    "advert_ratio",
    "england_growth_pct",
    "area_vacancy_ratio",
    "area_advert_ratio",
    "area_basis",
]  # the shortage indicators a ranking carries (shortage.SHORTAGE_COLUMNS, growth renamed)
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
    "openings",
    "net_need",
    "per_1000",
    "per_1000_england",
    "need_lq",
    "rating",
    "shortage_score",
    "relevance",
    "apprenticeship_share",
    "levels",
    "shortage",
    "score",
    "mode",
    *INDICATOR_COLUMNS,
    "band_tightness",
    "replacement_source",
    "top_unit_groups",
    "shortage_drivers",
    "explanation",
    "share_rqf2",
    "share_rqf3",
    "share_rqf4",
    "share_rqf5",
]
MODES = ("local", "absolute")
UPLIFT = {"shortage": 0.5, "recruitment difficulty": 0.25, "no shortage": 0.0}

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
    """Weights of the local ranking's standardised parts (module doc): a policy choice, fixed a priori."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    per_1000: float = Field(default=0.35, ge=0, le=10, description="openings per 1,000 jobs in the area (log)")
    need_lq: float = Field(default=0.35, ge=0, le=10, description="location quotient of need vs England (log)")
    shortage: float = Field(default=0.2, ge=0, le=10, description="local shortage score")
    relevance: float = Field(default=0.1, ge=0, le=10, description="apprenticeship relevance")


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


@dataclass(frozen=True)
class RankingInputs:
    """What a ranking reads: a finished gaps analysis's occupations, mix and gaps, the exit rates of
    each band's holders, and the references (publisher rates, titles, unit groups, England, the
    local shortage ratings, apprenticeship relevance) where the data have them."""

    occupations: pd.DataFrame  # area, occupation, year, employment (observed + forecast)
    mix: pd.DataFrame  # area, occupation, rqf, share
    gaps: pd.DataFrame  # the analysis's gaps (the bands' tightness)
    band_rates: pd.DataFrame  # area, band, year, exit_rate (demand.replacement_rates)
    published_rates: pd.DataFrame | None = None  # the publisher's replacement rates by occupation
    titles: dict[str, str] | None = None
    unit_groups: pd.DataFrame | None = None
    national: str | None = None  # the area the location quotient compares with (England), if the occupations have it
    shortages: pd.DataFrame | None = None  # shortage.SHORTAGE_COLUMNS rows
    relevance: pd.DataFrame | None = None  # apprenticeships.RELEVANCE_COLUMNS rows


def rank_occupations(
    area: str | list[str], data: RankingInputs, start: int, end: int, weights: PriorityWeights | None = None, mode: str = "local"
) -> pd.DataFrame:
    """Occupations of ``area`` ranked by score (see module doc); columns ``PRIORITY_COLUMNS``.

    ``area`` may be a list: every area is ranked at once (its own ranks), as each would be alone.
    In named steps: the window's jobs at RQF 2-5, replacement, the bands' tightness, need per
    1,000 jobs against England, the shortage ratings, relevance and level shares, the score.
    """
    if mode not in MODES:
        raise ValueError(f"--mode: {mode!r} is not a mode; expected one of {list(MODES)}")
    requested = [area] if isinstance(area, str) else list(area)
    own, areas = _own_occupations(requested, data, start, end)
    own_mix = data.mix.loc[data.mix["area"].isin(areas)]
    apprenticeship_mix = own_mix.loc[own_mix["rqf"].isin(APPRENTICESHIP_RQF)]
    table = _window_jobs(own, apprenticeship_mix, start, end)
    table = _with_replacement(table, own, own_mix, data, areas, start, end)
    table = _with_tightness(table, apprenticeship_mix, data.gaps, areas, end)
    table = _with_need(table, data.national)
    table = _with_shortages(table, data.shortages)
    table = _with_relevance(table, data.relevance)
    table["levels"] = _level_text(apprenticeship_mix)(table)
    table = _with_level_shares(table, apprenticeship_mix)
    table["shortage"] = table["openings"] * table["rating"].map(UPLIFT).fillna(0.0)
    table["score"] = mode_score(table, mode, weights or PriorityWeights())
    table["mode"] = mode
    return _ordered(table.loc[table["area"].isin(requested)], requested, data)


def _own_occupations(requested: list[str], data: RankingInputs, start: int, end: int) -> tuple[pd.DataFrame, list[str]]:
    """The areas' employment by occupation (England's too, for the location quotient), the window checked."""
    occupations, areas = data.occupations, list(requested)
    own = occupations.loc[occupations["area"].isin(areas)]
    if own.empty or set(own["area"]) != set(areas):
        raise ValueError(f"no employment by occupation for area {sorted(set(areas) - set(own['area']))[0]!r}")
    national = data.national
    if national is not None and national not in areas and (occupations["area"] == national).any():
        areas = [*areas, national]
        own = occupations.loc[occupations["area"].isin(areas)]
    years = set(own["year"])
    for year, name in ((start, "first"), (end, "last")):
        if year not in years:
            raise ValueError(f"the {name} year {year} of the window has no employment figures; available {min(years)}-{max(years)}")
    if end <= start:
        raise ValueError(f"the window's last year {end} is not after its first {start}")
    return own, areas


def _window_jobs(own: pd.DataFrame, apprenticeship_mix: pd.DataFrame, start: int, end: int) -> pd.DataFrame:
    """Jobs at the window's ends and the growth of those held at RQF 2-5."""
    share_25 = apprenticeship_mix.groupby(["area", "occupation"])["share"].sum()
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
    return table


def _with_replacement(
    table: pd.DataFrame, own: pd.DataFrame, own_mix: pd.DataFrame, data: RankingInputs, areas: list[str], start: int, end: int
) -> pd.DataFrame:
    published = data.published_rates
    published = published.loc[published["area"].isin(areas)] if published is not None and not published.empty else pd.DataFrame()
    replacement = _replacement(own, own_mix, published, data.band_rates.loc[data.band_rates["area"].isin(areas)], start, end)
    table = table.merge(replacement, on=["area", "occupation"], how="left")
    table["replacement"] = table["replacement"].fillna(0.0)
    table["replacement_source"] = table["replacement_source"].fillna("")
    return table


def _with_tightness(table: pd.DataFrame, apprenticeship_mix: pd.DataFrame, gaps: pd.DataFrame, areas: list[str], end: int) -> pd.DataFrame:
    """Each occupation's tightness: its intermediate and high bands' gaps, weighted by its level mix."""
    tight = _tightness(gaps, areas, end)
    levels = rqf_to_levels(apprenticeship_mix[["area", "occupation", "rqf", "share"]])
    by_band = levels.groupby(["area", "occupation", "qualification_band"], as_index=False)["share"].sum()
    by_band = by_band.loc[by_band["qualification_band"].isin(["intermediate", "high"])]
    by_band = by_band.merge(tight.rename(columns={"band": "qualification_band"}), on=["area", "qualification_band"], how="left")
    by_band["weighted"] = by_band["share"] * by_band["tightness"].fillna(0.0)
    summed = by_band.groupby(["area", "occupation"])[["weighted", "share"]].sum()
    tightness = summed["weighted"] / summed["share"].where(summed["share"] > 0)
    table["band_tightness"] = tightness.reindex(pd.MultiIndex.from_frame(table[["area", "occupation"]])).to_numpy()
    return table


def _with_need(table: pd.DataFrame, national: str | None) -> pd.DataFrame:
    """Jobs to fill, per 1,000 jobs, and its location quotient against England."""
    table["openings"] = table["replacement"] + table["growth"].clip(lower=0.0)
    table["net_need"] = (table["growth"] + table["replacement"]).clip(lower=0.0)
    area_jobs = table.groupby("area")["jobs_start"].transform("sum")
    table["per_1000"] = 1000.0 * table["openings"] / area_jobs.where(area_jobs > 0)
    if national is not None and national in set(table["area"]):
        england = table.loc[table["area"] == national].set_index("occupation")["per_1000"]
        table["per_1000_england"] = table["occupation"].map(england)
    else:
        table["per_1000_england"] = np.nan
    table["need_lq"] = table["per_1000"] / table["per_1000_england"].where(table["per_1000_england"] > 0)
    return table


def _with_shortages(table: pd.DataFrame, shortages: pd.DataFrame | None) -> pd.DataFrame:
    rated = shortages if shortages is not None and not shortages.empty else pd.DataFrame(columns=["area", "occupation"])
    rated = rated.rename(columns={"growth_pct": "england_growth_pct"})
    keep = [column for column in ("rating", "shortage_score", "drivers", *INDICATOR_COLUMNS) if column in rated]
    table = table.merge(rated[["area", "occupation", *keep]], on=["area", "occupation"], how="left")
    for column in INDICATOR_COLUMNS:
        if column not in table:
            table[column] = np.nan if column != "area_basis" else ""
    table["rating"] = table["rating"].fillna("not rated") if "rating" in table else "not rated"
    table["shortage_score"] = table["shortage_score"].astype(float).fillna(0.0) if "shortage_score" in table else 0.0
    table["shortage_drivers"] = table["drivers"].fillna("") if "drivers" in table else ""
    return table


def _with_relevance(table: pd.DataFrame, relevance: pd.DataFrame | None) -> pd.DataFrame:
    useful = relevance if relevance is not None and not relevance.empty else pd.DataFrame(columns=["occupation", "relevance"])
    by_code = useful.set_index("occupation")
    codes = table["occupation"]
    if codes.str.len().eq(1).all() and len(by_code):  # major groups: the mean of their sub-majors
        by_code = by_code[["relevance", "apprenticeship_share"]].groupby(by_code.index.str[:1]).mean()
    table["relevance"] = codes.map(by_code["relevance"]) if "relevance" in by_code else np.nan
    table["apprenticeship_share"] = codes.map(by_code["apprenticeship_share"]) if "apprenticeship_share" in by_code else np.nan
    return table


def _with_level_shares(table: pd.DataFrame, apprenticeship_mix: pd.DataFrame) -> pd.DataFrame:
    """Each occupation's split across RQF 2-5 (``share_rqf2`` ...), what a start at its level costs."""
    levels_25 = apprenticeship_mix.pivot_table(index=["area", "occupation"], columns="rqf", values="share", aggfunc="sum")
    levels_25 = levels_25.reindex(columns=list(APPRENTICESHIP_RQF)).fillna(0.0)
    levels_25 = levels_25.div(levels_25.sum(axis=1).where(lambda total: total > 0), axis=0)
    keys = pd.MultiIndex.from_frame(table[["area", "occupation"]])
    for rqf in APPRENTICESHIP_RQF:
        table[f"share_{rqf}"] = levels_25[rqf].reindex(keys).to_numpy() if len(levels_25) else np.nan
    return table


def _ordered(table: pd.DataFrame, areas: list[str], data: RankingInputs) -> pd.DataFrame:
    """Titles, top unit groups and the explanation added; each area's occupations by score, ranked."""
    titles = {**SOC2020_MAJOR_TITLES, **(data.titles or {})}
    table["title"] = table["occupation"].map(titles).fillna("")
    unit_groups = data.unit_groups
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


def mode_score(table: pd.DataFrame, mode: str, weights: PriorityWeights | None = None) -> pd.Series:
    """The score of ``mode`` from a ranking's columns (module doc)."""
    if mode == "absolute":
        uplift = table["rating"].map(UPLIFT).fillna(0.0)
        return table["openings"] * (1.0 + uplift) * table["relevance"].astype(float).fillna(1.0)
    if mode == "local":
        return local_score(table, weights or PriorityWeights())
    raise ValueError(f"--mode: {mode!r} is not a mode; expected one of {list(MODES)}")


def rerank(ranking: pd.DataFrame, mode: str, weights: PriorityWeights | None = None) -> pd.DataFrame:
    """A ranking (one area or many) re-scored and re-ranked in ``mode``: what a bundle's local ranking gives in absolute mode."""
    out = ranking.copy()
    out["score"] = mode_score(out, mode, weights)
    out["mode"] = mode
    order = {area: index for index, area in enumerate(dict.fromkeys(out["area"]))}
    out = out.assign(_area=out["area"].map(order)).sort_values(["_area", "score", "occupation"], ascending=[True, False, True])
    out["rank"] = out.groupby("_area").cumcount().to_numpy() + 1
    return out.drop(columns="_area").reset_index(drop=True)


def local_score(table: pd.DataFrame, weights: PriorityWeights) -> pd.Series:
    """The local mode's score (module doc): weighted z-scores over each area's own occupations."""
    parts = {
        "per_1000": np.log(table["per_1000"].astype(float).clip(lower=1e-6)),
        "need_lq": np.log(table["need_lq"].astype(float).clip(lower=1e-3)),
        "shortage": table["shortage_score"].astype(float),
        "relevance": table["relevance"].astype(float),
    }
    score = pd.Series(0.0, index=table.index)
    for name, values in parts.items():
        grouped = values.groupby(table["area"])
        spread = grouped.transform("std")
        z = ((values - grouped.transform("mean")) / spread.where(spread > 0)).fillna(0.0)
        score = score + getattr(weights, name) * z
    return score


def _level_text(mix: pd.DataFrame):
    """A function giving each row's mix of jobs held at RQF 2-5 as text ('L2 40%, L3 35%, ...')."""
    shares = mix.pivot_table(index=["area", "occupation"], columns="rqf", values="share", aggfunc="sum")

    def text(table: pd.DataFrame) -> pd.Series:
        out = []
        for area, occupation in zip(table["area"], table["occupation"], strict=True):
            row = shares.loc[(area, occupation)] if (area, occupation) in shares.index else pd.Series(dtype=float)
            total = row.sum()
            parts = [f"L{rqf[-1]} {value / total:.0%}" for rqf, value in row.items() if total > 0 and value / total >= 0.05]
            out.append(", ".join(parts))
        return pd.Series(out, index=table.index, dtype=object)

    return text


def _explain(row) -> str:
    """The row's numbers in words: jobs to fill, per 1,000 jobs against England, the rating, relevance."""
    parts = [f"{row.openings:,.0f} jobs to fill at RQF 2-5 ({row.replacement:,.0f} replacement, {row.growth:+,.0f} change)"]
    if pd.notna(row.per_1000):
        england = f" vs {row.per_1000_england:.1f} in England (LQ {row.need_lq:.2f})" if pd.notna(row.need_lq) else ""
        parts.append(f"{row.per_1000:.1f} per 1,000 jobs here{england}")
    parts.append(f"shortage rating: {row.rating} ({row.shortage_score:+.2f})")
    if pd.notna(row.relevance):
        share = (
            f", {row.apprenticeship_share:.0%} of hiring in unit groups naming apprenticeships"
            if pd.notna(row.apprenticeship_share)
            else ""
        )
        parts.append(f"apprenticeship relevance {row.relevance:.2f}{share}")
    if row.levels:
        parts.append(f"held at {row.levels}")
    return "; ".join(parts)


ALLOCATION_METHOD = (
    "money per occupation in proportion to jobs to fill at RQF 2-5 x apprenticeship relevance x (1 + shortage uplift: "
    "shortage 0.5, recruitment difficulty 0.25) x location quotient of need^0.5 (local mode; ^0 in absolute mode); "
    "whole pounds, the remainder to the largest share; each occupation's money spent by route (skillcast.skills.funding): "
    "stated shares to foundation apprenticeships and apprenticeship units where it has one, the rest to apprenticeships "
    "by its mix of jobs held at RQF 2-5; starts = money / cost per start, the cost the median Skills England funding band "
    "of the products serving the occupation at that route and level (of all products at that level where none does)"
)
LQ_TILT = {"local": 0.5, "absolute": 0.0}
STARTS_BY_ROUTE = ("starts_apprenticeship", "starts_foundation", "starts_unit")


def allocate(
    ranking: pd.DataFrame, budget: float, costs=None, mix: pd.DataFrame | None = None, bands: pd.DataFrame | None = None, shares=None
) -> pd.DataFrame:
    """Add ``allocation`` (pounds), ``allocation_share``, ``starts`` (and by route, ``STARTS_BY_ROUTE``) and
    ``cost_per_start`` (what a start costs at its routes and levels: allocation / starts) to a ranking (one area or many: each area gets the whole budget).
    ``mix``: area, occupation, rqf, share (the RQF mix of jobs); ``bands``: ``funding.funding_bands`` (default: the
    shipped products' bands by level); ``shares``: ``funding.RouteShares``; ``costs``: stated ``CostPerStart``."""
    from skillcast.skills.funding import buy, default_bands

    if not np.isfinite(budget) or budget <= 0:
        raise ValueError(f"--budget: expected a positive amount of pounds, got {budget!r}")
    out = ranking.copy()
    mode = str(out["mode"].iloc[0]) if "mode" in out and len(out) else "local"
    uplift = out["rating"].map(UPLIFT).fillna(0.0) if "rating" in out else 0.0
    relevance = out["relevance"].fillna(1.0) if "relevance" in out else 1.0
    need = out["openings"] if "openings" in out else (out["growth"] + out["replacement"]).clip(lower=0.0)
    lq = out["need_lq"].fillna(1.0).clip(lower=1e-3) if "need_lq" in out else 1.0
    weight = (need.clip(lower=0.0) * relevance * (1.0 + uplift) * lq ** LQ_TILT.get(mode, 0.0)).fillna(0.0)
    pounds = pd.Series(0.0, index=out.index)
    fractions = pd.Series(0.0, index=out.index)
    for _, rows in out.groupby("area", sort=False):
        own = weight.loc[rows.index]
        if own.sum() <= 0:
            raise ValueError("no occupation has jobs to fill, so there is nothing to allocate to")
        share = own / own.sum()
        money = np.floor(share * budget)
        money.iloc[int(np.argmax(share.to_numpy()))] += budget - money.sum()
        pounds.loc[rows.index], fractions.loc[rows.index] = money, share
    out["allocation"] = pounds
    out["allocation_share"] = fractions
    bands = bands if bands is not None and not bands.empty else default_bands()
    bought = buy(out, bands, shares, costs, mix)
    keys = pd.MultiIndex.from_frame(out[["area", "occupation"]].astype(str))
    by_route = bought.pivot_table(index=["area", "occupation"], columns="route", values="starts", aggfunc="sum")
    for column in STARTS_BY_ROUTE:
        route = column.removeprefix("starts_")
        out[column] = by_route[route].reindex(keys).fillna(0.0).to_numpy() if route in by_route else 0.0
    out["starts"] = out[list(STARTS_BY_ROUTE)].sum(axis=1)
    per_pound = buy(out.assign(allocation=1.0), bands, shares, costs, mix).groupby(["area", "occupation"])["starts"].sum()
    out["cost_per_start"] = 1.0 / per_pound.reindex(keys).to_numpy()  # what a start costs here, money or not (= allocation / starts)
    out["per_job"] = np.where(need > 0, pounds / need.where(need > 0, 1.0), np.nan)
    return out


def rank_from_analysis(
    area: str | list[str], analysis, inputs, settings, weights: PriorityWeights | None = None, mode: str = "local"
) -> tuple[pd.DataFrame, int]:
    """One area's ranking (or several areas', each its own) from a finished ``gaps.analyse``
    run, and the window's first year.

    The window starts at the last observed year of employment by occupation; replacement
    uses the exit rates of the people holding each band (the run's cohort supply), and
    the publisher's occupation rates where ``inputs`` carry them. The location quotient needs
    ``inputs.national`` in the analysis (``analysis_areas`` adds it).
    """
    if analysis.occupations.empty:
        raise ValueError("these data have no employment by occupation to rank")
    start = int(analysis.occupations.loc[analysis.occupations["basis"] == "observed", "year"].max())
    rates = replacement_rates(analysis.supply.age_mix, settings.exits)
    data = RankingInputs(
        occupations=analysis.occupations,
        mix=analysis.mix,
        gaps=analysis.gaps,
        band_rates=rates,
        published_rates=inputs.occupation_replacement,
        titles=inputs.titles,
        unit_groups=inputs.unit_groups,
        national=inputs.national,
        shortages=inputs.shortages([area] if isinstance(area, str) else list(area)),
        relevance=inputs.relevance,
    )
    ranking = rank_occupations(area, data, start, settings.end_year, weights, mode)
    return ranking, start


def analysis_areas(areas: list[str], inputs) -> list[str]:
    """The areas a priorities run must analyse: the ones asked for and England (the location quotient's base)."""
    return list(dict.fromkeys([*areas, inputs.national]))


def rank_areas(areas: list[str], analysis, inputs, settings, weights: PriorityWeights | None = None, mode: str = "local") -> pd.DataFrame:
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
    return rank_from_analysis(chosen, analysis, inputs, settings, weights, mode)[0]
