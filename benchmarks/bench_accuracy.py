"""Issue #14's figures in one command: accuracy at 1-4 and 1-7 years, BLS-style measures, which
lever each model moves, the APS nowcast, the between-area spread of 2021-2035 growth, speed.

On the real SI2035 panel (2,205 employment series: 49 LSIP / combined authority / England
areas x total, RQF levels, SOC 2020 major and sub-major groups; observations 2010-2020):

* Test A: cutoffs 2013-2016, horizons 1-4. Test B: cutoff 2013, horizons 1-7.
  Per model: MASE overall, by classification and by horizon; 80%/95% coverage per
  horizon; for SOC sub-majors "direction right" and "faster than the area's total right"
  at h 4 and h 7; MAPE at the last horizon (``skillcast.engine.backtest.score``).
  statsforecast's Naive, RWD, AutoETS and AutoTheta run on the same series in their own
  environment (``bench_peers.run_peers``), scored the same way, in the same run.
* Two decompositions of every model's forecast f_i = (f_i / f_EN,c) x f_EN,c: "national
  exact" (the model's implied local share x England's actual path: only the local spread,
  lever 2, can be wrong) and "shares exact" (the actual local share x the model's national
  path: only the national path, lever 1, can be wrong); and the oracle (England's actual
  path x the area's constant 3-year share).
* The APS nowcast: cutoffs 2015-2019 (h = min(4, 2020 - cutoff)), national_mix with and
  without England's occupational mix from the APS for the year after each cutoff.
* 2021->2035 demand growth by qualification band (low / intermediate / high, as
  skillcast.data.qualifications defines them) across the 48 LSIP / CA areas: the
  production model fitted on 2010-2020 against the publisher's own projection (SI2035),
  and how much between-area spread the backtests support.

Rerun: .venv/bin/python benchmarks/bench_accuracy.py [--data DIR] [--skip-peers] [--skip-lightgbm]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.config import Config
from skillcast.data.qualifications import BAND_OF_LEVEL, BANDS, LEVEL_SHARES
from skillcast.data.schema import SERIES_KEY, observations, series_count
from skillcast.data.sources import national_lms
from skillcast.data.sources.lookups import load_geography
from skillcast.data.sources.registry import load_source
from skillcast.data.sources.si2035 import read_employment_wide
from skillcast.engine.backtest import PRODUCTION_NAME, BacktestResult, rolling_origin, score
from skillcast.engine.factory import make_forecaster
from skillcast.engine.matrix import SeriesMatrix
from skillcast.engine.nowcast import APS_SOURCE, occupation_mix_signal
from skillcast.pipeline.job import forecaster

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peers import run_peers  # noqa: E402

TESTS = {"A": ([2013, 2014, 2015, 2016], 4), "B": ([2013], 7)}
NATIONAL = "EN"
PRODUCTION = "reconciled:national_mix + APS + national"  # what `skillcast train` fits on a store with APS and national_lms
WITHOUT_NATIONAL = "reconciled:national_mix + APS"  # the same without the national labour market (the lever #22 adds)
CLASS_LABELS = {"all": "all", "rqf": "rqf", "soc2020_major": "major", "soc2020_submajor": "sub-major"}
BAND_OF_RQF = {code: BAND_OF_LEVEL[shares[0][0]] for code, shares in LEVEL_SHARES["rqf"].items()}
pd.set_option("display.width", 250)
pd.set_option("display.max_columns", 60)


def national(data_dir: Path) -> tuple[tuple, dict]:
    """The national labour market signal (engine.national_total) and its series' last periods."""
    source = load_source(national_lms.NAME)
    paths = [path for pattern in source.FILES for path in sorted(data_dir.glob(pattern))]
    return national_lms.national_signal(source.read(paths, None).tables["national_series"])


def panels(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """SI2035 observations (2,205 series), SI2035 with its projections, and the APS occupations."""
    wide = read_employment_wide(data_dir / "skills_imperative_2035" / "si2035_employment_2010_2035_wide.csv")
    wide = wide.loc[wide["classification"] != "industry"].reset_index(drop=True)
    source = load_source(APS_SOURCE)
    aps = source.read([data_dir / name for name in source.FILES], load_geography(data_dir / "lookups")).panel
    return observations(wide).reset_index(drop=True), wide, aps


def models(signal: tuple, national_signal: tuple, lightgbm: bool) -> dict:
    names = ["naive", "drift", "national_share", "reconciled:national_share", "national_mix", "reconciled:national_mix"]
    chosen = {name: make_forecaster(name) for name in names + (["lightgbm"] if lightgbm else [])}
    chosen[WITHOUT_NATIONAL] = forecaster(Config().production_model, Config(), signal=signal)  # the production model before #22
    chosen[PRODUCTION] = forecaster(Config().production_model, Config(), signal=signal, national=national_signal)  # as the job makes it
    return chosen


# -- decompositions and the oracle ------------------------------------------------------------
def decompositions(result: BacktestResult) -> BacktestResult:
    """Every model's forecasts as "national exact" and "shares exact" variants (see the docstring)."""
    frame = result.forecasts
    keys = ["model", "measure", "classification", "code", "cutoff", "period"]
    national = frame.loc[frame["area"] == NATIONAL, keys + ["forecast", "value"]].rename(
        columns={"forecast": "national_forecast", "value": "national_value"}
    )
    merged = frame.merge(national, on=keys, how="inner")
    merged = merged.loc[merged["national_forecast"] > 0]  # a path through zero (drift) has no implied share
    variants = []
    for label, point in (
        ("national exact", merged["forecast"] / merged["national_forecast"] * merged["national_value"]),
        ("shares exact", merged["value"] / merged["national_value"] * merged["national_forecast"]),
    ):
        variant = merged[frame.columns].assign(model=merged["model"] + " | " + label, forecast=point)
        for column in ("lo_80", "hi_80", "lo_95", "hi_95"):
            variant[column] = point
        variants.append(variant)
    return BacktestResult(forecasts=pd.concat(variants, ignore_index=True), scales=result.scales, seconds={})


def total_exact(result: BacktestResult, model: str) -> BacktestResult:
    """``model``'s forecasts, intervals included, times England's actual total over its own
    forecast of it (same cutoff and year): everything the model's own except England's total
    path, the one part no data before the test years carry (its 2014 jump)."""
    frame = result.forecasts.loc[result.forecasts["model"] == model]
    england = frame.loc[(frame["area"] == NATIONAL) & (frame["classification"] == "all")].set_index(["cutoff", "period"])
    ratio = (england["value"] / england["forecast"]).reindex(pd.MultiIndex.from_frame(frame[["cutoff", "period"]])).to_numpy()
    moved = frame.assign(model=f"{model} | England's total exact")
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        moved[column] = frame[column].to_numpy() * ratio
    return BacktestResult(forecasts=moved, scales=result.scales, seconds={})


def oracle(panel: pd.DataFrame, result: BacktestResult, cutoffs: list[int], share_years: int = 3) -> BacktestResult:
    """England's actual path per category x the area's mean share of it over the last 3 years to the cutoff."""
    full = SeriesMatrix.from_panel(panel)
    keys = full.keys
    national = keys.assign(row=np.arange(len(keys))).loc[keys["area"] == NATIONAL].set_index(["measure", "classification", "code"])["row"]
    national_row = keys.set_index(["measure", "classification", "code"]).index.map(national).to_numpy()
    rows = []
    for cutoff in cutoffs:
        column = int(np.searchsorted(full.periods, cutoff))
        window = slice(column - share_years + 1, column + 1)
        share = np.nanmean(full.values[:, window] / full.values[national_row][:, window], axis=1)
        for offset, period in enumerate(full.periods[column + 1 :]):
            point = share * full.values[national_row, column + 1 + offset]
            rows.append(keys.assign(cutoff=cutoff, period=int(period), forecast=point))
    frame = pd.concat(rows, ignore_index=True)
    actual = result.forecasts.loc[result.forecasts["model"] == "naive", SERIES_KEY + ["cutoff", "period", "value", "value_at_cutoff"]]
    frame = actual.merge(frame, on=SERIES_KEY + ["cutoff", "period"], how="inner").assign(model="oracle")
    for column in ("lo_80", "hi_80", "lo_95", "hi_95"):
        frame[column] = frame["forecast"]
    return BacktestResult(forecasts=frame, scales=result.scales, seconds={})


# -- tables ---------------------------------------------------------------------------------
def summary(table: pd.DataFrame, by_horizon: pd.DataFrame, levers: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per model: the figures of issue #14's tables."""
    out = pd.DataFrame(index=table["model"])
    rows = table.set_index("model")
    out["MASE"] = rows["mase"]
    for classification, label in CLASS_LABELS.items():
        out[f"MASE {label}"] = rows.get(f"mase_{classification}")
    for at in sorted({4, horizon}):
        at_h = by_horizon.loc[by_horizon["horizon"] == at].set_index("model")
        out[f"direction h{at}"] = at_h["direction_right"]
        out[f"faster h{at}"] = at_h["faster_right"]
    out[f"MAPE h{horizon} %"] = rows["mape_last"]
    lever = levers.assign(
        base=levers["model"].str.split(" | ", regex=False).str[0], kind=levers["model"].str.split(" | ", regex=False).str[1]
    )
    for kind, label in (("shares exact", "lever 1 err (shares exact)"), ("national exact", "lever 2 err (national exact)")):
        out[label] = lever.loc[lever["kind"] == kind].set_index("base")["mase"]
    out["seconds"] = rows["seconds"]
    return out


def coverage_table(by_horizon: pd.DataFrame) -> pd.DataFrame:
    wide = by_horizon.pivot_table(index="model", columns="horizon", values=["coverage_80", "coverage_95"])
    wide.columns = [f"{'80' if level == 'coverage_80' else '95'}% h{h}" for level, h in wide.columns]
    return wide


def mase_by_horizon(by_horizon: pd.DataFrame) -> pd.DataFrame:
    wide = by_horizon.pivot_table(index="model", columns="horizon", values="mase")
    wide.columns = [f"h{h}" for h in wide.columns]
    return wide


# -- the APS nowcast --------------------------------------------------------------------------
def nowcast_test(panel: pd.DataFrame, signal: tuple) -> pd.DataFrame:
    """national_mix without the APS, with its major groups' mix only, and with its major and
    sub-major groups' (production) one year past each cutoff, cutoffs 2015-2019 (mean over cutoffs)."""
    majors = tuple(row for row in signal if row[1] == "soc2020_major")
    variants = {
        "reconciled:national_mix": make_forecaster("reconciled:national_mix"),
        "reconciled:national_mix + APS majors": make_forecaster("reconciled:national_mix", mix_signal=majors),
        "reconciled:national_mix + APS majors, sub-majors": make_forecaster("reconciled:national_mix", mix_signal=signal),
        "national_mix": make_forecaster("national_mix"),
        "national_mix + APS majors, sub-majors": make_forecaster("national_mix", mix_signal=signal),
    }
    rows = []
    for cutoff in range(2015, 2020):
        result = rolling_origin(panel, variants, [cutoff], min(4, 2020 - cutoff), "national_mix")
        rows.append(score(result).assign(cutoff=cutoff))
    table = pd.concat(rows)
    table = table.loc[table["model"] != PRODUCTION_NAME]
    columns = ["mase", "mase_all", "mase_soc2020_major", "mase_soc2020_submajor", "direction_right", "faster_right"]
    by_cutoff = table.pivot_table(index="cutoff", columns="model", values=["mase", "mase_soc2020_major", "mase_soc2020_submajor"])
    return table.groupby("model")[columns].mean(), by_cutoff


# -- 2021 -> 2035 growth by band across areas ---------------------------------------------------
def band_growth(frame: pd.DataFrame, start: int, end: int, value: str) -> pd.DataFrame:
    """% growth start -> end of each area's demand by band (RQF levels summed), areas x bands."""
    rows = frame.loc[frame["classification"] == "rqf"].assign(band=lambda f: f["code"].map(BAND_OF_RQF))
    sums = rows.loc[rows["period"].isin([start, end])].groupby(["area", "band", "period"])[value].sum().unstack("period")
    return (100 * (sums[end] / sums[start] - 1)).unstack("band")[list(BANDS)]


def spread(growth: pd.DataFrame) -> pd.DataFrame:
    local = growth.drop(index=NATIONAL, errors="ignore")
    return pd.DataFrame({"England": growth.loc[NATIONAL] if NATIONAL in growth.index else np.nan, "mean": local.mean(), "sd": local.std(),
                         "min": local.min(), "max": local.max()}).T  # fmt: skip


def spread_in_backtests(result: BacktestResult, cutoff: int, end: int, names: list[str]) -> pd.DataFrame:
    """Across the 48 areas, band growth cutoff -> end: actual sd, each model's sd, their correlation and MAE (points)."""
    frame = result.forecasts.loc[result.forecasts["cutoff"] == cutoff]
    base = frame.loc[frame["model"] == "naive"].drop_duplicates(SERIES_KEY).assign(period=cutoff, value=lambda f: f["value_at_cutoff"])
    actual = band_growth(pd.concat([base, frame.loc[(frame["model"] == "naive") & (frame["period"] == end)]]), cutoff, end, "value")
    actual = actual.drop(index=NATIONAL)
    rows = {}
    for name in names:
        own = frame.loc[(frame["model"] == name) & (frame["period"] == end)]
        start = base.assign(forecast=base["value_at_cutoff"])
        predicted = band_growth(pd.concat([start, own]), cutoff, end, "forecast").drop(index=NATIONAL)
        for band in BANDS:
            rows[(name, band)] = {
                "actual sd": actual[band].std(),
                "forecast sd": predicted[band].std(),
                "corr across areas": np.corrcoef(actual[band], predicted[band])[0, 1],
                "MAE (points)": (actual[band] - predicted[band]).abs().mean(),
            }
    return pd.DataFrame(rows).T


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Config.from_env().data_dir)
    parser.add_argument("--skip-peers", action="store_true", help="leave out statsforecast (no peers' environment)")
    parser.add_argument("--skip-lightgbm", action="store_true", help="leave out the global LightGBM (the slowest model)")
    arguments = parser.parse_args()
    started = time.perf_counter()
    panel, with_projections, aps = panels(arguments.data)
    signal = occupation_mix_signal(aps)
    aps_years = sorted({year for *_, year, _ in signal})
    national_signal, national_last = national(arguments.data)
    print(
        f"SI2035: {series_count(panel):,} series, {panel['period'].min()}-{panel['period'].max()}; APS mix {aps_years[0]}-{aps_years[-1]}; "
        f"national labour market {national_signal[0][0]}-{national_signal[-1][0]} (last: {national_last})"
    )
    chosen = models(signal, national_signal, not arguments.skip_lightgbm)
    verdicts = []
    for test, (cutoffs, horizon) in TESTS.items():
        print(f"\n{'=' * 110}\nTest {test}: cutoffs {cutoffs}, horizons 1-{horizon}", flush=True)
        ours = rolling_origin(panel, chosen, cutoffs, horizon, PRODUCTION)
        results = [ours]
        if not arguments.skip_peers:
            peers, _ = run_peers(panel, cutoffs, horizon)
            results.append(
                BacktestResult(forecasts=peers.forecasts.assign(model="statsforecast " + peers.forecasts["model"]), scales=peers.scales,
                               seconds={f"statsforecast {name}": seconds for name, seconds in peers.seconds.items()})
            )  # fmt: skip
        results.append(oracle(panel, ours, cutoffs))
        combined = BacktestResult(
            forecasts=pd.concat([result.forecasts for result in results], ignore_index=True),
            scales=ours.scales,
            seconds={name: seconds for result in results for name, seconds in result.seconds.items()},
        )
        table, by_horizon = score(combined), score(combined, by=["horizon"])
        levers = score(decompositions(BacktestResult(ours.forecasts, ours.scales, {})))
        figures = summary(table, by_horizon, levers, horizon).sort_values("MASE")
        peers_only = figures.loc[figures.index.str.startswith("statsforecast")]
        best_peer = peers_only["MASE"].idxmin() if len(peers_only) else "naive"
        figures["MASE / best peer"] = figures["MASE"] / figures.at[best_peer, "MASE"]
        print(
            f"best peer: {best_peer} (MASE {figures.at[best_peer, 'MASE']:.3f}); target <= 0.80 x = {0.8 * figures.at[best_peer, 'MASE']:.3f}"
        )
        print(figures.to_string(float_format=lambda value: f"{value:.3f}"))
        print("\nMASE by horizon")
        print(mase_by_horizon(by_horizon).loc[figures.index].to_string(float_format=lambda value: f"{value:.3f}"))
        print("\nCoverage by horizon (targets: 80% in [0.75, 0.85], 95% in [0.90, 0.98])")
        print(coverage_table(by_horizon).drop(index=["oracle"]).to_string(float_format=lambda value: f"{value:.3f}"))
        exact = total_exact(ours, PRODUCTION_NAME)
        with_exact = BacktestResult(pd.concat([ours.forecasts.loc[ours.forecasts["model"].isin([PRODUCTION_NAME, "naive"])], exact.forecasts]),
                                    ours.scales, {})  # fmt: skip
        exact_table, exact_by_horizon = score(with_exact), score(with_exact, by=["horizon"])
        print("\nWhat England's total path costs: skillcast with England's actual total (everything else its own)")
        exact_figures = summary(exact_table, exact_by_horizon, levers.iloc[0:0], horizon)
        exact_figures = exact_figures.drop(columns=["seconds", "lever 1 err (shares exact)", "lever 2 err (national exact)"])
        exact_figures["MASE / best peer"] = exact_figures["MASE"] / figures.at[best_peer, "MASE"]
        print(exact_figures.to_string(float_format=lambda value: f"{value:.3f}"))
        print(coverage_table(exact_by_horizon).to_string(float_format=lambda value: f"{value:.3f}"))
        if len(cutoffs) > 1:
            print("MASE by cutoff")
            print(
                score(with_exact, by=["cutoff"])
                .pivot(index="cutoff", columns="model", values="mase")
                .to_string(float_format=lambda v: f"{v:.3f}")
            )
        production = figures.loc[PRODUCTION_NAME]
        naive = figures.loc["naive"]
        coverage = coverage_table(by_horizon).loc[PRODUCTION_NAME]
        verdicts += [
            (f"{test}: MASE <= 0.80 x best peer", f"{production['MASE']:.3f} vs {0.8 * figures.at[best_peer, 'MASE']:.3f}",
             production["MASE / best peer"] <= 0.80),
            (f"{test}: below naive in every classification",
             " / ".join(f"{production[f'MASE {c}']:.3f}<{naive[f'MASE {c}']:.3f}" for c in CLASS_LABELS.values()),
             all(production[f"MASE {c}"] < naive[f"MASE {c}"] for c in CLASS_LABELS.values())),
            (f"{test}: 80% coverage in [0.75, 0.85] at every h", " ".join(f"{coverage[f'80% h{h}']:.2f}" for h in range(1, horizon + 1)),
             all(0.75 <= coverage[f"80% h{h}"] <= 0.85 for h in range(1, horizon + 1))),
            (f"{test}: 95% coverage in [0.90, 0.98] at every h", " ".join(f"{coverage[f'95% h{h}']:.2f}" for h in range(1, horizon + 1)),
             all(0.90 <= coverage[f"95% h{h}"] <= 0.98 for h in range(1, horizon + 1))),
            (f"{test}: sub-majors direction right >= 75% at h{horizon}", f"{production[f'direction h{horizon}']:.3f}",
             production[f"direction h{horizon}"] >= 0.75),
            (f"{test}: sub-majors faster than total right >= 70% at h{horizon}", f"{production[f'faster h{horizon}']:.3f}",
             production[f"faster h{horizon}"] >= 0.70),
        ]  # fmt: skip
        if len(peers_only):
            verdicts.append(
                (f"{test}: backtest time no more than the best peer's", f"{production['seconds']:.2f} s vs {figures.at[best_peer, 'seconds']:.2f} s",
                 production["seconds"] <= figures.at[best_peer, "seconds"])
            )  # fmt: skip
        if test == "B":
            print("\nBetween-area spread of band growth 2013 -> 2020 in the backtest (48 areas)")
            print(
                spread_in_backtests(ours, 2013, 2020, [PRODUCTION_NAME, "reconciled:national_share"]).to_string(
                    float_format="{:.2f}".format
                )
            )
        else:
            print("\nBetween-area spread of band growth 2016 -> 2020 in the backtest (48 areas)")
            print(
                spread_in_backtests(ours, 2016, 2020, [PRODUCTION_NAME, "reconciled:national_share"]).to_string(
                    float_format="{:.2f}".format
                )
            )

    print(
        f"\n{'=' * 110}\nNewer data: England's occupational mix (major, sub-major groups) from the APS one year past each cutoff (cutoffs 2015-2019, mean)"
    )
    means, per_cutoff = nowcast_test(panel, signal)
    print(means.to_string(float_format=lambda value: f"{value:.3f}"))
    for measure, label in (
        ("mase", "MASE"),
        ("mase_soc2020_major", "MASE of SOC major groups"),
        ("mase_soc2020_submajor", "MASE of sub-majors"),
    ):
        print(f"{label} by cutoff")
        print(per_cutoff[measure].to_string(float_format=lambda value: f"{value:.3f}"))

    print(f"\n{'=' * 110}\n2021 -> 2035 demand growth by qualification band, % (48 LSIP / CA areas; England apart)")
    blocks = {"publisher (SI2035 projections)": spread(band_growth(with_projections, 2021, 2035, "value"))}
    last = int(panel["period"].max())
    for name, model in (
        ("skillcast (production)", chosen[PRODUCTION]),
        ("reconciled:national_share (before #14)", chosen["reconciled:national_share"]),
    ):
        forecasts = model.fit(panel).predict(2035 - last)
        blocks[name] = spread(band_growth(forecasts, 2021, 2035, "forecast"))
    print(pd.concat(blocks).to_string(float_format=lambda value: f"{value:+.1f}"))

    print(f"\n{'=' * 110}\nIssue #14's targets, production model ({PRODUCTION})")
    for target, value, met in verdicts:
        print(f"  {'MET    ' if met else 'NOT MET'}  {target}: {value}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s\nrerun: .venv/bin/python benchmarks/bench_accuracy.py")


if __name__ == "__main__":
    main()
