"""Issue #22's national candidates, measured against each other: how England's total would have
been forecast at each cutoff by each method of ``engine.national_total``, and which one the
in-window validation chose.

Per cutoff 2010-2019 (only national years <= the cutoff, as the model sees them):
* each method's validation error on the national signal (UK workforce jobs, mean absolute
  log error at 1-4 years from the last ``VALIDATION_ORIGINS`` origins) and the one chosen;
* each method's error on what is being forecast, SI2035's England total (absolute log error
  in %, h 1-4, years <= 2020 only);
* the national 80% interval of the chosen method at h 1 and h 4, and whether SI2035's
  England total fell inside it.
Then the production jump-off: England's total for 2021-2025 from the observed national
series next to SI2035's own projection.

Rerun: .venv/bin/python benchmarks/bench_national.py [--data DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.config import Config
from skillcast.data.schema import observations
from skillcast.data.sources import national_lms
from skillcast.data.sources.registry import load_source
from skillcast.data.sources.si2035 import read_employment_wide
from skillcast.engine.national_share import log_slopes
from skillcast.engine.national_total import LONG_RUN_YEARS, METHODS, VALIDATION_ORIGINS, VALIDATION_STEPS, Signal, _errors, total_path

TOTAL_WEIGHT = 0.5  # NationalMixForecaster.total_trend_weight


def england_total(data_dir: Path) -> tuple[pd.Series, pd.Series]:
    """SI2035's England employment: observed (2010-2020) and the publisher's projection."""
    wide = read_employment_wide(data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv")
    rows = wide.loc[(wide["area"] == "EN") & (wide["classification"] == "all") & (wide["measure"] == "employment")]
    observed = observations(rows).set_index("period")["value"].sort_index()
    projected = rows.loc[rows["projection"].astype(bool)].set_index("period")["value"].sort_index()
    return observed, projected


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Config.from_env().data_dir)
    arguments = parser.parse_args()
    started = time.perf_counter()
    source = load_source(national_lms.NAME)
    paths = [path for pattern in source.FILES for path in sorted(arguments.data.glob(pattern))]
    signal_rows, last = national_lms.national_signal(source.read(paths, None).tables["national_series"])
    observed, projected = england_total(arguments.data)
    logs = np.log(observed)
    print(
        f"national signal {signal_rows[0][0]}-{signal_rows[-1][0]} (last: {last}); SI2035 England {observed.index.min()}-{observed.index.max()}"
    )
    records = []
    for cutoff in range(2012, 2020):
        history = logs.loc[:cutoff].to_numpy()
        trend = TOTAL_WEIGHT * float(log_slopes(history[None, :])[0])
        rule = (len(history), TOTAL_WEIGHT)
        signal = Signal(signal_rows, cutoff)
        origins = range(max(int(signal.years[0]) + LONG_RUN_YEARS, cutoff - VALIDATION_ORIGINS), cutoff)
        horizon = min(VALIDATION_STEPS, 2020 - cutoff)
        actual = logs.loc[cutoff + 1 : cutoff + horizon].to_numpy() - logs.loc[cutoff]
        row = {"cutoff": cutoff}
        for method in METHODS:
            row[f"validation {method}"] = float(np.nanmean(np.abs(_errors(signal, cutoff, method, rule, VALIDATION_STEPS, origins))))
            from skillcast.engine import national_total

            forecast = national_total.growth_forecast(signal, cutoff, horizon, method, trend)
            row[f"SI2035 err {method} %"] = float(np.mean(np.abs(actual - forecast)) * 100)
        path = total_path(signal_rows, cutoff, 0, horizon, trend, rule, (80,))
        row["chosen"] = path.method
        row["SI2035 err chosen %"] = float(np.mean(np.abs(actual - path.increments)) * 100)
        row["80% h1 inside"] = bool(path.lower[80][0] <= actual[0] - path.increments[0] <= path.upper[80][0])
        records.append(row)
    table = pd.DataFrame(records).set_index("cutoff")
    pd.set_option("display.width", 250)
    print(
        "\nValidation on the national signal (mean |log error| h 1-4) and error on SI2035's England total (mean |log error| %, h <= 4, years <= 2020)"
    )
    print(table.to_string(float_format=lambda value: f"{value:.4f}"))
    errors = table[[f"SI2035 err {method} %" for method in METHODS] + ["SI2035 err chosen %"]]
    print("\nmean over cutoffs 2012-2019:")
    print(errors.mean().to_string(float_format=lambda value: f"{value:.2f}"))
    path = total_path(
        signal_rows, 2020, 5, 15, TOTAL_WEIGHT * float(log_slopes(logs.to_numpy()[None, :])[0]), (len(logs), TOTAL_WEIGHT), (80, 95)
    )
    jump = pd.DataFrame(
        {
            "skillcast (national series)": observed.loc[2020] * np.exp(path.increments[:5]),
            "SI2035 projection": projected.loc[2021:2025].to_numpy(),
        },
        index=range(2021, 2026),
    )
    print(
        f"\nProduction jump-off: England's total 2021-2025 (observed nationally: {path.observed_steps} years; later years: {path.method})"
    )
    print((jump / 1e6).to_string(float_format=lambda value: f"{value:.2f}m"))
    print(f"\ntotal {time.perf_counter() - started:.0f} s\nrerun: .venv/bin/python benchmarks/bench_national.py")


if __name__ == "__main__":
    main()
