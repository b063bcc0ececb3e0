"""DfE Local Skills Dashboard time series: APS labour-market counts and FE learners by area.

Reads ``dfe_local_skills_time_series_emp_fe_2017_2022.csv`` (folder
``aps_local_skills_dfe/``; long: ``area, geographic_level, time_period, metric, value``)
for districts (``LADU``), LEPs, LSIPs, combined authorities (``MCA``) and England.

Two publications share the file, and their periods mean different things:

* APS (ONS Annual Population Survey), people aged 16-64. ``time_period`` 2018 is the year
  October 2017 - September 2018, so ``period`` is the year it ends (2018). (The APS
  qualification and occupation files are calendar years; do not mix the two as one year.)
* FE and skills (DfE, ILR) learners. ``time_period`` 201617 is the academic year
  August 2016 - July 2017; ``period`` is the calendar year it ends in (2017), so both
  publications' periods are "year ending in".

Counts become panel rows (classification ``all``, code ``all``): ``All`` -> population,
``Economically Active`` -> economically_active, ``Employment`` -> employment_residence,
``Employees`` -> employees, ``Self Employed`` -> self_employed, ``Unemployed`` ->
unemployed, ``Inactive`` -> economically_inactive, ``starts`` / ``participation`` /
``achievements`` -> fe_starts / fe_participation / fe_achievements. Rates (``empRate``
...; ``*_rate_per_100000_population``) are not counts of people, so they go to
``result.tables["local_skills_rates"]`` (``area, metric, period, value``) instead; their
blank cells are noted, not counted in ``result.suppressed`` (which describes the panel).

Area names are matched separately for APS and FE rows: APS uses NOMIS's short names
(``Barrow``, ``Stockton``) and FE the full ones, and matched together the full name would
claim the district and leave the short one unmatched. Two names of one type that land on
one code (``Norfolk and Suffolk`` and ``Norfolk and Suffolk (Greater Anglia)``, whose
figures differ) would make duplicate rows: the name carrying a bracketed qualifier that
the matcher ignored is kept apart under its own ``type:slug`` code and reported, as are
names no code fits (``Outside of England and unknown``, LEPs re-formed in 2021).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError, validate
from skillcast.data.sources.common import (
    SourceResult,
    map_labels,
    match_areas,
    parse_counts,
    raise_first_bad,
    read_csv_checked,
    read_header,
    unmatched_area_code,
)

NAME = "local-skills-time-series"
FILES = ("aps_local_skills_dfe/dfe_local_skills_time_series_emp_fe_2017_2022.csv",)
SOURCE = "ONS Annual Population Survey and DfE FE and skills (ILR), processed by DfE Local Skills Dashboard"
VINTAGE = "dfe-lsip-dashboard"
COLUMNS = ["area", "geographic_level", "time_period", "metric", "value"]
AREA_TYPES = {"ladu": "lad", "lep": "lep", "lsip": "lsip", "mca": "mca", "country": "country"}
COUNT_METRICS: dict[str, str] = {
    "All": "population",
    "Economically Active": "economically_active",
    "Employment": "employment_residence",
    "Employees": "employees",
    "Self Employed": "self_employed",
    "Unemployed": "unemployed",
    "Inactive": "economically_inactive",
    "starts": "fe_starts",
    "participation": "fe_participation",
    "achievements": "fe_achievements",
}
RATE_METRICS = frozenset(
    {
        "empRate",
        "selfempRate",
        "unempRate",
        "inactiveRate",
        "starts_rate_per_100000_population",
        "participation_rate_per_100000_population",
        "achievements_rate_per_100000_population",
    }
)


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """The time-series file(s): counts as one panel, rates as a reference table."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    panels, rates = [], []
    for path in result.files:
        header = read_header(path)
        if not {"time_period", "metric"} <= set(header):
            raise DataError(f"{path}: not the DfE local skills time series; expected columns {COLUMNS}")
        panel, rate = _read_file(path, geography, result)
        panels.append(panel)
        rates.append(rate)
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    if result.areas is not None:
        result.areas = result.areas.drop_duplicates("area").reset_index(drop=True)
    if panels:
        result.panel = validate(pd.concat(panels, ignore_index=True), source=NAME)
        result.tables["local_skills_rates"] = pd.concat(rates, ignore_index=True)
        warning = empty_starts_warning(result.panel)
        if warning:
            result.notes.append(warning)
    return result


def empty_starts_warning(panel: pd.DataFrame) -> str | None:
    """A warning when FE ``starts`` carry no information (every row empty or zero, as published to 2021)."""
    starts = panel.loc[panel["measure"] == "fe_starts", "value"]
    if starts.empty or (starts.fillna(0) != 0).any():
        return None
    return (
        f"WARNING: {NAME}: fe_starts is empty or zero in all {len(starts):,} rows; starts are treated as missing "
        "(priorities show FE participation and achievements instead)"
    )


def _read_file(path: Path, geography: Geography, result: SourceResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = read_csv_checked(path, COLUMNS)
    metric = raw["metric"].str.strip()
    unknown = ~metric.isin(list(COUNT_METRICS)) & ~metric.isin(list(RATE_METRICS))
    raise_first_bad(unknown, raw["metric"], path, "metric", f"a count {sorted(COUNT_METRICS)} or a rate {sorted(RATE_METRICS)}")
    area_type = map_labels(raw["geographic_level"], AREA_TYPES, path, "geographic_level")
    period, academic = _periods(raw["time_period"], path)

    names = raw["area"].str.strip()
    area = pd.Series("", index=raw.index)
    for (_, one_type), rows in names.groupby([academic, area_type], sort=False):
        area[rows.index] = _codes(rows, one_type, geography, result)

    is_count = metric.isin(list(COUNT_METRICS))
    counts = raw.loc[is_count]
    panel = pd.DataFrame(
        {
            "area": area[is_count],
            "measure": metric[is_count].map(COUNT_METRICS),
            "classification": "all",
            "code": "all",
            "period": period[is_count],
            "value": parse_counts(counts["value"], path, "value", result.suppressed),
            "source": SOURCE,
            "vintage": VINTAGE,
        }
    )
    rate_suppressed: Counter = Counter()
    rates = pd.DataFrame(
        {
            "area": area[~is_count],
            "metric": metric[~is_count],
            "period": period[~is_count],
            "value": parse_counts(raw.loc[~is_count, "value"], path, "value", rate_suppressed),
        }
    ).reset_index(drop=True)
    if rate_suppressed:
        result.notes.append(
            f"{path.name}: rates table has {sum(rate_suppressed.values())} suppressed or blank cells {dict(rate_suppressed)}"
        )
    return panel, rates


def _periods(text: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """Year ending: APS '2018' -> 2018; FE academic year '201617' -> 2017. Also which is FE."""
    stripped = text.str.strip()
    academic = stripped.str.fullmatch(r"\d{6}")
    start, end = pd.to_numeric(stripped.str[:4], errors="coerce"), pd.to_numeric(stripped.str[4:], errors="coerce")
    consecutive = (start + 1) % 100 == end
    bad = ~(stripped.str.fullmatch(r"\d{4}") | (academic & consecutive))
    raise_first_bad(bad, text, path, "time_period", "a year (2018) or an academic year (201617)")
    period = start.where(~academic, start + 1).astype(int)
    return period, academic


def _codes(names: pd.Series, area_type: str, geography: Geography, result: SourceResult) -> pd.Series:
    """Codes for one group of names; a bracket-qualified name sharing a code is kept apart."""
    codes = match_areas(names, area_type, geography, result)
    pairs = pd.DataFrame({"name": names, "code": codes}).drop_duplicates()
    shared = pairs["code"].duplicated(keep=False) & pairs["name"].str.contains("(", regex=False)
    for name in pairs.loc[shared, "name"]:  # a handful at most
        own = unmatched_area_code(area_type, name)
        codes = codes.mask(names == name, own)
        result.unmatched_areas.append(f"{area_type} {name!r} (shares its code with another published name)")
        extra = pd.DataFrame({"area": [own], "name": [name], "type": area_type, "parent": ""})
        result.areas = extra if result.areas is None else pd.concat([result.areas, extra], ignore_index=True)
    return codes
