"""national_mix: local share x England's total x England's category mix (issue #14).

Known answers on tiny panels whose national paths are exactly log-linear, so every
forecast can be written down by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from skillcast.engine.backtest import rolling_origin
from skillcast.engine.factory import make_forecaster
from skillcast.engine.matrix import SeriesMatrix
from skillcast.engine.national_mix import NationalMixForecaster
from skillcast.engine.national_share import NationalShareForecaster
from skillcast.engine.nowcast import occupation_mix_signal
from skillcast.engine.reconcile import ReconciledForecaster
from tests.helpers import make_panel

YEARS = np.arange(8)  # 2010..2017
LAST = 7
# England: the total grows 2% a year; major group 1's mix (its share of the total) exactly 1% a
# year, group 2's -1.5%; sub-majors 11 and 12 have very different mix trends of their own.
NATIONAL = {
    ("all", "all"): 1000 * np.exp(0.02 * YEARS),
    ("soc2020_major", "1"): 600 * np.exp(0.03 * YEARS),
    ("soc2020_major", "2"): 400 * np.exp(0.005 * YEARS),
    ("soc2020_submajor", "11"): 300 * np.exp(0.06 * YEARS),
    ("soc2020_submajor", "12"): 300 * np.exp(0.00 * YEARS),
}
SHARES = {"A": 0.1, "B": 0.3}  # each local series is this constant share of England's


def exact_panel() -> pd.DataFrame:
    series = {("EN", "employment", cls, code): list(values) for (cls, code), values in NATIONAL.items()}
    for area, share in SHARES.items():
        series.update({(area, "employment", cls, code): list(share * values) for (cls, code), values in NATIONAL.items()})
    return make_panel(series)


def forecast_of(frame: pd.DataFrame, area: str, classification: str, code: str) -> np.ndarray:
    rows = frame.loc[(frame["area"] == area) & (frame["classification"] == classification) & (frame["code"] == code)]
    return rows.sort_values("period")["forecast"].to_numpy()


def test_predict_before_fit_raises_and_fit_returns_self_with_learned_state():
    model = NationalMixForecaster()
    with pytest.raises(NotFittedError):
        model.predict(3)
    assert model.fit(exact_panel()) is model
    assert hasattr(model, "share_alpha_") and hasattr(model, "layout_") and hasattr(model, "interval_quantiles_")
    assert model.share_alpha_ in model.share_alphas
    assert make_forecaster("national_mix").get_params()["mix_trend_weight"] == 0.5


def test_known_answer_total_times_mix_with_theta_weights():
    frame = NationalMixForecaster().fit(exact_panel()).predict(4)
    steps = np.arange(1, 5)
    total_last, major_last = NATIONAL[("all", "all")][LAST], NATIONAL[("soc2020_major", "1")][LAST]
    # England's total: half its 2% slope; group 1: half the total's slope + half its 1% mix slope
    assert np.allclose(forecast_of(frame, "EN", "all", "all"), total_last * np.exp(0.5 * 0.02 * steps), rtol=1e-12)
    assert np.allclose(forecast_of(frame, "A", "soc2020_major", "1"), 0.1 * major_last * np.exp((0.01 + 0.005) * steps), rtol=1e-12)
    group_2 = 0.3 * NATIONAL[("soc2020_major", "2")][LAST] * np.exp((0.01 - 0.0075) * steps)
    assert np.allclose(forecast_of(frame, "B", "soc2020_major", "2"), group_2, rtol=1e-12)


def test_sub_majors_take_their_major_groups_mix_trend():
    frame = NationalMixForecaster().fit(exact_panel()).predict(4)
    steps = np.arange(1, 5)
    pooled = np.exp((0.01 + 0.005) * steps)  # major 1's path, not the sub-majors' own +4% or -2% mix trends
    for code in ("11", "12"):
        expected = 0.1 * NATIONAL[("soc2020_submajor", code)][LAST] * pooled
        assert np.allclose(forecast_of(frame, "A", "soc2020_submajor", code), expected, rtol=1e-12)
    # national_share follows each sub-major's own trend instead: the two models differ exactly there
    own = NationalShareForecaster().fit(exact_panel()).predict(4)
    assert forecast_of(own, "A", "soc2020_submajor", "11")[-1] > forecast_of(frame, "A", "soc2020_submajor", "11")[-1] * 1.05


def test_the_share_smoothing_is_chosen_inside_the_window():
    # area A's share alternates around a flat level: a smoothed share beats the last one
    wobble = 1 + 0.2 * (-1.0) ** YEARS
    series = {("EN", "employment", "all", "all"): list(NATIONAL[("all", "all")])}
    series[("A", "employment", "all", "all")] = list(0.1 * NATIONAL[("all", "all")] * wobble)
    series[("B", "employment", "all", "all")] = list(0.3 * NATIONAL[("all", "all")])
    model = NationalMixForecaster().fit(make_panel(series))
    assert model.share_alpha_ < 1.0
    steady = NationalMixForecaster().fit(exact_panel())
    assert steady.share_alpha_ == 1.0, "exact constant shares: every smoothing ties, the first (the last share) wins"


class SpyMix(NationalMixForecaster):
    """Records the last year of every matrix its validation sees (a class attribute: clones share it)."""

    seen: list[int] = []

    def training_rows(self, matrix, own=None, layout=None):
        SpyMix.seen.append(int(matrix.last_period))
        return super().training_rows(matrix, own, layout)


def test_in_window_validation_never_sees_a_year_after_the_cutoff():
    panel = make_panel({**{(a, "employment", "all", "all"): list(s * NATIONAL[("all", "all")]) for a, s in {"EN": 1, **SHARES}.items()}})
    for cutoff in (2013, 2015):
        SpyMix.seen.clear()
        rolling_origin(panel, {"spy": SpyMix()}, [cutoff], horizon=2, production="spy")
        assert SpyMix.seen and max(SpyMix.seen) == cutoff, SpyMix.seen  # the fit at the cutoff, replays before it


def signal_for(changes: dict[int, float]) -> tuple:
    """A survey signal for major group 1 whose log mix changes by ``changes[year]`` into each year."""
    level, rows = 0.0, [("employment", "soc2020_major", "1", 2010 + LAST - 1, 0.0)]
    for year in sorted(changes):
        level += changes[year]
        rows.append(("employment", "soc2020_major", "1", year, level))
    return tuple(rows)


def test_the_nowcast_sets_the_mix_one_year_past_the_last_observation_and_children_follow():
    steps = np.arange(1, 5)
    last_year = 2010 + LAST
    signal = signal_for({last_year: 0.0, last_year + 1: 0.05, last_year + 2: 0.9})
    frame = NationalMixForecaster(mix_signal=signal).fit(exact_panel()).predict(4)
    # England's group 1 mix moves +5% into the first year (not the trend's +0.5%); the trend after that
    moved = np.exp((0.01 + 0.005) * steps + (0.05 - 0.005))
    assert np.allclose(forecast_of(frame, "A", "soc2020_major", "1"), 0.1 * NATIONAL[("soc2020_major", "1")][LAST] * moved, rtol=1e-12)
    assert np.allclose(forecast_of(frame, "A", "soc2020_submajor", "12"), 0.1 * NATIONAL[("soc2020_submajor", "12")][LAST] * moved)
    plain = NationalMixForecaster().fit(exact_panel()).predict(4)
    for classification, code in (("all", "all"), ("soc2020_major", "2")):  # the total and other groups: untouched
        assert np.array_equal(forecast_of(frame, "A", classification, code), forecast_of(plain, "A", classification, code))
    later = signal_for({last_year: 0.0, last_year + 1: 0.05, last_year + 2: -0.4})  # the year after next is never used
    same = NationalMixForecaster(mix_signal=later).fit(exact_panel()).predict(4)
    pd.testing.assert_frame_equal(same, frame)


def test_the_survey_signal_is_englands_major_group_mix_within_one_classification():
    rows = []
    for year, counts in ((2019, {"11": 10.0, "12": 30.0, "21": 60.0}), (2020, {"11": 20.0, "12": 30.0, "21": 50.0})):
        rows += [("E92000001", "employment_residence", "soc2010_submajor", code, year, value) for code, value in counts.items()]
    rows += [("E92000001", "employment_residence", "soc2010_submajor", "11", 2021, 5.0)]  # 2021 lacks 12 and 21: left out
    rows += [("E06000001", "employment_residence", "soc2010_submajor", "11", 2020, 99.0)]  # not England: ignored
    panel = pd.DataFrame(rows, columns=["area", "measure", "classification", "code", "period", "value"])
    found = occupation_mix_signal(panel)
    signal = {(code, year): share for _, classification, code, year, share in found if classification == "soc2020_major"}
    assert set(signal) == {("1", 2019), ("1", 2020), ("2", 2019), ("2", 2020)}
    assert signal[("1", 2019)] == pytest.approx(np.log(0.4)) and signal[("1", 2020)] == pytest.approx(np.log(0.5))
    sub = {(code, year): share for _, classification, code, year, share in found if classification == "soc2020_submajor"}
    assert set(sub) == {(code, year) for code in ("11", "12", "21") for year in (2019, 2020)}
    assert sub[("11", 2020)] == pytest.approx(np.log(0.2)) and sub[("21", 2019)] == pytest.approx(np.log(0.6))
    assert all(classification == "soc2020_major" for _, classification, *_ in occupation_mix_signal(panel, sub_target=None))


def test_no_change_is_taken_across_a_switch_of_coding_at_source():
    """The APS's 2021 figures on SOC 2010 were coded to SOC 2020 at source: a complete 2021
    year is still left out, unless the caller says the coding did not break."""
    rows = []
    for year, counts in ((2020, {"11": 20.0, "12": 30.0, "21": 50.0}), (2021, {"11": 10.0, "12": 20.0, "21": 70.0})):
        rows += [("E92000001", "employment_residence", "soc2010_submajor", code, year, value) for code, value in counts.items()]
    panel = pd.DataFrame(rows, columns=["area", "measure", "classification", "code", "period", "value"])
    assert {year for *_, year, _ in occupation_mix_signal(panel)} == {2020}
    assert {year for *_, year, _ in occupation_mix_signal(panel, coding_break=2100)} == {2020, 2021}
    model = NationalMixForecaster(mix_signal=occupation_mix_signal(panel))
    plain = NationalMixForecaster()
    panel_2020 = exact_panel().assign(period=lambda frame: frame["period"] + 2020 - 2010 - LAST)  # last observed year 2020
    pd.testing.assert_frame_equal(model.fit(panel_2020).predict(3), plain.fit(panel_2020).predict(3))
    across = NationalMixForecaster(mix_signal=occupation_mix_signal(panel, coding_break=2100)).fit(panel_2020).predict(3)
    assert not np.allclose(across["forecast"], plain.fit(panel_2020).predict(3)["forecast"]), "taken across the break, 2021 would move"
    assert occupation_mix_signal(panel.assign(classification="soc2020_submajor")) == (), "another classification is another signal"


def sub_major_signal(within_per_year: float, years: range, major_next: float, within_next: float) -> tuple:
    """Survey log shares for major group 1 (flat, then ``major_next`` into the year after the
    last observation) and its sub-majors 11 and 12, which move within it by +/-``within_per_year``
    a year over ``years`` and by +/-``within_next`` into the year after the last observation."""
    last = 2010 + LAST
    rows = []
    for year in [*years, last + 1]:
        major = major_next if year == last + 1 else 0.0
        within = within_per_year * (min(year, last) - years[0]) + (within_next if year == last + 1 else 0.0)
        rows += [("employment", "soc2020_major", "1", year, major)]
        rows += [
            ("employment", "soc2020_submajor", "11", year, major + within),
            ("employment", "soc2020_submajor", "12", year, major - within),
        ]
    return tuple(rows)


@pytest.mark.parametrize(
    ("within_per_year", "years", "weight"),
    [
        (0.03, range(2014, 2018), 1.0),  # the history moved within major 1 exactly as the survey did: follow it whole
        (0.06, range(2014, 2018), 0.5),  # the history moved half as much as the survey: follow half of it
        (-0.03, range(2014, 2018), 0.0),  # the opposite way: the link is broken, the sub-majors follow their major only
        (0.06, range(2017, 2018), 1.0),  # the survey starts at the last observed year: nothing to measure, follow it whole
    ],
)
def test_a_sub_major_the_survey_knows_moves_within_its_major_as_far_as_the_history_followed_the_survey(within_per_year, years, weight):
    # England's sub-major 11 grows 3% a year within major 1 (6% against 3%), 12 falls 3%
    steps = np.arange(1, 5)
    signal = sub_major_signal(within_per_year, years, major_next=0.02, within_next=0.04)
    frame = NationalMixForecaster(mix_signal=signal).fit(exact_panel()).predict(4)
    major = np.exp((0.01 + 0.005) * steps + (0.02 - 0.005))  # the major group's path, moved by the survey as before
    assert np.allclose(forecast_of(frame, "A", "soc2020_major", "1"), 0.1 * NATIONAL[("soc2020_major", "1")][LAST] * major, rtol=1e-12)
    for code, sign in (("11", 1.0), ("12", -1.0)):
        expected = 0.3 * NATIONAL[("soc2020_submajor", code)][LAST] * major * np.exp(sign * weight * 0.04)
        assert np.allclose(forecast_of(frame, "B", "soc2020_submajor", code), expected, rtol=1e-9), (code, weight)


def test_the_factory_gives_the_signal_to_every_national_mix_inside_a_model():
    signal = signal_for({2017: 0.0, 2018: 0.05})
    model = make_forecaster("reconciled:national_mix", mix_signal=signal, area_parents=(("A", "EN"),))
    assert isinstance(model, ReconciledForecaster) and model.base.mix_signal == signal and model.area_parents == (("A", "EN"),)
    assert make_forecaster("reconciled:national_mix").base.mix_signal == ()
    assert "mix_signal" not in make_forecaster("naive", mix_signal=signal).get_params()


def test_layout_finds_national_rows_totals_and_parents():
    matrix = SeriesMatrix.from_panel(exact_panel())
    model = NationalMixForecaster().fit(exact_panel())
    keys = matrix.keys
    row = {(a, cls, code): i for i, (a, cls, code) in enumerate(zip(keys["area"], keys["classification"], keys["code"], strict=True))}
    layout = model.layout_
    assert layout.national[row[("A", "soc2020_submajor", "11")]] == row[("EN", "soc2020_submajor", "11")]
    assert layout.national_total[row[("B", "soc2020_major", "2")]] == row[("EN", "all", "all")]
    assert layout.national_parent[row[("A", "soc2020_submajor", "12")]] == row[("EN", "soc2020_major", "1")]
    assert layout.national_parent[row[("A", "soc2020_major", "1")]] == -1
    assert layout.is_national.sum() == len(NATIONAL)
