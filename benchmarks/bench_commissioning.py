"""Commissioning (#25): what the labour reserve, a scenario and a comparison cost, and their figures
for the four councils of the issue (Cornwall, Leeds, Greater Manchester CA, Hull).

- the labour reserve of every area (the job's stage), seconds;
- a scenario (2,000 graduates a year kept from 2026) beside the baseline, per area: the first call
  fits the demand model (what the service's first scenario waits for), later ones do not;
- a £5m budget per council turned into starts by route at Skills England's funding bands
  (``skillcast priorities --budget 5000000``, run through the CLI);
- (the comparison of areas needs every area's gaps, a bundle's: its figures are in
  tests/serving/test_service_areas.py and BENCHMARKS.md's bench_areas lines.)

Rerun: .venv/bin/python benchmarks/bench_commissioning.py [DATA_DIR] [--store STORE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from stores import ingested_store  # noqa: E402

from skillcast.config import Config  # noqa: E402
from skillcast.data.store import Store  # noqa: E402
from skillcast.pipeline import store_inputs  # noqa: E402
from skillcast.pipeline.what_if import WhatIf  # noqa: E402
from skillcast.skills.labour_reserve import latest_rows  # noqa: E402
from skillcast.skills.scenarios import Scenario  # noqa: E402

COUNCILS = {"Cornwall": "E06000052", "Leeds": "E08000035", "Greater Manchester": "E47000001", "Hull": "E06000010"}
GRADUATES = Scenario(name="keep graduates", retention=[{"level": "level4plus", "people_per_year": 2000, "from_year": 2026}])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--store")
    arguments = parser.parse_args()
    with ingested_store(arguments.data, arguments.store) as folder:
        inputs = store_inputs(Store(folder))
        began = time.perf_counter()
        reserve, info = inputs.labour_reserve()
        seconds = time.perf_counter() - began
        print(
            f"labour reserve: {reserve['area'].nunique()} areas, {len(reserve):,} rows in {seconds:.1f} s (f = {info['sampling_fraction']:.5f})"
        )
        latest = latest_rows(reserve.loc[reserve["area"].isin(COUNCILS.values()) & (reserve["level"] == "all")])
        wide = latest.pivot_table(index="area", columns="measure", values="value")
        for name, code in COUNCILS.items():
            row = wide.loc[code]
            print(
                f"  {name:20} reserve {row['reserve'] / 1e3:6.1f}k  inactivity {row['inactivity_rate']:.1%}  "
                f"unemployment {row['unemployment_rate']:.1%}  at England's rates {row['at_england_rates'] / 1e3:5.1f}k"
            )
        what_if = WhatIf(lambda: inputs, Config())
        print("scenario 'keep graduates' (2,000 level 4+ a year from 2026), effect on the high band's gap:")
        for name, code in COUNCILS.items():
            began = time.perf_counter()
            result = what_if.run(code, GRADUATES)
            seconds = time.perf_counter() - began
            effect = result.effects.set_index(["band", "year"]).loc[("high", 2030)]
            print(
                f"  {name:20} {seconds:5.1f} s  2030: {effect['baseline_gap']:+9,.0f} -> {effect['scenario_gap']:+9,.0f} "
                f"(effect {effect['effect']:+,.0f}, 80% {effect['effect_lo_80']:+,.0f} to {effect['effect_hi_80']:+,.0f})"
            )
        print("a £5,000,000 budget, starts by route (apprenticeship / foundation apprenticeship / unit) and the cost per start:")
        for name, code in COUNCILS.items():
            began = time.perf_counter()
            table = _priorities(folder, code)
            seconds = time.perf_counter() - began
            starts = {route: table[f"starts_{route}"].sum() for route in ("apprenticeship", "foundation", "unit")}
            print(
                f"  {name:20} {seconds:5.1f} s  starts {table['starts'].sum():6,.0f} = {starts['apprenticeship']:5,.0f} + "
                f"{starts['foundation']:4,.0f} + {starts['unit']:4,.0f}  (£{5_000_000 / table['starts'].sum():,.0f} a start on average)"
            )
    print("(the comparison runs on a bundle's gaps: benchmarks/bench_areas.py builds one; see tests/serving/test_service_areas.py)")
    print(f"rerun: .venv/bin/python benchmarks/bench_commissioning.py {arguments.data}")


def _priorities(store: Path, code: str):
    """The council's ranking with the budget allocated, as ``skillcast priorities --out`` writes it."""
    import tempfile

    import pandas as pd
    from typer.testing import CliRunner

    from skillcast.cli.main import app

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "priorities.csv"
        arguments = ["priorities", "--data", str(store), "--area", code, "--budget", "5000000", "--draws", "200", "--out", str(out)]
        result = CliRunner().invoke(app, arguments)
        if result.exit_code != 0:
            raise SystemExit(result.output)
        return pd.read_csv(out, dtype={"occupation": str})


if __name__ == "__main__":
    main()
