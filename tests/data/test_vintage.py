"""Every output names how current each source is: tiny manifests with known answers."""

from skillcast.data.vintage import data_vintage, last_year, vintage_line, with_staleness


def test_the_last_year_of_a_period_label():
    assert last_year("Oct-Dec 2025") == 2025
    assert last_year("2024-04/2025-03") == 2025
    assert last_year("Sep 25") == 2025
    assert last_year("occupations 2024-04/2025-03; qualifications Jan 2024-Dec 2024") == 2025
    assert last_year("2020") == 2020 and last_year("") is None


def test_sources_in_words_with_their_last_period_and_staleness():
    manifest = {
        "sources": {
            "si2035": {"last_observed": "2020"},
            "national-lms": {"last_observed": "Oct-Dec 2025"},
            "reference": {"last_observed": ""},  # a reference table observes nothing: left out
        }
    }
    entries = with_staleness(data_vintage(manifest), today=2026)
    assert [(entry["source"], entry["last_period"], entry["stale"]) for entry in entries] == [
        ("si2035", "2020", True),
        ("national-lms", "Oct-Dec 2025", False),
    ]
    line = vintage_line(entries)
    assert line.startswith(
        "local jobs by occupation and qualification (Skills Imperative 2035, observed years) to 2020 (older than 2 years)"
    )
    assert line.endswith("national labour market (ONS A01: LFS, workforce jobs, vacancies) to Oct-Dec 2025")
    assert data_vintage(manifest, sources=("national-lms",))[0]["source"] == "national-lms"
    assert with_staleness(entries, None) == entries
