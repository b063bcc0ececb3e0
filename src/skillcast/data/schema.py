"""The data contract: one long table that every stage reads and writes.

Every source, the demo generator, the engine and the service speak this one format
(after Nixtla's long ``unique_id, ds, y``), so a new source needs only a reader and a new
model needs only ``fit``/``predict``.

Columns
    area            area code as published (GSS code such as ``E08000003`` or a source's own
                    id such as ``GM_LSIP``); names, types and parents live in ``Geography``.
    measure         what is counted (see ``MEASURES``).
    classification  the category system (see ``CLASSIFICATIONS``); ``all`` is the grand total.
    code            the category within the classification; ``all`` for the grand total.
    period          the year, an int.
    value           a count of people or jobs (never thousands).

Optional columns: ``source`` (who published it), ``vintage`` (which release),
``projection`` (True for a publisher's projection, which is never an observation: the
engine trains only on rows where it is False) and ``ci95`` (half-width of a survey's own
95% confidence interval, in the units of ``value``; NaN where not published).

Crossed categories (e.g. age band by qualification) join classification names and codes
with ``|`` in the same order: classification ``age_band|nvq``, code ``25-29|nvq4``.

A *series* is one (area, measure, classification, code).
"""

from __future__ import annotations

import pandas as pd

REQUIRED_COLUMNS: tuple[str, ...] = ("area", "measure", "classification", "code", "period", "value")
OPTIONAL_COLUMNS: tuple[str, ...] = ("source", "vintage", "projection", "ci95")
SERIES_KEY: list[str] = ["area", "measure", "classification", "code"]
CROSS = "|"

MEASURES: dict[str, str] = {
    "employment": "jobs (workplace-based), people in employment incl. self-employed",
    "employment_residence": "people in employment by where they live (APS)",
    "employees": "people in employment as employees (APS, residence)",
    "self_employed": "self-employed people (APS, residence)",
    "unemployed": "unemployed people (APS, residence)",
    "economically_active": "economically active people aged 16-64",
    "economically_inactive": "economically inactive people aged 16-64",
    "population": "people aged 16-64 (residence-based)",
    "population_16_plus": "people aged 16 and over (residence-based, APS); not comparable with population (16-64)",
    "vacancies": "vacancies reported by employers",
    "hard_to_fill_vacancies": "vacancies employers report as hard to fill",
    "skill_shortage_vacancies": "vacancies hard to fill for lack of skills among applicants",
    "skills_gaps": "staff not fully proficient in their job",
    "establishments": "establishments (employer sites)",
    "establishments_with_vacancies": "establishments with at least one vacancy",
    "establishments_with_hard_to_fill_vacancies": "establishments with a hard-to-fill vacancy",
    "establishments_with_skill_shortage_vacancies": "establishments with a skill-shortage vacancy",
    "establishments_with_skills_gaps": "establishments with staff not fully proficient",
    "job_adverts": "online job adverts (count)",
    "new_job_adverts": "newly posted online job adverts (count)",
    "job_advert_index": "online job adverts in ONS standardised units (proportional to counts, not counts)",
    "fe_starts": "further education and skills starts (learners)",
    "fe_participation": "further education and skills participation (learners)",
    "fe_achievements": "further education and skills achievements (learners)",
    "replacement_demand": "jobs opening as people leave (retirement, other exits)",
    "net_change": "change in employment between two years",
    "total_requirement": "net change plus replacement demand",
}

# Changes, not stocks: these may be negative (a shrinking occupation). All others are counts.
SIGNED_MEASURES: frozenset[str] = frozenset({"net_change", "total_requirement"})

_ALL = frozenset({"all"})
_RQF = frozenset({"none", "rqf1", "rqf2", "rqf3", "rqf4", "rqf5", "rqf6", "rqf7", "rqf8"})
# APS highest qualification (table T19, exclusive): nvq4 means "NVQ4 and above".
_NVQ = frozenset({"none", "nvq1", "nvq2", "trade_apprenticeships", "nvq3", "nvq4", "other"})
_SOC_MAJOR = frozenset(str(code) for code in range(1, 10))
_AGE_BANDS = frozenset({"16-19", "20-24", "25-29", "30-39", "40-49", "50-64", "16-64"})
_QUAL_LEVELS = frozenset({"none", "level1", "level2", "level3", "level4plus"})
_QUAL_BANDS = frozenset({"low", "intermediate", "high"})
# APS highest qualification on RQF levels (table T19a, Jan-Dec 2022 on, exclusive): rqf4plus
# means RQF4 and above. It replaced T19 (``nvq``) and is not comparable with it (no trade
# apprenticeships category; England's 16-64s at level 1: NVQ1 3.3m in 2021, RQF1 0.9m in 2022),
# hence a classification of its own.
_APS_RQF = frozenset({"none", "rqf1", "rqf2", "rqf3", "rqf4plus", "other"})
# APS broad industry groups (SIC 2007 sections in 9 groups, as NOMIS publishes them).
_INDUSTRY_BROAD = frozenset(
    {
        "agriculture_and_fishing",
        "energy_and_water",
        "manufacturing",
        "construction",
        "distribution_hotels_and_restaurants",
        "transport_and_communication",
        "banking_finance_and_insurance",
        "public_admin_education_and_health",
        "other_services",
    }
)

# classification -> closed set of codes, or None where codes are open (checked by shape only).
CLASSIFICATIONS: dict[str, frozenset[str] | None] = {
    "all": _ALL,
    "soc2020_major": _SOC_MAJOR,
    "soc2020_submajor": None,
    "soc2020_minor": None,
    "soc2020_unit": None,
    "soc2010_major": _SOC_MAJOR,
    "soc2010_submajor": None,
    "rqf": _RQF,
    "nvq": _NVQ,
    "aps_rqf": _APS_RQF,
    "age_band": _AGE_BANDS,
    "industry": None,
    "industry_broad": _INDUSTRY_BROAD,
    "qualification_level": _QUAL_LEVELS,
    "qualification_band": _QUAL_BANDS,
    "profession_summary": None,  # ONS/Textkernel summary profession categories (not SOC)
    "profession_detailed": None,  # ONS/Textkernel detailed profession categories (not SOC)
}


class DataError(ValueError):
    """Bad input data. The message is one line naming where (file, row, column) and what."""


def _where(row: int | None, column: str, value: object, source: str | None) -> str:
    place = f"{source}: " if source else ""
    row_part = f"row {row}, " if row is not None else ""
    if hasattr(value, "item"):  # numpy scalar -> plain Python, so the message reads 5.0 not np.float64(5.0)
        value = value.item()
    return f"{place}{row_part}column '{column}', value {value!r}"


def _check_code(classification: str, code: str) -> str | None:
    """Return a reason if ``code`` is not a valid code of ``classification``."""
    parts_class = classification.split(CROSS)
    parts_code = code.split(CROSS)
    if len(parts_class) != len(parts_code):
        return f"expected {len(parts_class)} '{CROSS}'-separated parts for classification '{classification}'"
    for name, part in zip(parts_class, parts_code, strict=True):
        allowed = CLASSIFICATIONS[name]
        if allowed is not None and part not in allowed:
            return f"expected one of {sorted(allowed)} for classification '{name}'"
        if allowed is None and not part:
            return f"expected a non-empty code for classification '{name}'"
    return None


def validate(panel: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Check ``panel`` against the contract and return it in canonical dtypes and order.

    Raises ``DataError`` at the first problem, naming the row (0-based position in the
    frame given), the column and the offending value. ``source`` (a file name) is put at
    the front of the message when given.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in panel.columns]
    if missing:
        raise DataError(f"{source + ': ' if source else ''}missing column(s) {missing}; expected {list(REQUIRED_COLUMNS)}")
    frame = panel.reset_index(drop=True)
    _check_texts(frame, source)
    measures, classifications, codes = _check_categories(frame, source)
    periods, values = _check_numbers(frame, measures, source)
    canonical = _canonical(frame, measures, classifications, codes, periods, values)
    key = _check_duplicates(canonical, source)
    return canonical.sort_values(key, kind="stable").reset_index(drop=True)


def _check_texts(frame: pd.DataFrame, source: str | None) -> None:
    """Refuse a missing or blank area, measure, classification or code: together they name the series
    (``SERIES_KEY``), so each must be a real text."""
    for column in ("area", "measure", "classification", "code"):
        values = frame[column]
        bad = values.isna() | (values.astype("string").str.strip() == "")
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(f"{_where(row, column, frame.at[row, column], source)}: expected a non-empty text")


def _check_categories(frame: pd.DataFrame, source: str | None) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(measures, classifications, codes) as text, each checked against ``MEASURES`` and ``CLASSIFICATIONS``,
    so a misspelt name fails here instead of becoming a series no stage asks for."""
    measures = frame["measure"].astype(str)
    unknown = ~measures.isin(list(MEASURES))
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise DataError(f"{_where(row, 'measure', measures[row], source)}: expected one of {sorted(MEASURES)}")

    classifications = frame["classification"].astype(str)
    for name in classifications.unique():
        if any(part not in CLASSIFICATIONS for part in name.split(CROSS)):
            row = int((classifications == name).to_numpy().nonzero()[0][0])
            raise DataError(
                f"{_where(row, 'classification', name, source)}: unknown classification; "
                f"expected one of {sorted(CLASSIFICATIONS)} (or several joined by '{CROSS}')"
            )

    codes = frame["code"].astype(str)
    pairs = pd.DataFrame({"classification": classifications, "code": codes}).drop_duplicates()
    for pair in pairs.itertuples():
        reason = _check_code(pair.classification, pair.code)
        if reason:
            raise DataError(f"{_where(int(pair.Index), 'code', pair.code, source)}: {reason}")
    return measures, classifications, codes


def _check_numbers(frame: pd.DataFrame, measures: pd.Series, source: str | None) -> tuple[pd.Series, pd.Series]:
    """(periods, values) as numbers: a period must be a whole year, a value a number, and a count (any measure
    but ``SIGNED_MEASURES``) never negative."""
    periods = pd.to_numeric(frame["period"], errors="coerce")
    bad_period = periods.isna() | (periods != periods.round())
    if bad_period.any():
        row = int(bad_period.to_numpy().nonzero()[0][0])
        raise DataError(f"{_where(row, 'period', frame.at[row, 'period'], source)}: expected a whole year")

    values = pd.to_numeric(frame["value"], errors="coerce")
    non_numeric = values.isna() & frame["value"].notna()
    if non_numeric.any():
        row = int(non_numeric.to_numpy().nonzero()[0][0])
        raise DataError(f"{_where(row, 'value', frame.at[row, 'value'], source)}: expected a number")
    negative = (values < 0) & ~measures.isin(list(SIGNED_MEASURES))
    if negative.any():
        row = int(negative.to_numpy().nonzero()[0][0])
        raise DataError(f"{_where(row, 'value', values[row], source)}: expected a count >= 0")
    return periods, values


def _canonical(
    frame: pd.DataFrame, measures: pd.Series, classifications: pd.Series, codes: pd.Series, periods: pd.Series, values: pd.Series
) -> pd.DataFrame:
    """The checked columns in canonical dtypes, with whichever ``OPTIONAL_COLUMNS`` the frame has, so every stage
    reads the same types whatever the source wrote."""
    canonical = pd.DataFrame(
        {
            "area": frame["area"].astype(str),
            "measure": measures,
            "classification": classifications,
            "code": codes,
            "period": periods.astype("int64"),
            "value": values.astype("float64"),
        }
    )
    for column in OPTIONAL_COLUMNS:
        if column in frame.columns:
            if column == "projection":
                canonical[column] = frame[column].fillna(False).astype(bool)
            elif column == "ci95":
                canonical[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
            else:
                canonical[column] = frame[column].astype(str)
    return canonical


def _check_duplicates(canonical: pd.DataFrame, source: str | None) -> list[str]:
    """The row key (series, period, and vintage where given), refusing a row that repeats an earlier one's key:
    one cell must have one value."""
    key = SERIES_KEY + ["period"]
    if "vintage" in canonical.columns:
        key = key + ["vintage"]
    duplicated = canonical.duplicated(subset=key, keep="first")
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        described = ", ".join(f"{column}={canonical.at[row, column]!r}" for column in key)
        raise DataError(f"{source + ': ' if source else ''}row {row}: duplicate of an earlier row ({described})")
    return key


def observations(panel: pd.DataFrame) -> pd.DataFrame:
    """Rows that are observations, not a publisher's projection; what models may learn from."""
    if "projection" not in panel.columns:
        return panel
    return panel.loc[~panel["projection"].astype(bool)].reset_index(drop=True)


def series_count(panel: pd.DataFrame) -> int:
    return int(panel.groupby(SERIES_KEY, sort=False).ngroups)
