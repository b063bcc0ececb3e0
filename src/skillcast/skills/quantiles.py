"""Values of a forecast at simulated standard-normal draws, from its published quantiles.

The engine gives each forecast as five quantiles (2.5%, 10%, 50%, 90%, 97.5%: ``lo_95,
lo_80, point, hi_80, hi_95``). A simulation that combines several forecasts (demand and
supply in ``gaps.simulate_gaps``; the areas built from districts in ``small_area``) needs
values at any draw: the quantile function is taken as piecewise linear in the normal score
between those five knots and continued linearly beyond them with the outer slopes.
"""

from __future__ import annotations

import numpy as np

Z_KNOTS = np.array([-1.959964, -1.281552, 0.0, 1.281552, 1.959964])
QUANTILES = {"lo_95": 0.025, "lo_80": 0.10, "hi_80": 0.90, "hi_95": 0.975}


def quantile_paths(knots: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Values at standard-normal draws ``z`` from quantiles at ``Z_KNOTS``.

    ``knots``: rows x 5 (lo_95, lo_80, point, hi_80, hi_95); ``z``: rows x draws. Piecewise
    linear between the knots, continued linearly beyond them with the outer slopes.
    """
    knots = np.sort(np.asarray(knots, dtype=float), axis=1)
    upper = np.clip(np.searchsorted(Z_KNOTS, z), 1, len(Z_KNOTS) - 1)  # the knot at or above each draw (outer segments beyond)
    lower = upper - 1
    fraction = (z - Z_KNOTS[lower]) / (Z_KNOTS[upper] - Z_KNOTS[lower])
    rows = np.arange(len(knots))[:, None]
    return knots[rows, lower] + fraction * (knots[rows, upper] - knots[rows, lower])
