"""Small-area estimation of districts' demand (#15): tiny data with known answers."""

import numpy as np
import pandas as pd
import pytest

from skillcast.skills import small_area as sa
from skillcast.skills.quantiles import quantile_paths

SOC = list(sa.SOC2020_SUBMAJOR)


def test_the_soc_correspondence_moves_every_soc2010_job_once():
    rows = pd.DataFrame(sa.SOC2010_TO_2020).T.fillna(0.0)
    assert len(rows) == 25 and np.allclose(rows.sum(axis=1), 1.0)
    assert rows["63"].sum() == pytest.approx(0.049 + 0.0073)  # the new group comes from 33 and 92 only


def test_shares_add_up_within_each_unit_and_follow_workplace_totals():
    unit = pd.Series({"A1": "U", "A2": "U", "A3": "U", "B1": "V"})
    workplace = pd.Series({"A1": 1.0, "A2": 3.0, "A3": 6.0, "B1": 5.0})
    plain = sa.allocate(workplace, None, unit, 0.5)
    assert np.allclose(plain.groupby(unit).sum(), 1.0)
    assert plain.loc["A2", "21"] == pytest.approx(0.3) and plain.loc["B1", "92"] == 1.0
    intensity = pd.DataFrame(0.0, index=unit.index, columns=SOC)
    intensity.loc["A1", "21"] = np.log(4.0)  # four times the unit's rate of professionals among residents
    tilted = sa.allocate(workplace, intensity, unit, 0.5)  # half passes into jobs: x2
    assert np.allclose(tilted.groupby(unit).sum(), 1.0)
    assert tilted.loc["A1", "21"] == pytest.approx(2.0 / (2.0 + 3.0 + 6.0))
    assert tilted.loc["A1", "92"] == pytest.approx(0.1)  # other occupations untouched


def test_fay_herriot_finds_the_between_district_variance():
    rng = np.random.default_rng(1)
    n, s2 = 4000, 0.04
    psi = rng.uniform(0.005, 0.1, n)
    y = rng.normal(0, np.sqrt(s2), n) + rng.normal(0, np.sqrt(psi))
    found = sa.fh_variance(pd.DataFrame({"k": y}), pd.DataFrame({"k": psi}))["k"]
    assert found == pytest.approx(s2, rel=0.15)
    nothing = sa.fh_variance(pd.DataFrame({"k": rng.normal(0, 0.1, n)}), pd.DataFrame({"k": np.full(n, 0.01)}))["k"]
    assert nothing < 0.002  # all the spread is sampling noise: s2 near its floor, districts lean on the unit's mix


def test_a_thin_survey_cell_leans_on_the_unit():
    counts = pd.DataFrame({"21": [400.0, 4.0], "92": [600.0, 6.0]}, index=["big", "small"])
    employed = pd.Series({"big": 1000.0, "small": 10.0})
    phi = pd.Series({"big": 250.0, "small": 250.0})
    y, psi = sa.relative_intensity(counts, employed, phi, pd.Series({"big": "U", "small": "U"}), sa.SmallAreaSettings())
    g = 0.05 / (0.05 + psi)
    assert (g.loc["small"] < g.loc["big"]).all()  # the same APS design, a hundredth of the sample: more shrinkage


# -- areas from districts --------------------------------------------------------------------------


@pytest.fixture()
def model():
    """Two units: U = A1 + A2 (A1 twice A2's jobs in every occupation), V = B1 alone; areas C = A1 + B1 and W = U's districts."""
    unit = pd.Series({"A1": "U", "A2": "U", "B1": "V"})
    occupation = pd.DataFrame({code: [2 / 3, 1 / 3, 1.0] for code in SOC}, index=unit.index)
    log_variance = pd.DataFrame(0.01, index=unit.index, columns=SOC)
    shares = sa.DistrictShares(
        unit=unit,
        occupation=occupation,
        log_variance=log_variance,
        shrinkage=log_variance * 0,
        workplace=pd.Series({"A1": 2.0, "A2": 1.0, "B1": 1.0}),
        employed=pd.Series({"A1": 2.0, "A2": 1.0, "B1": 1.0}),
    )
    jobs = pd.DataFrame(100.0, index=["U", "V"], columns=SOC)
    mix = {unit_code: pd.DataFrame(1 / 9, index=SOC, columns=list(sa.RQF)) for unit_code in ("U", "V")}
    rqf = pd.DataFrame(2600.0 / 9, index=["U", "V"], columns=list(sa.RQF))
    rqf_shares, qualification = sa.qualification_shares(shares, jobs, mix, rqf)
    membership = pd.DataFrame(
        {"district": ["A1", "A2", "B1", "A1", "B1", "A1", "A2"], "area": ["A1", "A2", "B1", "C", "C", "W", "W"], "weight": 1.0}
    )
    bands = sa.rqf_to_band_codes().to_numpy()
    return sa.SmallAreaDemand(
        shares=shares,
        rqf=rqf_shares,
        qualification=qualification,
        membership=membership,
        unit_names={"U": "unit U", "V": "unit V"},
        band_weights={code: mix[code].mul(jobs.loc[code], axis=0).to_numpy() @ bands for code in ("U", "V")},
    )


def test_qualification_shares_add_up_to_the_unit_and_keep_each_districts_jobs(model):
    assert np.allclose(model.rqf.groupby(model.shares.unit).sum(), 1.0)
    assert np.allclose(model.qualification.groupby(model.shares.unit).sum(), 1.0)
    assert model.qualification.loc["A1", "all"] == pytest.approx(2 / 3) and model.qualification.loc["A1", "high"] == pytest.approx(2 / 3)


def test_expanding_unit_rows_to_areas_is_the_sum_of_district_shares(model):
    frame = pd.DataFrame(
        {
            "area": ["U", "V", "U", "V"],
            "measure": "employment",
            "classification": ["soc2020_submajor", "soc2020_submajor", "qualification_band", "qualification_band"],
            "code": ["21", "21", "high", "high"],
            "period": 2030,
            "value": [300.0, 90.0, 600.0, 30.0],
        }
    )
    out = model.expand(frame, ["A2", "C", "W"], ["value"]).set_index(["area", "code"])["value"]
    assert out[("A2", "21")] == pytest.approx(100.0) and out[("A2", "high")] == pytest.approx(200.0)
    assert out[("C", "21")] == pytest.approx(200.0 + 90.0)  # two thirds of U plus all of V
    assert out[("W", "high")] == pytest.approx(600.0)  # the whole unit
    assert model.whole_units("W") == ["U"] and model.whole_units("C") == [] and model.whole_units("B1") == ["V"]


def test_share_draws_add_up_within_the_unit_in_every_draw(model):
    drawn = sa.share_draws(model, draws=500, seed=3)
    assert drawn.shape == (3, len(sa.BAND_CODES), 500)
    assert np.allclose(drawn[0] + drawn[1], 1.0) and np.allclose(drawn[2], 1.0)
    # log sd 0.1 per occupation share, renormalised (A1 and A2 move against each other), pooled over 26 independent
    # occupations in a band: sd about 0.1 x 2/9 x sqrt(2) / sqrt(26) = 0.006
    assert 0.003 < drawn[0].std() < 0.01


def test_band_intervals_carry_share_error_and_a_whole_unit_keeps_its_own(model):
    years = [2020, 2030]
    rows = []
    for unit_code, level in (("U", 1000.0), ("V", 500.0)):
        for band in sa.BAND_CODES:
            for year in years:
                spread = 0.0 if year == 2020 else 0.1 * level
                rows.append(
                    {
                        "area": unit_code,
                        "band": band,
                        "year": year,
                        "demand": level,
                        "demand_lo_95": level - 1.96 * spread,
                        "demand_lo_80": level - 1.28 * spread,
                        "demand_hi_80": level + 1.28 * spread,
                        "demand_hi_95": level + 1.96 * spread,
                        "basis": "observed" if year == 2020 else "forecast",
                    }
                )
    out = sa.band_intervals(model, pd.DataFrame(rows), ["W", "A1", "C"], draws=4000, seed=5).set_index(["area", "band", "year"])
    whole = out.loc[("W", "high", 2030)]
    assert whole["demand"] == pytest.approx(1000.0) and whole["demand_lo_80"] == pytest.approx(872.0, rel=0.02)
    assert out.loc[("W", "high", 2020), "demand_hi_95"] == pytest.approx(1000.0)  # observed: the unit's own figure, no share error
    part = out.loc[("A1", "high", 2020)]
    assert part["demand"] == pytest.approx(2000 / 3) and part["demand_lo_80"] < part["demand"] < part["demand_hi_80"]  # share error alone
    spanning = out.loc[("C", "high", 2030)]
    assert spanning["demand"] == pytest.approx(2000 / 3 + 500.0)
    paths = quantile_paths(np.array([[804.0, 872.0, 1000.0, 1128.0, 1196.0]]), np.array([[-1.281552, 1.281552]]))[0]
    assert paths == pytest.approx([872.0, 1128.0])  # the unit's quantiles are where the draws are read
