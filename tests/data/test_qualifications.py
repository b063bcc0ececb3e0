import numpy as np
import pytest

from skillcast.data.qualifications import add_qualification_bands
from tests.helpers import make_panel


def test_nvq_levels_and_bands_known_answer():
    panel = make_panel(
        {
            ("A", "population", "nvq", "none"): [10.0],
            ("A", "population", "nvq", "other"): [4.0],
            ("A", "population", "nvq", "nvq1"): [20.0],
            ("A", "population", "nvq", "nvq2"): [30.0],
            ("A", "population", "nvq", "trade_apprenticeships"): [8.0],
            ("A", "population", "nvq", "nvq3"): [40.0],
            ("A", "population", "nvq", "nvq4"): [50.0],
        }
    )
    out = add_qualification_bands(panel).set_index(["classification", "code"])["value"]
    assert out[("qualification_level", "none")] == 14.0  # none + other
    assert out[("qualification_level", "level2")] == 34.0  # nvq2 + half of trade apprenticeships
    assert out[("qualification_level", "level3")] == 44.0
    assert out[("qualification_band", "low")] == 34.0
    assert out[("qualification_band", "intermediate")] == 78.0
    assert out[("qualification_band", "high")] == 50.0
    bands = out.loc["qualification_band"].sum()
    assert bands == pytest.approx(out.loc["nvq"].sum())


def test_rqf_levels_four_to_eight_are_high():
    panel = make_panel({("A", "employment", "rqf", f"rqf{level}"): [float(level)] for level in range(4, 9)})
    out = add_qualification_bands(panel).set_index(["classification", "code"])["value"]
    assert out[("qualification_level", "level4plus")] == 4 + 5 + 6 + 7 + 8
    assert out[("qualification_band", "high")] == 30.0


def test_a_missing_part_makes_the_band_missing_not_smaller():
    panel = make_panel({("A", "employment", "rqf", "rqf2"): [5.0, None], ("A", "employment", "rqf", "rqf3"): [7.0, 8.0]})
    bands = add_qualification_bands(panel)
    intermediate = bands.loc[bands["code"] == "intermediate"].set_index("period")["value"]
    assert intermediate[2010] == 12.0
    assert np.isnan(intermediate[2011])
