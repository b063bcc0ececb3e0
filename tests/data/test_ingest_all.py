"""`skillcast ingest all` over the real data folder: every listed file read, the rest explained."""

import json

from typer.testing import CliRunner

from skillcast.cli.main import app
from skillcast.data.store import Store

runner = CliRunner()


def test_every_data_file_is_read_or_skipped_for_a_stated_reason(real_store, data_dir):
    out, output = real_store
    manifest = Store(out).manifest()
    read = {file["path"] for source in manifest["sources"].values() for file in source["files"]}
    skipped = {entry["path"]: entry["reason"] for entry in manifest["skipped_files"]}
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(data_dir).as_posix()
        assert str(path) in read or relative in skipped, relative
        if relative.startswith("employer_skills_survey/raw/"):
            assert "raw ESS workbook" in skipped[relative]
        if relative.startswith("national_lms/uk_lms_key_series"):
            assert "the A01 workbook itself is read" in skipped[relative]
    # every non-raw data file of the README is read, or is a re-shape whose original is read
    data_files = [p for p in data_dir.rglob("*.csv") if "lookups" not in p.parts and "raw" not in p.parts]
    unread = [p.relative_to(data_dir).as_posix() for p in data_files if str(p) not in read]
    unexplained = [path for path in unread if "raw" not in skipped[path] and "re-shape" not in skipped[path]]
    assert unexplained == []
    assert all(path.endswith(".csv") for path in unread)
    assert "skipped" in output


def test_store_holds_all_sources_with_checksums_and_counts(real_store):
    out, _ = real_store
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["sources"]) == {
        "si2035",
        "aps-qualifications",
        "aps-occupations",
        "local-skills-time-series",
        "job-adverts",
        "ess",
        "reference",
        "national-lms",
        "aps-soc2020",
    }
    for name, info in manifest["sources"].items():
        assert all(len(file["sha256"]) == 64 for file in info["files"]), name
    # every source's last observed period, as published (what every output names as its vintage)
    last = {name: info["last_observed"] for name, info in manifest["sources"].items()}
    assert last["si2035"] == "2020"  # observed years; its projections to 2035 are not observations
    assert last["national-lms"] == "Oct-Dec 2025"
    assert last["aps-soc2020"] == "occupations 2024-04/2025-03; qualifications Jan 2024-Dec 2024"
    assert sum(sum(info["suppressed"].values()) for info in manifest["sources"].values()) > 0
    panel = Store(out).panel()
    assert len(panel) == manifest["rows"] and panel["value"].notna().any()


def test_data_list_shows_the_store(real_store):
    out, _ = real_store
    result = runner.invoke(app, ["data", "list", "--data", str(out)])
    assert result.exit_code == 0 and "si2035" in result.output and "earlier states kept: 0" in result.output
