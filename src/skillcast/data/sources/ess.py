"""DfE Employer Skills Survey (ESS) 2017 and 2019, England: what employers report.

ESS is the employer side of a skills gap: vacancies, hard-to-fill vacancies (HTFV),
skill-shortage vacancies (SSV) and staff not fully proficient (skills gaps), by local
education authority (LEA, upper tier) and LEP. Files (folder ``employer_skills_survey/``),
recognised by their header: the tidy extract ``ess_2017_2019_by_lea_lep.csv`` and, for
table titles, ``ess_tables.csv``.

What goes to the panel (counts only, ``value_type == "value"``; period = survey year):

* 2017 ``T41`` (establishment base): Total -> ``establishments``; "Have at least one
  vacancy" -> ``establishments_with_vacancies``; "... hard-to-fill" ->
  ``establishments_with_hard_to_fill_vacancies``; "Have a skills shortage vacancy" ->
  ``establishments_with_skill_shortage_vacancies``.
* 2017 ``T44`` (vacancy base): Total -> ``vacancies``; HTFV -> ``hard_to_fill_vacancies``;
  SSV -> ``skill_shortage_vacancies`` (all classification ``all``).
* 2017 ``T7`` employment, ``T54`` vacancies, ``T56`` HTFV, ``T63`` SSV and ``T74`` skills gaps
  by occupation: the nine SOC 2010 major groups -> classification ``soc2010_major`` codes
  1-9; the ``T7`` and ``T74`` totals -> ``employment`` / ``skills_gaps`` ``all``.
  ``employment`` here is employer-reported staff at establishments (ESS covers
  establishments with 2+ people), so it is below Working Futures / APS employment.
  The occupation tables cover "up to 6 occupations followed up", so their groups need
  not add up to the ``all`` total.
* 2019 ``ALL_LEAS`` / ``ALL_LEPS``: "Total (establishments)" -> ``establishments``; "Total
  number of staff" -> ``employment``; "Number of vacancies" -> ``vacancies``; "Number of
  skill-shortage vacancies" -> ``skill_shortage_vacancies``; "Number of skills gaps" ->
  ``skills_gaps``.

Everything else goes to ``tables["ess_other"]`` (tidy, with area codes and table titles):
all ``share_of_base`` rows; 2019 rows that are proportions although published as
``value`` (e.g. "Establishments with any vacancies" = 0.17); averages and training days;
unweighted sample sizes; the ``T43`` employment-base repeats of the ``T44`` counts (with
decimals); the occupation-table totals ``T54``/``T56``/``T63`` (T54's 852,920 counts only
followed-up occupations; the other two repeat ``T44``); "Unclassified staff" and the ESS
skill bands (HIGH-SKILL ... LABOUR-INTENSIVE), which are not SOC groups; "Number of other
hard-to-fill vacancies"; and 2019 training and apprenticeship items. No count of
establishments with skills gaps is published (only a share), so that measure is absent.

Areas: "England" -> ``E92000001`` (it appears in both the LEA and LEP tables with the same
values; one copy is kept). LEP names -> ``lep`` codes, after fixing two published spellings
of the same LEP ("North Eastern", "Greater Cambridge Greater Peterborough"); the 2017/2019
"Northamptonshire" LEP (merged into South East Midlands in 2017-18) is reported unmatched.
LEA names are upper-tier authorities: unitaries, metropolitan districts and London boroughs
are districts too, so they get their ``lad`` code, but only on an exact name match (ONS
", City of" / "County " aside): a prefix match would turn the county "Surrey" into the
district "Surrey Heath". Counties (and "Not in England") match no district; they are kept
under ``lea:slug`` codes, reported as unmatched and added to ``result.areas`` with type
``lea``, so no county is ever mistaken for a district.

Suppression: ESS prints ``**`` where a base is too small to report and ``*%`` for a share
below 0.5%; both become NaN and are counted in ``result.suppressed``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from skillcast.data.geography import Geography, normalise_name
from skillcast.data.schema import validate
from skillcast.data.sources.common import SourceResult, file_kind, match_areas, parse_counts, raise_first_bad, read_csv_checked

NAME = "ess"
FILES = ("employer_skills_survey/ess_2017_2019_by_lea_lep.csv", "employer_skills_survey/ess_tables.csv")

SOURCE = "DfE Employer Skills Survey (IFF Research)"
ENGLAND = "E92000001"
SURVEYS = {"ESS2017": (2017, "ESS2017 v03.01"), "ESS2019": (2019, "ESS2019 v01.00")}
KINDS: dict[str, list[str]] = {
    "ess_data": ["survey", "area_type", "table_id", "section", "area_name", "measure", "value_type", "value"],
    "ess_tables": ["survey", "area_type", "table_id", "table_title", "base"],
}
VALUE_TYPES = ("value", "share_of_base")
ESS_SUPPRESSION = ("**", "*%")  # base too small to report; share below 0.5%

# ESS occupation names -> SOC 2010 major group codes.
SOC2010_MAJOR = {
    "Managers": "1",
    "Professionals": "2",
    "Associate professionals": "3",
    "Administrative/clerical staff": "4",
    "Skilled trades occupations": "5",
    "Caring, leisure and other services staff": "6",
    "Sales and customer services staff": "7",
    "Machine operatives": "8",
    "Elementary staff": "9",
}
OCCUPATION_TABLES = {
    "T7": "employment",
    "T54": "vacancies",
    "T56": "hard_to_fill_vacancies",
    "T63": "skill_shortage_vacancies",
    "T74": "skills_gaps",
}
# (section, measure as published) -> panel measure, in the 2019 summary sheets.
SUMMARY_2019 = {
    ("", "Total (establishments)"): "establishments",
    ("", "Total number of staff"): "employment",
    ("Vacancies", "Number of vacancies"): "vacancies",
    ("Vacancies", "Number of skill-shortage vacancies"): "skill_shortage_vacancies",
    ("Skills gaps", "Number of skills gaps"): "skills_gaps",
}
# (table_id, section, measure as published) -> panel measure, for totals (classification all).
TOTALS: dict[tuple[str, str, str], str] = {
    **{(table, section, measure): panel for table in ("ALL_LEAS", "ALL_LEPS") for (section, measure), panel in SUMMARY_2019.items()},
    ("T41", "", "Total"): "establishments",
    ("T41", "", "Have at least one vacancy"): "establishments_with_vacancies",
    ("T41", "", "Have at least one vacancy that is hard-to-fill"): "establishments_with_hard_to_fill_vacancies",
    ("T41", "", "Have a skills shortage vacancy (prompted or unprompted)"): "establishments_with_skill_shortage_vacancies",
    ("T44", "", "Total"): "vacancies",
    ("T44", "", "Total number of hard-to-fill vacancies"): "hard_to_fill_vacancies",
    ("T44", "", "Total number of skills shortage vacancies- prompted or unprompted"): "skill_shortage_vacancies",
    ("T7", "", "Total"): "employment",
    ("T74", "", "Total"): "skills_gaps",
}
# Published spellings of a LEP that the 2020 lookup names differently (same boundary).
LEP_SPELLINGS = {"North Eastern": "North East", "Greater Cambridge Greater Peterborough": "Greater Cambridge and Greater Peterborough"}
OTHER_COLUMNS = [
    "survey",
    "period",
    "area",
    "area_name",
    "area_type",
    "table_id",
    "table_title",
    "section",
    "measure",
    "value_type",
    "value",
]


def read(paths: list[Path], geography: Geography) -> SourceResult:
    """The tidy ESS extract (and table titles if given) as a panel plus ``tables["ess_other"]``."""
    result = SourceResult(source=NAME, panel=pd.DataFrame(), files=[Path(path) for path in paths])
    data, titles = [], []
    for path in result.files:
        kind = file_kind(path, KINDS, "ESS")
        frame = read_csv_checked(path, KINDS[kind])
        if kind == "ess_tables":
            titles.append(frame[["survey", "area_type", "table_id", "table_title"]])
        else:
            data.append(_tidy(frame, path, geography, result))

    tidy = pd.concat(data, ignore_index=True) if data else pd.DataFrame(columns=OTHER_COLUMNS + ["panel_measure", "code"])
    if titles:
        title = pd.concat(titles, ignore_index=True).drop_duplicates(["survey", "area_type", "table_id"])
        tidy = tidy.drop(columns="table_title").merge(title, on=["survey", "area_type", "table_id"], how="left")
        tidy["table_title"] = tidy["table_title"].fillna("")

    in_panel = tidy["panel_measure"] != ""
    panel = tidy.loc[in_panel]
    panel = pd.DataFrame(
        {
            "area": panel["area"],
            "measure": panel["panel_measure"],
            "classification": panel["code"].where(panel["code"] == "all", "soc2010_major"),
            "code": panel["code"],
            "period": panel["period"],
            "value": panel["value"],
            "source": SOURCE,
            "vintage": panel["survey"].map(lambda survey: SURVEYS[survey][1]),
            "projection": False,
        }
    )
    # England is published in both the LEA and the LEP tables: keep one copy when identical;
    # any conflicting copy is left for validate to report as a duplicate.
    panel = panel.loc[~panel.drop(columns="value").assign(value=panel["value"].fillna(-1.0)).duplicated()]
    result.panel = validate(panel, source=NAME)

    other = tidy.loc[~in_panel, OTHER_COLUMNS]
    same_table = other["table_id"].replace({"ALL_LEAS": "ALL", "ALL_LEPS": "ALL"})
    key = other.drop(columns=["area_type", "table_id", "table_title"]).assign(table=same_table, value=other["value"].fillna(-1.0))
    result.tables["ess_other"] = other.loc[~key.duplicated()].reset_index(drop=True)
    result.unmatched_areas = sorted(set(result.unmatched_areas))
    if result.areas is not None:
        result.areas = result.areas.drop_duplicates("area").reset_index(drop=True)
    return result


def _tidy(frame: pd.DataFrame, path: Path, geography: Geography, result: SourceResult) -> pd.DataFrame:
    """Every row with its area code, period, number and (if it is a count we map) panel measure."""
    frame = frame.apply(lambda column: column.str.strip())
    raise_first_bad(~frame["survey"].isin(list(SURVEYS)), frame["survey"], path, "survey", f"one of {sorted(SURVEYS)}")
    raise_first_bad(~frame["value_type"].isin(VALUE_TYPES), frame["value_type"], path, "value_type", f"one of {list(VALUE_TYPES)}")
    raise_first_bad(~frame["area_type"].isin(["LEA", "LEP"]), frame["area_type"], path, "area_type", "LEA or LEP")

    starred = frame["value"].isin(ESS_SUPPRESSION)
    for code, count in frame.loc[starred, "value"].value_counts().items():
        result.suppressed[code] += int(count)
    value = parse_counts(frame.loc[~starred, "value"], path, "value", result.suppressed).reindex(frame.index)

    counts = frame["value_type"] == "value"
    key = pd.Series(list(zip(frame["table_id"], frame["section"], frame["measure"], strict=True)), index=frame.index)
    total = key.map(TOTALS).where(counts)
    occupation = frame["table_id"].map(OCCUPATION_TABLES).where(counts & frame["measure"].isin(list(SOC2010_MAJOR)))
    panel_measure = total.fillna(occupation).fillna("")
    code = frame["measure"].map(SOC2010_MAJOR).where(occupation.notna(), "all")

    return pd.DataFrame(
        {
            "survey": frame["survey"],
            "period": frame["survey"].map(lambda survey: SURVEYS[survey][0]).astype("int64"),
            "area": _area_codes(frame, geography, result),
            "area_name": frame["area_name"],
            "area_type": frame["area_type"],
            "table_id": frame["table_id"],
            "table_title": "",
            "section": frame["section"],
            "measure": frame["measure"],
            "value_type": frame["value_type"],
            "value": value.astype("float64"),
            "panel_measure": panel_measure,
            "code": code,
        }
    )


def _area_codes(frame: pd.DataFrame, geography: Geography, result: SourceResult) -> pd.Series:
    """England, LEP and LEA names -> codes (see the module docstring for the LEA rule)."""
    names = frame["area_name"]
    codes = pd.Series(ENGLAND, index=frame.index, dtype=object)
    lep = (frame["area_type"] == "LEP") & (names != "England")
    if lep.any():
        codes[lep] = match_areas(names[lep].replace(LEP_SPELLINGS), "lep", geography, result)
    lea = (frame["area_type"] == "LEA") & (names != "England")
    if lea.any():
        districts = _district_codes(names[lea].unique(), geography)
        codes[lea] = names[lea].map(districts)
        counties = lea & codes.isna()
        if counties.any():
            codes[counties] = match_areas(names[counties], "lea", geography, result)
    return codes.astype(str)


def _core(name: str) -> str:
    """A district name without ONS's ", City of" / ", County of" / leading "County "."""
    name = re.sub(r",\s*(city|county) of$", "", str(name).strip(), flags=re.IGNORECASE)
    return re.sub(r"^county ", "", normalise_name(name))


def _district_codes(names, geography: Geography) -> dict[str, str]:
    """LEA name -> district code, only where the names agree exactly (ONS affixes aside)."""
    districts = geography.areas.loc[geography.areas["type"] == "lad", "name"].unique()
    by_core: dict[str, set[str]] = {}
    for district in districts:
        by_core.setdefault(_core(district), set()).add(district)
    official = {name: next(iter(by_core[_core(name)])) for name in names if len(by_core.get(_core(name), ())) == 1}
    match = geography.match_names(sorted(set(official.values())), "lad")
    return {
        name: match.codes[district]
        for name, district in official.items()
        if district in match.codes and _core(geography.name(match.codes[district])) == _core(name)
    }
