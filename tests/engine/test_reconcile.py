import numpy as np
import pandas as pd
import pytest

from skillcast.engine.reconcile import identities, incoherence, reconcile_frame, reconcile_matrix


def keys(rows):
    return pd.DataFrame(rows, columns=["area", "measure", "classification", "code"])


TOTAL_AND_BANDS = [("A", "employment", "all", "all")] + [
    ("A", "employment", "qualification_band", band) for band in ("low", "intermediate", "high")
]


def test_known_answer_total_and_two_parts_equal_weights():
    k = keys(TOTAL_AND_BANDS)
    forecasts = np.array([[10.0], [4.0], [4.0], [0.0]])
    out = reconcile_matrix(forecasts, k, np.ones(4))
    # gap total - parts = 2, spread over 4 equally weighted series: total -0.5, each part +0.5
    assert out[:, 0] == pytest.approx([9.5, 4.5, 4.5, 0.5])


def test_a_high_variance_series_takes_most_of_the_change():
    k = keys(TOTAL_AND_BANDS)
    forecasts = np.array([[100.0], [30.0], [30.0], [30.0]])
    out = reconcile_matrix(forecasts, k, np.array([1e-6, 1.0, 1.0, 1e6]))
    assert out[0, 0] == pytest.approx(100.0, abs=1e-3)  # the trusted total barely moves
    assert out[3, 0] == pytest.approx(40.0, abs=1e-3)  # the untrusted part absorbs the gap


def test_grouped_hierarchies_and_nesting_all_hold_after_reconciliation():
    rng = np.random.default_rng(1)
    rows = [("A", "employment", "all", "all")]
    rows += [("A", "employment", "soc2020_major", str(code)) for code in range(1, 10)]
    rows += [("A", "employment", "soc2020_submajor", f"{code}{sub}") for code in range(1, 10) for sub in (1, 2)]
    rows += [("A", "employment", "rqf", code) for code in ["none"] + [f"rqf{level}" for level in range(1, 9)]]
    k = keys(rows)
    forecasts = rng.uniform(50, 150, size=(len(rows), 3))
    assert len(identities(k)) == 1
    out = reconcile_matrix(forecasts, k, rng.uniform(0.5, 2, len(rows)))
    total = out[0]
    majors = out[1:10]
    assert np.allclose(majors.sum(axis=0), total)
    assert np.allclose(out[28:37].sum(axis=0), total)
    for major in range(9):
        assert np.allclose(out[10 + 2 * major] + out[11 + 2 * major], majors[major])


def test_incomplete_sets_are_not_forced_to_the_total():
    k = keys([("A", "employment", "all", "all"), ("A", "employment", "rqf", "rqf1")])  # 8 levels missing
    assert identities(k) == []


def test_reconcile_frame_keeps_interval_widths_and_is_coherent():
    frame = pd.DataFrame(
        {
            "area": "A",
            "measure": "employment",
            "classification": ["all", "qualification_band", "qualification_band", "qualification_band"],
            "code": ["all", "low", "intermediate", "high"],
            "period": 2030,
            "forecast": [100.0, 20.0, 30.0, 40.0],
        }
    )
    frame["lo_80"], frame["hi_80"] = frame["forecast"] - 5, frame["forecast"] + 5
    variances = frame.set_index(["area", "measure", "classification", "code"])["forecast"] * 0 + 1
    out = reconcile_frame(frame, variances)
    assert incoherence(frame) > 0.09 and incoherence(out) < 1e-9
    assert np.allclose(out["hi_80"] - out["lo_80"], 10.0)


def test_fan_out_gives_the_same_answer_on_two_workers():
    rng = np.random.default_rng(3)
    rows = []
    for area in ("A", "B", "C"):
        rows += [(area, "employment", "all", "all")] + [
            (area, "employment", "qualification_band", band) for band in ("low", "intermediate", "high")
        ]
    k = keys(rows)
    forecasts = rng.uniform(10, 100, size=(len(rows), 4))
    variances = rng.uniform(0.5, 2, len(rows))
    assert np.allclose(reconcile_matrix(forecasts, k, variances, n_jobs=1), reconcile_matrix(forecasts, k, variances, n_jobs=2))
