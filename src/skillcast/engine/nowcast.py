"""Newer data in the jump-off: England's occupational mix from the Annual Population Survey.

The Skills Imperative 2035 history ends in 2020; the APS counts employed people by
occupation every year and is published within months. Its *mix* (each SOC major group's
share of England's employment) moves with SI2035's (year-on-year correlation 0.79-0.95,
2016-2020), so ``national_mix`` uses it to move England's mix one year past the last
observed year (``NationalMixForecaster.mix_signal``). Measured at cutoffs 2015-2019 with
the APS year after each cutoff: BENCHMARKS.md ("newer data").

What is not used, and why: APS *levels* and *local* figures. The APS counts residents aged
16-64 where they live; SI2035 counts jobs where they are, at any age, self-employed
included: England's jobs per employed resident are 1.15, from 0.93 to 1.33 by area, and
the yearly changes of areas' shares of England in the two sources are uncorrelated
(-0.05 to +0.02). Local APS occupation shares are mostly survey noise (correlation +0.01
with SI2035's). So only England's mix crosses from one source to the other.

SOC 2010 and SOC 2020: the survey's major group m stands in for SOC 2020 major group m
(the codes of nine major groups barely moved), its sub-major group s for SOC 2020's s.
Changes are only ever taken between two years of the *same* survey classification *and*
coding: the survey's 2021 figures on SOC 2010 were coded to SOC 2020 at source
(``CODING_BREAKS``), so no change into 2021 is taken. The survey on SOC 2020 (the DfE
dashboard's pull, ``aps-soc2020``: Apr-Mar years 2021/22-2024/25, labelled 2022-2025 by the
year they end) gives changes *within* SOC 2020 from 2022 to 2025 (``survey_mix_signal``):
no change from 2020 (SOC 2010) to 2022 (SOC 2020) is ever taken, so in production the mix
follows the model's trend for 2021 and 2022 and the survey's changes for 2023-2025
(``NationalMixForecaster.nowcast_years``). An Apr-Mar year stands for the calendar year it
ends in (three months' difference, stated rather than corrected).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.data.sources.lookups import ENGLAND
from skillcast.engine.national_mix import MixSignal

APS_SOURCE = "aps-occupations"  # the store source that holds the survey's occupations (SOC 2010, to 2020)
SOC2020_SOURCE = "aps-soc2020"  # ... and on SOC 2020 (Apr-Mar years 2021/22 on, labelled by the year they end)
SOC2020_CLASSIFICATION = "soc2020_submajor"
APS_MEASURE = "employment_residence"  # its measure
APS_CLASSIFICATION = "soc2010_submajor"
# A survey classification's first year coded differently at source: no change into it (or later) is taken.
# The APS coded occupations to SOC 2020 from January 2021 (and ONS later found errors in that coding
# between professional and associate professional groups); its 2021 figures on SOC 2010 move England's
# sub-majors by up to 36% in a year (91 +35.9%, 21 +18.7%, 31 -12.8%, 33 -11.9%) against at most 16% in
# any earlier year, 2020's pandemic included: a break of coding, not a change of the labour market.
CODING_BREAKS: dict[str, int] = {"soc2010_submajor": 2021}


def occupation_mix_signal(
    panel: pd.DataFrame,
    area: str = ENGLAND,
    measure: str = APS_MEASURE,
    classification: str = APS_CLASSIFICATION,
    target: tuple[str, str] = ("employment", "soc2020_major"),
    sub_target: str | None = "soc2020_submajor",
    coding_break: int | None = None,
) -> MixSignal:
    """England's log share of employment by major group and by sub-major group, year by year,
    from survey rows (``panel``: any rows; those of ``area``, ``measure`` and
    ``classification`` are used), labelled as the ``target`` (measure, classification) the
    model forecasts and, for sub-majors, ``sub_target`` (None: major groups only).

    Sub-major counts are summed to their major group (the code's first digit); a year
    missing any sub-major group is left out rather than read as a change of mix. A survey
    sub-major code stands in for the same code of ``sub_target`` (SOC 2010's 25 sub-majors for
    SOC 2020's 26: 63 has no counterpart and follows its major group); how far the forecast
    follows a sub-major's movement within its major is measured in the model
    (``national_mix.within_parent_weight``).

    Years from ``coding_break`` on (default: ``CODING_BREAKS`` of the classification) are left
    out: a change across a switch of coding at source is not a change of mix."""
    coding_break = coding_break if coding_break is not None else CODING_BREAKS.get(classification)
    rows = panel.loc[(panel["area"] == area) & (panel["measure"] == measure) & (panel["classification"] == classification)]
    if coding_break is not None:
        rows = rows.loc[rows["period"] < coding_break]
    if rows.empty:
        return ()
    complete = rows.groupby("period")["value"].apply(lambda values: bool(values.notna().all()))
    sub_majors = rows["code"].nunique()
    counts = rows.groupby("period")["code"].nunique()
    years = [int(year) for year in complete.index if complete[year] and counts[year] == sub_majors]
    rows = rows.loc[rows["period"].isin(years)].assign(code=rows["code"].astype(str))
    by_sub_major = rows.groupby(["code", "period"])["value"].sum().unstack("period")
    by_major = by_sub_major.groupby(by_sub_major.index.str[:1]).sum()
    measure_out, classification_out = target
    signal = []
    for label, counts_by_year in ((classification_out, by_major), (sub_target, by_sub_major)):
        if label is None:
            continue
        log_share = np.log(counts_by_year / counts_by_year.sum(axis=0))
        signal += [
            (measure_out, label, str(code), int(year), float(log_share.at[code, year]))
            for code in log_share.index
            for year in log_share.columns
        ]
    return tuple(signal)


def survey_mix_signal(panel: pd.DataFrame | None) -> MixSignal:
    """England's mix from every coding of the survey a store holds: SOC 2010 sub-majors up to
    their coding break and SOC 2020 sub-majors (``SOC2020_SOURCE``), each a classification of
    its own, so a change is only ever taken within one (see the module docstring)."""
    if panel is None or panel.empty:
        return ()
    soc2010 = occupation_mix_signal(panel)
    soc2020 = occupation_mix_signal(panel, classification=SOC2020_CLASSIFICATION, coding_break=None)
    if not soc2010 or not soc2020:
        return soc2010 or soc2020
    first_soc2020 = min(year for *_, year, _ in soc2020)
    if first_soc2020 - 1 in {year for *_, year, _ in soc2010}:
        # two codings in consecutive years would read as a change of mix: keep them apart by a year
        soc2020 = tuple(row for row in soc2020 if row[3] > first_soc2020)
    return soc2010 + soc2020
