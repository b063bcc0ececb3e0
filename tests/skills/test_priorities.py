"""Apprenticeship priorities and scenarios: known answers, the expected direction, one-line TOML errors."""

import numpy as np
import pandas as pd
import pytest

from skillcast.data.schema import DataError
from skillcast.skills.priorities import PriorityWeights, RankingInputs, allocate, rank_occupations
from skillcast.skills.scenarios import Scenario, load_scenario, parse_scenario


def small_case(growth_of_21: float = 0.0):
    """Two occupations in area A, 2020 -> 2030; 21 grows by ``growth_of_21`` jobs, 41 is flat."""
    rows = []
    for occupation, start in (("21", 1000.0), ("41", 1000.0)):
        for year in range(2020, 2031):
            extra = growth_of_21 * (year - 2020) / 10 if occupation == "21" else 0.0
            rows.append(
                {
                    "area": "A",
                    "occupation": occupation,
                    "year": year,
                    "employment": start + extra,
                    "basis": "observed" if year == 2020 else "forecast",
                }
            )
    occupations = pd.DataFrame(rows)
    mix = pd.DataFrame(
        [
            {"area": "A", "occupation": "21", "rqf": "rqf4", "share": 0.5},
            {"area": "A", "occupation": "21", "rqf": "rqf6", "share": 0.5},
            {"area": "A", "occupation": "41", "rqf": "rqf2", "share": 1.0},
        ]
    )
    gaps = pd.DataFrame(
        [{"area": "A", "band": band, "year": 2030, "demand": 100.0, "supply": 100.0} for band in ("low", "intermediate", "high")]
    )
    rates = pd.DataFrame(
        [{"area": "A", "band": band, "year": year, "exit_rate": 0.02} for band in ("intermediate", "high") for year in range(2020, 2031)]
    )
    return occupations, mix, gaps, rates


def test_requirement_parts_have_known_values_and_explain_the_score():
    occupations, mix, gaps, rates = small_case(growth_of_21=200.0)
    ranking = rank_occupations("A", RankingInputs(occupations, mix, gaps, rates), 2020, 2030, PriorityWeights(), mode="absolute").set_index(
        "occupation"
    )
    # 21: half its jobs at RQF 4 (an apprenticeship level), half at RQF 6 (not)
    assert ranking.loc["21", "growth"] == pytest.approx(200 * 0.5)
    expected_replacement = sum((1000 + 200 * (year - 2020) / 10) * 0.5 * 0.02 for year in range(2020, 2030))
    assert ranking.loc["21", "replacement"] == pytest.approx(expected_replacement)
    assert ranking.loc["41", "replacement"] == pytest.approx(1000 * 0.02 * 10) and ranking.loc["41", "growth"] == 0
    assert (ranking["shortage"] == 0).all()  # not rated: no uplift
    assert np.allclose(ranking["openings"], ranking["replacement"] + ranking["growth"].clip(lower=0))
    assert np.allclose(ranking["score"], ranking["openings"])  # absolute mode, no rating, no relevance known
    # 21: 100 growth + 109 replacement beats 41's 200 replacement, though only half of 21's jobs count
    assert ranking.loc["21", "score"] == pytest.approx(209) and ranking.loc["21", "rank"] == 1
    assert "209 jobs to fill at RQF 2-5 (109 replacement, +100 change)" in ranking.loc["21", "explanation"]
    assert "% of score" not in " ".join(ranking["explanation"]) and "growth_pct" not in ranking


def test_a_shortage_rating_lifts_the_absolute_score_by_its_uplift():
    occupations, mix, gaps, rates = small_case()
    shortages = pd.DataFrame(
        {
            "area": "A",
            "occupation": ["21", "41"],
            "rating": ["shortage", "no shortage"],
            "shortage_score": [0.8, -0.2],
            "drivers": ["x", "y"],
        }
    )
    plain = rank_occupations("A", RankingInputs(occupations, mix, gaps, rates), 2020, 2030, PriorityWeights(), mode="absolute").set_index(
        "occupation"
    )
    lifted = rank_occupations(
        "A", RankingInputs(occupations, mix, gaps, rates, shortages=shortages), 2020, 2030, PriorityWeights(), mode="absolute"
    ).set_index("occupation")
    assert lifted.loc["21", "score"] == pytest.approx(plain.loc["21", "score"] * 1.5)
    assert lifted.loc["41", "score"] == pytest.approx(plain.loc["41", "score"])
    assert "shortage rating: shortage (+0.80)" in lifted.loc["21", "explanation"]


def test_raising_one_occupations_growth_raises_its_score_and_rank(demo):
    from skillcast.skills.gap_inputs import tree_inputs
    from skillcast.skills.gaps import GapSettings, analyse, fit_demand

    panel, geography = demo
    inputs = tree_inputs(panel, geography)
    settings = GapSettings(draws=100)
    forecast = fit_demand(inputs, settings)

    def ranking(scenario):
        from skillcast.skills.demand import replacement_rates

        run = analyse(inputs, settings, forecast, ["DM_R1_02"], scenario=scenario)
        rates = replacement_rates(run.supply.age_mix, settings.exits)
        return rank_occupations(
            "DM_R1_02", RankingInputs(run.occupations, run.mix, run.gaps, rates), 2024, 2035, PriorityWeights()
        ).set_index("occupation")

    baseline = ranking(None)
    faster = ranking(Scenario(name="admin boom", demand=[{"occupation": "4", "growth_pct_per_year": 3.0}]))
    assert faster.loc["4", "growth"] > baseline.loc["4", "growth"]
    assert faster.loc["4", "score"] > baseline.loc["4", "score"]
    assert faster.loc["4", "rank"] < baseline.loc["4", "rank"]
    others = [code for code in baseline.index if code != "4"]
    assert np.allclose(faster.loc[others, "growth"], baseline.loc[others, "growth"])  # nobody else's jobs changed


def test_allocation_adds_up_to_the_budget_in_proportion_to_jobs_to_fill():
    occupations, mix, gaps, rates = small_case(growth_of_21=200.0)
    ranking = rank_occupations("A", RankingInputs(occupations, mix, gaps, rates), 2020, 2030, PriorityWeights(), mode="absolute")
    allocated = allocate(ranking, 1_000_000)
    assert allocated["allocation"].sum() == 1_000_000
    ratio = allocated["allocation"] / allocated["openings"]
    assert ratio.max() - ratio.min() < 1e-3 * ratio.mean()
    with pytest.raises(ValueError, match="--budget"):
        allocate(ranking, -5)


@pytest.mark.parametrize(
    "text, field",
    [
        ('[[completions]]\nlevel = "level9"\npeople_per_year = 10\n', "completions[0].level"),
        ('[[completions]]\nlevel = "level3"\npeople_per_year = -10\n', "completions[0].people_per_year"),
        ('[[completions]]\nlevel = "level3"\n', "completions[0].people_per_year"),
        ('[[completions]]\nlevel = "level3"\npeople_per_year = 5\nfrom_year = 2030\nto_year = 2025\n', "completions[0]"),
        ('[[retention]]\nlevel = "level4plus"\npeople_per_yeer = 5\n', "retention[0].people_per_yeer"),
        ('[[demand]]\noccupation = "2a"\ngrowth_pct_per_year = 1\n', "demand[0].occupation"),
        ('[[demand]]\noccupation = "21"\ngrowth_pct_per_year = "fast"\n', "demand[0].growth_pct_per_year"),
        ("surprise = 1\n", "surprise"),
        ('name = "x"\n[[completions]\n', "invalid TOML"),
    ],
)
def test_scenario_errors_are_one_line_naming_the_field(tmp_path, text, field):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(DataError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message and field in message


def test_a_good_scenario_reads_back_every_lever(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "more level 3"\n'
        '[[completions]]\nlevel = "level3"\npeople_per_year = 2000\nfrom_year = 2025\nage_band = "16-19"\n'
        '[[retention]]\nlevel = "level4plus"\npeople_per_year = 500\n'
        '[[demand]]\noccupation = "21"\ngrowth_pct_per_year = 1.5\n'
        '[[demand]]\noccupation = "5"\ngrowth_pct_per_year = -1\n'
    )
    scenario = load_scenario(path)
    assert scenario.name == "more level 3" and scenario.completions[0].age_band == "16-19"
    assert scenario.growth_for("21") == pytest.approx(0.015)
    assert scenario.growth_for("53") == pytest.approx(-0.01)  # a major-group lever covers its sub-majors
    assert scenario.growth_for("41") == 0.0
    assert parse_scenario({}).is_empty()


def test_ranking_many_areas_at_once_gives_each_the_ranking_it_gets_alone(demo_result):
    from skillcast.config import Config
    from skillcast.data.demo import demo_panel
    from skillcast.pipeline import demo_inputs
    from skillcast.pipeline.job import gap_settings
    from skillcast.skills.gaps import analyse, fit_demand
    from skillcast.skills.priorities import rank_areas, rank_from_analysis

    inputs = demo_inputs(*demo_panel()).gap_inputs()
    settings = gap_settings(Config(), 100, 7)
    areas = ["DM_R1_01", "DM_R2_03", "DM_EN"]
    run = analyse(inputs, settings, fit_demand(inputs, settings), areas)
    together = rank_areas(areas, run, inputs, settings)
    assert list(dict.fromkeys(together["area"])) == areas
    for area in areas:
        alone, _ = rank_from_analysis(area, run, inputs, settings)
        pd.testing.assert_frame_equal(together.loc[together["area"] == area].reset_index(drop=True), alone)
