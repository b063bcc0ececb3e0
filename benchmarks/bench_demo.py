"""How long the demo job takes, stage by stage, and how accurate it is on the demo data.

Target (issue #2): the whole `skillcast demo` under 60 s on the 2-core reference machine.
Rerun: .venv/bin/python benchmarks/bench_demo.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from skillcast.config import Config
from skillcast.data.demo import demo_panel
from skillcast.pipeline import demo_inputs, run_job


def main() -> None:
    timings: dict[str, float] = {}
    clock = [time.perf_counter(), None]

    def stage(name: str) -> None:
        now = time.perf_counter()
        if clock[1]:
            timings[clock[1]] = now - clock[0]
        clock[0], clock[1] = now, name

    with tempfile.TemporaryDirectory() as home:
        config = Config(home=Path(home))
        started = time.perf_counter()
        stage("generate demo data")
        panel, geography = demo_panel(seed=config.seed)
        result = run_job(demo_inputs(panel, geography, config.targets), config, progress=stage)
        stage("track in MLflow (log + register)")
        from skillcast.mlops.tracking import log_pipeline_run

        log_pipeline_run(config, result, run_name="benchmark")
        stage("end")
        total = time.perf_counter() - started

    print(f"demo pipeline, {result.bundle.metadata['series']} series, cutoffs {result.cutoffs}, horizon {config.backtest_horizon}")
    for name, seconds in timings.items():
        print(f"  {name:<34} {seconds:6.2f} s")
    print(f"  {'total (in-process, after import)':<34} {total:6.2f} s   target < 60 s")
    print()
    print(result.metrics[["model", "mase", "smape", "coverage_80", "coverage_95", "seconds"]].to_string(index=False, float_format="%.3f"))
    print("\nrerun: .venv/bin/python benchmarks/bench_demo.py")


if __name__ == "__main__":
    main()
