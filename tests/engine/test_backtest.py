import numpy as np
import pandas as pd
import pytest

from skillcast.data.schema import validate
from skillcast.engine.backtest import EXPORT_COLUMNS, PRODUCTION_NAME, default_cutoffs, rolling_origin, score
from skillcast.engine.baselines import DriftForecaster, NaiveForecaster
from tests.helpers import make_panel

LINEAR = [100.0 + 10 * year for year in range(12)]  # 2010..2021


class SpyForecaster(NaiveForecaster):
    """Records the latest period each fit was shown (a class attribute: clones share it)."""

    seen: list[int] = []

    def fit(self, panel):
        SpyForecaster.seen.append(int(panel["period"].max()))
        return super().fit(panel)


def linear_panel():
    return validate(make_panel({("A", "employment", "all", "all"): LINEAR, ("B", "employment", "all", "all"): LINEAR}))


def test_a_model_never_sees_a_period_after_its_cutoff():
    SpyForecaster.seen.clear()
    result = rolling_origin(linear_panel(), {"spy": SpyForecaster()}, [2014, 2016], horizon=3, production="spy")
    assert SpyForecaster.seen == [2014, 2016]
    rows = result.forecasts
    assert (rows["period"] > rows["cutoff"]).all() and (rows["period"] <= rows["cutoff"] + 3).all()


def test_export_has_exactly_the_documented_columns_and_production_rows():
    result = rolling_origin(linear_panel(), {"naive": NaiveForecaster(), "drift": DriftForecaster()}, [2015], 4, production="drift")
    assert list(result.forecasts.columns) == EXPORT_COLUMNS
    production = result.forecasts.loc[result.forecasts["model"] == PRODUCTION_NAME].drop(columns="model").reset_index(drop=True)
    drift = result.forecasts.loc[result.forecasts["model"] == "drift"].drop(columns="model").reset_index(drop=True)
    pd.testing.assert_frame_equal(production, drift)


def test_mase_known_answer_naive_on_a_straight_line():
    # Naive misses by 10, 20, 30, 40 on a +10/year line whose one-step change is 10: MASE 2.5.
    result = rolling_origin(linear_panel(), {"naive": NaiveForecaster(), "drift": DriftForecaster()}, [2015, 2016], 4, production="drift")
    table = score(result).set_index("model")
    assert table.at["naive", "mase"] == pytest.approx(2.5)
    assert table.at["drift", "mase"] == pytest.approx(0.0)
    assert table.at["naive", "windows"] == 4  # 2 series x 2 cutoffs


def test_score_by_horizon():
    result = rolling_origin(linear_panel(), {"naive": NaiveForecaster()}, [2015], 4, production="naive")
    by_horizon = score(result, by=["horizon"]).query("model == 'naive'").set_index("horizon")["mase"]
    assert np.allclose(by_horizon.to_numpy(), [1.0, 2.0, 3.0, 4.0])


def test_default_cutoffs_leave_a_full_horizon():
    assert default_cutoffs(linear_panel(), horizon=4) == [2014, 2015, 2016, 2017]


def hand_computed_result():
    """One area, its total and four SOC sub-majors, one cutoff (2020), horizons 1 and 2, scales 1.

    At h 2 (worked by hand): total 100 -> forecast 105 (+5%), actual 110 (+10%).
    11: 50 -> f 55 (+10%), a 60 (+20%): direction right; faster than total in both: right.
    12: 50 -> f 52 (up), a 45 (down): direction wrong; slower than total in both: right.
    21: 20 -> f 22 (+10%, faster than +5%), a 20.5 (+2.5%, slower than +10%): direction right, faster wrong.
    22: 30 -> f 30 (no change: no call on direction), a 27: slower in both: right.
    So direction right 2/3, faster right 3/4; h 1 is made all wrong and must not count."""
    cases = {  # code: (value at cutoff, forecast h1, actual h1, forecast h2, actual h2)
        ("all", "all"): (100.0, 101.0, 99.0, 105.0, 110.0),
        ("soc2020_submajor", "11"): (50.0, 49.0, 51.0, 55.0, 60.0),
        ("soc2020_submajor", "12"): (50.0, 49.0, 51.0, 52.0, 45.0),
        ("soc2020_submajor", "21"): (20.0, 19.0, 21.0, 22.0, 20.5),
        ("soc2020_submajor", "22"): (30.0, 29.0, 31.0, 30.0, 27.0),
    }
    rows, scales = [], []
    for (classification, code), (start, f1, a1, f2, a2) in cases.items():
        key = {"area": "A", "measure": "employment", "classification": classification, "code": code}
        for period, forecast, value in ((2021, f1, a1), (2022, f2, a2)):
            rows.append(
                {
                    **key,
                    "cutoff": 2020,
                    "value_at_cutoff": start,
                    "period": period,
                    "value": value,
                    "model": "m",
                    "forecast": forecast,
                    "lo_80": forecast,
                    "hi_80": forecast,
                    "lo_95": forecast,
                    "hi_95": forecast,
                }
            )
        scales.append({**key, "cutoff": 2020, "scale": 1.0, "value_at_cutoff": start})
    from skillcast.engine.backtest import BacktestResult

    return BacktestResult(forecasts=pd.DataFrame(rows)[EXPORT_COLUMNS], scales=pd.DataFrame(scales), seconds={"m": 1.0})


def test_bls_measures_on_a_hand_computed_example():
    table = score(hand_computed_result()).set_index("model")
    assert table.at["m", "last_horizon"] == 2
    assert table.at["m", "direction_right"] == pytest.approx(2 / 3)
    assert table.at["m", "faster_right"] == pytest.approx(3 / 4)
    expected_mape = np.mean([5 / 110, 5 / 60, 7 / 45, 1.5 / 20.5, 3 / 27]) * 100
    assert table.at["m", "mape_last"] == pytest.approx(expected_mape)
    # MASE by classification (scale 1: mean absolute error) and by horizon
    assert table.at["m", "mase_all"] == pytest.approx((2 + 5) / 2)
    assert table.at["m", "mase_soc2020_submajor"] == pytest.approx(np.mean([(2 + 5) / 2, (2 + 7) / 2, (2 + 1.5) / 2, (2 + 3) / 2]))
    assert table.at["m", "mase_h1"] == pytest.approx(2.0) and table.at["m", "mase_h2"] == pytest.approx(np.mean([5, 5, 7, 1.5, 3]))
    by_horizon = score(hand_computed_result(), by=["horizon"]).set_index("horizon")
    assert by_horizon.at[1, "direction_right"] == 0.0 and by_horizon.at[1, "faster_right"] == 0.0, "h 1 was made all wrong"
    assert by_horizon.at[2, "direction_right"] == pytest.approx(2 / 3)


def test_direction_is_not_scored_without_sub_majors_or_a_total():
    result = hand_computed_result()
    no_total = result.forecasts.loc[result.forecasts["classification"] != "all"]
    from skillcast.engine.backtest import BacktestResult

    table = score(BacktestResult(forecasts=no_total, scales=result.scales, seconds=result.seconds))
    assert np.isnan(table.at[0, "faster_right"]) and table.at[0, "direction_right"] == pytest.approx(2 / 3)
    only_total = result.forecasts.loc[result.forecasts["classification"] == "all"]
    table = score(BacktestResult(forecasts=only_total, scales=result.scales, seconds=result.seconds))
    assert np.isnan(table.at[0, "direction_right"]) and np.isnan(table.at[0, "faster_right"])


def test_the_export_carries_the_value_at_the_cutoff():
    result = rolling_origin(linear_panel(), {"naive": NaiveForecaster()}, [2015], 2, production="naive")
    assert (result.forecasts["value_at_cutoff"] == LINEAR[5]).all()
