"""Runs INSIDE the peers' environment (pandas<3, statsforecast): never imports skillcast.

Reads a long panel (unique_id, ds, y) from parquet, runs statsforecast's rolling-origin
cross-validation with the peer models and a Naive fallback, writes every forecast.
Usage: python peers_statsforecast.py IN.parquet OUT.parquet HORIZON N_WINDOWS
"""

import sys
import time

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, AutoTheta, Naive, RandomWalkWithDrift


def main() -> None:
    source, target, horizon, windows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    frame = pd.read_parquet(source)
    seconds = {}
    results = []
    for model in (Naive(), RandomWalkWithDrift(), AutoETS(), AutoTheta()):
        started = time.perf_counter()
        forecaster = StatsForecast(models=[model], freq=1, n_jobs=2, fallback_model=Naive())
        cv = forecaster.cross_validation(df=frame, h=horizon, step_size=1, n_windows=windows, level=[80, 95])
        name = model.alias  # the column statsforecast writes (RandomWalkWithDrift is "RWD")
        seconds[name] = time.perf_counter() - started
        cv = cv.rename(
            columns={
                name: "forecast",
                f"{name}-lo-80": "lo_80",
                f"{name}-hi-80": "hi_80",
                f"{name}-lo-95": "lo_95",
                f"{name}-hi-95": "hi_95",
            }
        )
        results.append(cv.assign(model=name, seconds=seconds[name]))
        print(f"{name}: {seconds[name]:.1f} s", flush=True)
    pd.concat(results, ignore_index=True).to_parquet(target, index=False)


if __name__ == "__main__":
    main()
