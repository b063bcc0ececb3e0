import numpy as np
import pytest

from skillcast.engine.baselines import NaiveForecaster
from skillcast.engine.intervals import ERROR_GROWTH, MIN_ERRORS, ReplayWindow, quantiles_from_errors, quantiles_from_windows, replay_backs
from tests.helpers import make_panel


def test_quantiles_match_a_known_error_distribution():
    errors = np.linspace(-10, 10, 2001)  # uniform: 80% interval is about +/-8
    quantiles = quantiles_from_errors(errors, levels=(80,))
    lower, upper = quantiles.at(80, 1)
    assert lower[0] == pytest.approx(-8.0, abs=0.05) and upper[0] == pytest.approx(8.0, abs=0.05)


def test_every_horizon_follows_one_error_growth_curve_without_a_kink():
    quantiles = quantiles_from_errors(np.linspace(-1, 1, 101), levels=(80, 95))
    lower, upper = quantiles.at(80, 10)
    steps = np.arange(1, 11)
    assert ERROR_GROWTH == 0.5
    assert np.allclose(upper, upper[0] * np.sqrt(steps)) and np.allclose(lower, lower[0] * np.sqrt(steps))
    assert (np.diff(upper) > 0).all() and (np.diff(lower) < 0).all(), "widths grow with every year ahead"
    # no kink: the growth rate between neighbouring horizons is the same function of h everywhere
    elasticity = np.diff(np.log(upper)) / np.diff(np.log(steps))
    assert np.allclose(elasticity, 0.5)
    wide, _ = quantiles.at(95, 10)
    assert (wide <= lower).all(), "the 95% interval holds the 80% one at every horizon"


def test_too_few_errors_fall_back_to_random_walk_normal_quantiles():
    quantiles = quantiles_from_errors(np.ones(MIN_ERRORS - 1), levels=(95,))
    lower, upper = quantiles.at(95, 4)
    assert upper[0] == pytest.approx(1.96, abs=0.01)
    assert upper[3] == pytest.approx(1.96 * 2, abs=0.02)
    assert lower[0] == pytest.approx(-upper[0])


def test_replays_fitted_on_two_years_do_not_count_when_longer_ones_exist():
    short = ReplayWindow(history_years=2, errors=np.linspace(-50, 50, 101))  # trends from one change: wild
    long = ReplayWindow(history_years=3, errors=np.linspace(-1, 1, 101))
    _, upper = quantiles_from_windows([short, long], levels=(80,)).at(80, 1)
    assert upper[0] == pytest.approx(0.8, abs=0.02)
    _, only_short = quantiles_from_windows([short], levels=(80,)).at(80, 1)
    assert only_short[0] == pytest.approx(40.0, abs=1.0), "with nothing longer, the longest replay is used"


def test_which_windows_are_replayed():
    assert replay_backs(n_periods=11, windows=5) == [1, 2, 3, 4, 5]
    assert replay_backs(n_periods=6, windows=5) == [1, 2, 3], "each leaves at least 3 years of history"
    assert replay_backs(n_periods=4, windows=5) == [1]  # a 2013 cutoff on 2010-2013: one window, 2010-2012
    assert replay_backs(n_periods=3, windows=5) == [1]  # only a 2-year history exists: use it
    assert replay_backs(n_periods=2, windows=5) == []


def test_a_fitted_model_uses_the_curve_past_its_calibration_windows():
    # a random walk whose one-step errors are known: intervals at h 7 are sqrt(7) times those at h 1
    rng = np.random.default_rng(3)
    series = {(f"A{i:02d}", "employment", "all", "all"): list(1000 + np.cumsum(rng.normal(0, 10, 9))) for i in range(40)}
    model = NaiveForecaster(calibration_windows=2).fit(make_panel(series))
    frame = model.predict(7)
    one = frame.loc[frame["area"] == "A00"].reset_index(drop=True)
    width = one["hi_80"] - one["lo_80"]
    assert np.allclose(width, width[0] * np.sqrt(np.arange(1, 8)), rtol=1e-9)
