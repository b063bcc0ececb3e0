"""Every council's area (#15): how long all ~420 areas take, and what serving them costs.

Targets (issue #15), on the 2-core machine:
- `skillcast gaps --area all` for all ~420 areas in under 60 s;
- the quarterly retrain with all areas under 3 minutes (`--retrain`: the `make retrain` path,
  `skillcast retrain --config training/quarterly.toml --data DATA` with a fresh SKILLCAST_HOME);
- one area's API answer stays a dictionary lookup (the bundle's indexes);
- the service with every area loaded under 500 MB resident (the worker process).

It ingests the data folder into a temporary store unless given one, runs `skillcast gaps
--area all`, builds the bundle the retrain serves (gaps and priorities of every area), times
one area's lookup in the bundle by code and by name, then starts `skillcast serve` on it
(127.0.0.1), measures the resident memory of its processes and the latency of /gaps by name.

Rerun: .venv/bin/python benchmarks/bench_areas.py [DATA_DIR] [--store STORE] [--retrain]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
SKILLCAST = [sys.executable, "-m", "skillcast.cli.main"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(command: list[str], env: dict | None = None) -> float:
    began = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - began


def serve_and_measure(bundle: Path, folder: Path, code: str, name: str) -> dict:
    from skillcast.api.keys import create_key

    keys = folder / "keys.json"
    key = create_key(keys, "bench")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [*SKILLCAST, "serve", "--bundle", str(bundle), "--port", str(port), "--api-keys-file", str(keys)]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("the service exited before it was ready")
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.perf_counter() - began > 180:
                raise SystemExit("the service was not ready within 180 s")
            time.sleep(0.2)
        ready = time.perf_counter() - began
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for area in (code, name):
                assert client.post("/gaps", json={"area": area}).status_code == 200
            latencies = {}
            for label, area in (("code", code), ("name", name)):
                samples = []
                for _ in range(200):
                    start = time.perf_counter()
                    client.post("/gaps", json={"area": area, "band": "high"})
                    samples.append((time.perf_counter() - start) * 1000)
                latencies[label] = statistics.median(samples)
        tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        rss = {proc.pid: proc.memory_info().rss / 2**20 for proc in tree if proc.is_running()}
        return {"ready_s": ready, "rss_mb": rss, "latency_ms": latencies}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", nargs="?", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--store", help="an ingested store (else the data folder is ingested into a temporary one)")
    parser.add_argument("--retrain", action="store_true", help="also time the quarterly retrain (fresh SKILLCAST_HOME)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        store = Path(args.store) if args.store else folder / "data"
        if not args.store:
            print(f"ingest: {timed([*SKILLCAST, 'ingest', 'all', args.data, '--out', str(store)], env):.1f} s")
        seconds = timed(
            [*SKILLCAST, "gaps", "--data", str(store), "--area", "all", "--year", "all", "--out", str(folder / "all.parquet")], env
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        import pandas as pd

        areas = pd.read_parquet(folder / "all.parquet")["area"].nunique()
        print(f"skillcast gaps --area all: {areas} areas in {seconds:.1f} s (whole command; peak {peak:,.0f} MB)  [target < 60 s]")

        from skillcast.bundle import ForecastBundle
        from skillcast.config import Config
        from skillcast.data.store import Store
        from skillcast.pipeline import store_inputs
        from skillcast.pipeline.job import gaps as gaps_stage

        began = time.perf_counter()
        gaps, priorities, shortages, info, funding = gaps_stage(store_inputs(Store(store)), Config(home=folder / "home"))
        print(
            f"the retrain's gaps and priorities of every area (the job's gaps stage): {time.perf_counter() - began:.1f} s, "
            f"{info['areas']} areas, {info['rows']:,} gap rows, priorities for {info.get('priorities_areas')} (flagged left out: {len(info['flagged'])})"
        )
        columns = ["area", "measure", "classification", "code", "period", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "basis"]
        bundle = ForecastBundle(
            forecasts=pd.DataFrame(columns=columns),
            gaps=gaps,
            geography=Store(store).geography(),
            metadata={"model": "reconciled:national_share", "synthetic": False, "gaps": info},
            priorities=priorities,
            shortages=shortages,
            funding=funding,
        )
        path = bundle.save(folder / "bundle")
        loaded = ForecastBundle.load(path)
        began = time.perf_counter()
        loaded.warm()
        warm = time.perf_counter() - began
        code, name = "E08000035", "Leeds"
        for label, area in (("code", code), ("name", name)):
            loaded.gap_records(area)
            began = time.perf_counter()
            for _ in range(1000):
                loaded.gap_records(area, "high")
            print(
                f"one area's gap rows from the bundle by {label} ({area}): {(time.perf_counter() - began) * 1000:.3f} microseconds a lookup"
            )
        print(f"bundle indexes built in {warm:.1f} s; {len(loaded.gaps):,} gap rows, {len(loaded.priorities):,} priority rows")

        served = serve_and_measure(path, folder, code, name)
        rss = served["rss_mb"]
        worker = max(rss.values())
        print(
            f"skillcast serve on it: ready in {served['ready_s']:.1f} s; resident memory per process (MB): "
            + ", ".join(f"{value:,.0f}" for value in sorted(rss.values(), reverse=True))
            + f"; the worker {worker:,.0f} MB  [target < 500 MB]"
        )
        print(
            f"/gaps (one band) median latency, sequential: by code {served['latency_ms']['code']:.1f} ms, "
            f"by name {served['latency_ms']['name']:.1f} ms"
        )
        if args.retrain:
            home = folder / "retrain-home"
            home.mkdir()
            seconds = timed(
                [*SKILLCAST, "retrain", "--config", str(REPO / "training" / "quarterly.toml"), "--data", args.data],
                {**env, "SKILLCAST_HOME": str(home)},
            )
            print(f"skillcast retrain --config training/quarterly.toml (fresh home, every area): {seconds:.1f} s  [target < 180 s]")
    print("Rerun: .venv/bin/python benchmarks/bench_areas.py [DATA_DIR] [--store STORE] [--retrain]")


if __name__ == "__main__":
    main()
