"""The files a forecast bundle folder holds (the geography files a store holds too), and the check that a folder has them.

Apart from ``skillcast.bundle`` (which reads and writes them with pandas) so that
``skillcast serve`` can check a folder before it execs the server without loading pandas:
every import before the exec is time before the service is ready.
"""

from __future__ import annotations

from pathlib import Path

FORECASTS_FILE = "forecasts.parquet"
GAPS_FILE = "gaps.parquet"
GEOGRAPHY_FILE = "geography.parquet"
MEMBERSHIPS_FILE = "memberships.parquet"  # optional: which districts make up each area (bundles before #15 lack it)
SUCCESSORS_FILE = "successors.parquet"  # optional: retired district codes -> the code replacing them
PRIORITIES_FILE = "priorities.parquet"  # optional: bundles made before it answer no priorities
SHORTAGES_FILE = "shortages.parquet"  # optional: bundles made before #16 answer no shortage ratings
LABOUR_RESERVE_FILE = "labour_reserve.parquet"  # optional: bundles made before #25 answer no labour reserve
FUNDING_FILE = "funding.parquet"  # optional: bundles made before #25 price starts at the shipped bands by level
METADATA_FILE = "metadata.json"
REQUIRED: tuple[str, ...] = (FORECASTS_FILE, GAPS_FILE, GEOGRAPHY_FILE, METADATA_FILE)


def check_bundle(directory: Path) -> Path:
    """``directory`` if it holds a bundle's files, else a one-line ``FileNotFoundError`` (reads nothing)."""
    directory = Path(directory)
    missing = [name for name in REQUIRED if not (directory / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{directory}: not a forecast bundle (missing {', '.join(missing)}); run `skillcast demo` first")
    return directory
