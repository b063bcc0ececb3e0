"""skillcast against statsforecast's peers on the real SI2035 panel, in one run.

The peers need pandas<3, so they run in their own environment (benchmarks/.venv-peers,
created here on first use: statsforecast 2.1.1) on the same series, cutoffs and horizon;
both sides are scored by the same `skillcast.engine.backtest.score` (MASE as defined in #4).
Rerun: .venv/bin/python benchmarks/bench_peers.py [--models naive,drift,lightgbm] [--skip-peers]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from skillcast.config import Config
from skillcast.data.schema import SERIES_KEY, observations, series_count
from skillcast.data.sources.si2035 import read_employment_wide
from skillcast.engine.backtest import BacktestResult, _mase_scales, rolling_origin, score
from skillcast.engine.factory import make_forecaster
from skillcast.engine.matrix import SeriesMatrix

HERE = Path(__file__).resolve().parent
PEERS_VENV = HERE / ".venv-peers"
PEER_PACKAGES = ["statsforecast==2.1.1", "pandas<3", "pyarrow"]
CUTOFFS = [2013, 2014, 2015, 2016]
HORIZON = 4


def si2035_panel(data_dir: Path) -> pd.DataFrame:
    panel = observations(read_employment_wide(data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv"))
    return panel.loc[panel["classification"] != "industry"].reset_index(drop=True)


def ensure_peers_env() -> Path:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEERS_VENV} with {' '.join(PEER_PACKAGES)} (first run only)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True)
    return python


def run_peers(panel: pd.DataFrame, cutoffs: list[int] = CUTOFFS, horizon: int = HORIZON) -> tuple[BacktestResult, float]:
    """statsforecast's rolling origin on ``panel``: ``len(cutoffs)`` windows, one year apart, the
    last ``horizon`` years before the panel's end (so ``cutoffs`` must be consecutive and end there)."""
    last = int(panel["period"].max())
    if list(cutoffs) != list(range(last - horizon - len(cutoffs) + 1, last - horizon + 1)):
        raise ValueError(f"statsforecast's windows end {horizon} years before {last}: cutoffs {cutoffs} do not")
    python = ensure_peers_env()
    keys = panel[SERIES_KEY].astype(str).agg("/".join, axis=1)
    long = pd.DataFrame({"unique_id": keys, "ds": panel["period"].astype(int), "y": panel["value"]})
    with tempfile.TemporaryDirectory() as scratch:
        source, target = Path(scratch) / "in.parquet", Path(scratch) / "out.parquet"
        long.to_parquet(source, index=False)
        started = time.perf_counter()
        subprocess.run(
            [str(python), str(HERE / "peers_statsforecast.py"), str(source), str(target), str(horizon), str(len(cutoffs))], check=True
        )
        wall = time.perf_counter() - started
        cv = pd.read_parquet(target)
    parts = cv["unique_id"].str.split("/", expand=True)
    forecasts = pd.DataFrame({column: parts[index] for index, column in enumerate(SERIES_KEY)})
    forecasts = forecasts.assign(
        cutoff=cv["cutoff"].astype(int),
        period=cv["ds"].astype(int),
        value=cv["y"],
        model=cv["model"],
        forecast=cv["forecast"],
        lo_80=cv["lo_80"],
        hi_80=cv["hi_80"],
        lo_95=cv["lo_95"],
        hi_95=cv["hi_95"],
    )
    full = SeriesMatrix.from_panel(panel)
    scales = pd.concat([_mase_scales(full.truncate(cutoff)[0], cutoff) for cutoff in cutoffs], ignore_index=True)
    seconds = cv.groupby("model")["seconds"].first().to_dict()
    return BacktestResult(forecasts=forecasts, scales=scales, seconds=seconds), wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Config.from_env().data_dir)
    parser.add_argument("--models", default="naive,drift,lightgbm")
    parser.add_argument("--production", default=None, help="which model is skillcast's (default: the last of --models)")
    parser.add_argument("--skip-peers", action="store_true")
    arguments = parser.parse_args()
    panel = si2035_panel(arguments.data)
    names = arguments.models.split(",")
    production = arguments.production or names[-1]
    print(f"SI2035: {series_count(panel)} series, cutoffs {CUTOFFS}, horizon {HORIZON}", flush=True)
    started = time.perf_counter()
    ours = rolling_origin(panel, {name: make_forecaster(name) for name in names}, CUTOFFS, HORIZON, production)
    our_wall = time.perf_counter() - started
    table = score(ours)
    if not arguments.skip_peers:
        peers, peer_wall = run_peers(panel)
        table = pd.concat([table, score(peers).assign(model=lambda frame: "statsforecast." + frame["model"])], ignore_index=True)
        peer_rows = table.loc[table["model"].str.startswith("statsforecast.")]
        best = peer_rows.loc[peer_rows["mase"].idxmin()]
        table["mase_vs_best_peer"] = table["mase"] / best["mase"]
        peer_times = peers.seconds
        print(
            f"peers wall time {peer_wall:.1f} s (incl. process start); per model: "
            + ", ".join(f"{name} {secs:.1f} s" for name, secs in peer_times.items())
        )
        best_name = best["model"].split(".", 1)[1]
        print(f"time ratio skillcast / best-MASE peer ({best_name}): {ours.seconds['skillcast'] / peer_times[best_name]:.2f}")
    print(f"skillcast models wall time {our_wall:.1f} s")
    columns = [
        column for column in ("model", "mase", "smape", "coverage_80", "coverage_95", "seconds", "mase_vs_best_peer") if column in table
    ]
    print(table[columns].sort_values("mase").to_string(index=False, float_format="%.3f"))
    print("\nrerun: .venv/bin/python benchmarks/bench_peers.py")


if __name__ == "__main__":
    main()
