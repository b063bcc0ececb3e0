import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from skillcast.data.schema import validate
from skillcast.engine.baselines import DriftForecaster, NaiveForecaster
from skillcast.engine.factory import make_forecaster
from skillcast.engine.global_lightgbm import GlobalLightGBMForecaster
from tests.helpers import make_panel

LINEAR = [100.0 + 10 * year for year in range(10)]  # 2010..2019, +10 a year


def one_series(values, code="all"):
    return validate(make_panel({("A", "employment", "all" if code == "all" else "rqf", code): values}))


def forecast_of(frame: pd.DataFrame) -> np.ndarray:
    return frame.sort_values("period")["forecast"].to_numpy()


def test_naive_repeats_the_last_value():
    result = NaiveForecaster().fit(one_series(LINEAR)).predict(3)
    assert list(result["period"]) == [2020, 2021, 2022]
    assert np.allclose(forecast_of(result), 190.0)


def test_drift_continues_a_straight_line_exactly():
    result = DriftForecaster().fit(one_series(LINEAR)).predict(3)
    assert np.allclose(forecast_of(result), [200.0, 210.0, 220.0])


def test_fit_returns_self_and_learned_state_ends_in_underscore():
    model = NaiveForecaster()
    assert model.fit(one_series(LINEAR)) is model
    assert hasattr(model, "interval_quantiles_") and hasattr(model, "matrix_")


@pytest.mark.parametrize("name", ["naive", "drift", "lightgbm", "national_share", "ets", "ensemble", "reconciled:drift"])
def test_predict_before_fit_is_a_clear_error(name):
    with pytest.raises(NotFittedError, match="call fit"):
        make_forecaster(name).predict(2)


@pytest.mark.parametrize("name", ["naive", "drift", "lightgbm", "national_share", "ets", "ensemble", "reconciled:national_share"])
def test_short_flat_zero_and_gappy_series_do_not_fail(name):
    panel = validate(
        make_panel(
            {
                ("A", "employment", "rqf", "rqf1"): [None] * 8 + [50.0, 55.0],  # two points
                ("A", "employment", "rqf", "rqf2"): [7.0] * 10,  # flat
                ("A", "employment", "rqf", "rqf3"): [0.0] * 10,  # zero
                ("A", "employment", "rqf", "rqf4"): [10.0, None, 12.0, None, None, 15.0, 16.0, None, 18.0, None],  # gappy, ragged end
                ("A", "employment", "rqf", "rqf5"): [None] * 9 + [3.0],  # one point
            }
        )
    )
    result = make_forecaster(name).fit(panel).predict(5)
    assert len(result) == 5 * 5
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        assert np.isfinite(result[column]).all() and (result[column] >= 0).all()


@pytest.mark.parametrize("name", ["naive", "drift", "lightgbm"])
def test_intervals_contain_the_point_and_nest(name, demo):
    panel, _ = demo
    subset = panel.loc[panel["classification"].isin(["all", "rqf"]) & (panel["measure"] == "employment")]
    result = make_forecaster(name).fit(subset).predict(6)
    assert (result["lo_95"] <= result["lo_80"]).all() and (result["lo_80"] <= result["forecast"]).all()
    assert (result["forecast"] <= result["hi_80"]).all() and (result["hi_80"] <= result["hi_95"]).all()
    width = (result["hi_80"] - result["lo_80"]).to_numpy().reshape(-1, 6)
    assert (np.diff(width, axis=1) >= -1e-6).all(), "intervals must not narrow with the horizon"


def test_models_never_learn_from_publisher_projections():
    panel = one_series(LINEAR + [5000.0, 6000.0]).assign(projection=[False] * 10 + [True] * 2)
    model = DriftForecaster().fit(panel)
    assert model.matrix_.last_period == 2019
    assert forecast_of(model.predict(1))[0] == pytest.approx(200.0)


def test_lightgbm_learns_a_shared_trend_across_series():
    rng = np.random.default_rng(0)
    series = {
        ("A", "employment", "rqf", f"rqf{level}"): list(1000 * level * 1.05 ** np.arange(12) * np.exp(rng.normal(0, 0.002, 12)))
        for level in range(1, 9)
    }
    panel = validate(make_panel(series))
    model = GlobalLightGBMForecaster(n_estimators=200).fit(panel)
    assert not model.fallback_
    result = model.predict(3).sort_values(["code", "period"])
    last = panel.loc[panel["period"] == 2021].set_index("code")["value"]
    growth = result.groupby("code")["forecast"].last() / last
    assert growth.between(1.05**3 * 0.93, 1.05**3 * 1.07).all(), growth


def test_lightgbm_falls_back_to_naive_when_history_is_too_short():
    model = GlobalLightGBMForecaster().fit(one_series([10.0, 11.0, 12.0]))
    assert model.fallback_
    assert np.allclose(forecast_of(model.predict(2)), 12.0)


def test_national_share_is_share_of_the_national_category_times_its_theta_trend():
    from skillcast.engine.national_share import NationalShareForecaster

    national = [1000.0 * 1.1**year for year in range(6)]  # log slope ln(1.1) a year
    local = [value * 0.2 for value in national]  # a steady 20% share
    panel = validate(
        make_panel(
            {
                ("NAT", "employment", "rqf", "rqf6"): national,
                ("LOC", "employment", "rqf", "rqf6"): local,
                ("NAT", "employment", "all", "all"): [5000.0] * 6,
                ("LOC", "employment", "all", "all"): [900.0] * 6,
            }
        )
    )
    result = NationalShareForecaster().fit(panel).predict(2).set_index(["area", "code", "period"])["forecast"]
    expected_national = national[-1] * 1.1 ** (0.5 * np.array([1, 2]))  # half the slope (Theta)
    assert result.loc[("NAT", "rqf6")].to_numpy() == pytest.approx(expected_national)
    assert result.loc[("LOC", "rqf6")].to_numpy() == pytest.approx(0.2 * expected_national)


def test_reconciled_model_is_coherent_where_the_base_is_not(demo):
    from skillcast.engine.reconcile import incoherence

    panel, _ = demo
    subset = panel.loc[(panel["measure"] == "employment") & panel["classification"].isin(["all", "rqf", "soc2020_major"])]
    raw = make_forecaster("national_share").fit(subset).predict(5)
    reconciled = make_forecaster("reconciled:national_share").fit(subset).predict(5)
    assert incoherence(raw) > 1e-4 and incoherence(reconciled) < 1e-9


def test_damped_ets_follows_a_clean_trend_and_falls_back_on_short_series():
    from skillcast.engine.ets import DampedETSForecaster

    panel = validate(
        make_panel({("A", "employment", "rqf", "rqf1"): LINEAR, ("A", "employment", "rqf", "rqf2"): [None] * 7 + [5.0, 6.0, 7.0]})
    )
    model = DampedETSForecaster().fit(panel)
    result = model.predict(2).set_index(["code", "period"])["forecast"]
    assert 195 <= result[("rqf1", 2020)] <= 201  # a damped continuation of +10 a year from 190
    assert result[("rqf2", 2020)] == 7.0 and model.fallback_series_ == 1


def test_ensemble_is_the_mean_of_its_members():
    from skillcast.engine.ensemble import MeanEnsembleForecaster

    panel = one_series(LINEAR)
    ensemble = MeanEnsembleForecaster(members=(NaiveForecaster(), DriftForecaster())).fit(panel)
    assert np.allclose(forecast_of(ensemble.predict(2)), [(190 + 200) / 2, (190 + 210) / 2])
