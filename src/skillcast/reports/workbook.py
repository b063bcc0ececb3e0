"""The spreadsheet export: one sheet per table, headers with units, frozen header rows.

``build_workbook(sheets, about)`` takes plain frames - ``forecasts``, ``gaps``,
``priorities``, ``backtest``, ``sources`` (any of them; ``report.export_frames`` makes them
for one area, ``cli.report`` for every area, and a service can pass a bundle's own
frames) - and returns an openpyxl workbook: an ``about`` sheet first (units, sign, caveats),
then one sheet per table with the header row bold, frozen (``A2``) and filterable, units in
the header names (``HEADERS``: "demand (jobs)", "gap (people; + = shortage)"), numbers
stored as numbers with a display format, and column widths set.

``write_workbook`` saves it atomically (temp file + rename: whole or nothing);
``workbook_bytes`` gives the bytes for a download.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.data.atomic import atomic_file

SHEET_ORDER: tuple[str, ...] = ("forecasts", "gaps", "priorities", "budget by route", "shortages", "labour reserve", "backtest", "sources")
COUNT = "#,##0"
SHARE = "0.0%"
RATIO = "0.00"

# column -> (header with its unit, number format or None)
HEADERS: dict[str, tuple[str, str | None]] = {
    "area": ("area code", None),
    "name": ("area name", None),
    "band": ("qualification band", None),
    "year": ("year", "0"),
    "period": ("year", "0"),
    "basis": ("basis (observed / nowcast / forecast)", None),
    "scenario": ("scenario", None),
    "side": ("side", None),
    "value": ("value (jobs for demand, people for supply)", COUNT),
    "lo_80": ("80% range: low (same unit as value)", COUNT),
    "hi_80": ("80% range: high (same unit as value)", COUNT),
    "lo_95": ("95% range: low (same unit as value)", COUNT),
    "hi_95": ("95% range: high (same unit as value)", COUNT),
    "reference_projection": ("publisher's projection, SI2035 (jobs)", COUNT),
    "measure": ("measure", None),
    "classification": ("classification", None),
    "code": ("code", None),
    "forecast": ("forecast (people or jobs, see measure)", COUNT),
    "demand": ("demand (jobs)", COUNT),
    "supply": ("supply (people 16-64, on the gap basis)", COUNT),
    "gap_basis": ("gap basis (what supply counts: workplace, active or people)", None),
    "imbalance": ("imbalance (points: share of supply - share of demand)", "+0.0;-0.0;0.0"),
    "imbalance_lo_80": ("imbalance 80% range: low (points)", "+0.0;-0.0;0.0"),
    "imbalance_hi_80": ("imbalance 80% range: high (points)", "+0.0;-0.0;0.0"),
    "warning": ("WARNING about this area's figures", None),
    "gap": ("gap (people; + = shortage)", COUNT),
    **{
        f"gap_{bound}_{level}": (f"gap {level}% range: {'low' if bound == 'lo' else 'high'} (people)", COUNT)
        for bound in ("lo", "hi")
        for level in (80, 95)
    },
    **{
        f"demand_{bound}_{level}": (f"demand {level}% range: {'low' if bound == 'lo' else 'high'} (jobs)", COUNT)
        for bound in ("lo", "hi")
        for level in (80, 95)
    },
    **{
        f"supply_{bound}_{level}": (f"supply {level}% range: {'low' if bound == 'lo' else 'high'} (people)", COUNT)
        for bound in ("lo", "hi")
        for level in (80, 95)
    },
    "expansion_demand": ("expansion demand (jobs a year)", COUNT),
    "replacement_demand": ("replacement demand (jobs a year)", COUNT),
    "exits_by_holders": ("exits by holders (people a year)", COUNT),
    "total_requirement": ("total requirement (jobs a year)", COUNT),
    "demand_by_occupation": ("demand from occupations, cross-check (jobs)", COUNT),
    "reference_demand": ("publisher's projection, SI2035 (jobs)", COUNT),
    "rank": ("rank", "0"),
    "occupation": ("SOC 2020 code", None),
    "title": ("occupation", None),
    "jobs_start": ("jobs at the window's start (jobs)", COUNT),
    "jobs_end": ("jobs at the window's end (jobs)", COUNT),
    "share_levels_2_5": ("share of jobs at RQF 2-5", SHARE),
    "growth": ("growth at RQF 2-5 (jobs)", COUNT),
    "replacement": ("replacement at RQF 2-5 (jobs)", COUNT),
    "openings": ("jobs to fill, held at RQF 2-5 (jobs)", COUNT),
    "net_need": ("growth + replacement, floored at 0 (jobs)", COUNT),
    "per_1000": ("jobs to fill per 1,000 jobs in the area", "0.0"),
    "per_1000_england": ("jobs to fill per 1,000 jobs in England", "0.0"),
    "need_lq": ("location quotient of need (x England)", RATIO),
    "rating": ("shortage rating", None),
    "shortage_score": ("shortage score (weighted z)", "+0.00;-0.00;0.00"),
    "relevance": ("apprenticeship relevance (0.1-1)", "0.00"),
    "apprenticeship_share": ("share of hiring in unit groups naming apprenticeships", SHARE),
    "levels": ("jobs held at (RQF level mix)", None),
    "shortage": ("shortage uplift (jobs, absolute mode)", COUNT),
    "score": ("score (local: weighted z; absolute: jobs)", "#,##0.00"),
    "mode": ("ranking mode", None),
    "band_tightness": ("band tighter than average by", SHARE),
    "ssv_ratio": ("skill-shortage vacancies per job (x all occupations, England, ESS 2017)", RATIO),
    "vacancy_ratio": ("vacancies per job (x all occupations, England, ESS 2017)", RATIO),
    "advert_ratio": ("online adverts per job (x all occupations, England)", RATIO),
    "england_growth_pct": ("employment growth, % a year (England)", "+0.0;-0.0;0.0"),
    "area_vacancy_ratio": ("area vacancies per job (x England, ESS 2019)", RATIO),
    "area_advert_ratio": ("area online adverts per job (x England)", RATIO),
    "area_basis": ("area figures from", None),
    "shortage_drivers": ("shortage drivers", None),
    "cost_per_start": ("cost per start (pounds)", COUNT),
    "starts": ("starts funded (starts; money / cost per start)", "#,##0.0"),
    "starts_apprenticeship": ("starts funded: apprenticeships (starts)", "#,##0.0"),
    "starts_foundation": ("starts funded: foundation apprenticeships (starts)", "#,##0.0"),
    "starts_unit": ("starts funded: apprenticeship units (starts)", "#,##0.0"),
    "route": ("route (apprenticeship / foundation / unit)", None),
    "route_name": ("route name", None),
    "product_level": ("RQF level of the products", "0"),
    "products": ("products the cost per start is the median of (0: a stated cost)", "0"),
    "examples": ("example products (funding band, pounds)", None),
    "cost_basis": ("where the cost per start comes from", None),
    "replacement_source": ("replacement rate from", None),
    "top_unit_groups": ("most advertised unit groups", None),
    "explanation": ("why", None),
    "allocation": ("allocation (pounds)", COUNT),
    "allocation_share": ("allocation share", SHARE),
    "per_job": ("pounds per job to fill", COUNT),
    "scope": ("series scored", None),
    "model": ("model", None),
    "mase": ("MASE (lower is better)", "0.000"),
    "smape": ("sMAPE (%)", "0.00"),
    "coverage_80": ("80% range held the outcome (aim 80%)", SHARE),
    "coverage_95": ("95% range held the outcome (aim 95%)", SHARE),
    "direction_right": ("occupations (SOC sub-majors): direction right at the last horizon", SHARE),
    "faster_right": ("occupations: faster than the area total right at the last horizon", SHARE),
    "mape_last": ("MAPE at the last horizon (%)", "0.00"),
    "series": ("series", "0"),
    "cutoffs": ("forecast origins", None),
    "horizon": ("years ahead (up to)", "0"),
    "windows": ("forecast windows (series x origins)", "0"),
    "unscaled": ("unscaled windows", "0"),
    "seconds": ("seconds", "0.0"),
    "source": ("source", None),
    "description": ("what it is", None),
    "used_for": ("used for", None),
    "vintages": ("vintage", None),
    "years": ("years", None),
    "files": ("files", None),
    "ingested": ("ingested", None),
    "level": ("qualification level ('all': every level) or band", None),
    "figure": ("figure (people; rates as shares of 1; trend: share points a year)", None),
    "figure_lo_80": ("80% range: low (sampling error, estimated)", None),
    "figure_hi_80": ("80% range: high (sampling error, estimated)", None),
    "england": ("England's rate (rate measures)", None),
    "at_england_rates": ("people active at England's rates, at the band's levels", COUNT),
    "filled": ("part of the shortage they could fill (people)", COUNT),
    "share_filled": ("share of the shortage they could fill", SHARE),
    "baseline_gap": ("baseline gap (people; + = shortage)", COUNT),
    "scenario_gap": ("scenario gap (people; + = shortage)", COUNT),
    "scenario_gap_lo_80": ("scenario gap 80% range: low (people)", COUNT),
    "scenario_gap_hi_80": ("scenario gap 80% range: high (people)", COUNT),
    "effect": ("effect: scenario - baseline gap (people)", COUNT),
    "effect_lo_80": ("effect 80% range: low (people)", COUNT),
    "effect_hi_80": ("effect 80% range: high (people)", COUNT),
    "lever": ("lever", None),
    "item": ("item", None),
    "setting": ("setting", None),
    "given": ("as given", None),
}
MAX_WIDTH = 60


def header(column: str) -> str:
    return HEADERS.get(column, (column, None))[0]


def _cell(value):
    """A value openpyxl stores natively: numbers as numbers, missing as empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) or math.isinf(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return value


def _widths(frame: pd.DataFrame, headers: list[str]) -> list[float]:
    sample = frame.head(300)
    widths = []
    for column, title in zip(frame.columns, headers, strict=True):
        values = sample[column]
        if pd.api.types.is_numeric_dtype(values):
            longest = max((len(f"{v:,.0f}") for v in values.dropna() if np.isfinite(v)), default=4) + 2
        else:
            longest = max((len(str(v)) for v in values.dropna()), default=4)
        widths.append(min(max(longest, min(len(title), 28)) + 2, MAX_WIDTH))
    return widths


def _add_sheet(workbook, name: str, frame: pd.DataFrame) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    frame = frame.reset_index(drop=True) if frame is not None else pd.DataFrame()
    if frame.columns.empty:
        frame = pd.DataFrame({"note": ["no rows: these data do not support this table"]})
    headers = [header(str(column)) for column in frame.columns]
    formats = [HEADERS.get(str(column), (None, None))[1] for column in frame.columns]
    sheet.freeze_panes = "A2"
    for index, width in enumerate(_widths(frame, headers), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    wrap = Alignment(wrap_text=True, vertical="top")
    row = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        row.append(cell)
    sheet.append(row)
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for value, number_format in zip(values, formats, strict=True):
            cell = WriteOnlyCell(sheet, value=_cell(value))
            if number_format and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"


def build_workbook(sheets: Mapping[str, pd.DataFrame], about: Sequence[tuple[str, str]] = ()):
    """An openpyxl workbook (write-only, for speed): ``about`` first, then ``sheets`` in ``SHEET_ORDER`` (others after)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    workbook = Workbook(write_only=True)
    info = workbook.create_sheet("about")
    info.freeze_panes = "A2"
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 110
    bold = Font(bold=True)
    first = [WriteOnlyCell(info, value="item"), WriteOnlyCell(info, value="what it means")]
    for cell in first:
        cell.font = bold
    info.append(first)
    wrap = Alignment(wrap_text=True, vertical="top")
    for key, text in about:
        cells = [WriteOnlyCell(info, value=key), WriteOnlyCell(info, value=text)]
        cells[0].font = bold if key == "WARNING" else Font()
        cells[1].alignment = wrap
        info.append(cells)
    names = [name for name in SHEET_ORDER if name in sheets] + [name for name in sheets if name not in SHEET_ORDER]
    for name in names:
        _add_sheet(workbook, name, sheets[name])
    return workbook


def check_suffix(path: Path) -> None:
    if Path(path).suffix.lower() != ".xlsx":
        raise ValueError(f"--out: {path} should end in .xlsx (an Excel workbook)")


def write_workbook(path: Path, sheets: Mapping[str, pd.DataFrame], about: Sequence[tuple[str, str]] = ()) -> Path:
    """Build and save the workbook at ``path`` (``*.xlsx``), atomically: a failure leaves no file."""
    check_suffix(path)
    workbook = build_workbook(sheets, about)
    with atomic_file(Path(path)) as temp:
        workbook.save(temp)
    return Path(path)


def workbook_bytes(sheets: Mapping[str, pd.DataFrame], about: Sequence[tuple[str, str]] = ()) -> bytes:
    """The workbook as bytes (e.g. an HTTP download)."""
    buffer = io.BytesIO()
    build_workbook(sheets, about).save(buffer)
    return buffer.getvalue()
