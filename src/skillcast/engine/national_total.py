"""England's total from the national labour market: decades of history where the local panel has a few years.

The largest error of every local backtest is England's own path, and the local panel
(SI2035) sees it through 4-7 national points before each cutoff. The ONS labour market
series (``data.sources.national_lms``) see it every quarter since 1959. This module turns
them into the *national signal* of a model: per year, the log of UK workforce jobs and the
LFS unemployment rate; and from the signal, England's total path after the last local year:

* **Observed years** (the nowcast): where the signal reaches past the last local year (in
  production, local data stop in 2020, the national series in 2024-25), England's total
  follows the signal's growth, ``log E(L + k) = log E(L) + s(L + k) - s(L)``: England's
  share of the UK is held at its level in the last local year (85.3% of UK employment in
  Oct-Dec 2025, A01 table 22; 84-85% through the 2010s).
* **Later years**: one of ``METHODS``, chosen inside the training window by how well each
  forecast the signal itself from ``VALIDATION_ORIGINS`` earlier origins (1-``VALIDATION_STEPS``
  years ahead, mean absolute log error; only years up to the window's end):

  ``trend``     the local model's own total growth (no signal: what the model did before);
  ``long_run``  the signal's mean yearly growth over the last ``LONG_RUN_YEARS`` years;
  ``cycle``     direct regressions, one per horizon h, of the h-year growth on the
                unemployment gap (the rate minus its mean over the last ``LONG_RUN_YEARS``
                years) at the origin, fitted on every origin inside the window: a labour
                market with slack grows faster as it recovers (2013's 7.6% before 2014's +3.2%).

* **The national part of the intervals**: the chosen method's h-year log errors on the
  signal over every origin inside the window (decades of them), as quantiles per horizon;
  observed years have none. The model combines them with its local intervals
  (``Forecaster._national_quantiles``).

Constants fixed by hand (docs/forecasting.md): ``LONG_RUN_YEARS`` (20: two cycles),
``VALIDATION_ORIGINS`` (15) and ``VALIDATION_STEPS`` (4, the backtests' h 1-4), the
minimum of ``MIN_FIT_ORIGINS`` (10) origins for a regression. The series are UK-wide and
of the Feb 2026 vintage: later revisions are in every backtest year (docs/forecasting.md
says how much that can flatter a backtest).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

NationalSignal = tuple[tuple[int, float, float], ...]  # (year, log UK workforce jobs, LFS unemployment rate %)
METHODS: tuple[str, ...] = ("trend", "long_run", "cycle")
LONG_RUN_YEARS = 20
VALIDATION_ORIGINS = 15
VALIDATION_STEPS = 4
MIN_FIT_ORIGINS = 10


@dataclass(frozen=True)
class TotalPath:
    """England's total after the last local year: log change from it at steps 1..horizon,
    how many of those steps the signal observed, the method of the rest, and the national
    error quantiles (log, per level: lower and upper arrays over the steps)."""

    increments: np.ndarray
    observed_steps: int
    method: str
    lower: dict[int, np.ndarray]
    upper: dict[int, np.ndarray]


class Signal:
    """The signal's years as arrays (NaN where a year is missing), up to an as-of year."""

    def __init__(self, rows: NationalSignal, until: int):
        kept = sorted((int(year), float(jobs), float(rate)) for year, jobs, rate in rows if int(year) <= until)
        first = kept[0][0] if kept else until
        self.years = np.arange(first, until + 1)
        self.jobs = np.full(len(self.years), np.nan)
        self.rate = np.full(len(self.years), np.nan)
        for year, jobs, rate in kept:
            self.jobs[year - first], self.rate[year - first] = jobs, rate

    def at(self, year: int) -> int:
        return int(year - self.years[0])


def growth_forecast(signal: Signal, origin: int, steps: int, method: str, trend: float) -> np.ndarray:
    """Cumulative log growth of the signal from ``origin`` at 1..steps years by ``method``,
    from years <= origin only (``trend``: the local model's yearly growth)."""
    ahead = np.arange(1, steps + 1, dtype=float)
    if method == "trend":
        return trend * ahead
    at = signal.at(origin)
    changes = np.diff(signal.jobs[max(at - LONG_RUN_YEARS, 0) : at + 1])
    mean_growth = float(np.nanmean(changes)) if np.isfinite(changes).any() else trend
    if method == "long_run":
        return mean_growth * ahead
    forecast = mean_growth * ahead
    gap = _gap(signal, at)
    for step in range(1, steps + 1):
        coefficients = _cycle_fit(signal, at, step)
        if coefficients is not None and np.isfinite(gap):
            forecast[step - 1] = coefficients[0] + coefficients[1] * gap
    return forecast


def _gap(signal: Signal, at: int) -> float:
    """Unemployment rate at ``at`` minus its mean over the ``LONG_RUN_YEARS`` before (NaN: unknown)."""
    window = signal.rate[max(at - LONG_RUN_YEARS, 0) : at + 1]
    if not np.isfinite(signal.rate[at]) or np.isfinite(window).sum() < LONG_RUN_YEARS // 2:
        return np.nan
    return float(signal.rate[at] - np.nanmean(window))


def _cycle_fit(signal: Signal, at: int, step: int) -> np.ndarray | None:
    """Least squares of the ``step``-year growth on the gap, over origins whose outcome is known by ``at``."""
    gaps, growths = [], []
    for origin in range(0, at - step + 1):
        gap = _gap(signal, origin)
        growth = signal.jobs[origin + step] - signal.jobs[origin]
        if np.isfinite(gap) and np.isfinite(growth):
            gaps.append(gap)
            growths.append(growth)
    if len(gaps) < MIN_FIT_ORIGINS:
        return None
    design = np.column_stack([np.ones(len(gaps)), gaps])
    return np.linalg.lstsq(design, np.asarray(growths), rcond=None)[0]


def signal_trend(signal: Signal, origin: int, years: int, weight: float) -> float:
    """What ``trend`` would have been at ``origin`` on the signal: ``weight`` x the least-squares
    slope of its last ``years`` years (the local model's rule on as many years as it has)."""
    at = signal.at(origin)
    window = signal.jobs[max(at - years + 1, 0) : at + 1]
    known = np.isfinite(window)
    if known.sum() < 2:
        return 0.0
    time = np.arange(len(window))[known]
    return float(weight * np.polyfit(time, window[known], 1)[0])


def method_errors(signal: Signal, end: int, method: str, trend: tuple[int, float], steps: int, origins: range) -> np.ndarray:
    """Signed log errors (origins x steps; NaN: outcome after ``end`` or unknown) of ``method``;
    ``trend``: (years, weight) of the local model's trend rule, replayed on the signal."""
    errors = np.full((len(origins), steps), np.nan)
    for row, origin in enumerate(origins):
        known = min(steps, end - origin)
        if known < 1 or not np.isfinite(signal.jobs[signal.at(origin)]):
            continue
        forecast = growth_forecast(signal, origin, known, method, signal_trend(signal, origin, *trend))
        actual = signal.jobs[signal.at(origin) + 1 : signal.at(origin) + known + 1] - signal.jobs[signal.at(origin)]
        errors[row, :known] = actual - forecast
    return errors


def choose_method(signal: Signal, end: int, trend: tuple[int, float]) -> str:
    """The method with the least mean absolute log error over the validation origins before ``end``."""
    first = max(int(signal.years[0]) + LONG_RUN_YEARS, end - VALIDATION_ORIGINS)
    origins = range(first, end)
    if len(origins) == 0:
        return "trend"
    scores = {method: np.nanmean(np.abs(method_errors(signal, end, method, trend, VALIDATION_STEPS, origins))) for method in METHODS}
    finite = {method: score for method, score in scores.items() if np.isfinite(score)}
    if not finite:
        return "trend"
    best = min(finite.values())
    # ties, up to rounding noise: the simpler method (the order of METHODS)
    return next(method for method in METHODS if method in finite and finite[method] <= best * (1 + 1e-9) + 1e-12)


def error_quantiles(signal: Signal, end: int, method: str, trend: tuple[int, float], horizon: int, levels: tuple[int, ...]):
    """Per level, the lower and upper quantiles (per step) of ``method``'s log errors over every origin before ``end``."""
    origins = range(int(signal.years[0]) + LONG_RUN_YEARS, end)
    errors = method_errors(signal, end, method, trend, horizon, origins)
    lower, upper = {}, {}
    for level in levels:
        tail = (1 - level / 100) / 2
        low, high = np.zeros(horizon), np.zeros(horizon)
        for step in range(horizon):
            known = errors[:, step][np.isfinite(errors[:, step])]
            if len(known) >= 5:
                low[step], high[step] = min(np.quantile(known, tail), 0.0), max(np.quantile(known, 1 - tail), 0.0)
            elif step > 0:  # too few long-horizon origins: carry the last by the random-walk rate
                low[step], high[step] = low[step - 1] * np.sqrt((step + 1) / step), high[step - 1] * np.sqrt((step + 1) / step)
        lower[level], upper[level] = low, high
    return lower, upper


def total_path(
    rows: NationalSignal,
    last_local: int,
    nowcast_years: int,
    horizon: int,
    trend: float,
    trend_rule: tuple[int, float],
    levels: tuple[int, ...],
) -> TotalPath | None:
    """England's total path after ``last_local`` from the signal known up to ``last_local +
    nowcast_years``; None when the signal does not hold ``last_local`` (the model keeps its own trend).
    ``trend``: the local model's own yearly growth of the total; ``trend_rule``: (years, weight) it came from."""
    if not rows:
        return None
    signal = Signal(rows, last_local + nowcast_years)
    if last_local < signal.years[0] or not np.isfinite(signal.jobs[signal.at(last_local)]):
        return None
    end = int(signal.years[np.isfinite(signal.jobs)][-1])
    observed = max(0, min(end - last_local, horizon))
    base = signal.jobs[signal.at(last_local)]
    increments = np.empty(horizon)
    increments[:observed] = signal.jobs[signal.at(last_local) + 1 : signal.at(last_local) + observed + 1] - base
    method = choose_method(signal, end, trend_rule)
    rest = horizon - observed
    lower = {level: np.zeros(horizon) for level in levels}
    upper = {level: np.zeros(horizon) for level in levels}
    if rest:
        increments[observed:] = (signal.jobs[signal.at(end)] - base) + growth_forecast(signal, end, rest, method, trend)
        low, high = error_quantiles(signal, end, method, trend_rule, rest, levels)
        for level in levels:
            lower[level][observed:], upper[level][observed:] = low[level], high[level]
    return TotalPath(increments=increments, observed_steps=observed, method=method, lower=lower, upper=upper)


@lru_cache(maxsize=512)
def cached_total_path(
    rows: NationalSignal,
    last_local: int,
    nowcast_years: int,
    horizon: int,
    trend: float,
    trend_rule: tuple[int, float],
    levels: tuple[int, ...],
) -> TotalPath | None:
    """``total_path``, once per question: replays, validation origins and backtests ask the same ones."""
    return total_path(rows, last_local, nowcast_years, horizon, trend, trend_rule, levels)


def nowcast_years(signal: NationalSignal, last_local: int) -> int:
    """How many years past the local data's last year the signal reaches (production's jump-off)."""
    return max(0, max(int(year) for year, _, _ in signal) - int(last_local)) if signal else 0
