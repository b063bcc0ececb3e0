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

A flagged area keeps its figures, always with its warning, and is left out of rankings
(apprenticeship priorities); never shown as a plain number. The earlier guard (people
16-64 per job outside 0.7-1.8) let Enterprise M3 (1.73) through.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

TOLERANCE = (0.80, 1.25)  # jobs / workplace-implied jobs of the same districts (England = 1)
RESIDENTS_TOLERANCE = (0.70, 1.45)  # jobs / APS employed residents (England = 1), commuting not allowed for


@dataclass(frozen=True)
class Alignment:
    table: pd.DataFrame  # area, jobs, workplace_jobs, employed, ratio, residents_ratio, flagged
    warnings: dict[str, tuple[str, ...]]  # area -> what to read before quoting its figures
    flagged: frozenset[str]


def check(
    jobs: pd.Series,
    workplace: pd.Series,
    employed: pd.Series,
    national: str,
    names: dict[str, str],
    members: dict[str, list[str]],
    publisher: dict[str, str],
    no_survey: tuple[str, ...] = (),
) -> Alignment:
    """The check on every area of ``jobs``.

    ``jobs``, ``workplace`` (sum of T_d) and ``employed`` (APS employed residents) per area;
    ``members``: area -> its districts (a district: itself); ``publisher``: district -> the
    publisher's area (unit) its jobs are a share of; ``no_survey``: districts without APS
    figures (flagged: their supply is unknown).
    """
    kappa = jobs[national] / workplace[national]
    table = pd.DataFrame({"jobs": jobs, "workplace_jobs": kappa * workplace.reindex(jobs.index), "employed": employed.reindex(jobs.index)})
    table["ratio"] = table["jobs"] / table["workplace_jobs"]
    table["residents_ratio"] = (table["jobs"] / table["employed"]) / (jobs[national] / employed[national])
    table["flagged"] = ~table["ratio"].between(*TOLERANCE)
    failed_units = {unit for district, unit in publisher.items() if district in table.index and bool(table.at[district, "flagged"])}
    warnings: dict[str, list[str]] = {}
    flagged = set(table.index[table["flagged"]])
    for area, row in table.iterrows():
        districts = members.get(area, [area])
        if row["flagged"]:
            warnings.setdefault(area, []).append(
                f"{area} ({names.get(area, area)}): ALIGNMENT CHECK FAILED - its jobs ({row['jobs'] / 1e3:,.0f}k a year, 2018-20) are "
                f"{row['ratio']:.2f} x what the workplaces of its {len(districts)} district{'s' if len(districts) != 1 else ''} imply "
                f"({row['workplace_jobs'] / 1e3:,.0f}k; tolerance {TOLERANCE[0]:.2f}-{TOLERANCE[1]:.2f}; jobs per employed resident "
                f"{row['residents_ratio']:.2f} x England's). Demand and supply do not cover the same places, so its gaps are not "
                "comparable with other areas' and it is left out of rankings."
            )
        else:
            touched = sorted({publisher[district] for district in districts if publisher.get(district) in failed_units})
            if touched:
                inside = sum(publisher.get(district) in failed_units for district in districts)
                warnings.setdefault(area, []).append(
                    f"{area} ({names.get(area, area)}): {inside} of its {len(districts)} districts are in "
                    f"{', '.join(names.get(unit, unit) for unit in touched)}, whose published jobs fail the alignment check; "
                    f"its own jobs are {row['ratio']:.2f} x what its districts' workplaces imply, inside the tolerance, but read its "
                    "gaps with care."
                )
        missing = [district for district in districts if district in no_survey]
        if missing:
            if len(missing) == len(districts):
                flagged.add(area)
            warnings.setdefault(area, []).append(
                f"{area} ({names.get(area, area)}): "
                + (
                    "no APS survey estimates at all for this district, so its supply (people by qualification) is unknown: "
                    "not a number to quote."
                    if len(missing) == len(districts)
                    else f"includes {', '.join(names.get(d, d) for d in missing)}, which has no APS survey estimates (counted as no people)."
                )
            )
    table["flagged"] = table.index.isin(sorted(flagged))
    return Alignment(
        table=table.rename_axis("area").reset_index(),
        warnings={area: tuple(texts) for area, texts in warnings.items()},
        flagged=frozenset(flagged),
    )
