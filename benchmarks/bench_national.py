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
from skillcast.data.sources.lookups import ENGLAND, load_geography
from skillcast.data.sources.registry import load_source
from skillcast.data.sources.si2035 import read_employment_wide
from skillcast.engine.national_mix import NationalMixForecaster
from skillcast.engine.national_share import log_slopes
from skillcast.engine.national_total import (
    LONG_RUN_YEARS,
    METHODS,
    VALIDATION_ORIGINS,
    VALIDATION_STEPS,
    Signal,
    growth_forecast,
    method_errors,
    total_path,
)
from skillcast.engine.nowcast import SOC2020_SOURCE, survey_mix_signal

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
            row[f"validation {method}"] = float(np.nanmean(np.abs(method_errors(signal, cutoff, method, rule, VALIDATION_STEPS, origins))))
            forecast = growth_forecast(signal, cutoff, horizon, method, trend)
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
    print(
        "\nThe survey on SOC 2020 (issue #23): do its newer years improve the next year's England mix? (mean |error| of the log share change since 2022)"
    )
    print(survey_backtest(arguments.data).to_string(float_format=lambda value: f"{value:.4f}"))
    print(f"\ntotal {time.perf_counter() - started:.0f} s\nrerun: .venv/bin/python benchmarks/bench_national.py")


def survey_backtest(data_dir: Path) -> pd.DataFrame:
    """At each survey year c (2023, 2024: Apr-Mar years by the year they end), England's SOC 2020
    sub-major mix of c + 1 forecast from SI2035 2010-2020 three ways: the model without the
    survey's SOC 2020 years, the model moved by every survey change up to c (what production
    does), and the survey's own mix at c (naive). SI2035 (jobs) and the APS (residents) differ in
    the *level* of the mix, so each is scored on its change since 2022, the first SOC 2020 survey
    year: mean absolute error, over the 26 sub-majors, of the log share's change 2022 -> c + 1."""
    wide = read_employment_wide(data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv")
    panel = observations(wide.loc[(wide["area"] == "EN") & wide["classification"].isin(["all", "soc2020_major", "soc2020_submajor"])])
    source = load_source(SOC2020_SOURCE)
    survey = source.read(
        [path for pattern in source.FILES for path in sorted(data_dir.glob(pattern))], load_geography(data_dir / "lookups")
    ).panel
    signal = survey_mix_signal(survey.loc[survey["area"] == ENGLAND])
    shares = {(code, year): value for _, classification, code, year, value in signal if classification == "soc2020_submajor"}
    codes = sorted({code for code, _ in shares})
    first = 2022
    records = []
    for cutoff in (2023, 2024):
        actual = np.array([shares[(code, cutoff + 1)] - shares[(code, first)] for code in codes])
        known = tuple(row for row in signal if row[3] <= cutoff)
        row = {"survey year": cutoff}
        for name, mix, years in (("without the SOC 2020 years", (), 0), ("with them (production)", known, cutoff - 2020)):
            model = NationalMixForecaster(national_area="EN", mix_signal=mix, nowcast_years=years).fit(panel)
            forecast = model.predict(cutoff + 1 - 2020)
            rows = forecast.loc[forecast["classification"] == "soc2020_submajor"].pivot(index="code", columns="period", values="forecast")
            log_share = np.log(rows / rows.sum()).reindex(codes)
            change = (log_share[cutoff + 1] - log_share[first]).to_numpy()
            row[name] = float(np.nanmean(np.abs(change - actual)))
        naive = np.array([shares[(code, cutoff)] - shares[(code, first)] for code in codes])
        row["survey's own last mix"] = float(np.mean(np.abs(naive - actual)))
        records.append(row)
    table = pd.DataFrame(records).set_index("survey year")
    table.loc["mean"] = table.mean()
    return table


if __name__ == "__main__":
    main()
