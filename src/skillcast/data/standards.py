"""What a Growth and Skills Levy budget buys: apprenticeship standards, foundation apprenticeships
and apprenticeship units, each with its level and its funding band, as Skills England publishes them.

The three are different products with different rules, so skillcast keeps them as three *routes*:

* ``apprenticeship``: an apprenticeship standard (``ST0116`` Software developer), levels 2-7;
  its funding band is the most the levy pays for one apprentice's training and assessment.
* ``foundation``: a foundation apprenticeship (``FA0006``, since 1 August 2025), level 2,
  for people aged 16-21 at the start (exceptions in the funding rules); each leads to the
  occupations of the standards it names (``related``).
* ``unit``: an apprenticeship unit (``AU0004``, short courses since 28 April 2026), 30-140
  hours for employed people aged 19 and over, built from the knowledge and skills of the
  standards it names.

The shipped table (``data/reference/apprenticeship_products.csv``; source, licence and how it
was built in that folder's README) has one row per product that could be started on the day it
was built. ``current_products`` builds it from the API's JSON records (one per version of a
product, as ``https://skillsengland.education.gov.uk`` serves them and as DfE's
``das-standards-data`` repository keeps them): the newest version approved for delivery, not
closed to new starts, not paused. ``load_products`` reads it back, checked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from skillcast.data.schema import DataError

PRODUCTS_FILE = Path(__file__).parent / "reference" / "apprenticeship_products.csv"
ROUTES = {"ST": "apprenticeship", "FA": "foundation", "AU": "unit"}
ROUTE_NAMES = {"apprenticeship": "apprenticeship", "foundation": "foundation apprenticeship", "unit": "apprenticeship unit (short course)"}
PRODUCT_COLUMNS = [
    "route",
    "reference",
    "version",
    "title",
    "level",
    "max_funding",
    "occupational_route",
    "duration_months",
    "minimum_hours",
    "earliest_start",
    "latest_start",
    "eligibility",
    "typical_job_titles",
    "related",
    "occupation_code",
    "last_updated",
]
APPROVED = "Approved for delivery"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", str(text))) or (0,)


def _day(value) -> str:
    return str(value or "")[:10]


def _plain(text) -> str:
    """HTML of a record's field as one line of text."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", str(text or "")))).strip()


def _related(record: dict) -> list[str]:
    """The standards a foundation apprenticeship or a unit names: its related occupations (OCC codes, matched to
    standards by ``occupation_code``) and the standards its knowledge and skills come from."""
    found = [item.get("reference", "") for item in record.get("relatedOccupations") or []]
    for part in ("technicalKnowledges", "technicalSkills"):
        for item in record.get(part) or []:
            found += [related.get("reference", "") for related in item.get("relatedApprenticeships") or []]
    return list(dict.fromkeys(code.strip() for code in found if code and code.strip()))


def _row(record: dict) -> dict:
    reference = str(record.get("referenceNumber", "")).strip()
    route = ROUTES[reference[:2]]
    eligibility = ""
    if route != "apprenticeship":
        eligibility = _plain(record.get("entryRequirements"))[:200]
    return {
        "route": route,
        "reference": reference,
        "version": str(record.get("version", "")),
        "title": str(record.get("title", "")).strip(),
        "level": int(record.get("level") or 0),
        "max_funding": float(record.get("maxFunding") or 0),
        "occupational_route": str(record.get("route", "")).strip(),
        "duration_months": record.get("typicalDuration") if route != "unit" else None,
        "minimum_hours": record.get("minimumHoursForCompliance") if route == "unit" else None,
        "earliest_start": _day(record.get("earliestStartDate")),
        "latest_start": _day(record.get("latestStartDate")),
        "eligibility": eligibility,
        "typical_job_titles": "|".join(str(title).strip() for title in record.get("typicalJobTitles") or [] if str(title).strip()),
        "related": "|".join(_related(record)),
        "occupation_code": str(record.get("occupationCode") or ""),
        "last_updated": _day(record.get("lastUpdated")),
        "_status": str(record.get("status", "")),
        "_paused": bool(record.get("approvedForDeliveryPausedStarts")),
    }


def current_products(records: Iterable[dict], as_of: str) -> pd.DataFrame:
    """``PRODUCT_COLUMNS``, one row per product open to new starts on ``as_of`` (YYYY-MM-DD): per reference, the
    newest version approved for delivery, started by then, not closed (latest start date before it) or paused,
    with a funding band. Records of other kinds (no ST/FA/AU reference) are left out."""
    rows = [_row(record) for record in records if str(record.get("referenceNumber", "")).strip()[:2] in ROUTES]
    if not rows:
        raise DataError("no apprenticeship standard, foundation apprenticeship or unit among the records")
    table = pd.DataFrame(rows)
    table = table.loc[table["_status"] == APPROVED]
    table = table.assign(_order=table["version"].map(_version)).sort_values(["reference", "_order"])
    table = table.drop_duplicates("reference", keep="last")
    open_now = (~table["_paused"]) & (table["max_funding"] > 0) & (table["level"] > 0)
    open_now &= (table["earliest_start"] == "") | (table["earliest_start"] <= as_of)
    open_now &= (table["latest_start"] == "") | (table["latest_start"] >= as_of)
    table = table.loc[open_now]
    return table.sort_values(["route", "reference"])[PRODUCT_COLUMNS].reset_index(drop=True)


def load_products(path: Path = PRODUCTS_FILE) -> pd.DataFrame:
    """The products table, checked: one-line errors naming the file, row and column."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{path}: cannot read the apprenticeship products ({str(error).splitlines()[0]})") from None
    missing = [column for column in PRODUCT_COLUMNS if column not in table]
    if missing:
        raise DataError(f"{path}: no {missing[0]!r} column; expected {', '.join(PRODUCT_COLUMNS)}")
    for column in ("level", "max_funding"):
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() | (values <= 0)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise DataError(f"{path}: row {row + 2}, column {column}: expected a positive number, got {table[column].iloc[row]!r}")
        table[column] = values.astype(int if column == "level" else float)
    bad_route = ~table["route"].isin(list(ROUTES.values()))
    if bad_route.any():
        row = int(bad_route.to_numpy().nonzero()[0][0])
        raise DataError(f"{path}: row {row + 2}, column route: expected one of {list(ROUTES.values())}, got {table['route'].iloc[row]!r}")
    return table[PRODUCT_COLUMNS]


def products_vintage(table: pd.DataFrame) -> str:
    """The newest record date in the table: what 'funding bands as of' means."""
    return str(table["last_updated"].max()) if len(table) else ""
