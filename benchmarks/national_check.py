"""The national check (issue #5): England's skills gap in 2024 by skillcast's method, beside the
LGA / Learning and Work Institute figures, plus the replacement-demand check against SI2035.

Prints the tables in docs/national_check.md. It ingests the data folder into a temporary
store (as `skillcast ingest all` does), then runs the gaps analysis for England.
Rerun: .venv/bin/python benchmarks/national_check.py [DATA_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from skillcast.cli.gaps import _load_inputs
from skillcast.cli.main import app
from skillcast.config import Config
from skillcast.skills.demand import ENGLAND
from skillcast.skills.gaps import GapSettings, analyse, fit_demand

BANDS = ("low", "intermediate", "high")
PUBLISHED_2024 = {"low": -6.2e6, "intermediate": -1.9e6, "high": 4.2e6}  # LGA / L&W 2017: positive = too few people


def m(value: float) -> str:
    return f"{value / 1e6:+.2f}m"


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Config.from_env().data_dir
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as temp:
        store = Path(temp) / "data"
        result = CliRunner().invoke(app, ["ingest", "all", str(folder), "--out", str(store)])
        if result.exit_code != 0:
            raise SystemExit(result.output)
        inputs = _load_inputs(store, demo=False)
        settings = GapSettings()
        forecast = fit_demand(inputs, settings)
        people = analyse(inputs, settings, forecast, [ENGLAND])
        active = analyse(inputs, settings.model_copy(update={"active": True}), forecast, [ENGLAND])
    rate = inputs.activity[ENGLAND]

    print(f"England, 2024 (gap = demand - supply; positive = too few people). Activity rate used: {rate:.3f}\n")
    print(
        "| band | LGA / L&W (2017) | skillcast, people 16-64 [80%] | skillcast, economically active [80%] | demand 2024 (jobs) | supply 2024 (people) | SI2035 demand 2024 |"
    )
    print("|---|---|---|---|---|---|---|")
    for band in BANDS:
        row = people.gaps.query("band == @band and year == 2024").iloc[0]
        alt = active.gaps.query("band == @band and year == 2024").iloc[0]
        ref = people.demand.query("band == @band and year == 2024")["reference_demand"].iloc[0]
        print(
            f"| {band} | {m(PUBLISHED_2024[band])} | {m(row.gap)} [{m(row.gap_lo_80)} to {m(row.gap_hi_80)}] | "
            f"{m(alt.gap)} [{m(alt.gap_lo_80)} to {m(alt.gap_hi_80)}] | {row.demand / 1e6:.2f}m | {row.supply / 1e6:.2f}m | {ref / 1e6:.2f}m |"
        )

    print("\nWhat the data show without projecting (SI2035 jobs 2020, APS people 16-64 2020 and 2021):\n")
    print("| band | jobs 2020 | people 2020 | gap 2020 | people 2021 | active people 2021 (x rate) | gap 2020 jobs vs active 2021 |")
    print("|---|---|---|---|---|---|---|")
    supply = people.supply.table.set_index(["area", "band", "year"])["supply"]
    for band in BANDS:
        row = people.gaps.query("band == @band and year == 2020").iloc[0]
        p2021 = supply[(ENGLAND, band, 2021)]
        print(
            f"| {band} | {row.demand / 1e6:.2f}m | {row.supply / 1e6:.2f}m | {m(row.gap)} | {p2021 / 1e6:.2f}m | {p2021 * rate / 1e6:.2f}m | {m(row.demand - p2021 * rate)} |"
        )

    print("\nReplacement demand, England, 2021-2035 (skillcast: age structure of APS people x exit rates; SI2035: published 2020-2035):\n")
    print(
        "| band | skillcast replacement | SI2035 replacement | skillcast expansion | SI2035 net change | skillcast total requirement | SI2035 total requirement |"
    )
    print("|---|---|---|---|---|---|---|")
    window = people.demand.query("area == @ENGLAND and year > 2020")
    published = inputs.published.query("area == @ENGLAND").set_index("band")
    for band in (*BANDS, "all"):
        chosen = BANDS if band == "all" else (band,)
        ours = window.loc[window["band"].isin(chosen)]
        theirs = published.loc[list(chosen)]
        print(
            f"| {band} | {ours['replacement_demand'].sum() / 1e6:.2f}m | {theirs['replacement_demand'].sum() / 1e6:.2f}m | "
            f"{ours['expansion_demand'].sum() / 1e6:+.2f}m | {theirs['net_change'].sum() / 1e6:+.2f}m | "
            f"{ours['total_requirement'].sum() / 1e6:.2f}m | {theirs['total_requirement'].sum() / 1e6:.2f}m |"
        )

    print(
        "\nDemand cross-check, England (jobs by band: engine on RQF series vs occupation forecasts x 2020 qualification mix vs SI2035):\n"
    )
    print("| band | year | engine | occupations x mix | SI2035 projection |")
    print("|---|---|---|---|---|")
    for year in (2024, 2030, 2035):
        for band in BANDS:
            row = people.demand.query("band == @band and year == @year").iloc[0]
            print(
                f"| {band} | {year} | {row.demand / 1e6:.2f}m | {row.demand_by_occupation / 1e6:.2f}m | {row.reference_demand / 1e6:.2f}m |"
            )

    print(
        "\nThe same, split as low = up to level 2, intermediate = level 3 (a sensitivity: the LGA / L&W band edges are not restated here):\n"
    )
    print("| band | skillcast, people 16-64 | skillcast, economically active |")
    print("|---|---|---|")
    for label, levels in (("none to level 2", ("none", "level1", "level2")), ("level 3", ("level3",)), ("level 4+", ("level4plus",))):
        rows = people.gaps.loc[people.gaps["band"].isin(levels) & (people.gaps["year"] == 2024)]
        alt = active.gaps.loc[active.gaps["band"].isin(levels) & (active.gaps["year"] == 2024)]
        print(f"| {label} | {m(rows['gap'].sum())} | {m(alt['gap'].sum())} |")

    supply = supply.sort_index()
    high = supply.loc[(ENGLAND, "high")] / sum(supply.loc[(ENGLAND, band)] for band in BANDS)
    print(
        "\nShare of people 16-64 with level 4+ (cohort model): "
        + ", ".join(f"{year} {high[year]:.1%}" for year in (2017, 2021, 2024, 2030, 2035))
    )
    gap_2030 = people.gaps.query("band == 'high' and year == 2030").iloc[0]
    print(
        f"England high band 2030: gap {m(gap_2030.gap)}, 80% {m(gap_2030.gap_lo_80)} to {m(gap_2030.gap_hi_80)}, 95% {m(gap_2030.gap_lo_95)} to {m(gap_2030.gap_hi_95)}"
    )
    print(f"\n{time.perf_counter() - started:.1f} s. Rerun: .venv/bin/python benchmarks/national_check.py")


if __name__ == "__main__":
    main()
