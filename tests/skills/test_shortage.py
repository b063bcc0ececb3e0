"""Local shortage ratings, local priorities and the Skills Levy allocation: known answers on tiny frames."""

import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from skillcast.data.schema import DataError
from skillcast.data.sources.local_skills_time_series import empty_starts_warning
from skillcast.skills.apprenticeships import CostPerStart, load_costs, override_relevance, relevance
from skillcast.skills.priorities import PriorityWeights, RankingInputs, allocate, rank_occupations
from skillcast.skills.shortage import SHORTAGE_WEIGHTS, area_pressure, classify, rate_shortages


def occupation_signals():
    """Two occupations: 52 tight everywhere in England (SSV 2x, adverts 2x), 41 slack (half the rates)."""
    return pd.DataFrame(
        {
            "occupation": ["52", "41"],
            "ssv_ratio": [2.0, 0.5],
            "htfv_ratio": [2.0, 0.5],
            "vacancy_ratio": [2.0, 0.5],
            "advert_ratio": [2.0, 0.5],
            "growth_pct": [1.0, -1.0],
        }
    )


def area_signals():
    return pd.DataFrame(
        {
            "area": ["TIGHT", "SLACK"],
            "area_vacancy_ratio": [1.5, 1 / 1.5],
            "area_ssv_ratio": [1.5, 1 / 1.5],
            "area_advert_ratio": [1.5, 1 / 1.5],
            "area_basis": ["vacancies: its own LEA; adverts: its own series", "vacancies: its own LEA; adverts: its own series"],
        }
    )


def test_the_score_is_the_weighted_mean_of_the_standardised_terms_with_known_values():
    rated = rate_shortages(occupation_signals(), area_signals()).set_index(["area", "occupation"])
    # occupation terms: log(2) and log(0.5) over their spread (sd of +-log 2 = sqrt(2) log 2): z = +-1/sqrt(2)
    # growth: +-1 over sd sqrt(2): z = +-1/sqrt(2); area terms: +-log 1.5 over sd sqrt(2) log 1.5: z = +-1/sqrt(2)
    z = 1 / math.sqrt(2)
    total = sum(SHORTAGE_WEIGHTS.values())
    assert rated.loc[("TIGHT", "52"), "shortage_score"] == pytest.approx(z)  # every term +z
    assert rated.loc[("SLACK", "41"), "shortage_score"] == pytest.approx(-z)
    area_share = (SHORTAGE_WEIGHTS["area_vacancies"] + SHORTAGE_WEIGHTS["area_adverts"]) / total
    assert rated.loc[("SLACK", "52"), "shortage_score"] == pytest.approx(z * (1 - 2 * area_share))
    # classes: 52 in the tight area: score >= 0.5 and SSV 2 x 1.5 >= 1.2 -> shortage
    assert rated.loc[("TIGHT", "52"), "rating"] == "shortage"
    assert rated.loc[("SLACK", "41"), "rating"] == "no shortage"
    # 52 in the slack area: score 0.707 x (1 - 2 x 0.2) = 0.42 < 0.5, but adverts 2 x 0.67 = 1.33 >= 1.2 -> difficulty
    assert rated.loc[("SLACK", "52"), "rating"] == "recruitment difficulty"


def test_drivers_name_the_indicators_with_their_numbers():
    rated = rate_shortages(occupation_signals(), area_signals(), names={"TIGHT": "Tightshire"}, signal_years={"ess": "ESS 2017"})
    text = rated.set_index(["area", "occupation"]).loc[("TIGHT", "52"), "drivers"]
    assert text.startswith("shortage, score +0.71")
    assert "online adverts per job 2.00x the all-occupation rate" in text
    assert "vacancies per job in Tightshire 1.50x England's (ESS 2019; its own LEA)" in text
    slack = rated.set_index(["area", "occupation"]).loc[("SLACK", "41"), "drivers"]
    assert "down:" in slack and "0.50x" in slack


def test_classes_follow_the_thresholds():
    score = pd.Series([0.6, 0.6, 0.1, 0.1, -0.1])
    skills = pd.Series([1.3, 1.0, 1.0, 1.3, 2.0])
    pressure = pd.Series([1.0, 1.0, 1.25, 1.0, 2.0])
    assert list(classify(score, skills, pressure)) == [
        "shortage",
        "recruitment difficulty",
        "recruitment difficulty",
        "recruitment difficulty",
        "no shortage",
    ]


def test_missing_indicators_count_as_average_and_say_so():
    rated = rate_shortages(pd.DataFrame({"occupation": ["11", "21"]}), pd.DataFrame({"area": ["A"]}))
    assert (rated["shortage_score"] == 0).all() and (rated["rating"] == "no shortage").all()
    assert rated["drivers"].str.contains("no indicator data").all()


def test_area_pressure_shares_an_leas_counts_by_jobs_and_uses_own_adverts_where_published():
    # county C = districts d1 (300 jobs), d2 (100); unitary u (100 jobs); LSIP L = all three; England row
    lea = pd.DataFrame(
        {
            "districts": [frozenset({"d1", "d2"}), frozenset({"u"}), frozenset()],
            "vacancies": [40.0, 20.0, 1000.0],
            "skill_shortage_vacancies": [8.0, 2.0, 200.0],
            "employment": [400.0, 100.0, 20000.0],
        }
    )
    membership = pd.DataFrame(
        {"district": ["d1", "d2", "u", "d1", "d2", "u", "d1", "d2"], "area": ["d1", "d2", "u", "L", "L", "L", "C", "C"], "weight": 1.0}
    )
    jobs = pd.Series({"d1": 300.0, "d2": 100.0, "u": 100.0})
    lsips = pd.DataFrame({"area": ["L"], "adverts": [50.0], "members": [frozenset({"d1", "d2", "u"})]})
    own = pd.DataFrame({"area": ["L"], "adverts": [50.0]})
    out = area_pressure(lea, lsips, own, membership, jobs, "EN").set_index("area")
    # England 1000/20000 = 0.05 vacancies per job; county 40/400 = 0.1 -> 2.0; its districts the same; u 20/100 -> 4.0
    assert out.loc["d1", "area_vacancy_ratio"] == pytest.approx(2.0) and out.loc["d2", "area_vacancy_ratio"] == pytest.approx(2.0)
    assert out.loc["u", "area_vacancy_ratio"] == pytest.approx(4.0)
    assert out.loc["L", "area_vacancy_ratio"] == pytest.approx((60 / 500) / 0.05)
    assert out.loc["u", "area_ssv_ratio"] == pytest.approx((2 / 100) / (200 / 20000))
    assert out.loc["EN", "area_vacancy_ratio"] == 1.0
    # one LSIP: every district has England's advert intensity
    assert np.allclose(out.loc[["d1", "d2", "u", "C", "L"], "area_advert_ratio"], 1.0)
    assert "its LEA (2 districts, shared by jobs)" in out.loc["d1", "area_basis"] and "its own LEA" in out.loc["u", "area_basis"]
    assert "its own series" in out.loc["L", "area_basis"] and "its LSIP's, by jobs" in out.loc["u", "area_basis"]


def need_case():
    """England (EN) = A + B; A and B each 1000 jobs in 2020, flat to 2030; A is mostly occupation 53, B mostly 41."""
    rows = []
    jobs = {"A": {"53": 800.0, "41": 200.0}, "B": {"53": 200.0, "41": 800.0}}
    jobs["EN"] = {code: jobs["A"][code] + jobs["B"][code] for code in ("53", "41")}
    for area, by_code in jobs.items():
        for code, value in by_code.items():
            for year in range(2020, 2031):
                rows.append({"area": area, "occupation": code, "year": year, "employment": value, "basis": "observed"})
    occupations = pd.DataFrame(rows)
    mix = pd.DataFrame([{"area": area, "occupation": code, "rqf": "rqf3", "share": 1.0} for area in jobs for code in ("53", "41")])
    gaps = pd.DataFrame([{"area": area, "band": "intermediate", "year": 2030, "demand": 1.0, "supply": 1.0} for area in jobs])
    rates = pd.DataFrame(
        [{"area": area, "band": "intermediate", "year": year, "exit_rate": 0.02} for area in jobs for year in range(2020, 2031)]
    )
    return occupations, mix, gaps, rates


def test_jobs_to_fill_per_1000_and_location_quotient_have_known_values():
    occupations, mix, gaps, rates = need_case()
    ranking = rank_occupations(["A", "B"], RankingInputs(occupations, mix, gaps, rates, national="EN"), 2020, 2030, PriorityWeights())
    a = ranking.loc[ranking["area"] == "A"].set_index("occupation")
    # A's 53: 800 jobs x 2% x 10 years = 160 openings; per 1,000 of A's 1,000 jobs = 160; England: 200 per 2,000 jobs = 100
    assert a.loc["53", "openings"] == pytest.approx(160)
    assert a.loc["53", "per_1000"] == pytest.approx(160) and a.loc["53", "per_1000_england"] == pytest.approx(100)
    assert a.loc["53", "need_lq"] == pytest.approx(1.6) and a.loc["41", "need_lq"] == pytest.approx(0.4)
    assert "160.0 per 1,000 jobs here vs 100.0 in England (LQ 1.60)" in a.loc["53", "explanation"]
    assert set(ranking["area"]) == {"A", "B"}  # England is the base, not in the output
    # local order: A puts 53 first, B puts 41 first - different places, different lists
    b = ranking.loc[ranking["area"] == "B"].set_index("occupation")
    assert a.loc["53", "rank"] == 1 and b.loc["41", "rank"] == 1
    # each area ranked alone gets the same ranking
    alone = rank_occupations("B", RankingInputs(occupations, mix, gaps, rates, national="EN"), 2020, 2030, PriorityWeights()).set_index(
        "occupation"
    )
    assert np.allclose(alone["score"], b.loc[alone.index, "score"])


def test_a_bad_mode_is_one_clear_error():
    occupations, mix, gaps, rates = need_case()
    with pytest.raises(ValueError, match="--mode: 'loud' is not a mode"):
        rank_occupations("A", RankingInputs(occupations, mix, gaps, rates), 2020, 2030, PriorityWeights(), mode="loud")


def test_allocation_adds_up_per_area_and_respects_the_cost_per_start():
    occupations, mix, gaps, rates = need_case()
    mix = pd.concat([mix.loc[mix["occupation"] == "41"], mix.loc[mix["occupation"] == "53"].assign(rqf="rqf2")])
    ranking = rank_occupations(["A", "B"], RankingInputs(occupations, mix, gaps, rates, national="EN"), 2020, 2030, PriorityWeights())
    costs = CostPerStart(level2=5000, level3=10000)
    allocated = allocate(ranking, 1_000_001, costs, mix)
    assert (allocated.groupby("area")["allocation"].sum() == 1_000_001).all()
    assert (allocated["allocation"] == np.floor(allocated["allocation"])).all()
    by_code = allocated.set_index(["area", "occupation"])
    assert by_code.loc[("A", "53"), "cost_per_start"] == 5000 and by_code.loc[("A", "41"), "cost_per_start"] == 10000
    assert np.allclose(allocated["starts"] * allocated["cost_per_start"], allocated["allocation"])
    # local mode: weight = openings x LQ^0.5 (relevance and rating unknown): A's 53 160 x 1.6^0.5, 41 40 x 0.4^0.5
    weights = np.array([160 * 1.6**0.5, 40 * 0.4**0.5])
    assert by_code.loc[("A", "53"), "allocation_share"] == pytest.approx(weights[0] / weights.sum())


def test_empty_fe_starts_are_warned_about_at_ingest():
    panel = pd.DataFrame({"measure": ["fe_starts", "fe_starts", "fe_achievements"], "value": [0.0, np.nan, 10.0]})
    warning = empty_starts_warning(panel)
    assert warning is not None and warning.startswith("WARNING") and "fe_starts is empty or zero in all 2 rows" in warning
    assert empty_starts_warning(panel.assign(value=[3.0, np.nan, 10.0])) is None


def test_relevance_is_parsed_from_entry_routes_and_weighted_by_hiring(tmp_path):
    structure = pd.DataFrame(
        {
            "level": ["unit", "unit", "unit"],
            "code": ["5311", "5312", "4111"],
            "typical_entry_routes_and_qualifications": [
                "Entry is via an apprenticeship at level 2 or 3.",
                "NVQs/SVQs at level 2 are available.",
                "There are no formal academic entry requirements.",
            ],
        }
    )
    adverts = pd.DataFrame({"unit": ["5311", "5312", "4111"], "adverts": [300.0, 100.0, 50.0]})
    table = relevance(structure, adverts).set_index("occupation")
    assert table.loc["53", "relevance"] == pytest.approx(0.75 * 1.0 + 0.25 * 0.5)
    assert table.loc["53", "apprenticeship_share"] == pytest.approx(0.75) and table.loc["53", "units_naming"] == 1
    assert table.loc["41", "relevance"] == pytest.approx(0.1)
    reviewed = tmp_path / "reviewed.csv"
    reviewed.write_text("occupation,relevance,reason\n41,0.9,business admin apprenticeships\n")
    overridden = override_relevance(table.reset_index(), reviewed).set_index("occupation")
    assert overridden.loc["41", "relevance"] == 0.9 and "reviewed" in overridden.loc["41", "relevance_source"]
    reviewed.write_text("occupation,relevance\n41,1.5\n")
    with pytest.raises(DataError, match=r"row 2, column relevance: expected a number from 0 to 1"):
        override_relevance(table.reset_index(), reviewed)


def test_costs_load_from_a_file_with_one_line_errors(tmp_path):
    good = tmp_path / "costs.json"
    good.write_text('{"level2": 7000, "level4": 14000}')
    costs = load_costs(good)
    assert costs.costs.stated() == {"level2": 7000, "level4": 14000}, "a level left out keeps the funding bands"
    assert costs.routes.foundation == 0.10 and costs.routes.unit == 0.05, "no routes table: the stated defaults"
    routes = tmp_path / "routes.toml"
    routes.write_text("[routes]\nfoundation = 0.3\n")
    assert load_costs(routes).routes.foundation == 0.3 and load_costs(routes).routes.unit == 0.05
    for text, field in (
        ("level2 = -5\n", "level2"),
        ("[routes]\nfoundation = 0.8\nunit = 0.3\n", "routes"),
        ("[routes]\nshort = 1\n", "routes.short"),
    ):
        bad = tmp_path / "costs.toml"
        bad.write_text(text)
        with pytest.raises(DataError) as error:
            load_costs(bad)
        assert str(bad) in str(error.value) and f"{field}" in str(error.value) and "\n" not in str(error.value), error.value


def test_cli_priorities_and_shortages_on_the_demo_and_bad_input_exit_2(tmp_path):
    from skillcast.cli.main import app

    runner = CliRunner()
    out = tmp_path / "p.csv"
    good = runner.invoke(
        app, ["priorities", "--demo", "--area", "DM_R1_02", "--mode", "absolute", "--budget", "500000", "--draws", "50", "--out", str(out)]
    )
    assert good.exit_code == 0, good.output
    table = pd.read_csv(out)
    assert table["allocation"].sum() == 500000 and (table["mode"] == "absolute").all()
    assert "FE and skills pipeline" in good.output
    bad = runner.invoke(app, ["priorities", "--demo", "--area", "DM_R1_02", "--mode", "loud"])
    assert bad.exit_code == 2 and "--mode" in bad.output and "Traceback" not in bad.output
    costs = tmp_path / "c.json"
    costs.write_text('{"level9": 1}')
    bad_costs = runner.invoke(app, ["priorities", "--demo", "--area", "DM_R1_02", "--costs", str(costs), "--budget", "10"])
    assert bad_costs.exit_code == 2 and "level9" in bad_costs.output
    rated = runner.invoke(app, ["shortages", "--demo", "--area", "DM_R1_02"])
    assert rated.exit_code == 0 and "Shortage ratings" in rated.output
    unknown = runner.invoke(app, ["shortages", "--demo", "--area", "Atlantis"])
    assert unknown.exit_code == 2 and "Atlantis" in unknown.output
