"""Load benchmark of the prediction service against a trivial BentoML endpoint.

Starts, on 127.0.0.1, the real service (``skillcast serve``) on a forecast bundle and the
trivial service (``benchmarks/trivial_service.py``), then sends a bounded number of
requests at concurrency 1, 16 and 64 to ``/gaps``, ``/forecast`` and the trivial
``/ping``, with ApacheBench (``ab``, Debian package ``apache2-utils``: a C load generator
that sends exactly ``-n`` requests over ``-c`` keep-alive connections and stops, taking
little of the 2 cores from the servers). Reports throughput, p50/p99 latency, errors
(failed and non-2xx answers) and the ratio to the trivial endpoint, plus the time from
start to ``/readyz`` = 200.

Targets (issue #7): /gaps throughput >= 80% of the trivial endpoint's at concurrency 16;
p99 < 50 ms at concurrency 16; zero errors; ready in < 10 s.

    .venv/bin/python benchmarks/bench_api.py [--bundle DIR] [--requests N]

With no --bundle it uses the demo's (.skillcast/demo/bundle; run `make demo` first).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 16, 64)
ORDER = {"trivial /ping": 0, "/gaps": 1, "/forecast": 2}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict, ready_url: str, timeout: float = 120) -> tuple[subprocess.Popen, float]:
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.perf_counter() - began < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited early: {' '.join(command)}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return process, time.perf_counter() - began
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    stop(process)
    raise SystemExit(f"not ready within {timeout} s: {ready_url}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def load(url: str, payload: dict, headers: dict, concurrency: int, requests: int, folder: Path) -> dict:
    """Exactly ``requests`` POSTs over ``concurrency`` keep-alive connections (after a warm-up)."""
    body = folder / "body.json"
    body.write_text(json.dumps(payload))
    command = ["ab", "-k", "-q", "-s", "30", "-c", str(concurrency), "-p", str(body), "-T", "application/json"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    subprocess.run([*command, "-n", str(max(concurrency, 200)), url], capture_output=True, check=True)  # warm-up
    output = subprocess.run([*command, "-n", str(requests), url], capture_output=True, text=True, check=True).stdout
    return _parse_ab(output)


def _parse_ab(output: str) -> dict:
    def number(pattern: str, default: float | None = None) -> float:
        match = re.search(pattern, output, flags=re.MULTILINE)
        if match is None:
            if default is None:
                raise SystemExit(f"bench_api: could not read {pattern!r} from ab's output:\n{output}")
            return default
        return float(match.group(1))

    completed = int(number(r"^Complete requests:\s+(\d+)"))
    failed = int(number(r"^Failed requests:\s+(\d+)"))
    non_2xx = int(number(r"^Non-2xx responses:\s+(\d+)", 0))
    return {
        "requests": completed,
        "errors": failed + non_2xx,
        "throughput": number(r"^Requests per second:\s+([\d.]+)"),
        "p50_ms": number(r"^\s+50%\s+(\d+)"),
        "p99_ms": number(r"^\s+99%\s+(\d+)"),
    }


def pick_areas(base: str, key: str, wanted: str | None) -> tuple[str, str]:
    """The area for /gaps (``wanted``, else the nation of the demo or of England, else the
    first with gaps) and one with forecasts, asked of the running service itself."""
    areas = httpx.post(f"{base}/areas", json={}, headers={"Authorization": f"Bearer {key}"}, timeout=30).json()["areas"]
    with_gaps = [area["code"] for area in areas if area["gaps"]]
    with_forecasts = [area["code"] for area in areas if area["forecasts"]]
    gaps_area = wanted or next((code for code in ("DM_EN", "E92000001") if code in with_gaps), with_gaps[0])
    forecast_area = (
        gaps_area if gaps_area in with_forecasts else next((code for code in ("EN", "DM_EN") if code in with_forecasts), with_forecasts[0])
    )
    return gaps_area, forecast_area


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=REPO / ".skillcast" / "demo" / "bundle")
    parser.add_argument(
        "--model-uri",
        default=None,
        help="serve a registered model instead (e.g. models:/skillcast@champion; SKILLCAST_HOME / MLFLOW_TRACKING_URI say where)",
    )
    parser.add_argument("--requests", type=int, default=6000, help="requests per run at concurrency 16 and 64 (a fifth at 1)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per endpoint and concurrency (medians reported)")
    parser.add_argument("--gaps-area", default=None, help="area for /gaps and /forecast (default: the bundle's first gaps area)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    options = parser.parse_args()

    import shutil

    import pandas as pd

    if shutil.which("ab") is None:
        raise SystemExit("bench_api: needs ApacheBench, the load generator (apt-get install apache2-utils)")
    with tempfile.TemporaryDirectory() as folder:
        keys_file = Path(folder) / "keys.json"
        sys.path.insert(0, str(REPO / "src"))
        from skillcast.api.keys import create_key

        key = create_key(keys_file, "bench")
        env = {**os.environ, "SKILLCAST_API_KEYS_FILE": str(keys_file)}
        env.pop("SKILLCAST_MODEL_URI", None)
        service_port, trivial_port = free_port(), free_port()
        source = ["--model-uri", options.model_uri] if options.model_uri else ["--bundle", str(options.bundle)]
        skillcast = [
            sys.executable,
            "-m",
            "skillcast.cli.main",
            "serve",
            "--port",
            str(service_port),
            *source,
            "--project-dir",
            str(REPO),
            "--api-keys-file",
            str(keys_file),
        ]
        trivial = [
            sys.executable,
            "-m",
            "bentoml",
            "serve",
            "trivial_service:Trivial",
            "--port",
            str(trivial_port),
            "--working-dir",
            str(REPO / "benchmarks"),
        ]
        service, ready_seconds = start(skillcast, env, f"http://127.0.0.1:{service_port}/readyz")
        area, forecast_area = pick_areas(f"http://127.0.0.1:{service_port}", key, options.gaps_area)
        print(
            f"serving {options.model_uri or options.bundle}; /gaps area {area}, /forecast area {forecast_area}; "
            f"{options.requests} requests per run (c=1: {options.requests // 5})",
            flush=True,
        )
        print(f"skillcast service ready in {ready_seconds:.2f} s (start to /readyz 200, target < 10 s)", flush=True)
        baseline, trivial_ready = start(trivial, env, f"http://127.0.0.1:{trivial_port}/readyz")
        print(f"trivial service ready in {trivial_ready:.2f} s", flush=True)
        targets = {
            "trivial /ping": (f"http://127.0.0.1:{trivial_port}/ping", {}, {}),
            "/gaps": (
                f"http://127.0.0.1:{service_port}/gaps",
                {"area": area, "band": "high", "years": [2024, 2030]},
                {"Authorization": f"Bearer {key}"},
            ),
            "/forecast": (
                f"http://127.0.0.1:{service_port}/forecast",
                {"area": forecast_area, "years": [2024, 2030, 2035]},
                {"Authorization": f"Bearer {key}"},
            ),
        }
        results = []
        try:
            for concurrency in CONCURRENCY:
                requests = options.requests if concurrency > 1 else max(100, options.requests // 5)
                for repeat in range(options.repeats):
                    names = list(targets)
                    names = names[repeat % len(names) :] + names[: repeat % len(names)]  # rotate: no endpoint always goes first
                    for name in names:
                        url, payload, headers = targets[name]
                        result = load(url, payload, headers, concurrency, requests, Path(folder))
                        results.append({"endpoint": name, "concurrency": concurrency, "repeat": repeat, **result})
                        print(
                            f"  c={concurrency:<3} {name:<14} {result['throughput']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
                            f"p99 {result['p99_ms']:6.2f} ms  errors {result['errors']}",
                            flush=True,
                        )
        finally:
            stop(service)
            stop(baseline)

    runs = pd.DataFrame(results)
    table = (
        runs.groupby(["endpoint", "concurrency"], sort=False)
        .agg(
            runs=("repeat", "count"),
            requests=("requests", "sum"),
            errors=("errors", "sum"),
            throughput=("throughput", "median"),
            p50_ms=("p50_ms", "median"),
            p99_ms=("p99_ms", "median"),
        )
        .reset_index()
        .sort_values(["concurrency", "endpoint"], key=lambda column: column.map(ORDER) if column.name == "endpoint" else column)
    )
    trivial_rate = table.loc[table["endpoint"] == "trivial /ping"].set_index("concurrency")["throughput"]
    table["vs_trivial"] = table["throughput"] / table["concurrency"].map(trivial_rate)
    print()
    print(f"medians over {options.repeats} runs per row (order rotated between runs):")
    print(table.to_string(index=False, float_format=lambda value: f"{value:.2f}"))
    at16 = table.loc[(table["endpoint"] == "/gaps") & (table["concurrency"] == 16)].iloc[0]
    total_errors = int(table["errors"].sum())
    print()
    print(
        f"/gaps at c=16: {at16['vs_trivial']:.0%} of the trivial endpoint's throughput (target >= 80%): "
        f"{'PASS' if at16['vs_trivial'] >= 0.8 else 'MISS'}"
    )
    print(f"/gaps p99 at c=16: {at16['p99_ms']:.1f} ms (target < 50 ms): {'PASS' if at16['p99_ms'] < 50 else 'MISS'}")
    print(f"errors over the whole run: {total_errors} (target 0): {'PASS' if total_errors == 0 else 'MISS'}")
    print(f"ready in {ready_seconds:.2f} s (target < 10 s): {'PASS' if ready_seconds < 10 else 'MISS'}")
    rerun = (
        f" --model-uri {options.model_uri}"
        if options.model_uri
        else (f" --bundle {options.bundle}" if options.bundle != parser.get_default("bundle") else "")
    )
    print("rerun: .venv/bin/python benchmarks/bench_api.py" + rerun)
    if options.json:
        options.json.write_text(json.dumps({"ready_seconds": ready_seconds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
