"""Backtest on the real SI2035 panel, on the setup of issue #4's peer table.

2205 employment series (SOC 2020 major, sub-major, total and RQF levels; 49 areas),
cutoffs 2013-2016, horizons 1-4, observations only (years <= 2020). Peers measured with
statsforecast 2.1.1 (issue #4): Naive MASE 1.870, AutoETS 1.892, AutoTheta 1.902,
RandomWalkWithDrift 1.968.
Rerun: .venv/bin/python benchmarks/bench_si2035_backtest.py [DATA_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from skillcast.backtest import rolling_origin, score
from skillcast.config import Config
from skillcast.forecasters import make_forecaster
from skillcast.schema import observations, series_count
from skillcast.sources.si2035 import read_employment_wide

PEERS = {"Naive": 1.870, "AutoETS": 1.892, "AutoTheta": 1.902, "RandomWalkWithDrift": 1.968}


def main() -> None:
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Config.from_env().data_dir
    started = time.perf_counter()
    panel = read_employment_wide(data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv")
    panel = observations(panel)
    panel = panel.loc[panel["classification"] != "industry"]
    read_seconds = time.perf_counter() - started
    models = {name: make_forecaster(name) for name in ("naive", "drift", "lightgbm")}
    result = rolling_origin(panel, models, [2013, 2014, 2015, 2016], horizon=4, production="lightgbm")
    table = score(result)
    best_peer = min(PEERS.values())
    table["vs_best_peer"] = table["mase"] / best_peer
    print(f"SI2035 backtest: {series_count(panel)} series, cutoffs 2013-2016, horizon 4 (read in {read_seconds:.1f} s)")
    print(table[["model", "mase", "smape", "coverage_80", "coverage_95", "seconds", "vs_best_peer"]].to_string(index=False, float_format="%.3f"))
    print("peers (statsforecast 2.1.1, issue #4): " + ", ".join(f"{name} {mase:.3f}" for name, mase in PEERS.items()))
    print("\nrerun: .venv/bin/python benchmarks/bench_si2035_backtest.py")


if __name__ == "__main__":
    main()
