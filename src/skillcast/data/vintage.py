"""How current each source is: the last period it observed, in words, for every output.

A council reading a 2030 figure needs to know what it rests on: "national labour market to
Oct-Dec 2025; local occupations to 2020". A store's manifest records each source's last
observed period (``Store.write``: a reader's own label, such as ``Oct-Dec 2025``, or the
last observed year); ``data_vintage`` turns it into one entry per source the outputs show
(bundle metadata, ``/model`` and every answer, the report's first page, the workbook's
sources sheet, ``/ui``, the CLI), and marks a source older than ``STALE_AFTER_YEARS`` as stale.
"""

from __future__ import annotations

import re

STALE_AFTER_YEARS = 2  # a source whose last period ends this many years or more before "today" is flagged
WHAT: dict[str, str] = {
    "si2035": "local jobs by occupation and qualification (Skills Imperative 2035, observed years)",
    "aps-occupations": "local employment by occupation, SOC 2010 (APS)",
    "aps-qualifications": "local people by qualification, NVQ (APS)",
    "aps-soc2020": "local employment by occupation, SOC 2020, and qualification, RQF (APS via the DfE dashboard)",
    "local-skills-time-series": "local economic activity and FE learners (APS, ILR via the DfE dashboard)",
    "job-adverts": "online job adverts (ONS / Textkernel)",
    "ess": "employer skills survey (DfE ESS)",
    "national-lms": "national labour market (ONS A01: LFS, workforce jobs, vacancies)",
    "nomis": "local data fetched from NOMIS",
}


def last_year(label: str) -> int | None:
    """The latest four-digit year in a period label (``2024-04/2025-03`` -> 2025; ``Sep 25`` -> 2025)."""
    years = [int(year) for year in re.findall(r"(?<!\d)(\d{4})(?!\d)", label)]
    if years:
        return max(years)
    short = re.findall(r"\b[A-Za-z]{3} (\d{2})\b", label)
    return 2000 + max(int(year) for year in short) if short else None


def data_vintage(manifest: dict, sources: tuple[str, ...] | None = None) -> list[dict]:
    """One entry per source of the manifest (or of ``sources``) with a last observed period."""
    entries = []
    for name, info in manifest.get("sources", {}).items():
        if sources is not None and name not in sources:
            continue
        label = str(info.get("last_observed") or "")
        if not label:
            continue
        entries.append({"source": name, "what": WHAT.get(name, name), "last_period": label, "year": last_year(label)})
    return entries


def with_staleness(entries: list[dict], today: int | None) -> list[dict]:
    """``entries`` with ``stale`` set where the last period ends ``STALE_AFTER_YEARS`` or more before ``today``."""
    if today is None:
        return entries
    return [{**entry, "stale": entry.get("year") is not None and today - int(entry["year"]) >= STALE_AFTER_YEARS} for entry in entries]


def vintage_line(entries: list[dict]) -> str:
    """The entries in one line: "national labour market (...) to Oct-Dec 2025; ... (older than 2 years)"."""
    parts = []
    for entry in entries:
        stale = f" (older than {STALE_AFTER_YEARS} years)" if entry.get("stale") else ""
        parts.append(f"{entry['what']} to {entry['last_period']}{stale}")
    return "; ".join(parts)
