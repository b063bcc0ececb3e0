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
