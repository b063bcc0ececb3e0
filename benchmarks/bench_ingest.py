"""How long `skillcast ingest all` takes on the real data folder, source by source.

Target (issue #3): ingesting all of ../shared/data in under 30 s on the 2-core machine.
Rerun: .venv/bin/python benchmarks/bench_ingest.py [DATA_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from skillcast.config import Config
from skillcast.data.ingest import plan_folder
from skillcast.data.sources.lookups import load_geography
from skillcast.data.sources.registry import load_source
from skillcast.data.store import Store


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Config.from_env().data_dir
    started = time.perf_counter()
    plan, skipped = plan_folder(folder)
    geography = load_geography(folder / "lookups")
    print(f"geography: {time.perf_counter() - started:5.2f} s ({len(geography.areas)} areas)")
    results = []
    for name, files in plan.items():
        begun = time.perf_counter()
        result = load_source(name).read(files, geography)
        results.append(result)
        print(
            f"{name:<26} {time.perf_counter() - begun:5.2f} s  {len(files)} files, {len(result.panel):>9,} rows, "
            f"{sum(result.suppressed.values()):>6,} suppressed, {len(result.unmatched_areas):>3} unmatched areas"
        )
    with tempfile.TemporaryDirectory() as out:
        begun = time.perf_counter()
        manifest = Store(Path(out) / "store").write(results, geography, skipped)
        print(f"{'write store':<26} {time.perf_counter() - begun:5.2f} s  {manifest['rows']:,} rows, {manifest['series']:,} series")
    print(f"{'total':<26} {time.perf_counter() - started:5.2f} s   target < 30 s; skipped {len(skipped)} files")
    print("\nrerun: .venv/bin/python benchmarks/bench_ingest.py")


if __name__ == "__main__":
    main()
