"""The labour reserve (skills.labour_reserve) on tiny frames with hand-computed answers.

The core frame: England and three districts in the local skills time series layout, one year (2021):

    area     people  inactive  active  unemployed   inactivity  unemployment
    England  10,000     2,000   8,000         400         0.20          0.05
    SAME      1,000       200     800          40         0.20          0.05   (England's rates)
    HIGH      1,000       300     700          70         0.30          0.10   (less active than England)
    LOW       1,000       100     900          18         0.10          0.02   (more active than England)

with a stated wants-a-job share of 0.2 unless a test says otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from skillcast.data.schema import DataError
from skillcast.skills.labour_reserve import (
    ENGLAND,
    LOCAL_SOURCE,
    RESERVE_COLUMNS,
    SOC2020_SOURCE,
    Z80,
    NationalReference,
    ReserveAssumptions,
    at_rates,
    comparison_year,
    fill_gaps,
    labour_reserve,
    latest_rows,
    national_reference,
    sampling_fraction,
    survey_frames,
    with_districts,
)
from skillcast.skills.scenarios import Activity, parse_scenario

SAME, HIGH, LOW = "E06000001", "E06000002", "E06000003"
NO_NATIONAL = NationalReference(None, None, None)
WANTS = ReserveAssumptions(wants_job_share=0.2)
CORE = {ENGLAND: (10_000, 2_000, 400), SAME: (1_000, 200, 40), HIGH: (1_000, 300, 70), LOW: (1_000, 100, 18)}


def local_rows(area: str, year: int, people: float, inactive: float, unemployed: float) -> list[dict]:
    """One area-year of the local skills time series (classification 'all'): active = people - inactive."""
    active = people - inactive
    values = {
        "population": people,
        "economically_active": active,
        "unemployed": unemployed,
        "economically_inactive": inactive,
        "employment_residence": active - unemployed,
    }
    return [
        {"area": area, "measure": measure, "classification": "all", "code": "all", "period": year, "value": value}
        for measure, value in values.items()
    ]


def local_frame(counts: dict[str, tuple[float, float, float]], year: int = 2021) -> pd.DataFrame:
    return pd.DataFrame(
        [row for area, (people, inactive, unemployed) in counts.items() for row in local_rows(area, year, people, inactive, unemployed)]
    )


def level_rows(area: str, period: int, people: dict[str, float]) -> list[dict]:
    """APS qualification rows (classification aps_rqf) of people 16-64 by code."""
    return [
        {"area": area, "measure": "population", "classification": "aps_rqf", "code": code, "period": period, "value": value}
        for code, value in people.items()
    ]


# HIGH's mix: none 100 + other 100 (counted with none) = 200, level1-level4plus 100 each; weighted with the default
# relative_out_of_work (2, 1.5, 1.2, 1, 0.6): 400, 150, 120, 100, 60 -> sum 830. An older year (2020) must be ignored.
EVEN = {"none": 100, "other": 100, "rqf1": 100, "rqf2": 100, "rqf3": 100, "rqf4plus": 100}
HIGH_MIX = {"none": 400 / 830, "level1": 150 / 830, "level2": 120 / 830, "level3": 100 / 830, "level4plus": 60 / 830}
QUALIFICATIONS = pd.DataFrame(
    level_rows(HIGH, 2020, {"none": 1000, "rqf4plus": 1}) + level_rows(HIGH, 2021, EVEN) + level_rows(SAME, 2021, EVEN)
)


def core_reserve(fraction: float = 0.01, national: NationalReference = NO_NATIONAL, assumptions=WANTS, **kw) -> pd.DataFrame:
    return labour_reserve(survey_frames(local_frame(CORE), None), fraction, national, assumptions=assumptions, **kw)


def row(table: pd.DataFrame, area: str, measure: str, level: str = "all") -> pd.Series:
    rows = table.loc[(table["area"] == area) & (table["measure"] == measure) & (table["level"] == level)]
    assert len(rows) == 1, f"{area} {measure} {level}: {len(rows)} rows"
    return rows.iloc[0]


def se(rate: float, people: float, fraction: float) -> float:
    """The module's rate standard error, sqrt(p (1-p) / (f N)), written out."""
    return math.sqrt(rate * (1 - rate) / (fraction * people))


# --- the reserve and its rates ------------------------------------------------------------------------------------


def test_reserve_is_unemployed_plus_the_wanting_share_of_the_inactive():
    table = core_reserve()
    assert list(table.columns) == RESERVE_COLUMNS
    # reserve = unemployed + 0.2 x inactive
    expected = {ENGLAND: 400 + 0.2 * 2000, SAME: 40 + 0.2 * 200, HIGH: 70 + 0.2 * 300, LOW: 18 + 0.2 * 100}  # 800, 80, 130, 38
    for area, reserve in expected.items():
        assert row(table, area, "reserve")["value"] == pytest.approx(reserve)
    assert row(table, HIGH, "inactive_wanting_job")["value"] == pytest.approx(60.0)  # 0.2 x 300
    assert row(table, HIGH, "unemployed")["value"] == 70 and row(table, HIGH, "inactive")["value"] == 300
    assert row(table, HIGH, "population_16_64")["value"] == 1000
    assert row(table, HIGH, "reserve")["year"] == 2021 and row(table, HIGH, "reserve")["period"] == "Jan-Dec 2021"


def test_the_national_share_applies_unless_the_assumptions_override_it():
    national = NationalReference(wants_job_share=0.25, young_share=None, period="A01, 2023")
    # 70 + 0.25 x 300 = 145 with England's share; 70 + 0.2 x 300 = 130 with the stated one
    assert row(core_reserve(national=national, assumptions=None), HIGH, "reserve")["value"] == pytest.approx(145.0)
    assert row(core_reserve(national=national, assumptions=WANTS), HIGH, "reserve")["value"] == pytest.approx(130.0)
    with pytest.raises(ValueError, match="no share of the inactive who want a job"):
        core_reserve(national=NO_NATIONAL, assumptions=None)


def test_rates_are_of_people_and_of_the_active_beside_englands():
    table = core_reserve()
    inactivity, unemployment = row(table, HIGH, "inactivity_rate"), row(table, HIGH, "unemployment_rate")
    assert inactivity["value"] == pytest.approx(0.3)  # 300 / 1000
    assert unemployment["value"] == pytest.approx(0.1)  # 70 / 700
    assert inactivity["england"] == pytest.approx(0.2)  # 2000 / 10000
    assert unemployment["england"] == pytest.approx(0.05)  # 400 / 8000
    assert row(table, LOW, "unemployment_rate")["value"] == pytest.approx(0.02)  # 18 / 900
    assert np.isnan(row(table, HIGH, "reserve")["england"])


def test_rate_intervals_are_the_binomial_error_with_the_sample_fraction():
    f = 0.01
    table = core_reserve(fraction=f)
    inactivity = row(table, HIGH, "inactivity_rate")
    # se = sqrt(0.3 x 0.7 / (0.01 x 1000)) = sqrt(0.021) ~ 0.1449; 80%: +- 1.2816 x se
    half = Z80 * math.sqrt(0.3 * 0.7 / (0.01 * 1000))
    assert inactivity["lo_80"] == pytest.approx(0.3 - half) and inactivity["hi_80"] == pytest.approx(0.3 + half)
    # unemployment: of the 700 active, se = sqrt(0.1 x 0.9 / 7)
    unemployment = row(table, HIGH, "unemployment_rate")
    assert unemployment["hi_80"] - 0.1 == pytest.approx(Z80 * math.sqrt(0.1 * 0.9 / (0.01 * 700)))
    # the unemployed count: that rate's error times the 700 active
    unemployed = row(table, HIGH, "unemployed")
    assert unemployed["hi_80"] - 70 == pytest.approx(Z80 * math.sqrt(0.1 * 0.9 / 7) * 700)
    # the reserve: its rate 130 / 1000 = 0.13, error sqrt(0.13 x 0.87 / 10) x 1000 people
    reserve = row(table, HIGH, "reserve")
    assert reserve["hi_80"] - reserve["value"] == pytest.approx(Z80 * math.sqrt(0.13 * 0.87 / 10) * 1000)
    assert reserve["value"] - reserve["lo_80"] == pytest.approx(reserve["hi_80"] - reserve["value"])
    # the wanting part: 0.2 x the inactive count's error
    wanting = row(table, HIGH, "inactive_wanting_job")
    assert wanting["hi_80"] - 60 == pytest.approx(0.2 * Z80 * math.sqrt(0.021) * 1000)
    assert np.isnan(row(table, HIGH, "population_16_64")["lo_80"])


def test_intervals_widen_as_the_sample_fraction_falls():
    wide, narrow = core_reserve(fraction=0.0025), core_reserve(fraction=0.01)
    for measure in ("reserve", "inactivity_rate", "unemployed", "inactive"):
        width_wide = row(wide, HIGH, measure)["hi_80"] - row(wide, HIGH, measure)["lo_80"]
        width_narrow = row(narrow, HIGH, measure)["hi_80"] - row(narrow, HIGH, measure)["lo_80"]
        # width ~ 1 / sqrt(f): a quarter of the sample, twice the width
        assert width_wide == pytest.approx(2 * width_narrow), measure
        assert row(wide, HIGH, measure)["value"] == pytest.approx(row(narrow, HIGH, measure)["value"])


# --- at England's rates -------------------------------------------------------------------------------------------


def test_at_englands_rates_is_the_excess_inactivity_and_unemployment():
    table = core_reserve()
    # HIGH: (0.30 - 0.20) x 1000 people + (0.10 - 0.05) x 700 active = 100 + 35
    assert row(table, HIGH, "at_england_rates")["value"] == pytest.approx(135.0)
    # England's own rates: nobody; more active than England: nobody either (never negative)
    assert row(table, SAME, "at_england_rates")["value"] == pytest.approx(0.0)
    assert row(table, LOW, "at_england_rates")["value"] == pytest.approx(0.0)
    england = row(table, ENGLAND, "at_england_rates")
    assert (england["value"], england["lo_80"], england["hi_80"]) == (0.0, 0.0, 0.0)


def test_at_englands_rates_interval_shifts_the_areas_own_rates():
    f = 1.0
    table = core_reserve(fraction=f)
    shift_i, shift_u = Z80 * se(0.3, 1000, f), Z80 * se(0.1, 700, f)  # ~0.01857 and ~0.01453
    high = row(table, HIGH, "at_england_rates")
    assert high["lo_80"] == pytest.approx((0.3 - shift_i - 0.2) * 1000 + (0.1 - shift_u - 0.05) * 700)  # ~81.4 + ~25.8
    assert high["hi_80"] == pytest.approx((0.3 + shift_i - 0.2) * 1000 + (0.1 + shift_u - 0.05) * 700)
    # at England's rates exactly: the low end clips to 0, the high end is the rates' own error
    same = row(table, SAME, "at_england_rates")
    assert same["lo_80"] == 0.0
    assert same["hi_80"] == pytest.approx(Z80 * se(0.2, 1000, f) * 1000 + Z80 * se(0.05, 800, f) * 800)


def test_england_is_compared_within_its_own_year_and_frame():
    # England less active in 2022 (0.25): HIGH's 0.30 is 0.05 above it, 0.10 above in 2021
    local = pd.concat([local_frame(CORE, 2021), local_frame({ENGLAND: (10_000, 2_500, 375), HIGH: (1_000, 300, 70)}, 2022)])
    table = labour_reserve(survey_frames(local, None), 0.01, NO_NATIONAL, assumptions=WANTS)
    at = table.loc[(table["area"] == HIGH) & (table["measure"] == "at_england_rates")].set_index("year")["value"]
    # 2022: England unemployment 375 / 7500 = 0.05 -> (0.30 - 0.25) x 1000 + (0.10 - 0.05) x 700 = 50 + 35
    assert at[2021] == pytest.approx(135.0) and at[2022] == pytest.approx(85.0)


# --- the estimated parts: young, by level, trend ------------------------------------------------------------------


def test_reserve_by_level_uses_the_newest_mix_weighted_by_how_often_each_level_is_out_of_work():
    table = core_reserve(qualifications=QUALIFICATIONS)
    for level, share in HIGH_MIX.items():
        assert row(table, HIGH, "reserve_by_level", level)["value"] == pytest.approx(130 * share), level  # 130 x 400/830 ...
        assert row(table, HIGH, "at_england_rates_by_level", level)["value"] == pytest.approx(135 * share), level
    assert set(table.loc[table["measure"] == "reserve_by_level", "area"]) == {HIGH, SAME}  # no mix: no split
    # hand-set weights: all 1 -> the people's own mix, 200/600 none, 100/600 each other level
    flat = ReserveAssumptions(wants_job_share=0.2, relative_out_of_work=dict.fromkeys(HIGH_MIX, 1.0))
    table = core_reserve(qualifications=QUALIFICATIONS, assumptions=flat)
    assert row(table, HIGH, "reserve_by_level", "none")["value"] == pytest.approx(130 * 200 / 600)
    assert row(table, HIGH, "reserve_by_level", "level4plus")["value"] == pytest.approx(130 * 100 / 600)


def test_young_reserve_scales_englands_young_share_by_the_areas_young_population():
    def ages(area: str, young: float, older: float) -> list[dict]:
        cells = {"16-19|nvq4": young / 2, "20-24|nvq4": young / 2, "50-64|nvq4": older}
        return [
            {"area": area, "measure": "population", "classification": "age_band|nvq", "code": code, "period": 2021, "value": value}
            for code, value in cells.items()
        ]

    qualifications = pd.DataFrame(ages(ENGLAND, 2_000, 8_000) + ages(HIGH, 300, 700) + level_rows(HIGH, 2021, EVEN))
    national = NationalReference(wants_job_share=None, young_share=0.3, period="A01")
    table = core_reserve(national=national, qualifications=qualifications)
    # England 16-24 share 2000/10000 = 0.2, HIGH's 300/1000 = 0.3 -> factor 1.5; young = 130 x 0.3 x 1.5 = 58.5
    assert row(table, HIGH, "young_reserve")["value"] == pytest.approx(58.5)
    assert row(table, ENGLAND, "young_reserve")["value"] == pytest.approx(800 * 0.3)  # factor 1
    assert np.isnan(row(table, LOW, "young_reserve")["value"])  # no ages for LOW


def test_inactivity_trend_is_the_slope_over_the_local_skills_years():
    # HIGH: 0.20, 0.21, 0.22 over 2019-2021: exactly +0.01 a year whatever the weights; two years: no trend
    local = pd.concat([local_frame({ENGLAND: (10_000, 2_000, 400), HIGH: (1_000, 200 + 10 * k, 40)}, 2019 + k) for k in range(3)])
    local = pd.concat([local, local_frame({LOW: (1_000, 100, 18)}, 2020), local_frame({LOW: (1_000, 120, 18)}, 2021)])
    table = labour_reserve(survey_frames(local, None), 0.01, NO_NATIONAL, assumptions=WANTS)
    trend = row(table, HIGH, "inactivity_trend")
    assert trend["value"] == pytest.approx(0.01) and row(table, ENGLAND, "inactivity_trend")["value"] == pytest.approx(0.0)
    assert trend["year"] == 2021 and trend["period"] == "Jan-Dec 2019-2021"
    assert trend["lo_80"] < 0.01 < trend["hi_80"] and trend["hi_80"] - 0.01 == pytest.approx(0.01 - trend["lo_80"])
    assert table.loc[(table["area"] == LOW) & (table["measure"] == "inactivity_trend")].empty


# --- the survey frames --------------------------------------------------------------------------------------------


def test_survey_frames_label_both_frames_and_date_the_aps_population_to_the_calendar_year():
    aps = pd.DataFrame(
        [
            {"area": HIGH, "measure": "unemployed", "classification": "all", "code": "all", "period": 2024, "value": 30},
            {"area": HIGH, "measure": "economically_inactive", "classification": "all", "code": "all", "period": 2024, "value": 200},
            {"area": HIGH, "measure": "employment_residence", "classification": "all", "code": "all", "period": 2024, "value": 770},
        ]
        # Apr 2023 - Mar 2024 is mostly 2023: its 16-64 population is 2023's (600 + 400), not 2024's 2000
        + level_rows(HIGH, 2023, {"rqf3": 600, "rqf4plus": 400})
        + level_rows(HIGH, 2024, {"rqf3": 1000, "rqf4plus": 1000})
    )
    frames = survey_frames(local_frame({HIGH: (1_000, 300, 70)}), aps).set_index("source")
    survey, local = frames.loc[SOC2020_SOURCE], frames.loc[LOCAL_SOURCE]
    assert survey["year"] == 2024 and survey["period"] == "2023-04/2024-03" and survey["unemployed_age"] == "16+"
    assert survey["population_16_64"] == 1000 and survey["active"] == 800  # 770 employed + 30 unemployed
    assert local["period"] == "Jan-Dec 2021" and local["unemployed_age"] == "16-64" and local["active"] == 700
    table = labour_reserve(frames.reset_index(), 0.01, NO_NATIONAL, assumptions=WANTS)
    aps_rate = table.loc[(table["source"] == SOC2020_SOURCE) & (table["measure"] == "inactivity_rate"), "value"]
    assert aps_rate.tolist() == [pytest.approx(0.2)]  # 200 / 1000


def test_with_districts_sums_an_unpublished_area_only_where_every_district_is_known():
    county, a, b = "E10000001", "E07000001", "E07000002"
    local = pd.concat([local_frame({a: (1_000, 200, 40), b: (3_000, 900, 60)}, 2020), local_frame({a: (1_000, 250, 40)}, 2021)])
    frames = survey_frames(local, None)
    membership = pd.DataFrame({"district": [a, b, a], "area": [county, county, HIGH]})
    out = with_districts(frames, membership, [county, a, b])
    summed = out.loc[out["area"] == county]
    assert summed["year"].tolist() == [2020]  # 2021: district b is missing
    assert summed.iloc[0][["population_16_64", "inactive", "unemployed", "active"]].tolist() == [4_000, 1_100, 100, 2_900]
    assert len(out) == len(frames) + 1  # published districts untouched; HIGH not asked for
    assert with_districts(frames, membership, [a, b]) is frames


# --- the sampling fraction ----------------------------------------------------------------------------------------


def fraction_frames(districts: int, gap_district: bool = False) -> pd.DataFrame:
    """England's inactivity rises 0.01 from 2020 to 2021; half the districts go 0.48 -> 0.51 (net of England +0.02),
    half 0.50 -> 0.49 (net -0.02); one more district (optional) is seen in 2018 and 2020 only, not a pair."""
    rows = [
        {"area": ENGLAND, "year": year, "inactive": rate * 10_000} for year, rate in ((2018, 0.2), (2019, 0.2), (2020, 0.2), (2021, 0.21))
    ]
    for k in range(districts):
        first, second = (480, 510) if k % 2 else (500, 490)
        rows += [{"area": f"D{k:02d}", "year": 2020, "inactive": first}, {"area": f"D{k:02d}", "year": 2021, "inactive": second}]
    if gap_district:
        rows += [{"area": "GAP", "year": 2018, "inactive": 100}, {"area": "GAP", "year": 2020, "inactive": 900}]
    frame = pd.DataFrame(rows).assign(source=LOCAL_SOURCE)
    return frame.assign(population_16_64=np.where(frame["area"] == ENGLAND, 10_000, 1_000))


def test_sampling_fraction_is_fitted_from_district_changes_net_of_englands():
    frames = fraction_frames(20, gap_district=True)
    districts = sorted(set(frames["area"]) - {ENGLAND})
    # every pair: change^2 = 0.02^2, N = 1000, p = 0.51 or 0.49 -> p(1-p) = 0.2499
    # 1/f = mean(change^2 N / (2 p (1-p))) = 0.0004 x 1000 / 0.4998 -> f = 0.4998 / 0.4 = 1.2495
    assert sampling_fraction(frames, districts) == pytest.approx(1.2495)


def test_sampling_fraction_needs_twenty_consecutive_year_pairs():
    frames = fraction_frames(19, gap_district=True)  # the 2018-2020 district is not a pair: 19
    with pytest.raises(ValueError, match=r"too few district-year pairs \(19\)"):
        sampling_fraction(frames, sorted(set(frames["area"]) - {ENGLAND}))


# --- England's reference ratios from A01 --------------------------------------------------------------------------


def test_national_reference_takes_the_last_complete_year_of_quarters():
    quarters = {"LF7F": 20.0, "AGOL": 500.0, "AGPM": 1000.0, "LF2I": 1500.0, "LF2M": 9000.0}
    rows = []
    for series, level in quarters.items():
        for month, wobble in zip((3, 6, 9, 12), (-2, 0, 2, 0), strict=True):  # 2023 mean = level
            rows.append({"series": series, "frequency": "3 months", "month": month, "year": 2023, "value": level + wobble})
        rows += [
            {"series": series, "frequency": "3 months", "month": 1, "year": 2023, "value": 999.0},  # overlapping quarter
            {"series": series, "frequency": "1 month", "month": 6, "year": 2023, "value": 999.0},
        ]
        rows += [{"series": series, "frequency": "3 months", "month": m, "year": 2024, "value": 999.0} for m in (3, 6, 9)]  # incomplete
    reference = national_reference(pd.DataFrame(rows))
    assert reference.wants_job_share == pytest.approx(0.20)  # 20 %
    # (AGOL + 0.2 AGPM) / (LF2I + 0.2 LF2M) = (500 + 200) / (1500 + 1800) = 700 / 3300
    assert reference.young_share == pytest.approx(700 / 3300)
    assert reference.period == "A01, 2023 mean of quarters (UK)"
    assert national_reference(None) == NationalReference(None, None, None)
    assert national_reference(pd.DataFrame(rows[:0])) == NationalReference(None, None, None)


# --- newest rows, the comparison year, the gaps -------------------------------------------------------------------


def test_latest_rows_keeps_each_areas_newest_year_and_the_later_frame_in_a_shared_year():
    def entry(area, measure, year, source, value):
        return {"area": area, "year": year, "period": "", "source": source, "measure": measure, "level": "all", "value": value}

    rows = pd.DataFrame(
        [
            entry(HIGH, "reserve", 2020, LOCAL_SOURCE, 1.0),
            entry(HIGH, "reserve", 2022, LOCAL_SOURCE, 2.0),
            entry(HIGH, "reserve", 2022, SOC2020_SOURCE, 3.0),  # 2022 in both frames: the later row wins
            entry(HIGH, "population_16_64", 2021, LOCAL_SOURCE, 4.0),  # its own newest year
            entry(LOW, "reserve", 2019, LOCAL_SOURCE, 5.0),
            entry(LOW, "reserve", 2018, LOCAL_SOURCE, 6.0),
        ]
    )
    latest = latest_rows(rows)
    assert latest[["area", "measure", "year", "value"]].values.tolist() == [
        [HIGH, "population_16_64", 2021, 4.0],  # MEASURES order: population before reserve
        [HIGH, "reserve", 2022, 3.0],
        [LOW, "reserve", 2019, 5.0],
    ]
    assert latest_rows(rows.iloc[:0]).empty


def test_comparison_year_is_the_reserves_year_or_the_next_gap_year():
    rows = pd.DataFrame({"year": [2020, 2024]})
    assert comparison_year(rows, [2023, 2024, 2025]) == 2024  # the reserve's newest year is a gap year
    assert comparison_year(rows, [2026, 2030]) == 2026  # else the first after it
    assert comparison_year(rows, [2018, 2019]) == 2019  # else the last
    assert comparison_year(rows, [2026, 2030], year=2030) == 2030
    assert comparison_year(rows, []) is None
    with pytest.raises(ValueError, match="year: 1999 has no gaps; expected one of 2026-2030"):
        comparison_year(rows, [2026, 2030], year=1999)


def test_fill_gaps_covers_each_shortage_up_to_its_size_and_nothing_of_a_surplus():
    at = {"none": 10.0, "level1": 20.0, "level2": 5.0, "level3": 15.0, "level4plus": 50.0}  # low 30, intermediate 20, high 50
    reserve = pd.DataFrame(
        [{"area": HIGH, "measure": "at_england_rates_by_level", "level": level, "value": value} for level, value in at.items()]
        + [{"area": LOW, "measure": "at_england_rates_by_level", "level": "none", "value": 1_000.0}]  # another area
        + [{"area": HIGH, "measure": "reserve_by_level", "level": "none", "value": 1_000.0}]  # another measure
    )
    gaps = pd.DataFrame(
        [
            {"area": HIGH, "year": 2030, "band": "low", "gap": 100.0, "gap_lo_80": 80.0, "gap_hi_80": 120.0},
            {"area": HIGH, "year": 2030, "band": "intermediate", "gap": 12.0, "gap_lo_80": 2.0, "gap_hi_80": 22.0},
            {"area": HIGH, "year": 2030, "band": "high", "gap": -40.0, "gap_lo_80": -60.0, "gap_hi_80": -20.0},
            {"area": HIGH, "year": 2025, "band": "low", "gap": 5.0, "gap_lo_80": 0.0, "gap_hi_80": 10.0},  # another year
            {"area": HIGH, "year": 2030, "band": "level3", "gap": 5.0, "gap_lo_80": 0.0, "gap_hi_80": 10.0},  # a level row
        ]
    )
    out = fill_gaps(reserve, gaps, HIGH, 2030).set_index("band")
    assert sorted(out.index) == ["high", "intermediate", "low"]
    assert out.loc["low", "at_england_rates"] == 30.0 and out.loc["intermediate", "at_england_rates"] == 20.0
    assert out.loc["low", "filled"] == 30.0 and out.loc["low", "share_filled"] == pytest.approx(0.3)  # 30 of 100
    assert out.loc["intermediate", "filled"] == 12.0 and out.loc["intermediate", "share_filled"] == 1.0  # 20 people, gap 12
    assert out.loc["high", "filled"] == 0.0 and np.isnan(out.loc["high", "share_filled"])  # a surplus
    assert (out["filled"] <= out["gap"].clip(lower=0)).all()
    assert out.loc["low", ["gap_lo_80", "gap_hi_80"]].tolist() == [80.0, 120.0]


# --- the activity lever: at_rates and the scenario's Activity -----------------------------------------------------


def test_at_rates_to_england_matches_at_englands_rates():
    table = core_reserve(qualifications=QUALIFICATIONS)
    out = at_rates(table, None, to_england=True)
    assert list(out.columns) == RESERVE_COLUMNS
    total = out.loc[out["measure"] == "at_scenario_rates"].set_index("area")
    # HIGH: 100 + 35 as at_england_rates; SAME and LOW: none (rates below England's stay)
    assert total.loc[HIGH, "value"] == pytest.approx(135.0)
    assert total.loc[SAME, "value"] == pytest.approx(0.0) and total.loc[LOW, "value"] == pytest.approx(0.0)
    england = row(table, HIGH, "at_england_rates")
    assert total.loc[HIGH, "lo_80"] == pytest.approx(england["lo_80"]) and total.loc[HIGH, "hi_80"] == pytest.approx(england["hi_80"])
    levels = out.loc[(out["measure"] == "at_scenario_rates_by_level") & (out["area"] == HIGH)].set_index("level")["value"]
    assert levels.to_dict() == pytest.approx({level: 135 * share for level, share in HIGH_MIX.items()})


def test_at_rates_to_a_stated_rate_may_bring_people_out_of_work():
    f = 0.01
    table = core_reserve(fraction=f, qualifications=QUALIFICATIONS)
    alone = at_rates(table, 0.15).query("measure == 'at_scenario_rates'").set_index("area")["value"]
    # inactivity 0.15, unemployment as now: HIGH (0.30 - 0.15) x 1000 = 150; LOW (0.10 - 0.15) x 1000 = -50
    assert alone[HIGH] == pytest.approx(150.0) and alone[LOW] == pytest.approx(-50.0)
    assert alone[ENGLAND] == pytest.approx(500.0)  # (0.20 - 0.15) x 10,000
    both = at_rates(table, 0.15, 0.05).query("measure == 'at_scenario_rates'").set_index("area")
    # active = 1000 x (1 - 0.30) = 700: 150 + (0.10 - 0.05) x 700 = 185; LOW: -50 + (0.02 - 0.05) x 900 = -77
    assert both.loc[HIGH, "value"] == pytest.approx(185.0) and both.loc[LOW, "value"] == pytest.approx(-77.0)
    shift_i, shift_u = Z80 * se(0.3, 1000, f), Z80 * se(0.1, 700, f)
    assert both.loc[HIGH, "lo_80"] == pytest.approx((0.3 - shift_i - 0.15) * 1000 + (0.1 - shift_u - 0.05) * 700)
    assert both.loc[HIGH, "hi_80"] == pytest.approx((0.3 + shift_i - 0.15) * 1000 + (0.1 + shift_u - 0.05) * 700)


def test_the_activity_lever_takes_one_target_and_refuses_a_rate_outside_0_1():
    assert Activity(to_england=True).inactivity_rate is None
    assert Activity(inactivity_rate=0.15, unemployment_rate=0.04).unemployment_rate == 0.04
    with pytest.raises(ValueError, match="give either to_england = true or an inactivity_rate"):
        Activity()
    with pytest.raises(ValueError, match="give either"):
        Activity(to_england=True, inactivity_rate=0.15)
    with pytest.raises(ValueError, match="inactivity_rate"):
        Activity(inactivity_rate=1.5)
    with pytest.raises(ValueError, match="unemployment_rate"):
        Activity(inactivity_rate=0.15, unemployment_rate=-0.01)
    with pytest.raises(DataError, match=r"s\.toml: activity\.inactivity_rate: .*less than or equal to 1.*\(got 1\.5\)"):
        parse_scenario({"name": "x", "activity": {"inactivity_rate": 1.5}}, source="s.toml")


@pytest.mark.parametrize("share", [1.2, -0.1])
def test_a_wants_job_share_outside_0_1_is_refused_naming_the_field(share):
    with pytest.raises(ValueError, match="wants_job_share"):
        ReserveAssumptions(wants_job_share=share)


def test_reserve_assumptions_refuse_an_unknown_field():
    with pytest.raises(ValueError, match="wants_a_job"):
        ReserveAssumptions(wants_a_job=0.2)


# --- fixes: one frame for the APS rows, one year for the national figures, the weights checked ---------------------


def test_at_rates_to_england_counts_the_aps_unemployed_in_their_own_16_plus_frame():
    """In the APS rows the unemployment rate is of the 16+ active (employed + unemployed), not of 16-64 people x activity:
    at England's rates the two must agree, as they do on the local skills frame."""

    def aps_rows(area, unemployed, inactive, employed, people):
        values = {"unemployed": unemployed, "economically_inactive": inactive, "employment_residence": employed}
        rows = [
            {"area": area, "measure": measure, "classification": "all", "code": "all", "period": 2024, "value": value}
            for measure, value in values.items()
        ]
        return rows + level_rows(area, 2023, {"rqf3": people})

    # England: 16-64 people 10,000, inactive 2,000 (0.20); 16+ active 9,000 (8,550 employed + 450 unemployed: 0.05)
    # HIGH: people 1,000, inactive 300 (0.30); 16+ active 800 (720 + 80: 0.10)
    aps = pd.DataFrame(aps_rows(ENGLAND, 450, 2000, 8550, 10_000) + aps_rows(HIGH, 80, 300, 720, 1_000))
    table = labour_reserve(survey_frames(None, aps), 0.01, NO_NATIONAL, assumptions=WANTS)
    # at England's rates: (0.30 - 0.20) x 1,000 + (0.10 - 0.05) x 800 = 100 + 40 = 140 (not 0.05 x 700 = 35)
    assert row(table, HIGH, "at_england_rates")["value"] == pytest.approx(140.0)
    scenario = at_rates(table, None, to_england=True).query("measure == 'at_scenario_rates'").set_index("area")
    assert scenario.loc[HIGH, "value"] == pytest.approx(140.0)


def test_a_rate_kept_as_now_adds_nothing_to_the_range():
    f = 0.01
    table = core_reserve(fraction=f, qualifications=QUALIFICATIONS)
    alone = at_rates(table, 0.15).query("measure == 'at_scenario_rates'").set_index("area")
    shift_i = Z80 * se(0.3, 1000, f)  # only inactivity moves: unemployment's own error is not a scenario's
    assert alone.loc[HIGH, "lo_80"] == pytest.approx((0.3 - shift_i - 0.15) * 1000)
    assert alone.loc[HIGH, "hi_80"] == pytest.approx((0.3 + shift_i - 0.15) * 1000)


def test_national_reference_takes_every_figure_from_one_year():
    rows = []
    for series, level in {"LF7F": 20.0, "AGOL": 500.0, "AGPM": 1000.0, "LF2I": 1500.0, "LF2M": 9000.0}.items():
        rows += [{"series": series, "frequency": "3 months", "month": m, "year": 2023, "value": level} for m in (3, 6, 9, 12)]
    rows += [{"series": "LF7F", "frequency": "3 months", "month": m, "year": 2024, "value": 30.0} for m in (3, 6, 9, 12)]
    reference = national_reference(pd.DataFrame(rows))
    # the others end in 2023, so LF7F's 2023 (20%), not its 2024 (30%): (500 + 0.2 x 1000) / (1500 + 0.2 x 9000)
    assert reference.period == "A01, 2023 mean of quarters (UK)" and reference.wants_job_share == pytest.approx(0.20)
    assert reference.young_share == pytest.approx(700 / 3300)


def test_level_weights_given_replace_only_their_own_defaults_and_bad_ones_are_refused():
    weights = ReserveAssumptions(relative_out_of_work={"none": 3.0}).relative_out_of_work
    assert weights == {"none": 3.0, "level1": 1.5, "level2": 1.2, "level3": 1.0, "level4plus": 0.6}
    with pytest.raises(ValueError, match="unknown level 'level9'"):
        ReserveAssumptions(relative_out_of_work={"level9": 1.0})
    with pytest.raises(ValueError, match="level 'level2': expected a weight above 0"):
        ReserveAssumptions(relative_out_of_work={"level2": 0.0})
