"""What a figure rests on: ``observed``, a ``nowcast`` or a ``forecast``.

A model's figure for a year after the last observation but not after "today"
(``Config.nowcast_until``, a setting rather than the clock so a rerun labels alike) is a
``nowcast``: the year has happened, newer data may exist. Forecast rows, gap rows, the
report and the workbook all label their rows with this one rule.
"""

from __future__ import annotations

import pandas as pd

BASES: tuple[str, ...] = ("observed", "nowcast", "forecast")  # what a forecast or gap row's ``basis`` may be, in time order


def label_nowcast(frame: pd.DataFrame, nowcast_until: int | None, year: str) -> pd.DataFrame:
    """``frame`` with its model rows (``forecast``, or supply's ``projected``) up to
    ``nowcast_until`` (column ``year``) labelled ``nowcast``: years that have already
    happened but were not observed in the data the model was fitted on. None leaves the
    labels as they are."""
    if nowcast_until is None or frame.empty or "basis" not in frame or year not in frame:
        return frame
    nowcast = frame["basis"].isin(("forecast", "projected")) & (frame[year] <= nowcast_until)
    return frame.assign(basis=frame["basis"].where(~nowcast, "nowcast")) if nowcast.any() else frame
