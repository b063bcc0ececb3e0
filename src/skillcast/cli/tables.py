"""Tables that stay readable in an 80-column terminal.

Rich fits a table to the terminal by shrinking its columns; with boxed borders and a dozen
columns, figures and labels end up cut to one or two letters. The tables here:

* have no vertical rules (two spaces between columns, a rule under the header);
* never shrink a number or label column below its widest cell: its header wraps at its
  words instead ("jobs to fill" becomes "jobs / to fill");
* let only text columns (names, descriptions; intervals, right-aligned, at " to ") wrap, at spaces;
* leave prose out of the table: ``notes_below`` prints each row's long text under it, keyed
  by the row, with a hanging indent;
* given the console's width, leave out the columns a command marks as optional (a rank)
  rather than squeeze the text columns below ``text_room``, and say so in the caption.

Cells may hold Rich markup (a coloured rating); widths are measured on the text shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.table import Table
from rich.text import Text

NUMBER, LABEL, TEXT, INTERVAL = "number", "label", "text", "interval"


def _width(cell: str) -> int:
    return max((Text.from_markup(line).cell_len for line in str(cell).split("\n")), default=0)


def _room(kind: str, header: str, cells: list[str], text_room: int) -> int:
    """The width a column needs: its widest cell (or, for text, up to ``text_room``), at least its header's longest word."""
    longest_word = max((len(word) for word in header.split()), default=0)
    if kind == TEXT:
        return max(min(text_room, max((_width(cell) for cell in cells), default=0)), longest_word)
    if kind == INTERVAL:  # "-31k to +24k" stays whole, or wraps after "to"
        return max(max((_width(side) + 3 for cell in cells for side in str(cell).split(" to ")), default=0), longest_word)
    return max(max((_width(cell) for cell in cells), default=0), longest_word)


def narrow_table(
    title: str,
    columns: Sequence[tuple],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
    text_room: int = 14,
    left_out_note: str = "--out writes every column",
) -> Table:
    """A compact table of ``columns`` holding ``rows`` of strings.

    A column is (header, NUMBER | LABEL | TEXT | INTERVAL) or (header, kind, rank): with a ``width``
    (the console's), columns with a rank are left out, lowest rank first, until every text column
    has ``text_room`` characters; the caption names them and says where they are (``left_out_note``).
    """
    kept = list(range(len(columns)))
    needed = [_room(column[1], column[0], [row[index] for row in rows], text_room) for index, column in enumerate(columns)]
    droppable = sorted((column[2], index) for index, column in enumerate(columns) if len(column) > 2)
    while width is not None and droppable and sum(needed[i] for i in kept) + 2 * (len(kept) - 1) > width:
        kept.remove(droppable.pop(0)[1])
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0), pad_edge=False, header_style="bold"
    )
    for index in kept:
        header, kind = columns[index][:2]
        if kind == TEXT:
            table.add_column(header, overflow="fold")
        elif kind == INTERVAL:
            table.add_column(header, justify="right", overflow="fold", min_width=needed[index])
        else:
            table.add_column(header, justify="right" if kind == NUMBER else "left", width=needed[index])
    for row in rows:
        table.add_row(*(row[index] for index in kept))
    left_out = [columns[index][0] for index in range(len(columns)) if index not in kept]
    if left_out:
        table.caption = f"left out to fit {width} columns: {', '.join(left_out)}; {left_out_note}"
        table.caption_justify = "left"
    return table


def notes_below(title: str, notes: Sequence[tuple[str, str]]) -> Table:
    """(key, text) pairs, one per row of the table above: the key, then its text wrapped under itself."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.title = title
    grid.title_justify = "left"
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(overflow="fold")
    for key, text in notes:
        grid.add_row(key, text)
    return grid
