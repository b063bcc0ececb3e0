"""England's total from the national labour market: tiny signals with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skillcast.data.sources.lookups import ENGLAND
from skillcast.engine.base import interval_columns
from skillcast.engine.national_mix import NationalMixForecaster
from skillcast.engine.national_total import Signal, choose_method, growth_forecast, nowcast_years, total_path
from skillcast.engine.nowcast import survey_mix_signal


def steady(first=1960, last=2024, growth=0.01, rate=5.0):
    """A signal growing ``growth`` a year with a constant unemployment rate."""
    return tuple((year, 10.0 + growth * (year - first), rate) for year in range(first, last + 1))


def cyclical(first=1960, last=2024):
    """Growth that follows the unemployment gap: a year after a high rate, jobs grow faster."""
    rows, jobs = [], 10.0
    for year in range(first, last + 1):
        rate = 6.0 + 3.0 * np.sin((year - first) / 2.5)
        rows.append((year, jobs, rate))
        jobs += 0.01 + 0.006 * (rate - 6.0)
    return tuple(rows)


def noisy(first=1960, last=2024, seed=1):
    """1% a year with 4% yearly shocks: a national history whose errors are large."""
    shocks = np.random.default_rng(seed).normal(0.0, 0.04, last - first + 1)
    jobs = 10.0 + np.cumsum(0.01 + shocks)
    return tuple((year, float(value), 5.0) for year, value in zip(range(first, last + 1), jobs, strict=True))


def test_observed_years_follow_the_signal_and_carry_no_national_error():
    signal = steady(last=2025)
    path = total_path(signal, last_local=2020, nowcast_years=5, horizon=8, trend=0.0, trend_rule=(11, 0.5), levels=(80,))
    assert path.observed_steps == 5
    np.testing.assert_allclose(path.increments[:5], 0.01 * np.arange(1, 6))
    assert (path.lower[80][:5] == 0).all() and (path.upper[80][:5] == 0).all()
    assert (path.upper[80][5:] >= 0).all()


def test_a_backtest_never_sees_the_signal_after_its_cutoff():
    known = steady(last=2013)
    later = known + tuple((year, 99.0, 1.0) for year in range(2014, 2025))  # wild values after the cutoff
    first = total_path(known, 2013, 0, 4, 0.0, (4, 0.5), (80, 95))
    second = total_path(later, 2013, 0, 4, 0.0, (4, 0.5), (80, 95))
    assert first.observed_steps == second.observed_steps == 0
    np.testing.assert_array_equal(first.increments, second.increments)
    np.testing.assert_array_equal(first.upper[95], second.upper[95])


def test_steady_growth_is_forecast_by_its_long_run_rate():
    signal = Signal(steady(), until=2024)
    assert growth_forecast(signal, 2024, 3, "long_run", trend=0.0) == pytest.approx([0.01, 0.02, 0.03])
    # the local trend alone (half of a 1% slope) loses to the long-run rate on the signal's own history
    assert choose_method(signal, 2024, (5, 0.5)) == "long_run"


def test_growth_that_follows_the_gap_is_forecast_by_the_cycle():
    signal = Signal(cyclical(), until=2024)
    assert choose_method(signal, 2024, (5, 0.5)) == "cycle"


def test_without_the_signal_at_the_last_local_year_the_model_keeps_its_own_trend():
    assert total_path(steady(first=2015), 2010, 0, 4, 0.0, (4, 0.5), (80,)) is None
    assert total_path((), 2010, 0, 4, 0.0, (4, 0.5), (80,)) is None
    assert nowcast_years(steady(last=2025), 2020) == 5 and nowcast_years((), 2020) == 0


def panel(years=range(2010, 2021)):
    """England and one area, total and two categories; England grows 2% a year."""
    rows = []
    for year in years:
        step = year - 2010
        for area, size in (("EN", 1000.0), ("A", 100.0)):
            total = size * 1.02**step
            rows += [
                (area, "employment", "all", "all", year, total),
                (area, "employment", "rqf", "rqf3", year, 0.4 * total),
                (area, "employment", "rqf", "rqf4", year, 0.6 * total),
            ]
    return pd.DataFrame(rows, columns=["area", "measure", "classification", "code", "period", "value"])


def test_national_mix_jumps_off_from_the_observed_national_years():
    signal = steady(last=2023, growth=0.03)  # the national series know 2021-2023: 3% a year
    model = NationalMixForecaster(national_area="EN", national_signal=signal, nowcast_years=3).fit(panel())
    forecast = model.predict(5).set_index(["area", "classification", "code", "period"])["forecast"]
    last = 1000.0 * 1.02**10
    for step, year in enumerate(range(2021, 2024), start=1):
        assert forecast.loc[("EN", "all", "all", year)] == pytest.approx(last * np.exp(0.03 * step), rel=1e-9)
    # the area keeps its share of England; its categories keep theirs
    assert forecast.loc[("A", "all", "all", 2022)] == pytest.approx(0.1 * forecast.loc[("EN", "all", "all", 2022)], rel=1e-6)


def test_without_a_signal_national_mix_is_unchanged_and_the_national_error_only_widens():
    plain = NationalMixForecaster(national_area="EN").fit(panel()).predict(4)
    same = NationalMixForecaster(national_area="EN", national_signal=(), nowcast_years=3).fit(panel()).predict(4)
    pd.testing.assert_frame_equal(plain, same)
    model = NationalMixForecaster(national_area="EN", national_signal=noisy(last=2020)).fit(panel())
    matrix = model.matrix_
    point = np.maximum(model._predict_point(matrix, 4), 0.0)
    national = model._national_quantiles(matrix, 4)
    assert national is not None and national[0].all()  # every series here is employment
    local = interval_columns(point, matrix.scales(), model.interval_quantiles_, (80, 95), 4)
    combined = interval_columns(point, matrix.scales(), model.interval_quantiles_, (80, 95), 4, national)
    assert (combined["hi_95"] >= local["hi_95"]).all() and (combined["lo_95"] <= local["lo_95"]).all()
    assert (combined["hi_95"] > local["hi_95"]).any()  # England's total: its own decades of errors are wider
    # at least the national error itself, for every series
    assert (combined["hi_80"] - point >= point * (np.exp(national[2][80][None, :]) - 1) - 1e-9).all()


def occupations(years=range(2010, 2021)):
    """England and one area by SOC major group 1 and 2 (shares 0.4 / 0.6, no trend in the mix)."""
    rows = []
    for year in years:
        for area, size in (("EN", 1000.0), ("A", 100.0)):
            total = size * 1.01 ** (year - 2010)
            rows += [
                (area, "employment", "all", "all", year, total),
                (area, "employment", "soc2020_major", "1", year, 0.4 * total),
                (area, "employment", "soc2020_major", "2", year, 0.6 * total),
            ]
    return pd.DataFrame(rows, columns=["area", "measure", "classification", "code", "period", "value"])


def test_the_survey_moves_the_mix_in_every_year_it_knows_and_the_trend_fills_the_break():
    # the survey knows 2022-2023 (one coding) but not 2021: no change 2020 -> 2021 or 2021 -> 2022 is taken
    share = {2022: 0.40, 2023: 0.44}
    signal = tuple(
        ("employment", "soc2020_major", code, year, float(np.log(value if code == "1" else 1 - value)))
        for year, value in share.items()
        for code in ("1", "2")
    )
    model = NationalMixForecaster(national_area="EN", mix_signal=signal, nowcast_years=3).fit(occupations())
    forecast = model.predict(4).set_index(["area", "classification", "code", "period"])["forecast"]
    ratio = [forecast.loc[("EN", "soc2020_major", "1", year)] / forecast.loc[("EN", "all", "all", year)] for year in range(2021, 2025)]
    expected = 0.4 * np.array([1.0, 1.0, 0.44 / 0.40, 0.44 / 0.40])  # 2024: past the survey, the last move carries on
    np.testing.assert_allclose(ratio, expected, rtol=1e-9)
    # a backtest (nowcast_years 0) takes the year after the cutoff only, as before
    single = NationalMixForecaster(national_area="EN", mix_signal=signal).fit(occupations(range(2010, 2022)))
    later = single.predict(2).set_index(["area", "classification", "code", "period"])["forecast"]
    assert later.loc[("EN", "soc2020_major", "1", 2022)] / later.loc[("EN", "all", "all", 2022)] == pytest.approx(0.4, rel=1e-9)


def test_the_survey_signal_never_takes_a_change_across_its_coding_break():
    rows = []
    for year in (2019, 2020):
        rows += [(ENGLAND, "employment_residence", "soc2010_submajor", code, year, value) for code, value in (("11", 40.0), ("21", 60.0))]
    for year in (2021, 2022, 2023):
        rows += [(ENGLAND, "employment_residence", "soc2020_submajor", code, year, value) for code, value in (("11", 30.0), ("21", 70.0))]
    panel = pd.DataFrame(rows, columns=["area", "measure", "classification", "code", "period", "value"])
    signal = survey_mix_signal(panel)
    years = sorted({year for *_, year, _ in signal})
    # 2021 (the first SOC 2020 year, right after SOC 2010's 2020) is dropped: 2020 -> 2021 would read a recoding as a change
    assert years == [2019, 2020, 2022, 2023]
    assert survey_mix_signal(None) == () and survey_mix_signal(panel.iloc[0:0]) == ()
