"""Rebuild the shipped apprenticeship products table (src/skillcast/data/reference/apprenticeship_products.csv).

Run by a maintainer when Skills England publishes new funding bands (say, each quarter before
the retrain); the table is public reference data, so it is committed, with its sources in
src/skillcast/data/reference/README.md. It reads the API's JSON records, one per product version:

* ``--git DIR``: a git directory of DfE's ``SkillsFundingAgency/das-standards-data`` (its
  automated job rewrites every current record at each full refresh but never deletes a record,
  so a file not written since the last full refresh is stale: only files written on or after
  ``--refreshed`` are read);
* ``--folder DIR``: JSON records saved from the API (e.g. the apprenticeship units), all read.

    .venv/bin/python training/build_products.py --git MIRROR --refreshed 2026-02-17 \\
        --folder UNITS --as-of 2026-12-07
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

from skillcast.data.atomic import write_table
from skillcast.data.standards import PRODUCTS_FILE, current_products


def git_records(git_dir: Path, refreshed: str) -> list[dict]:
    def git(*arguments: str) -> str:
        return subprocess.run(["git", f"--git-dir={git_dir}", *arguments], check=True, capture_output=True, text=True).stdout

    fresh = {name for name in git("log", f"--since={refreshed}T00:00:00", "--name-only", "--format=").split() if name.endswith(".json")}
    listed = [name for name in git("ls-tree", "-r", "--name-only", "HEAD").splitlines() if name.endswith(".json")]
    print(f"{git_dir}: {len(listed)} records, {len(fresh & set(listed))} written since {refreshed}")
    return [json.loads(git("show", f"HEAD:{name}")) for name in listed if name in fresh]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--git", type=Path, action="append", default=[])
    parser.add_argument("--refreshed", default="2026-02-17", help="the day of the repository's last full refresh")
    parser.add_argument("--folder", type=Path, action="append", default=[])
    parser.add_argument("--as-of", required=True, help="products open to new starts on this day (YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, default=PRODUCTS_FILE)
    arguments = parser.parse_args()
    records = [record for git_dir in arguments.git for record in git_records(git_dir, arguments.refreshed)]
    for folder in arguments.folder:
        records += [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
    table = current_products(records, arguments.as_of)
    write_table(table, arguments.out)
    counts = table.groupby(["route", "level"]).size().unstack(fill_value=0)
    print(counts.to_string())
    print(f"wrote {len(table)} products to {arguments.out}")


if __name__ == "__main__":
    main()
