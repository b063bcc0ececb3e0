"""Start-to-ready of ``skillcast serve``: how long from the command to ``/readyz`` = 200.

Starts the service again and again on the same bundle or registered model (the bundle
already cached under SKILLCAST_HOME/served/ after the first start, which is reported
apart: it downloads the bundle), alternating the entry points given, and prints each
start and the median. ``skillcast.cli.entry`` is the console script (``serve`` alone);
``skillcast.cli.main`` assembles every command (what the console script was before
session 20), kept here to compare. Target (issue #17): ready in < 5 s.

    .venv/bin/python benchmarks/bench_ready.py [--bundle DIR | --model-uri models:/skillcast@champion] [--starts N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import REPO, free_port, start, stop  # noqa: E402

ENTRIES = ("skillcast.cli.entry", "skillcast.cli.main")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", type=Path, default=None, help="bundle folder (default: the demo's under SKILLCAST_HOME)")
    parser.add_argument("--model-uri", default=None, help="a registered model, e.g. models:/skillcast@champion")
    parser.add_argument("--starts", type=int, default=5, help="starts per entry point")
    parser.add_argument("--entries", default=",".join(ENTRIES), help="comma-separated modules run as `python -m MODULE serve`")
    arguments = parser.parse_args()
    source = (
        ["--model-uri", arguments.model_uri] if arguments.model_uri else (["--bundle", str(arguments.bundle)] if arguments.bundle else [])
    )
    environment = {**os.environ, "SKILLCAST_API_KEYS": os.environ.get("SKILLCAST_API_KEYS", "bench-ready-key")}
    entries = [entry.strip() for entry in arguments.entries.split(",") if entry.strip()]

    def once(entry: str) -> float:
        port = free_port()
        command = [sys.executable, "-m", entry, "serve", "--port", str(port), *source, "--project-dir", str(REPO)]
        process, seconds = start(command, environment, f"http://127.0.0.1:{port}/readyz")
        stop(process)
        return seconds

    print(f"first start (downloads a registered model's bundle once): {once(entries[0]):.2f} s", flush=True)
    times: dict[str, list[float]] = {entry: [] for entry in entries}
    for _ in range(arguments.starts):
        for entry in entries:  # alternated, so a slow minute of the machine hits both
            times[entry].append(once(entry))
    for entry, seconds in times.items():
        runs = " ".join(f"{value:.2f}" for value in seconds)
        print(f"python -m {entry} serve: median {statistics.median(seconds):.2f} s (runs {runs}); target < 5 s", flush=True)
    print(f"rerun: .venv/bin/python benchmarks/bench_ready.py {' '.join(source)} --starts {arguments.starts}")


if __name__ == "__main__":
    main()
