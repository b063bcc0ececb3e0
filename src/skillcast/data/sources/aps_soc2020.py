"""Annual Population Survey on SOC 2020 and RQF (ONS via NOMIS, as the DfE Local Skills
Dashboard pulled it in September 2025): employment by occupation and industry, and highest
qualification by age. Folder ``aps_soc2020_dfe/``; two files.

``aps_nomis_dfe_employment_soc2020_by_area_*.csv`` (long: ``area_type, area_name, metric,
age, breakdown, subgroup, soc2020_submajor, period, value``), counts of people by where
they live, for England, 38 LSIPs, 16 combined authorities (``MCA``, the GLA among them) and
350 Great Britain districts (``LADU``, by name only):

* metrics -> measures: ``inemployment`` (16+) -> ``employment_residence``,
  ``selfemployed`` (16+) -> ``self_employed``, ``unemployed`` (16+) -> ``unemployed``,
  ``inactive`` (16-64) -> ``economically_inactive``, and ``all`` (everyone 16+) ->
  ``population_16_plus``: the contract's ``population`` is people 16-64, so the 16+ count
  is kept apart rather than mixed into it. The ``age`` column is checked against these.
  (``employment_residence``, ``self_employed`` and ``unemployed`` name no age in the
  contract; here they are 16+, in ``local-skills-time-series`` 16-64: compare within a
  source.)
* breakdowns -> classifications: ``Total`` -> ``all``/``all``; ``Occupation (SOC2020
  Sub-Major Group)`` -> ``soc2020_submajor`` with the two-digit code (11 ... 92, the 26
  groups of SOC 2020); ``Industry`` -> ``industry_broad``, the 9 broad groups under slugged
  names (the published "Agricuture and fishing" is read as agriculture).
* periods are April-March years (``2021-04/2022-03``). The panel's ``period`` is the year
  the April-March year ends (2022 for 2021/22), so it sits beside calendar years and the
  October-September years of ``local-skills-time-series`` as "year ending in", never the
  same months: ``result.tables["aps_soc2020_periods"]`` (``measure, period, label,
  months``) keeps each period's label as published, so outputs can show it as published.
* an empty value is suppressed: counted in ``result.suppressed`` under ``(blank)`` and left
  out of the panel. Occupation cells before 2021/22 are empty in every area, England too:
  the APS codes occupations to SOC 2020 only from January 2021, so they were never
  published; they are left out and noted, not counted as suppressed (``result.suppressed``
  then gives the README's suppressed shares: districts 34%, LSIPs 3.5%, MCAs 2.9%).

``*.rds`` is the dashboard's data-download table (an R data frame: ``Area, metric,
metricNeat, Breakdown, Subgroup, Period, valueText``). Only APS highest qualification
(table T19 / T19a, metrics ``qualNone, qualL1, qualL2, qualL3, qualL4, qualOther,
qualApp``) is read: people aged 16-64 (measure ``population``), calendar years Jan-Dec
2020-2024 (``period`` the year). The dashboard's ``importQualification.R`` pulls T19 (NVQ)
for 2020-2021 and T19a (RQF, which replaced NVQ in January 2022) for 2022 on, though its
``metricNeat`` says "NVQ" throughout; the two are not comparable, so each keeps its own
classification, as ``aps-qualifications`` names the NVQ-era categories:

===========  ==========================  ===========================
metric       2020-2021 (``nvq``)          2022 on (``aps_rqf``)
===========  ==========================  ===========================
qualNone     none                        none
qualL1       nvq1                        rqf1
qualL2       nvq2                        rqf2
qualL3       nvq3                        rqf3
qualL4       nvq4 (NVQ4 and above)       rqf4plus (RQF4 and above)
qualApp      trade_apprenticeships       (T19a has no such category)
qualOther    other                       other
===========  ==========================  ===========================

``Breakdown`` ``Total`` (all 16-64s) -> classification ``nvq`` / ``aps_rqf``; ``Age``
(16-19 ... 50-64) -> ``age_band|nvq`` / ``age_band|aps_rqf``, the crossed form
``skills.supply`` reads (``AGE_CLASSIFICATION``) and ``aps-qualifications`` writes.
``Gender`` is left out: the contract has no sex classification and nothing uses one.
Areas are ``<name> LADU | LSIP | MCA`` or ``England``. Blank ``valueText`` is suppressed,
as above; numbers printed by R as ``1e+05`` are read as numbers.

Everything else in the .rds is ignored, so that each figure enters the store once, from
its original: its APS employment rows are the CSV above (read there); its SI2035
projections are the workbooks ``si2035`` reads; Textkernel adverts are ONS's, read by
``job-adverts``; FE participation and achievements come from DfE's FE statistics
(``local-skills-time-series`` holds the dashboard's earlier cut); UK Business Counts,
business demography and KS4/KS5 destinations are other publications skillcast does not use.
Most of those are also rates or snapshots, not annual counts of people.

Area names are matched to codes one file and area type at a time; names no code fits
(Scottish districts, the Greater London Authority) are kept under ``type:slug`` codes and
reported. Errors name the file, line, column and value; in the .rds a row is numbered as
the line it would have in a CSV with a header (its first row is line 2).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyreadr

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError, validate
from skillcast.data.sources.common import SourceResult, map_labels, match_areas, parse_counts, raise_first_bad, read_csv_checked

NAME = "aps-soc2020"
FILES = ("aps_soc2020_dfe/aps_nomis_dfe_employment_soc2020_by_area_*.csv", "aps_soc2020_dfe/*.rds")
SOURCE = "ONS Annual Population Survey (NOMIS), pulled by DfE Local Skills Dashboard"
FETCHED_SOURCE = "ONS Annual Population Survey (NOMIS), fetched by skillcast fetch nomis"
VINTAGE = "dfe-lsip-dashboard-2025-09-04"
PERIODS_TABLE = "aps_soc2020_periods"

# -- the employment CSV
CSV_COLUMNS = ["area_type", "area_name", "metric", "age", "breakdown", "subgroup", "soc2020_submajor", "period", "value"]
CSV_AREA_TYPES = {"country": "country", "lsip": "lsip", "mca": "mca", "ladu": "lad"}
# published metric -> (measure, the age range it must be published for)
METRICS: dict[str, tuple[str, str]] = {
    "inemployment": ("employment_residence", "16+"),
    "selfemployed": ("self_employed", "16+"),
    "unemployed": ("unemployed", "16+"),
    "all": ("population_16_plus", "16+"),
    "inactive": ("economically_inactive", "16-64"),
}
BREAKDOWNS = {"total": "all", "occupation (soc2020 sub-major group)": "soc2020_submajor", "industry": "industry_broad"}
INDUSTRIES = {
    "agriculture and fishing": "agriculture_and_fishing",
    "agricuture and fishing": "agriculture_and_fishing",  # as published (sic)
    "energy and water": "energy_and_water",
    "manufacturing": "manufacturing",
    "construction": "construction",
    "distribution, hotels and restaurants": "distribution_hotels_and_restaurants",
    "transport and communication": "transport_and_communication",
    "banking finance and insurance etc.": "banking_finance_and_insurance",
    "public admin education and health": "public_admin_education_and_health",
    "other services": "other_services",
}
SOC2020_SUBMAJOR = ("11 12 21 22 23 24 31 32 33 34 35 41 42 51 52 53 54 61 62 63 71 72 81 82 91 92").split()
FIRST_SOC2020_PERIOD = 2022  # Apr 2021-Mar 2022: the first April-March year coded to SOC 2020 throughout
APRIL_TO_MARCH = r"(\d{4})-04/(\d{4})-03"

# -- the dashboard's .rds
RDS_COLUMNS = ["Area", "metric", "metricNeat", "Breakdown", "Subgroup", "Period", "valueText"]
RQF_FROM = 2022  # T19a (RQF) replaced T19 (NVQ) from Jan-Dec 2022
# published metric -> (code in the NVQ years, code in the RQF years; None: not published then)
QUALIFICATIONS: dict[str, tuple[str, str | None]] = {
    "qualNone": ("none", "none"),
    "qualL1": ("nvq1", "rqf1"),
    "qualL2": ("nvq2", "rqf2"),
    "qualL3": ("nvq3", "rqf3"),
    "qualL4": ("nvq4", "rqf4plus"),
    "qualApp": ("trade_apprenticeships", None),
    "qualOther": ("other", "other"),
}
QUAL_AGE_BANDS = ("16-19", "20-24", "25-29", "30-39", "40-49", "50-64")
QUAL_BREAKDOWNS = ("Total", "Age", "Gender")  # Gender rows are skipped (see module docstring)
RDS_AREA_SUFFIXES = {" LADU": "lad", " LSIP": "lsip", " MCA": "mca"}
JANUARY_TO_DECEMBER = r"Jan (\d{4})-Dec (\d{4})"


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """The employment CSV and the dashboard's .rds, told apart by their suffix: one panel."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    panels, periods = [], []
    for path in result.files:
        if path.suffix.lower() == ".csv":
            panel, labels = _read_employment(path, geography, result)
        elif path.suffix.lower() == ".rds":
            panel, labels = _read_qualifications(path, geography, result)
        else:
            raise DataError(f"{path}: not a file of this source; expected the APS employment CSV or the dashboard's .rds")
        panels.append(panel)
        periods.append(labels)
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    if result.areas is not None:
        result.areas = result.areas.drop_duplicates("area").reset_index(drop=True)
    if panels:
        result.panel = validate(pd.concat(panels, ignore_index=True), source=NAME)
        table = pd.concat(periods, ignore_index=True).drop_duplicates()
        result.tables[PERIODS_TABLE] = table.sort_values(["measure", "period"]).reset_index(drop=True)
        result.last_observed = _last_labels(result.panel, result.tables[PERIODS_TABLE])
    return result


def _last_labels(panel: pd.DataFrame, periods: pd.DataFrame) -> str:
    """The last occupation year and the last qualification year, as published ("Apr 2024-Mar 2025 ...")."""
    parts = []
    for what, rows in (
        ("occupations", panel.loc[panel["classification"] == "soc2020_submajor"]),
        ("qualifications", panel.loc[panel["classification"].str.contains("rqf|nvq", regex=True)]),
    ):
        if rows.empty:
            continue
        year = int(rows["period"].max())
        label = periods.loc[(periods["period"] == year) & periods["measure"].isin(rows["measure"].unique()), "label"]
        parts.append(f"{what} {label.iloc[0] if len(label) else year}")
    return "; ".join(parts)


# -- the employment CSV ---------------------------------------------------------------------------


def _fetched(path: Path) -> str:
    """For a file ``skillcast fetch nomis`` wrote (``..._fetched.csv``), its vintage: "nomis-" and the
    day it was written; "" for the dashboard's own pull (``VINTAGE``)."""
    if not Path(path).stem.endswith("_fetched"):
        return ""
    return "nomis-" + datetime.fromtimestamp(Path(path).stat().st_mtime, UTC).strftime("%Y-%m-%d")


def _read_employment(path: Path, geography: Geography, result: SourceResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Employment, activity and population counts as panel rows, and their period labels."""
    raw = read_csv_checked(path, CSV_COLUMNS)
    metric = raw["metric"].str.strip().str.lower()
    raise_first_bad(~metric.isin(list(METRICS)), raw["metric"], path, "metric", f"one of {sorted(METRICS)}")
    measure = metric.map(lambda name: METRICS[name][0])
    age = metric.map(lambda name: METRICS[name][1])
    raise_first_bad(raw["age"].str.strip() != age, raw["age"], path, "age", "the metric's age range (16+; 16-64 for inactive)")
    classification = map_labels(raw["breakdown"], BREAKDOWNS, path, "breakdown")
    code = _category_codes(raw, classification, path)
    period, label = _april_to_march(raw["period"], path)

    unpublished = (classification == "soc2020_submajor") & (period < FIRST_SOC2020_PERIOD) & (raw["value"].str.strip() == "")
    if unpublished.any():
        result.notes.append(
            f"{path.name}: {int(unpublished.sum())} occupation cells before 2021/22 are empty (not coded to SOC 2020); left out"
        )
    kept = raw.index[~unpublished]
    value = parse_counts(raw.loc[kept, "value"], path, "value", result.suppressed)
    if value.isna().any():
        result.notes.append(f"{path.name}: {int(value.isna().sum())} cells suppressed (blank or a code); left out")
    area_type = map_labels(raw["area_type"], CSV_AREA_TYPES, path, "area_type")
    area = _area_codes(raw["area_name"].str.strip(), area_type, geography, result)

    rows = pd.DataFrame(
        {
            "area": area.loc[kept],
            "measure": measure.loc[kept],
            "classification": classification.loc[kept],
            "code": code.loc[kept],
            "period": period.loc[kept],
            "value": value,
            "source": FETCHED_SOURCE if _fetched(path) else SOURCE,
            "vintage": _fetched(path) or VINTAGE,
        }
    )
    present = value.notna()
    labels = pd.DataFrame({"measure": measure.loc[kept], "period": period.loc[kept], "label": label.loc[kept], "months": "Apr-Mar"})
    return rows.loc[present], labels.drop_duplicates()


def _category_codes(raw: pd.DataFrame, classification: pd.Series, path: Path) -> pd.Series:
    """``all`` for totals, the two-digit SOC 2020 code for occupations, a slug for industries."""
    subgroup = raw["subgroup"].str.strip()
    total, industry = classification == "all", classification == "industry_broad"
    raise_first_bad(total & (subgroup != "Total"), raw["subgroup"], path, "subgroup", "'Total' for breakdown Total")
    occupation = raw["soc2020_submajor"].str.strip()
    is_occupation = classification == "soc2020_submajor"
    bad_code = is_occupation & ~occupation.isin(SOC2020_SUBMAJOR)
    raise_first_bad(bad_code, raw["soc2020_submajor"], path, "soc2020_submajor", "a SOC 2020 sub-major code (11 ... 92)")
    named = pd.Series([text.startswith(f"{code} - ") for text, code in zip(subgroup, occupation, strict=True)], index=raw.index)
    mismatch = is_occupation & ~named
    raise_first_bad(
        mismatch, raw["subgroup"], path, "subgroup", "the occupation's name after its code, such as '11 - Corporate managers...'"
    )
    code = pd.Series("all", index=raw.index, dtype=object)
    code[is_occupation] = occupation[is_occupation]
    industry_code = subgroup.str.lower().map(INDUSTRIES)
    raise_first_bad(industry & industry_code.isna(), raw["subgroup"], path, "subgroup", f"an industry group, one of {sorted(INDUSTRIES)}")
    code[industry] = industry_code[industry]
    return code


def _april_to_march(text: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """'2021-04/2022-03' -> 2022, the year it ends; the label is kept as published."""
    label = text.str.strip()
    years = label.str.extract(f"^{APRIL_TO_MARCH}$").apply(pd.to_numeric)
    bad = years[0].isna() | (years[1] != years[0] + 1)
    raise_first_bad(bad, text, path, "period", "an April-March year such as '2021-04/2022-03'")
    return years[1].astype(int), label


# -- the dashboard's .rds ------------------------------------------------------------------------


def _read_qualifications(path: Path, geography: Geography, result: SourceResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """APS highest qualification of 16-64s, in total and by age band, as panel rows."""
    raw = _read_rds(path)
    metric = raw["metric"].str.strip()
    is_qualification = metric.str.startswith("qual")
    if not is_qualification.any():
        raise DataError(f"{path}: no APS qualification rows; expected metrics {list(QUALIFICATIONS)} (found {sorted(metric.unique())[:8]})")
    raise_first_bad(is_qualification & ~metric.isin(list(QUALIFICATIONS)), raw["metric"], path, "metric", f"one of {list(QUALIFICATIONS)}")
    breakdown = raw["Breakdown"].str.strip()
    bad_breakdown = is_qualification & ~breakdown.isin(QUAL_BREAKDOWNS)
    raise_first_bad(bad_breakdown, raw["Breakdown"], path, "Breakdown", f"one of {list(QUAL_BREAKDOWNS)}")
    gender = is_qualification & (breakdown == "Gender")
    if gender.any():
        result.notes.append(f"{path.name}: {int(gender.sum())} qualification rows by sex left out (no sex classification)")
    rows = raw.loc[is_qualification & ~gender]

    period = _january_to_december(rows["Period"], path)
    classification, code = _qualification_categories(rows, period, path)
    area = _rds_area_codes(rows["Area"], path, geography, result)
    value = parse_counts(rows["valueText"], path, "valueText", result.suppressed)
    blank = int(value.isna().sum())
    if blank:
        result.notes.append(f"{path.name}: {blank} qualification cells suppressed (blank or a code); left out")
    panel = pd.DataFrame(
        {
            "area": area,
            "measure": "population",
            "classification": classification,
            "code": code,
            "period": period,
            "value": value,
            "source": SOURCE,
            "vintage": VINTAGE,
        }
    )
    labels = pd.DataFrame({"measure": "population", "period": period, "label": rows["Period"].str.strip(), "months": "Jan-Dec"})
    return panel.loc[value.notna()], labels.drop_duplicates()


def _read_rds(path: Path) -> pd.DataFrame:
    """The one data frame of an .rds, as text ('' for NA); one-line errors for anything else."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        frames = pyreadr.read_r(path)
    except (pyreadr.custom_errors.PyreadrError, pyreadr.custom_errors.LibrdataError) as error:
        raise DataError(f"{path}: not a readable R data file ({error}); expected the dashboard's .rds download table") from None
    if len(frames) != 1:
        raise DataError(f"{path}: expected one R data frame, found {len(frames)} objects")
    frame = next(iter(frames.values()))
    missing = [column for column in RDS_COLUMNS if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; expected the dashboard's download table {RDS_COLUMNS}")
    frame = frame[RDS_COLUMNS].reset_index(drop=True)
    return frame.astype(object).where(frame.notna(), "").astype(str)


def _january_to_december(text: pd.Series, path: Path) -> pd.Series:
    """'Jan 2022-Dec 2022' -> 2022."""
    years = text.str.strip().str.extract(f"^{JANUARY_TO_DECEMBER}$").apply(pd.to_numeric)
    bad = years[0].isna() | (years[1] != years[0])
    _raise_first_bad_row(bad, text, path, "Period", "a calendar year such as 'Jan 2022-Dec 2022'")
    return years[0].astype(int)


def _qualification_categories(rows: pd.DataFrame, period: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
    """Classification and code per row: NVQ before ``RQF_FROM``, RQF after; age bands crossed."""
    metric = rows["metric"].str.strip()
    rqf = period >= RQF_FROM
    level = pd.Series([QUALIFICATIONS[name][1] if later else QUALIFICATIONS[name][0] for name, later in zip(metric, rqf, strict=True)])
    level.index = rows.index
    _raise_first_bad_row(level.isna(), rows["metric"], path, "metric", f"a metric T19a publishes from {RQF_FROM} (no qualApp)")
    system = pd.Series("nvq", index=rows.index).mask(rqf, "aps_rqf")
    subgroup = rows["Subgroup"].str.strip()
    by_age = rows["Breakdown"].str.strip() == "Age"
    _raise_first_bad_row(by_age & ~subgroup.isin(QUAL_AGE_BANDS), rows["Subgroup"], path, "Subgroup", f"one of {list(QUAL_AGE_BANDS)}")
    _raise_first_bad_row(~by_age & (subgroup != "Total"), rows["Subgroup"], path, "Subgroup", "'Total' for Breakdown Total")
    classification = system.where(~by_age, "age_band|" + system)
    code = level.where(~by_age, subgroup + "|" + level)
    return classification, code


def _rds_area_codes(names: pd.Series, path: Path, geography: Geography, result: SourceResult) -> pd.Series:
    """'Adur LADU' -> district code; 'England' -> country; the type is the name's suffix."""
    names = names.str.strip()
    area_type = pd.Series("", index=names.index)
    bare = names.copy()
    for suffix, kind in RDS_AREA_SUFFIXES.items():
        has = names.str.endswith(suffix)
        area_type[has], bare[has] = kind, names[has].str[: -len(suffix)]
    area_type[names == "England"] = "country"
    expected = f"a name ending {sorted(suffix.strip() for suffix in RDS_AREA_SUFFIXES)}, or 'England'"
    _raise_first_bad_row(area_type == "", names, path, "Area", expected)
    return _area_codes(bare, area_type, geography, result)


def _raise_first_bad_row(bad: pd.Series, values: pd.Series, path: Path, column: str, expected: str) -> None:
    """``raise_first_bad`` for a subset of rows: the line comes from the row's index, not its position."""
    if bad.any():
        row = bad.index[bad.to_numpy().nonzero()[0][0]]
        raise DataError(f"{path}: line {row + 2}, column {column!r}, value {values[row]!r}: expected {expected}")


# -- shared ----------------------------------------------------------------------------------------


def _area_codes(names: pd.Series, area_type: pd.Series, geography: Geography, result: SourceResult) -> pd.Series:
    """Codes for area names, matched one area type at a time; unmatched names reported."""
    codes = pd.Series("", index=names.index, dtype=object)
    for kind, rows in names.groupby(area_type, sort=False):
        codes[rows.index] = match_areas(rows, kind, geography, result)
    return codes
