"""What every source reader shares: checked CSV reading, suppression codes, the result type,
and the checks several readers make (file kinds, labels, years, bad cells, overlapping files).

A reader is a module in ``skillcast.data.sources`` with

* ``NAME`` — the source name used on the command line (``skillcast ingest NAME ...``);
* ``FILES`` — glob patterns (relative to a folder laid out like ``../shared/data``) of the
  files it reads, for ``skillcast ingest all``;
* ``read(paths, geography) -> SourceResult``.

Readers turn published files into panels in the data contract and never write anything.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.schema import DataError

# Published suppression codes and what they become. NOMIS / APS: '!' estimate and CI
# unavailable, '*' unreliable (small sample), '~' estimate below 500 (rounds to 0),
# '-' zero, 'c' confidential (DfE), 'low' too small to publish (DfE APS extracts),
# 'u' unreliable (DfE APS extracts, on CI columns), 'x' not available, '..' not available.
SUPPRESSION_CODES: dict[str, str] = {
    "!": "missing",
    "*": "missing",
    "~": "missing",
    "c": "missing",
    "low": "missing",
    "u": "missing",
    "x": "missing",
    "..": "missing",
    ":": "missing",
    "-": "zero",
}


@dataclass
class SourceResult:
    """What a reader returns: a validated panel and an honest account of what it did."""

    source: str
    panel: pd.DataFrame
    files: list[Path]
    suppressed: Counter = field(default_factory=Counter)  # code -> cells
    unmatched_areas: list[str] = field(default_factory=list)  # names that matched no code
    areas: pd.DataFrame | None = None  # areas this source defines (area, name, type, parent)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # reference tables that are not counts
    notes: list[str] = field(default_factory=list)
    last_observed: str = ""  # the last period observed, as published ("Oct-Dec 2025"); "" = the panel's last observed year


def read_csv_checked(path: Path, required: list[str], **options) -> pd.DataFrame:
    """Read a CSV as text, failing in one line on an empty file, bad encoding or missing columns.

    Column names are stripped of stray spaces (some DfE extracts have them).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=options.pop("encoding", "utf-8"), **options)
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); expected a UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file; expected a header row with {required}") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: not a well-formed CSV ({str(error).splitlines()[0]})") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing} in the header row; found {list(frame.columns)[:12]}")
    if frame.empty:
        raise DataError(f"{path}: header but no data rows")
    return frame


def read_header(path: Path) -> list[str]:
    """The stripped column names of a CSV, to tell which file it is; one-line errors."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        columns = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8").columns
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); expected a UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty file; expected a CSV with a header row") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: not a well-formed CSV ({str(error).splitlines()[0]})") from None
    return [str(column).strip() for column in columns]


def file_kind(path: Path, kinds: dict[str, list[str]], what: str) -> str:
    """Which kind of file ``path`` is, from its header row; a one-line error for anything else.

    For readers that take several files told apart by their columns (``kinds`` maps a kind
    to its required columns; ``what`` names the source in errors, e.g. "job advert"). The
    kind sharing most columns with the header wins (a complete match breaks ties), so a
    file missing a column is reported as such, never mistaken for a narrower kind.
    """
    found = set(read_header(path))
    overlap, complete, kind = max((len(found & set(required)), set(required) <= found, kind) for kind, required in kinds.items())
    if complete:
        return kind
    if overlap >= 2:
        missing = [column for column in kinds[kind] if column not in found]
        raise DataError(f"{path}: missing column(s) {missing} in the header row for a {kind} file; found {sorted(found)[:12]}")
    raise DataError(f"{path}: not a {what} file this reader knows (header {sorted(found)[:8]}); expected one of {list(kinds.values())}")


def raise_first_bad(bad: pd.Series, values: pd.Series, path: Path, column: str, expected: str) -> None:
    """If any row is flagged ``bad``, a one-line DataError naming the first: file, line, column, value.

    So every reader reports a bad cell the same way. ``bad`` and ``values`` (the cells as
    published, or as stripped) are in file order, one row per data line after a one-line
    header, so position 0 is line 2.
    """
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(f"{path}: line {position + 2}, column {column!r}, value {values.iloc[position]!r}: expected {expected}")


def map_labels(text: pd.Series, mapping: dict[str, str], path: Path, column: str, *, any_case: bool = True) -> pd.Series:
    """Published labels -> contract codes; an unknown label is a DataError naming its line.

    Publishers label area types, levels and bands in their own words; each reader keeps
    its table (``mapping``) and shares this check. With ``any_case`` (the default) labels
    are matched stripped and lower-cased, so ``mapping``'s keys must be lower case; without
    it they must match a key exactly.
    """
    mapped = (text.str.strip().str.lower() if any_case else text).map(mapping)
    raise_first_bad(mapped.isna(), text, path, column, f"one of {sorted(mapping)}{' (any case)' if any_case else ''}")
    return mapped


def parse_years(text: pd.Series, path: Path, column: str) -> pd.Series:
    """Calendar years as published ('2017', stray spaces allowed); anything else is a DataError naming the line."""
    stripped = text.str.strip()
    raise_first_bad(~stripped.str.fullmatch(r"\d{4}"), text, path, column, "a year such as 2017")
    return stripped.astype(int)


def parse_counts(text: pd.Series, path: Path, column: str, suppressed: Counter, header_lines: int = 1) -> pd.Series:
    """Numbers from published text cells; suppression codes become NaN (or 0 for '-').

    Each suppressed cell is counted in ``suppressed`` under its code. Any other text is a
    ``DataError`` naming the file, line (1 = header) and column. ``text``'s index must be
    the 0-based data-row position in the file.
    """
    cleaned = text.astype(str).str.strip().str.replace(",", "", regex=False)
    codes = cleaned.str.lower()
    is_code = codes.isin(list(SUPPRESSION_CODES))
    empty = cleaned == ""
    numbers = pd.to_numeric(cleaned.where(~is_code & ~empty), errors="coerce")
    bad = numbers.isna() & ~is_code & ~empty
    if bad.any():
        position = bad.to_numpy().nonzero()[0][0]
        line = int(text.index[position]) + header_lines + 1
        raise DataError(
            f"{path}: line {line}, column {column!r}, value {text.iloc[position]!r}: expected a number or a suppression code {sorted(SUPPRESSION_CODES)}"
        )
    for code, count in codes[is_code].value_counts().items():
        suppressed[code] += int(count)
    if empty.any():
        suppressed["(blank)"] += int(empty.sum())
    zero = codes.map(SUPPRESSION_CODES).eq("zero")
    return numbers.mask(zero, 0.0).astype("float64")


def slug(text: str) -> str:
    """A stable code for a category or place known only by its name."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def unmatched_area_code(area_type: str, name: str) -> str:
    """The code given to a named area that matches no official code: kept, never guessed."""
    return f"{area_type}:{slug(name)}"


def match_areas(names: pd.Series, area_type: str, geography: Geography, result: SourceResult) -> pd.Series:
    """Codes for a column of area names; unmatched names keep a ``type:slug`` code and are reported.

    The areas so created are added to ``result.areas`` so the store's geography names them.
    """
    match = geography.match_names(names.unique(), area_type)
    codes = names.map(match.codes).astype(object)
    if match.unmatched:
        result.unmatched_areas.extend(f"{area_type} {name!r}" for name in match.unmatched)
        extra = pd.DataFrame(
            {
                "area": [unmatched_area_code(area_type, name) for name in match.unmatched],
                "name": match.unmatched,
                "type": area_type,
                "parent": "",
            }
        )
        result.areas = extra if result.areas is None else pd.concat([result.areas, extra], ignore_index=True)
        codes = codes.fillna(names.map(lambda name: unmatched_area_code(area_type, name)))
    return codes


def parse_cells(table: pd.DataFrame, text: str, column: str, dropped: pd.Series, result: SourceResult) -> pd.Series:
    """Every cell checked as a number; suppression codes counted only for cells kept.

    For readers that merge overlapping files and keep one copy of each cell: the copies
    dropped (``dropped`` True) are still checked, so a bad file fails loudly, but their
    suppression codes are not counted, so ``result.suppressed`` describes exactly the
    panel. ``table`` holds one row per cell with ``path``, ``line`` (in its file), the
    published text in column ``text`` and the published column name in column ``column``.
    """
    values = pd.Series(np.nan, index=table.index)
    scratch: Counter = Counter()
    for (path, name, is_dropped), part in table.groupby(["path", column, dropped], sort=False):
        counter = scratch if is_dropped else result.suppressed
        parsed = parse_counts(part[text].set_axis(part["line"] - 2), Path(path), name, counter)
        values[part.index] = parsed.to_numpy()
    return values


def note_overlap(table: pd.DataFrame, key: list[str], dropped: pd.Series, result: SourceResult, message: str) -> None:
    """Note how many cells two files both give, and how many of those disagree.

    For readers that keep one copy of each cell (see ``parse_cells``): a quiet disagreement
    between two releases should be visible. ``message`` is formatted with ``{both}`` (cells
    in both files) and ``{differ}`` (how many of them differ); two NaNs count as equal.
    Nothing is noted when no cell was dropped.
    """
    if not dropped.any():
        return
    both = table.loc[dropped, key + ["value"]].merge(table.loc[~dropped, key + ["value"]], on=key, suffixes=("_dropped", "_kept"))
    same = (both["value_dropped"] == both["value_kept"]) | (both["value_dropped"].isna() & both["value_kept"].isna())
    result.notes.append(message.format(both=len(both), differ=int((~same).sum())))
