"""Scale: a synthetic national panel of ~150,000 series (361 areas x 412 SOC 2020 unit
groups, 15 years): backtest one cutoff, fit, forecast 10 years; wall time and peak memory.

Targets: under 60 s and 4 GB on the 2-core reference machine with the production model
(#14; #4 asked for 5 minutes and 8 GB).
Rerun: .venv/bin/python benchmarks/bench_scale.py [--models naive,reconciled:national_mix] [--with-hierarchy]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from skillcast.data.schema import series_count
from skillcast.engine.backtest import rolling_origin, score
from skillcast.engine.factory import make_forecaster


def synthetic_panel(areas: int = 361, units: int = 412, years: int = 15, hierarchy: bool = False, seed: int = 0) -> pd.DataFrame:
    """Area 0 is the nation (the sum of the others); unit groups follow national trends."""
    rng = np.random.default_rng(seed)
    periods = np.arange(2010, 2010 + years)
    national_trend = rng.normal(0.0, 0.03, units)
    national = 30e6 / units * rng.dirichlet(np.full(units, 2.0)) * units
    paths = national[:, None] * np.exp(
        national_trend[:, None] * np.arange(years)[None, :] + rng.normal(0, 0.01, (units, years)).cumsum(axis=1)
    )
    shares = rng.dirichlet(np.full(areas - 1, 3.0))
    local = shares[:, None, None] * paths[None, :, :] * np.exp(rng.normal(0, 0.08, (areas - 1, units, years)))
    values = np.concatenate([local.sum(axis=0, keepdims=True), local], axis=0).round()
    codes = [f"{1 + index // 46}{(index // 10) % 10}{index % 10}{index % 7}" for index in range(units)]
    area_codes = ["NATION"] + [f"A{index:04d}" for index in range(1, areas)]
    frame = pd.DataFrame(
        {
            "area": np.repeat(area_codes, units * years),
            "measure": "employment",
            "classification": "soc2020_unit",
            "code": np.tile(np.repeat(codes, years), areas),
            "period": np.tile(periods, areas * units),
            "value": values.reshape(-1),
        }
    )
    if hierarchy:
        totals = frame.groupby(["area", "measure", "period"], as_index=False)["value"].sum().assign(classification="all", code="all")
        frame = pd.concat([frame, totals[frame.columns]], ignore_index=True)
    return frame


def peak_memory_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="naive,reconciled:national_mix", help="the last one is fitted and forecast as production")
    parser.add_argument("--with-hierarchy", action="store_true", help="add each area's total (reconciliation has work to do)")
    arguments = parser.parse_args()
    started = time.perf_counter()
    panel = synthetic_panel(hierarchy=arguments.with_hierarchy)
    made = time.perf_counter()
    names = arguments.models.split(",")
    print(f"{series_count(panel):,} series x 15 years ({len(panel):,} rows) made in {made - started:.1f} s", flush=True)
    models = {name: make_forecaster(name) for name in names}
    result = rolling_origin(panel, models, [2020], horizon=4, production=names[-1])
    backtested = time.perf_counter()
    print(f"backtest (1 cutoff, h=4, {len(names)} models): {backtested - made:.1f} s", flush=True)
    production = make_forecaster(names[-1]).fit(panel)
    fitted = time.perf_counter()
    forecasts = production.predict(10)
    done = time.perf_counter()
    print(f"fit {names[-1]}: {fitted - backtested:.1f} s; forecast 10 years ({len(forecasts):,} rows): {done - fitted:.1f} s")
    print(score(result)[["model", "mase", "coverage_80", "coverage_95", "seconds"]].to_string(index=False, float_format="%.3f"))
    print(f"total {done - started:.1f} s (target < 60 s); peak memory {peak_memory_gb():.2f} GB (target < 4 GB)")
    print("\nrerun: .venv/bin/python benchmarks/bench_scale.py")


if __name__ == "__main__":
    main()
