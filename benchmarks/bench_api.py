"""Load and memory benchmark of the prediction service (``skillcast serve``).

Starts the real service on 127.0.0.1 on a forecast bundle or a registered model, then
sends a bounded number of requests at concurrency 1, 16 and 64 to ``/gaps``, ``/forecast``
and the same server's ``/livez`` (every middleware, no endpoint work: what the server
itself costs per request), with ApacheBench (``ab``, Debian package ``apache2-utils``: a C
load generator that sends exactly ``-n`` requests over ``-c`` keep-alive connections and
stops). Reports throughput, p50/p99 latency, errors (failed and non-2xx answers), the ratio
to ``/livez``, and the worker's CPU time per request (from /proc: unlike req/s, not blurred
by other processes on a shared machine); then the resident memory of every process of
the server (after the load and one spreadsheet export) and the time from start to
``/readyz`` = 200.

Targets (issue #17): /gaps throughput >= 80% of /livez's at concurrency 16; p99 < 50 ms at
concurrency 16; zero errors; the served champion under 500 MB resident and ready in < 5 s.

    .venv/bin/python benchmarks/bench_api.py [--bundle DIR | --model-uri models:/skillcast@champion] [--requests N]

With neither it uses the demo's bundle (SKILLCAST_HOME/demo/bundle; run `make demo` first).
The key it uses is given generous per-key limits (SKILLCAST_API_*_PER_KEY): the limits
are not what is measured.
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
ORDER = {"/livez": 0, "/gaps": 1, "/forecast": 2}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def tree(pid: int) -> list[int]:
    """The pid and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load(url: str, payload: dict | None, headers: dict, concurrency: int, requests: int, folder: Path, worker: int) -> dict:
    """Exactly ``requests`` requests (POST with ``payload``, else GET) over ``concurrency`` keep-alive connections (after a warm-up)."""
    command = ["ab", "-k", "-q", "-s", "30", "-c", str(concurrency)]
    if payload is not None:
        body = folder / "body.json"
        body.write_text(json.dumps(payload))
        command += ["-p", str(body), "-T", "application/json"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    subprocess.run([*command, "-n", str(max(concurrency, 200)), url], capture_output=True, check=True)  # warm-up
    before = cpu_ticks(worker)
    output = subprocess.run([*command, "-n", str(requests), url], capture_output=True, text=True, check=True).stdout
    result = _parse_ab(output)
    result["cpu_us"] = (cpu_ticks(worker) - before) / CLOCK_TICKS / result["requests"] * 1e6
    return result


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
    parser.add_argument("--bundle", type=Path, default=None, help="bundle folder (default: the demo's under SKILLCAST_HOME)")
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
        env = {
            **os.environ,
            "SKILLCAST_API_KEYS_FILE": str(keys_file),
            "SKILLCAST_API_RATE_PER_KEY": "1000000",
            "SKILLCAST_API_BURST_PER_KEY": "1000000",
            "SKILLCAST_API_CONCURRENCY_PER_KEY": "1000",
        }
        env.pop("SKILLCAST_MODEL_URI", None)
        port = free_port()
        source = ["--model-uri", options.model_uri] if options.model_uri else (["--bundle", str(options.bundle)] if options.bundle else [])
        command = [sys.executable, "-m", "skillcast.cli.entry", "serve", "--port", str(port), *source, "--project-dir", str(REPO)]
        command += ["--api-keys-file", str(keys_file)]
        base = f"http://127.0.0.1:{port}"
        service, ready_seconds = start(command, env, f"{base}/readyz")
        worker = max(tree(service.pid))  # `skillcast serve` becomes the server: one process, unless BentoML's arbiter runs it
        area, forecast_area = pick_areas(base, key, options.gaps_area)
        print(
            f"serving {options.model_uri or options.bundle or 'the demo bundle'}; /gaps area {area}, /forecast area {forecast_area}; "
            f"{options.requests} requests per run (c=1: {options.requests // 5})",
            flush=True,
        )
        print(f"skillcast service ready in {ready_seconds:.2f} s (start of `skillcast serve` to /readyz 200, target < 5 s)", flush=True)
        auth = {"Authorization": f"Bearer {key}"}
        targets = {
            "/livez": (f"{base}/livez", None, {}),
            "/gaps": (f"{base}/gaps", {"area": area, "band": "high", "years": [2024, 2030]}, auth),
            "/forecast": (f"{base}/forecast", {"area": forecast_area, "years": [2024, 2030, 2035]}, auth),
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
                        result = load(url, payload, headers, concurrency, requests, Path(folder), worker)
                        results.append({"endpoint": name, "concurrency": concurrency, "repeat": repeat, **result})
                        print(
                            f"  c={concurrency:<3} {name:<10} {result['throughput']:8.0f} req/s  p50 {result['p50_ms']:6.2f} ms  "
                            f"p99 {result['p99_ms']:6.2f} ms  worker CPU {result['cpu_us']:6.0f} us/request  errors {result['errors']}",
                            flush=True,
                        )
            exported = httpx.get(f"{base}/download/export.xlsx", params={"area": area}, headers=auth, timeout=120)
            memory = {pid: resident_mb(pid) for pid in tree(service.pid)}
        finally:
            stop(service)

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
            cpu_us=("cpu_us", "median"),
        )
        .reset_index()
        .sort_values(["concurrency", "endpoint"], key=lambda column: column.map(ORDER) if column.name == "endpoint" else column)
    )
    livez = table.loc[table["endpoint"] == "/livez"].set_index("concurrency")
    table["vs_livez"] = table["throughput"] / table["concurrency"].map(livez["throughput"])
    table["cpu_vs_livez"] = table["concurrency"].map(livez["cpu_us"]) / table["cpu_us"]
    print()
    print(f"medians over {options.repeats} runs per row (order rotated between runs):")
    print(table.to_string(index=False, float_format=lambda value: f"{value:.2f}"))
    at16 = table.loc[(table["endpoint"] == "/gaps") & (table["concurrency"] == 16)].iloc[0]
    total_errors = int(table["errors"].sum())
    total_memory = sum(memory.values())
    print()
    print(
        f"/gaps at c=16: {at16['vs_livez']:.0%} of /livez's throughput on the same server (target >= 80%): "
        f"{'PASS' if at16['vs_livez'] >= 0.8 else 'MISS'}; by worker CPU per request: {at16['cpu_vs_livez']:.0%}"
    )
    print(f"/gaps p99 at c=16: {at16['p99_ms']:.1f} ms (target < 50 ms): {'PASS' if at16['p99_ms'] < 50 else 'MISS'}")
    print(f"errors over the whole run: {total_errors} (target 0): {'PASS' if total_errors == 0 else 'MISS'}")
    print(
        f"resident memory after the load and a spreadsheet export (HTTP {exported.status_code}): "
        + ", ".join(f"{mb:.0f} MB" for mb in memory.values())
        + f" = {total_memory:.0f} MB (target < 500 MB): {'PASS' if total_memory < 500 else 'MISS'}"
    )
    print(f"ready in {ready_seconds:.2f} s (target < 5 s): {'PASS' if ready_seconds < 5 else 'MISS'}")
    rerun = f" --model-uri {options.model_uri}" if options.model_uri else (f" --bundle {options.bundle}" if options.bundle else "")
    print("rerun: .venv/bin/python benchmarks/bench_api.py" + rerun)
    if options.json:
        options.json.write_text(json.dumps({"ready_seconds": ready_seconds, "memory_mb": memory, "results": results}, indent=2))


if __name__ == "__main__":
    main()
