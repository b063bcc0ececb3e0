"""The alignment check (#15): an area whose jobs and people do not cover the same places is caught and flagged."""

import pandas as pd
import pytest

from skillcast.skills.alignment import check


def test_misaligned_publisher_areas_their_districts_and_areas_of_them_are_flagged():
    # England = units P (ordinary) and Q (published jobs 0.6 of what its district's workplaces imply)
    workplace = pd.Series({"p1": 100.0, "p2": 100.0, "p3": 1000.0, "q1": 200.0})
    jobs = pd.Series({"p1": 100.0, "p2": 100.0, "p3": 1000.0, "q1": 120.0})
    members = {"P": ["p1", "p2", "p3"], "Q": ["q1"], "EN": ["p1", "p2", "p3", "q1"], "R": ["p2", "q1"], "S": ["p1", "p2"]}
    frame = pd.DataFrame(
        {area: {"jobs": jobs.reindex(ds).sum(), "workplace": workplace.reindex(ds).sum()} for area, ds in members.items()}
    ).T
    for district in workplace.index:
        frame.loc[district] = [jobs[district], workplace[district]]
    result = check(
        jobs=frame["jobs"],
        workplace=frame["workplace"],
        employed=frame["workplace"],
        national="EN",
        names={"Q": "Surrey-sized", "EN": "England"},
        members=members,
        publisher={"p1": "P", "p2": "P", "p3": "P", "q1": "Q"},
    )
    table = result.table.set_index("area")
    assert table.loc["Q", "ratio"] == table.loc["q1", "ratio"]  # a district carries its unit's ratio
    # England's jobs per workplace job: 1320 / 1400; Q: 120 / (200 x 0.943) = 0.64; R (p2 + q1): 220 / 283 = 0.78
    assert result.flagged == {"Q", "q1", "R"}
    assert table.loc["Q", "ratio"] == pytest.approx(0.636, abs=0.001) and table.loc["P", "ratio"] == pytest.approx(1.061, abs=0.001)
    assert not table.loc[["P", "p1", "S", "EN"], "flagged"].any()
    assert "ALIGNMENT CHECK FAILED" in result.warnings["Q"][0]
    assert "whose published jobs fail the alignment check" in result.warnings["EN"][0]  # warned, not flagged
    assert "S" not in result.warnings


def test_a_district_without_survey_figures_is_flagged_and_its_parents_warned():
    frame = pd.Series({"a": 10.0, "b": 10.0, "EN": 20.0})
    result = check(frame, frame, frame, "EN", {}, {"EN": ["a", "b"]}, {"a": "U", "b": "U"}, no_survey=("b",))
    assert result.flagged == {"b"} and "no APS survey estimates" in result.warnings["b"][0]
    assert "includes b" in result.warnings["EN"][0]
