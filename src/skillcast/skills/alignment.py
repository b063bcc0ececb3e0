"""Do an area's jobs (demand) and people (supply) cover the same places? The alignment check.

Demand comes from the publisher's areas (SI2035), supply from APS districts. When a
publisher's area does not match its districts, its gaps are meaningless and nothing warns:
Enterprise M3's workbook (673k jobs) is about Surrey's size, not its 17 districts' (1.1m),
which made a spurious graduate surplus of 283k by 2030; Dorset's counts its jobs about
twice. The check compares each area's jobs (base years 2018-2020) with what its districts'
own workplace employment implies, ``T_d`` of ``skillcast.skills.small_area`` (APS employed
residents x the ESS workplace factor, commuting included), scaled to England::

    ratio = jobs / (kappa x sum of T_d over the area's districts),  kappa = England's jobs / England's sum of T_d

and flags it outside ``TOLERANCE``. Ordinary LSIPs and CAs lie within 0.92-1.07; the band
0.80-1.25 (symmetric in logs, +-0.22) leaves three times that and catches exactly
Enterprise M3 (0.61) and Dorset (2.11). The ratio to APS employed residents alone (no
commuting) is reported beside it, with its own looser band ``RESIDENTS_TOLERANCE`` (ordinary
areas 0.82-1.16), which flags the same two. The check runs on every area: a district's
estimated jobs carry its unit's ratio, so the districts of a failed unit fail too, and an
area with some of them is warned about (flagged only if its own ratio fails).

**Repair** (``repair_factors``, ``rescaled``): a publisher's unit that fails the check takes
its jobs from the check's own evidence, its districts' workplace-implied jobs: every
classification, year and measure of its rows (SI2035's projection and requirement tables too)
is scaled by ``kappa x sum of T_d / published jobs``, kappa from the units that pass. Of the
three totals the data offer (workplace-implied jobs, APS employed residents 2018-20, APS
employment 2021/22-2024/25), the workplace-implied jobs reproduce the sound units' published
jobs best (log error 0.038 against 0.083 and 0.217, ``evidence_fit``; docs/gaps.md). A repair
holds when the repaired unit passes the check and its jobs per employed resident (evidence the
repair did not use) are inside ``RESIDENTS_TOLERANCE``; the repaired areas are warned
("repaired: jobs taken from ..."), not flagged, and are ranked. Where no repair holds the
published figures are kept and flagged as before.

A flagged area keeps its figures, always with its warning, and is left out of rankings
(apprenticeship priorities); never shown as a plain number. The earlier guard (people
16-64 per job outside 0.7-1.8) let Enterprise M3 (1.73) through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

TOLERANCE = (0.80, 1.25)  # jobs / workplace-implied jobs of the same districts (England = 1)
RESIDENTS_TOLERANCE = (0.70, 1.45)  # jobs / APS employed residents (England = 1), commuting not allowed for
REPAIR_EVIDENCE = "its districts' workplaces (APS employed residents x the ESS workplace factor, at the passing units' jobs per workplace job)"  # the evidence a failed unit's jobs are taken from: fixed by hand, from evidence_fit on the real data (docs/gaps.md)


@dataclass(frozen=True)
class Repair:
    """A publisher's unit whose published jobs failed the check, and what its jobs are scaled by."""

    unit: str
    name: str
    published: float  # jobs a year, base years, as published
    ratio: float  # the published jobs / what its districts' workplaces imply (the failed check)
    factor: float  # repaired jobs / published, the same in every classification, year and measure

    def text(self) -> str:
        return f"repaired: jobs taken from {REPAIR_EVIDENCE}, {self.factor:.2f} times the published"

    def note(self) -> str:
        """The run's note (not led by an area code, so an area's own outputs carry only its warning)."""
        return (
            f"alignment repair: SI2035's {self.name} ({self.unit}) jobs, {self.published / 1e3:,.0f}k a year 2018-20, are "
            f"{self.ratio:.2f} x what its districts' workplaces imply; {self.text()}, in every classification and year"
        )


def repairs(
    units: pd.DataFrame, evidence: pd.Series, names: dict[str, str], rebuilt: Callable[[pd.Series], pd.DataFrame]
) -> tuple[dict[str, Repair], dict[str, Repair]]:
    """The repairs of the units failing the check that hold, and those tried that do not.

    ``units``: ``ratios`` of every unit (and the national row, last); ``evidence``: the
    workplace-implied jobs (sum of T_d) per unit; ``rebuilt``: factors -> ``ratios`` of the units
    with those factors applied."""
    codes = units.index[:-1]
    failed = [code for code in codes if not TOLERANCE[0] <= units.at[code, "ratio"] <= TOLERANCE[1]]
    if not failed:
        return {}, {}
    factors = repair_factors(units.loc[codes, "jobs"], evidence, failed)
    proposed = {
        code: Repair(code, names.get(code, code), float(units.at[code, "jobs"]), float(units.at[code, "ratio"]), float(factor))
        for code, factor in factors.items()
    }
    after = rebuilt(factors)
    held = {code: repair for code, repair in proposed.items() if holds(after.loc[code])}
    return held, {code: repair for code, repair in proposed.items() if code not in held}


def repair_factors(jobs: pd.Series, evidence: pd.Series, failed: Iterable[str]) -> pd.Series:
    """Failed unit -> repaired / published jobs: ``kappa x evidence / jobs``, kappa = the units that pass's
    jobs per unit of evidence (so the repaired units have the sound units' jobs per evidence).

    ``jobs`` and ``evidence`` per unit (every unit of the partition); a failed unit without
    evidence (or without jobs) gets no factor."""
    failed = [unit for unit in failed if unit in jobs.index]
    sound = jobs.index.difference(failed)
    if not len(sound) or not evidence.reindex(sound).sum() > 0:
        return pd.Series(dtype=float, name="factor")
    kappa = jobs[sound].sum() / evidence.reindex(sound).sum()
    factors = (kappa * evidence.reindex(failed) / jobs[failed]).replace([np.inf, -np.inf], np.nan)
    return factors.loc[factors > 0].rename("factor")


def evidence_fit(jobs: pd.Series, evidence: dict[str, pd.Series], failed: Iterable[str]) -> pd.DataFrame:
    """How well each candidate evidence reproduces the published jobs of the units that pass: per
    candidate, the RMS log error of ``kappa x evidence`` against the published jobs, its range, and
    what it would make of each failed unit (repaired / published). The repair takes the best."""
    failed = [unit for unit in failed if unit in jobs.index]
    sound = jobs.index.difference(failed)
    rows = []
    for name, values in evidence.items():
        values = values.reindex(jobs.index)
        kappa = jobs[sound].sum() / values[sound].sum()
        error = np.log(jobs[sound] / (kappa * values[sound]))
        rows.append(
            {"evidence": name, "rms_log_error": float(np.sqrt((error**2).mean())), "lowest": float(np.exp(error.min())),
             "highest": float(np.exp(error.max()))}
            | {f"factor {unit}": float(kappa * values[unit] / jobs[unit]) for unit in failed}
        )  # fmt: skip
    return pd.DataFrame(rows).set_index("evidence").sort_values("rms_log_error")


def rescaled(panel: pd.DataFrame, factors: pd.Series) -> pd.DataFrame:
    """``panel`` (``area``, ``value``) with every row of each unit in ``factors`` scaled by its factor."""
    factor = panel["area"].map(factors).fillna(1.0)
    return panel.assign(value=panel["value"] * factor)


@dataclass(frozen=True)
class Alignment:
    table: pd.DataFrame  # area, jobs, workplace_jobs, employed, ratio, residents_ratio, flagged, repaired
    warnings: dict[str, tuple[str, ...]]  # area -> what to read before quoting its figures
    flagged: frozenset[str]


def ratios(jobs: pd.Series, workplace: pd.Series, employed: pd.Series, national: str) -> pd.DataFrame:
    """Per area: its jobs, the jobs its districts' workplaces imply (England = its jobs), APS employed
    residents, ``ratio`` (jobs / workplace-implied) and ``residents_ratio`` (jobs per employed resident, England = 1)."""
    kappa = jobs[national] / workplace[national]
    table = pd.DataFrame({"jobs": jobs, "workplace_jobs": kappa * workplace.reindex(jobs.index), "employed": employed.reindex(jobs.index)})
    table["ratio"] = table["jobs"] / table["workplace_jobs"]
    table["residents_ratio"] = (table["jobs"] / table["employed"]) / (jobs[national] / employed[national])
    return table


def holds(row: pd.Series) -> bool:
    """A (repaired) area passes: its jobs inside ``TOLERANCE`` of its workplaces and inside
    ``RESIDENTS_TOLERANCE`` of its employed residents (the evidence a repair does not use)."""
    inside = TOLERANCE[0] <= row["ratio"] <= TOLERANCE[1]
    return bool(inside and RESIDENTS_TOLERANCE[0] <= row["residents_ratio"] <= RESIDENTS_TOLERANCE[1])


def check(
    jobs: pd.Series,
    workplace: pd.Series,
    employed: pd.Series,
    national: str,
    names: dict[str, str],
    members: dict[str, list[str]],
    publisher: dict[str, str],
    no_survey: tuple[str, ...] = (),
    repairs: dict[str, Repair] | None = None,
    tried: dict[str, Repair] | None = None,
) -> Alignment:
    """The check on every area of ``jobs``.

    ``jobs``, ``workplace`` (sum of T_d) and ``employed`` (APS employed residents) per area;
    ``members``: area -> its districts (a district: itself); ``publisher``: district -> the
    publisher's area (unit) its jobs are a share of; ``no_survey``: districts without APS
    figures (flagged: their supply is unknown). ``repairs``: units whose jobs ``jobs`` already
    carries repaired (their areas are warned, not flagged, when they pass); ``tried``: units
    whose repair did not hold (kept as published; their warning says what the repair gave).
    """
    repairs, tried = repairs or {}, tried or {}
    table = ratios(jobs, workplace, employed, national)
    table["flagged"] = ~table["ratio"].between(*TOLERANCE)
    failed_units = {unit for district, unit in publisher.items() if district in table.index and bool(table.at[district, "flagged"])}
    warnings: dict[str, list[str]] = {}
    flagged = set(table.index[table["flagged"]])
    for area, row in table.iterrows():
        districts = members.get(area, [area])
        label = f"{area} ({names.get(area, area)})"
        texts = warnings.setdefault(area, [])
        if row["flagged"]:
            texts.append(
                _failed(label, row, len(districts), [tried[u] for u in sorted({publisher.get(d) for d in districts} & set(tried))])
            )
        else:
            texts.extend(_repaired(label, row, districts, publisher, repairs))
            touched = sorted({publisher[district] for district in districts if publisher.get(district) in failed_units})
            if touched:
                inside = sum(publisher.get(district) in failed_units for district in districts)
                texts.append(
                    f"{label}: {inside} of its {len(districts)} districts are in "
                    f"{', '.join(names.get(unit, unit) for unit in touched)}, whose published jobs fail the alignment check; "
                    f"its own jobs are {row['ratio']:.2f} x what its districts' workplaces imply, inside the tolerance, but read its "
                    "gaps with care."
                )
        missing = [district for district in districts if district in no_survey]
        if missing:
            if len(missing) == len(districts):
                flagged.add(area)
            texts.append(
                f"{label}: "
                + (
                    "no APS survey estimates at all for this district, so its supply (people by qualification) is unknown: "
                    "not a number to quote."
                    if len(missing) == len(districts)
                    else f"includes {', '.join(names.get(d, d) for d in missing)}, which has no APS survey estimates (counted as no people)."
                )
            )
    table["flagged"] = table.index.isin(sorted(flagged))
    table["repaired"] = [any(publisher.get(d) in repairs for d in members.get(area, [area])) for area in table.index]
    return Alignment(
        table=table.rename_axis("area").reset_index(),
        warnings={area: tuple(texts) for area, texts in warnings.items() if texts},
        flagged=frozenset(flagged),
    )


def _failed(label: str, row: pd.Series, count: int, tried: list[Repair]) -> str:
    text = (
        f"{label}: ALIGNMENT CHECK FAILED - its jobs ({row['jobs'] / 1e3:,.0f}k a year, 2018-20) are "
        f"{row['ratio']:.2f} x what the workplaces of its {count} district{'s' if count != 1 else ''} imply "
        f"({row['workplace_jobs'] / 1e3:,.0f}k; tolerance {TOLERANCE[0]:.2f}-{TOLERANCE[1]:.2f}; jobs per employed resident "
        f"{row['residents_ratio']:.2f} x England's). Demand and supply do not cover the same places, so its gaps are not "
        "comparable with other areas' and it is left out of rankings."
    )
    for repair in tried:
        text += (
            f" No repair holds for {repair.name}: jobs taken from {REPAIR_EVIDENCE} ({repair.factor:.2f} times the published) "
            f"would still be outside the tolerances, so its published jobs are kept."
        )
    return text


def _repaired(label: str, row: pd.Series, districts: list[str], publisher: dict[str, str], repairs: dict[str, Repair]) -> list[str]:
    """The warning of an area (passing the check) some of whose districts' jobs are repaired."""
    units = sorted({publisher[district] for district in districts if publisher.get(district) in repairs})
    if not units:
        return []
    inside = sum(publisher.get(district) in repairs for district in districts)
    now = (
        f"its jobs are now {row['ratio']:.2f} x what the workplaces of its {len(districts)} district{'s' if len(districts) != 1 else ''} "
        f"imply and {row['residents_ratio']:.2f} x England's jobs per employed resident"
    )
    if len(units) == 1 and inside == len(districts):
        repair = repairs[units[0]]
        return [
            f"{label}: {repair.text()}. SI2035's {repair.name} workbook ({repair.published / 1e3:,.0f}k jobs a year, 2018-20) "
            f"failed the alignment check at {repair.ratio:.2f} x what its districts' workplaces imply (tolerance "
            f"{TOLERANCE[0]:.2f}-{TOLERANCE[1]:.2f}): the workbook and its districts do not cover the same places. Its demand "
            f"is the published x {repair.factor:.2f} in every classification and year (SI2035's own projection too); {now}."
        ]
    parts = "; ".join(f"{repairs[unit].name}: {repairs[unit].text()}" for unit in units)
    return [
        f"{label}: {inside} of its {len(districts)} districts are in {' and '.join(repairs[unit].name for unit in units)}, "
        f"whose published jobs failed the alignment check ({parts}); {now}."
    ]
