import numpy as np
import pytest

from skillcast.engine.intervals import MIN_ERRORS_PER_HORIZON, quantiles_from_errors


def test_quantiles_match_a_known_error_distribution():
    errors = np.linspace(-10, 10, 2001)  # uniform: 80% interval is about +/-8
    quantiles = quantiles_from_errors([errors], levels=(80,))
    lower, upper = quantiles.at(80, 1)
    assert lower[0] == pytest.approx(-8.0, abs=0.05) and upper[0] == pytest.approx(8.0, abs=0.05)


def test_beyond_the_calibrated_horizon_widths_grow_with_the_square_root():
    quantiles = quantiles_from_errors([np.linspace(-1, 1, 101), np.linspace(-2, 2, 101)], levels=(80,))
    lower, upper = quantiles.at(80, 8)
    assert upper[7] == pytest.approx(upper[1] * np.sqrt(8 / 2))
    assert (np.diff(upper) >= 0).all() and (np.diff(lower) <= 0).all()


def test_too_few_errors_fall_back_to_random_walk_normal_quantiles():
    quantiles = quantiles_from_errors([np.ones(MIN_ERRORS_PER_HORIZON - 1)], levels=(95,))
    lower, upper = quantiles.at(95, 4)
    assert upper[0] == pytest.approx(1.96, abs=0.01)
    assert upper[3] == pytest.approx(1.96 * 2, abs=0.02)
    assert lower[0] == pytest.approx(-upper[0])
