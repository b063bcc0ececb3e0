"""The sources skillcast can ingest, by the name used on the command line."""

from __future__ import annotations

import importlib
from types import ModuleType

# command-line name -> module under skillcast.data.sources
SOURCE_MODULES: dict[str, str] = {
    "si2035": "si2035",
    "aps-qualifications": "aps_qualifications",
    "aps-occupations": "aps_occupations",
    "local-skills-time-series": "local_skills_time_series",
    "job-adverts": "job_adverts",
    "ess": "ess",
    "reference": "reference",
    "national-lms": "national_lms",
    "aps-soc2020": "aps_soc2020",
}

# Files ``ingest all`` knows and deliberately does not read, with the reason it says.
SKIPPED_ON_PURPOSE: dict[str, str] = {
    "employer_skills_survey/raw/*": "raw ESS workbook; the tidy extract ess_2017_2019_by_lea_lep.csv is read instead",
    "working_futures/wf7_lep_*_highest_lowest_growth_2017_2027.csv": "raw WF7 ranking; the tidy files are read instead",
    "lookups/*": "geography lookup (read as the geography, not as data)",
    "national_lms/uk_lms_key_series_*.csv": "tidy re-shape of A01 made for checks; the A01 workbook itself is read",
    "README.md": "documentation",
}


def source_names() -> list[str]:
    return list(SOURCE_MODULES)


def load_source(name: str) -> ModuleType:
    """The reader module for ``name``; a clear error for an unknown one."""
    if name not in SOURCE_MODULES:
        raise ValueError(f"unknown source {name!r}; expected one of {source_names()} (or 'all')")
    return importlib.import_module(f"skillcast.data.sources.{SOURCE_MODULES[name]}")
