"""Outputs to compare before and after a change that should not move a number.

Captures, into a folder: the demo's tables and bundle, the backtest export on the real data
(cutoffs 2013-2016, h 1-4), `skillcast gaps --area all --year all` on the real data, the
bundle `skillcast train` registers from the real data (the production model: forecasts,
gaps, priorities, shortages, metadata), and a set of answers from a real `skillcast serve`
on the demo bundle (good and bad requests, CSV downloads). `compare A B` then says which
outputs differ (timings and training times ignored).

    .venv/bin/python benchmarks/compare_outputs.py capture /tmp/before        # on the old commit
    .venv/bin/python benchmarks/compare_outputs.py capture /tmp/after         # on the new one
    .venv/bin/python benchmarks/compare_outputs.py compare /tmp/before /tmp/after

An older checkout is captured with this script by putting its code first on the path and
naming it as the project folder (it serves from there):
    PYTHONPATH=/tmp/old/src .venv/bin/python benchmarks/compare_outputs.py capture /tmp/before --repo /tmp/old
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SKILLCAST = str(Path(sys.executable).parent / "skillcast")
REQUESTS = [
    ("forecast", {"area": "DM_EN"}),
    ("forecast", {"area": "DM_EN", "classification": "rqf", "code": "rqf4"}),
    ("gaps", {"area": "DM_EN"}),
    ("gaps", {"area": "DM_EN", "band": "high", "years": [2024, 2030]}),
    ("priorities", {"area": "DM_EN", "budget": 1000000}),
    ("areas", {}),
    ("classifications", {}),
    ("gaps", {"area": "nowhere"}),
    ("gaps", {"area": "DM_EN", "band": "x"}),
]
TABLES = [
    "demo/forecasts.csv",
    "demo/gaps.csv",
    "demo/backtest.csv",
    "demo/metrics.csv",
    "backtest.csv",
    "gaps_real.csv",
    "demo/bundle/forecasts.parquet",
    "demo/bundle/gaps.parquet",
    "demo/bundle/priorities.parquet",
    "demo/bundle/geography.parquet",
    "train/forecasts.parquet",
    "train/gaps.parquet",
    "train/priorities.parquet",
    "train/shortages.parquet",
]
TIMINGS = ("trained_at", "seconds", "fingerprint")  # metadata that differs between any two runs


def run(environment: dict, *arguments: str) -> None:
    print("$ skillcast", " ".join(arguments), flush=True)
    subprocess.run([SKILLCAST, *arguments], check=True, cwd=environment["COMPARE_REPO"], env=environment, stdout=subprocess.DEVNULL)


def trained_bundle(out: Path, environment: dict) -> None:
    """The bundle `skillcast train --promote` registered, copied out of the MLflow artifact store."""
    import shutil

    run(environment, "train", "--data", str(out / "store"), "--promote")
    found = [path.parent for path in (out / "home").rglob("metadata.json") if (path.parent / "forecasts.parquet").is_file()]
    if len(found) != 1:
        raise SystemExit(f"expected one registered bundle under {out / 'home'}, found {len(found)}")
    shutil.copytree(found[0], out / "train")


def served_answers(out: Path, environment: dict) -> dict:
    key = (
        subprocess.run(
            [SKILLCAST, "keys", "create", "compare"],
            cwd=environment["COMPARE_REPO"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [SKILLCAST, "serve", "--bundle", str(out / "demo" / "bundle"), "--port", str(port)],
        cwd=environment["COMPARE_REPO"],
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if httpx.get(base + "/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        headers = {"Authorization": f"Bearer {key}"}
        answers = {}
        for number, (endpoint, body) in enumerate(REQUESTS):
            response = httpx.post(f"{base}/{endpoint}", json=body, headers=headers, timeout=60)
            answers[f"{number}:{endpoint}:{json.dumps(body)}"] = [response.status_code, response.json()]
        answers["model"] = httpx.post(f"{base}/model", json={}, headers=headers).json()
        for name in ("gaps", "forecast", "priorities"):
            answers[f"csv:{name}"] = httpx.get(f"{base}/download/{name}.csv", params={"area": "DM_EN"}, headers=headers).text
        return answers
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def capture(out: Path, data: Path, repo: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    environment = dict(os.environ, SKILLCAST_HOME=str(out / "home"), SKILLCAST_DATA_DIR=str(data), COMPARE_REPO=str(repo))
    environment.pop("MLFLOW_TRACKING_URI", None)
    run(environment, "demo", "--out", str(out / "demo"), "--no-track")
    run(environment, "ingest", "all", str(data), "--out", str(out / "store"))
    run(environment, "backtest", "--data", str(out / "store"), "--export", str(out / "backtest.csv"), "--no-track")
    run(environment, "gaps", "--data", str(out / "store"), "--area", "all", "--year", "all", "--out", str(out / "gaps_real.csv"))
    trained_bundle(out, environment)
    (out / "served.json").write_text(json.dumps(served_answers(out, environment), indent=1, sort_keys=True, default=str))
    print(f"captured into {out}")


def compare(before: Path, after: Path) -> int:
    differ = []
    for name in TABLES:
        reader = pd.read_parquet if name.endswith(".parquet") else pd.read_csv
        old, new = reader(before / name), reader(after / name)
        if "seconds" in old.columns:
            old, new = old.drop(columns="seconds"), new.drop(columns=["seconds"], errors="ignore")
        same = old.equals(new)
        print(f"{'same   ' if same else 'DIFFERS'} {name} ({len(old):,} rows)")
        differ += [] if same else [name]
    old, new = (_metadata(json.loads((folder / "train" / "metadata.json").read_text())) for folder in (before, after))
    for key in sorted(set(old) | set(new)):
        same = old.get(key) == new.get(key)
        print(f"{'same   ' if same else 'DIFFERS'} train/metadata.json {key}")
        differ += [] if same else [f"train metadata {key}"]
    old, new = (_without_timings(json.loads((folder / "served.json").read_text())) for folder in (before, after))
    for key in old:
        same = old[key] == new.get(key)
        print(f"{'same   ' if same else 'DIFFERS'} served {key[:90]}")
        differ += [] if same else [key]
    print(f"{len(differ)} output(s) differ" if differ else "no output differs")
    return 1 if differ else 0


def _metadata(metadata: dict) -> dict:
    """A bundle's metadata without what differs between any two runs (times, the data fingerprint)."""
    for key in TIMINGS:
        metadata.pop(key, None)
    for row in metadata.get("backtest", {}).get("metrics", []):
        row.pop("seconds", None)
    return metadata


def _without_timings(answers: dict) -> dict:
    """The /model answer without when the model was trained and how long its backtest took."""
    model = answers.get("model", {})
    model.pop("trained_at", None)
    for row in model.get("backtest", {}).get("metrics", []):
        row.pop("seconds", None)
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    take = verbs.add_parser("capture")
    take.add_argument("out", type=Path)
    take.add_argument("--data", type=Path, default=Path(os.environ.get("SKILLCAST_DATA_DIR", REPO.parent / "shared" / "data")))
    take.add_argument("--repo", type=Path, default=REPO, help="the checkout whose serving/ the server runs (default: this one)")
    check = verbs.add_parser("compare")
    check.add_argument("before", type=Path)
    check.add_argument("after", type=Path)
    arguments = parser.parse_args()
    if arguments.verb == "capture":
        capture(arguments.out.resolve(), arguments.data.resolve(), arguments.repo.resolve())
    else:
        sys.exit(compare(arguments.before, arguments.after))


if __name__ == "__main__":
    main()
