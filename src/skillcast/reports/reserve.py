"""The labour reserve as people read it: labels, numbers in words, the report's section and the workbook's sheet.

Pure. One wording for the CLI (``cli/reserve.py``), the report and the workbook, from the long table of
``skills.labour_reserve`` (``RESERVE_COLUMNS``).
"""

from __future__ import annotations

import pandas as pd

from skillcast.skills.labour_reserve import MEASURES, comparison_year, fill_gaps, latest_rows

RATES = ("unemployment_rate", "inactivity_rate", "inactivity_trend")
SHOWN = ("population_16_64", "unemployed", "inactive", "inactive_wanting_job", "reserve", "young_reserve", *RATES, "at_england_rates")
LABELS = {
    "population_16_64": "people 16-64",
    "unemployed": "unemployed",
    "inactive": "inactive",
    "inactive_wanting_job": "inactive, want a job",
    "reserve": "labour reserve",
    "young_reserve": "of which 16-24",
    "unemployment_rate": "unemployment rate",
    "inactivity_rate": "inactivity rate",
    "inactivity_trend": "inactivity trend a year",
    "at_england_rates": "active at England's rates",
}
METHOD = (
    "Labour reserve = the unemployed + the economically inactive who want a job (England's share of the inactive, "
    "applied to every area); intervals are 80%, from the survey's sampling error (estimated from the APS's own "
    "year-to-year noise). 'At England's rates': the people who would be active if the area had England's inactivity and "
    "unemployment rates, split by level with an estimated mix; set against each band's gap. In the APS Apr-Mar years "
    "the unemployed are 16+ (16-64 in the Jan-Dec years). Method and assumptions: docs/labour_reserve.md."
)


def value_text(measure: str, value: float | None) -> str:
    """A reserve figure in words: people as k/m, rates as %, the trend in points a year; '-' when missing."""
    if value is None or pd.isna(value):
        return "-"
    if measure == "inactivity_trend":
        return f"{value * 100:+.2f} pt"
    if measure in RATES:
        return f"{value * 100:.1f}%"
    return f"{value / 1e6:.2f}m" if abs(value) >= 1e6 else f"{value / 1e3:,.1f}k"


def summary_rows(rows: pd.DataFrame) -> list[dict]:
    """The newest figure of each shown measure: label, value, 80% interval, England's rate and the period."""
    latest = latest_rows(rows)
    indexed = latest.loc[latest["level"] == "all"].set_index("measure")
    out = []
    for measure in [measure for measure in SHOWN if measure in indexed.index]:
        row = indexed.loc[measure]
        interval = "" if pd.isna(row["lo_80"]) else f"{value_text(measure, row['lo_80'])} to {value_text(measure, row['hi_80'])}"
        out.append(
            {
                "measure": measure,
                "label": LABELS[measure],
                "description": MEASURES[measure],
                "value": value_text(measure, row["value"]),
                "interval": interval,
                "england": value_text(measure, row["england"]),
                "period": str(row["period"]),
                "exact": float(row["value"]),
            }
        )
    return out


def level_rows(rows: pd.DataFrame) -> list[dict]:
    """The reserve and the people active at England's rates by highest qualification (estimated mix)."""
    latest = latest_rows(rows)
    by_level = latest.loc[latest["measure"].isin(["reserve_by_level", "at_england_rates_by_level"])]
    values = by_level.pivot_table(index="level", columns="measure", values="value", sort=False)
    return [
        {
            "level": str(level),
            "reserve": value_text("reserve", row.get("reserve_by_level")),
            "at_england_rates": value_text("reserve", row.get("at_england_rates_by_level")),
        }
        for level, row in values.iterrows()
    ]


def fill_rows(rows: pd.DataFrame, gaps: pd.DataFrame, area: str, year: int | None = None) -> tuple[int | None, pd.DataFrame]:
    """The gap year the reserve is set against and ``fill_gaps`` there (empty without gaps for the area)."""
    own = gaps.loc[gaps["area"] == area] if len(gaps) and "area" in gaps else gaps.iloc[0:0]
    if own.empty or rows.empty:
        return None, pd.DataFrame()
    gap_year = comparison_year(rows, sorted(int(value) for value in own["year"].unique()), year)
    return gap_year, fill_gaps(rows, own, area, gap_year)


def fill_records(fill: pd.DataFrame) -> list[dict]:
    """``fill_rows`` in words for the report: band, gap and its 80% range, at England's rates, could fill (share)."""
    return [
        {
            "band": row.band,
            "gap": f"{row.gap / 1e3:+,.1f}k",
            "interval": f"{row.gap_lo_80 / 1e3:+,.1f}k to {row.gap_hi_80 / 1e3:+,.1f}k",
            "at_england_rates": value_text("reserve", row.at_england_rates),
            "filled": value_text("reserve", row.filled) + (f" ({row.share_filled:.0%})" if pd.notna(row.share_filled) else ""),
        }
        for row in fill.itertuples()
    ]


def reserve_sheet(reserve: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """The workbook's labour-reserve sheet: every area's rows with each measure described, and each band's gap beside
    the people England's rates would bring into work (``filled``) at the reserve's newest year."""
    if reserve is None or reserve.empty:
        return pd.DataFrame()
    sheet = reserve.assign(description=reserve["measure"].map(MEASURES))
    fills = []
    for area in dict.fromkeys(reserve["area"]):
        gap_year, fill = fill_rows(reserve.loc[reserve["area"] == area], gaps, area)
        if len(fill):
            fills.append(fill.assign(area=area, year=gap_year, measure="gap_vs_reserve"))
    if fills:
        joined = pd.concat(fills, ignore_index=True).rename(columns={"band": "level"})
        sheet = pd.concat([sheet, joined], ignore_index=True)
    return sheet.rename(columns={"value": "figure", "lo_80": "figure_lo_80", "hi_80": "figure_hi_80"})


def report_section(rows: pd.DataFrame, gaps: pd.DataFrame, area: str, info: dict | None = None) -> dict | None:
    """What the report's labour-reserve section shows; None when the area has no survey figures."""
    if rows is None or rows.empty:
        return None
    info = info or {}
    gap_year, fill = fill_rows(rows, gaps, area)
    share = info.get("wants_job_share")
    summary = summary_rows(rows)
    return {
        "period": next((row["period"] for row in summary if row["measure"] == "reserve"), ""),
        "summary": summary,
        "levels": level_rows(rows),
        "fill": fill_records(fill),
        "year": gap_year,
        "method": METHOD,
        "share": f"{share:.1%} ({info.get('national_period') or 'set: no national series'})" if share is not None else "",
    }
