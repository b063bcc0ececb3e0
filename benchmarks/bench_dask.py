"""Dask engine (issue #9): the 150,000-series synthetic panel on `local` and on a
2-worker LocalCluster, side by side: wall time, peak memory (client and workers), whether
the forecasts are identical, and how the work would divide on a larger cluster.

Each engine runs in its own process (so peak memory is its own): build the panel of
`bench_scale.py`, backtest one cutoff (naive + the production model), then fit the
production model on everything and forecast 10 years. The Dask run reports each
partition's compute time; the projection is per-partition time x partitions / workers.

Rerun: .venv/bin/python benchmarks/bench_dask.py [--workers 2] [--partitions N] [--no-hierarchy]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import synthetic_panel  # noqa: E402 - the same panel as the scale benchmark

from skillcast.data.schema import series_count  # noqa: E402
from skillcast.engine.backtest import rolling_origin, score  # noqa: E402
from skillcast.engine.factory import make_forecaster  # noqa: E402
from skillcast.engine.fanout import LocalEngine  # noqa: E402

MODELS = ("naive", "reconciled:national_share")
CUTOFF, HORIZON, FORECAST_YEARS = 2020, 4, 10


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def worker_peak_gb() -> float:
    """Run on a worker: its process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_one(engine_name: str, workers: int, partitions: int | None, hierarchy: bool, out: Path) -> dict:
    """One engine end to end in this process; forecasts to ``out`` for the comparison."""
    started = time.perf_counter()
    panel = synthetic_panel(hierarchy=hierarchy)
    made = time.perf_counter()
    figures: dict = {"engine": engine_name, "series": series_count(panel), "rows": len(panel), "make_panel_s": made - started}
    models = {name: make_forecaster(name) for name in MODELS}
    if engine_name == "local":
        engine, cluster = LocalEngine(), None
    else:
        from skillcast.engine.dask_engine import DaskEngine

        engine = DaskEngine(workers=workers, partitions=partitions, shared_dir=out.parent / "shared")
        _ = engine.client  # start the LocalCluster now, timed on its own
        cluster = time.perf_counter()
        figures["cluster_start_s"] = cluster - made
        made = cluster
    try:
        result = rolling_origin(panel, models, [CUTOFF], HORIZON, production=MODELS[-1], engine=engine)
        backtested = time.perf_counter()
        backtest_tasks = list(getattr(engine, "last_run", {}).get("tasks", []))
        _, forecasts = engine.fit_forecast(panel, make_forecaster(MODELS[-1]), FORECAST_YEARS)
        done = time.perf_counter()
        figures.update(
            backtest_s=backtested - made,
            fit_forecast_s=done - backtested,
            total_s=done - started,
            work_s=done - made,
            client_peak_gb=_peak_gb(),
        )
        metrics = score(result).set_index("model")
        figures["mase"] = {name: round(float(metrics.loc[name, "mase"]), 6) for name in MODELS}
        figures["backtest_seconds"] = {name: result.seconds[name] for name in MODELS}
        if engine_name == "dask":
            figures["partitions"] = len(engine.last_run["partitions"])
            figures["fit_tasks"] = engine.last_run["tasks"]
            figures["backtest_tasks"] = backtest_tasks
            figures["worker_peak_gb"] = list(engine.client.run(worker_peak_gb).values())
            figures["workers"] = len(figures["worker_peak_gb"])
        pd.concat([result.forecasts, forecasts.assign(model="fit")], ignore_index=True).to_parquet(out, index=False)
    finally:
        if engine_name == "dask":
            engine.close()
    return figures


def projection(tasks: list[dict], partitions: int, workers_now: int, wall: float) -> list[str]:
    """How the fit would divide on more workers: per-partition time x partitions / workers,
    for this panel and for a national one 100 times larger (100 x the partitions)."""
    seconds = sorted(task["seconds"] for task in tasks)
    mean, total = sum(seconds) / len(seconds), sum(seconds)
    client = max(wall - total / workers_now, 0.0)  # writing the panel, gathering, building the frames
    lines = [
        f"fit + forecast of the production model on {workers_now} workers: {partitions} partitions of "
        f"~{sum(task['series'] for task in tasks) / len(tasks):,.0f} series, per-partition compute mean {mean:.2f} s "
        f"(max {seconds[-1]:.2f} s), sum {total:.1f} s; wall {wall:.1f} s, so the client's share is ~{client:.1f} s",
        "",
        "| workers | this panel: mean x partitions / workers (at least one partition) | national user, 100x (15M series): mean x 100 partitions / workers |",
        "|---|---|---|",
    ]
    for workers in (workers_now, 8, 32, 128):
        national = mean * 100 * partitions / workers
        here = max(mean * partitions / workers, mean)  # never less than one partition with these partitions
        lines.append(f"| {workers} | {here:.2f} s | {national:.0f} s ({national / 60:.1f} min) |")
    lines.append("(plus the client's share, which grows with the panel: it writes the Parquet panel and builds the frames)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=None, help="area partitions (default: the engine's choice)")
    parser.add_argument("--no-hierarchy", action="store_true", help="leave out each area's total (no national series to carry)")
    parser.add_argument("--run", choices=["local", "dask"], help=argparse.SUPPRESS)  # one engine, in a child process
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run:
        figures = run_one(arguments.run, arguments.workers, arguments.partitions, not arguments.no_hierarchy, arguments.out)
        print("RESULT " + json.dumps(figures))
        return

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as folder:
        for name in ("local", "dask"):
            out = Path(folder) / f"{name}.parquet"
            command = [sys.executable, __file__, "--run", name, "--out", str(out), "--workers", str(arguments.workers)]
            command += ["--partitions", str(arguments.partitions)] if arguments.partitions else []
            command += ["--no-hierarchy"] if arguments.no_hierarchy else []
            print(f"running {name} ...", flush=True)
            finished = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
            line = next((line for line in finished.stdout.splitlines() if line.startswith("RESULT ")), None)
            if finished.returncode != 0 or line is None:
                sys.exit(f"{name} run failed:\n{finished.stdout[-2000:]}\n{finished.stderr[-4000:]}")
            results[name] = json.loads(line[len("RESULT ") :])
        identical = pd.read_parquet(Path(folder) / "local.parquet").equals(pd.read_parquet(Path(folder) / "dask.parquet"))

    local, dask = results["local"], results["dask"]
    print(
        f"\n{local['series']:,} series x 15 years ({local['rows']:,} rows){' with area totals' if not arguments.no_hierarchy else ''}; "
        f"backtest 1 cutoff (h={HORIZON}, {', '.join(MODELS)}), fit {MODELS[-1]} + forecast {FORECAST_YEARS} years"
    )
    print(f"forecasts identical on both engines (backtest and fit, every column): {'YES' if identical else 'NO'}\n")
    print("| | local | dask, 2-worker LocalCluster |")
    print("|---|---|---|")
    print(f"| make panel | {local['make_panel_s']:.1f} s | {dask['make_panel_s']:.1f} s |")
    print(f"| start cluster | - | {dask['cluster_start_s']:.1f} s |")
    print(f"| backtest (1 cutoff, 2 models) | {local['backtest_s']:.1f} s | {dask['backtest_s']:.1f} s |")
    print(f"| fit + forecast 10 y | {local['fit_forecast_s']:.1f} s | {dask['fit_forecast_s']:.1f} s |")
    print(f"| **total wall** | **{local['total_s']:.1f} s** | **{dask['total_s']:.1f} s** |")
    local_compute = " / ".join(f"{local['backtest_seconds'][name]:.1f}" for name in MODELS)
    dask_compute = " / ".join(f"{dask['backtest_seconds'][name]:.1f}" for name in MODELS)
    print(f"| compute seconds, backtest ({' / '.join(MODELS)}) | {local_compute} | {dask_compute} (sum over tasks) |")
    workers = dask["worker_peak_gb"]
    print(f"| peak memory, client | {local['client_peak_gb']:.2f} GB | {dask['client_peak_gb']:.2f} GB |")
    print(f"| peak memory, workers | - | {' + '.join(f'{gb:.2f}' for gb in workers)} GB |")
    print(f"| **peak memory, total** | **{local['client_peak_gb']:.2f} GB** | **{dask['client_peak_gb'] + sum(workers):.2f} GB** |")
    print(f"| MASE {MODELS[-1]} | {local['mase'][MODELS[-1]]:.4f} | {dask['mase'][MODELS[-1]]:.4f} |")
    print()
    for line in projection(dask["fit_tasks"], dask["partitions"], dask["workers"], dask["fit_forecast_s"]):
        print(line)
    print("\nrerun: .venv/bin/python benchmarks/bench_dask.py" + (f" --workers {arguments.workers}" if arguments.workers != 2 else ""))


if __name__ == "__main__":
    main()
