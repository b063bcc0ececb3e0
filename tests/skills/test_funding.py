"""What a budget buys (skills.funding, data.standards): products matched to occupations, funding bands, a budget by route.

Tiny tables with known answers first; then the shipped products on the real SOC 2020 descriptions, checked against a
hand-labelled list of well-known standards (the labels are a reader's judgement of the SOC 2020 unit group each
standard trains for, from the unit groups' titles and descriptions).
"""

from __future__ import annotations

import pandas as pd
import pytest

from skillcast.data.schema import DataError
from skillcast.data.standards import PRODUCT_COLUMNS, current_products, load_products
from skillcast.skills.apprenticeships import CostPerStart
from skillcast.skills.funding import ANY_OCCUPATION, RouteShares, buy, funding_bands, match_occupations
from skillcast.skills.priorities import allocate


def record(reference, title, level, funding, version="1.0", status="Approved for delivery", **extra) -> dict:
    return {
        "referenceNumber": reference,
        "version": version,
        "title": title,
        "level": level,
        "maxFunding": funding,
        "status": status,
        "route": "Digital",
        "earliestStartDate": "2020-01-01T00:00:00 +00:00",
        "latestStartDate": "",
        "lastUpdated": "2026-08-01T00:00:00 +00:00",
        **extra,
    }


def test_current_products_keep_the_newest_approved_open_version_of_each():
    records = [
        record("ST0116", "Software developer", 4, 17000, version="1.1"),
        record("ST0116", "Software developer", 4, 18000, version="1.2"),
        record("ST0116", "Software developer", 4, 19000, version="1.10", status="In development"),  # not approved: not the newest
        record("ST0200", "Closed one", 3, 9000, latestStartDate="2026-01-31T00:00:00 +00:00"),  # closed before as_of
        record("ST0201", "Paused one", 3, 9000, approvedForDeliveryPausedStarts=True),
        record("ST0202", "Not yet", 3, 9000, earliestStartDate="2027-01-01T00:00:00 +00:00"),
        record(" FA0007 ", "Health and social care foundation apprenticeship", 2, 3000, relatedOccupations=[{"reference": "OCC0005"}]),
        record("AU0006", "EV charging - Apprenticeship unit", 3, 950, minimumHoursForCompliance=35),
        record("ZZ0001", "Not a product", 3, 1),
    ]
    table = current_products(records, as_of="2026-12-07")
    assert list(table.columns) == PRODUCT_COLUMNS
    assert table[["route", "reference"]].values.tolist() == [["apprenticeship", "ST0116"], ["foundation", "FA0007"], ["unit", "AU0006"]]
    assert table.set_index("reference").loc["ST0116", "max_funding"] == 18000, "1.2 is the newest approved version"
    assert table.set_index("reference").loc["FA0007", "related"] == "OCC0005"
    assert table.set_index("reference").loc["AU0006", "minimum_hours"] == 35
    with pytest.raises(DataError, match="no apprenticeship standard"):
        current_products([record("ZZ0001", "x", 2, 1)], as_of="2026-12-07")


def test_the_products_table_is_checked_with_one_line_errors(tmp_path):
    shipped = load_products()
    assert len(shipped) > 600 and set(shipped["route"]) >= {"apprenticeship", "foundation"}
    assert shipped["level"].between(2, 7).all() and (shipped["max_funding"] > 0).all()
    broken = shipped.head(3).astype(str)
    broken.loc[1, "max_funding"] = "a lot"
    path = tmp_path / "products.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"products.csv: row 3, column max_funding: expected a positive number, got 'a lot'"):
        load_products(path)


# -- matching and bands on a tiny SOC structure with known answers ----------------------------------------

STRUCTURE = pd.DataFrame(
    [
        ("unit", 2134, "Programmers and software development professionals", "~Software developer\n~Web developer", "Write software."),
        ("unit", 5241, "Electricians and electrical fitters", "~Electrician\n~Installation electrician", "Install wiring."),
        ("unit", 6135, "Care workers and home carers", "~Care assistant\n~Support worker", "Care for adults at home."),
    ],
    columns=["level", "code", "title", "related_job_titles", "description"],
)


def product(route, reference, title, level, funding, jobs="", related="", occupation_code=""):
    row = dict.fromkeys(PRODUCT_COLUMNS, "")
    row.update(route=route, reference=reference, title=title, level=level, max_funding=float(funding), typical_job_titles=jobs)
    row.update(related=related, occupation_code=occupation_code)
    return row


PRODUCTS = pd.DataFrame(
    [
        product("apprenticeship", "ST0116", "Software developer", 4, 18000, "Web developer|Application developer"),
        product("apprenticeship", "ST0117", "Software tester", 4, 14000, "Software tester"),
        product("apprenticeship", "ST0152", "Installation and maintenance electrician", 3, 21000, "Electrician", occupation_code="OCC0152"),
        product("apprenticeship", "ST0005", "Adult care worker", 2, 3000, "Care assistant|care worker", occupation_code="OCC0005"),
        product("apprenticeship", "ST0999", "Quantum gardener", 3, 9000, "Moss whisperer"),  # like nothing: unmatched
        product("foundation", "FA0007", "Health and social care foundation apprenticeship", 2, 3000, related="OCC0005"),
        product("unit", "AU0006", "EV charging point installation - Apprenticeship unit", 3, 950, related="ST0152"),
    ]
)


def test_products_are_matched_to_the_nearest_unit_group_or_through_the_standards_they_name():
    matches = match_occupations(PRODUCTS, STRUCTURE).set_index("reference")
    assert matches.loc["ST0116", "unit"] == "2134" and matches.loc["ST0117", "unit"] == "2134"
    assert matches.loc["ST0152", "unit"] == "5241" and matches.loc["ST0005", "unit"] == "6135"
    assert "ST0999" not in matches.index, "no unit group is near enough"
    assert matches.loc["FA0007", "occupation"] == "61" and matches.loc["FA0007", "how"] == "related (ST0005)"
    assert matches.loc["AU0006", "occupation"] == "52" and matches.loc["AU0006", "how"] == "related (ST0152)"
    assert match_occupations(PRODUCTS, None).empty


def test_bands_are_the_median_of_the_occupations_own_products_else_of_all_at_the_level():
    bands = funding_bands(PRODUCTS, STRUCTURE).set_index(["occupation", "route", "level"])
    assert bands.loc[("21", "apprenticeship", 4), "cost"] == 16000  # median of 18,000 and 14,000
    assert bands.loc[("21", "apprenticeship", 4), "products"] == 2
    assert bands.loc[(ANY_OCCUPATION, "apprenticeship", 3), "cost"] == 15000  # 21,000 and 9,000, the unmatched one too
    assert bands.loc[("61", "foundation", 2), "cost"] == 3000 and bands.loc[("52", "unit", 3), "cost"] == 950
    assert "for this occupation" in bands.loc[("21", "apprenticeship", 4), "basis"]
    assert "none matched" in bands.loc[(ANY_OCCUPATION, "apprenticeship", 3), "basis"]


def ranked(money: dict[str, float], shares: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = []
    for occupation, allocation in money.items():
        row = {"area": "A", "occupation": occupation, "allocation": allocation}
        row.update({f"share_rqf{level}": shares[occupation].get(f"rqf{level}", 0.0) for level in (2, 3, 4, 5)})
        rows.append(row)
    return pd.DataFrame(rows)


def test_a_budget_is_spent_by_route_at_the_bands_and_every_pound_is_accounted_for():
    bands = funding_bands(PRODUCTS, STRUCTURE)
    ranking = ranked(
        {"61": 100_000, "52": 50_000, "21": 60_000}, {"61": {"rqf2": 1.0}, "52": {"rqf3": 1.0}, "21": {"rqf4": 0.5, "rqf5": 0.5}}
    )
    bought = buy(ranking, bands, RouteShares(foundation=0.2, unit=0.1)).set_index(["occupation", "route", "level"])
    # care (61): 20% to its foundation apprenticeship at £3,000, no unit: the rest at level 2, its own band £3,000
    assert bought.loc[("61", "foundation", 2), "allocation"] == pytest.approx(20_000)
    assert bought.loc[("61", "foundation", 2), "starts"] == pytest.approx(20_000 / 3000)
    assert bought.loc[("61", "apprenticeship", 2), "starts"] == pytest.approx(80_000 / 3000)
    # electricians (52): 10% to the EV unit at £950, the rest at level 3 at £21,000
    assert bought.loc[("52", "unit", 3), "starts"] == pytest.approx(5_000 / 950)
    assert bought.loc[("52", "apprenticeship", 3), "starts"] == pytest.approx(45_000 / 21000)
    # software (21): half at level 4 (own band £16,000), half at level 5 where nothing is: the nearest level's band of all
    assert bought.loc[("21", "apprenticeship", 4), "starts"] == pytest.approx(30_000 / 16000)
    assert bought.loc[("21", "apprenticeship", 5), "cost_per_start"] == 16000
    assert bought["allocation"].sum() == pytest.approx(210_000), "every pound is spent"
    stated = buy(ranking, bands, RouteShares(foundation=0, unit=0), CostPerStart(level2=6000)).set_index(["occupation", "route", "level"])
    assert (
        stated.loc[("61", "apprenticeship", 2), "cost_per_start"] == 6000 and "stated" in stated.loc[("61", "apprenticeship", 2), "basis"]
    )
    assert ("61", "foundation", 2) not in stated.index


def test_allocate_reports_starts_by_route_and_their_cost():
    bands = funding_bands(PRODUCTS, STRUCTURE)
    ranking = ranked({"61": 0, "52": 0}, {"61": {"rqf2": 1.0}, "52": {"rqf3": 1.0}}).drop(columns="allocation")
    ranking["openings"] = [300.0, 100.0]
    allocated = allocate(ranking, 120_000, bands=bands, shares=RouteShares(foundation=0.5, unit=0.0)).set_index("occupation")
    assert allocated.loc["61", "allocation"] == 90_000  # 3/4 of the money: 3/4 of the openings (relevance 1, no rating)
    assert allocated.loc["61", "starts_foundation"] == pytest.approx(45_000 / 3000)
    assert allocated.loc["61", "starts_apprenticeship"] == pytest.approx(45_000 / 3000)
    assert allocated.loc["52", "starts_foundation"] == 0 and allocated.loc["52", "starts_apprenticeship"] == pytest.approx(30_000 / 21000)
    assert allocated.loc["61", "cost_per_start"] == pytest.approx(90_000 / 30)
    with pytest.raises(ValueError, match="foundation \\+ unit: expected at most 1"):
        RouteShares(foundation=0.7, unit=0.4)


# -- the shipped products on the real SOC 2020 descriptions --------------------------------------------------

LABELLED = {  # standard -> SOC 2020 sub-major (module doc of this file)
    "ST0116": "21", "ST0005": "61", "ST0152": "52", "ST0228": "54", "ST0118": "35", "ST0072": "72", "ST0071": "72", "ST0095": "53",
    "ST0499": "52", "ST0239": "41", "ST0214": "62", "ST0213": "62", "ST0217": "61", "ST0216": "61", "ST0070": "41", "ST0303": "53",
    "ST0264": "53", "ST0154": "52", "ST0454": "61", "ST0327": "71", "ST1431": "61", "ST0259": "91", "ST0227": "54", "ST0078": "54",
    "ST0630": "62", "ST0608": "41", "ST0171": "53", "ST0295": "53", "ST1326": "52", "ST0457": "31", "ST0199": "81", "ST0189": "52",
    "ST0155": "53", "ST0232": "54", "ST0359": "81", "ST0096": "53", "ST0270": "53", "ST0589": "54", "ST0300": "32", "ST0509": "63",
    "ST0248": "31", "ST0607": "52", "ST0349": "52",
}  # fmt: skip


@pytest.mark.realdata
def test_the_shipped_standards_find_their_occupations_in_the_real_soc_descriptions(data_dir):
    structure = pd.read_csv(data_dir / "lookups" / "soc2020_structure_descriptions.csv")
    products = load_products()
    matches = match_occupations(products, structure).set_index("reference")
    labelled = [code for code in LABELLED if code in products["reference"].to_numpy()]
    assert len(labelled) >= 40, "the labelled standards are still open to new starts"
    right = sum(code in matches.index and matches.loc[code, "occupation"] == LABELLED[code] for code in labelled)
    assert right / len(labelled) >= 0.85, f"{right} of {len(labelled)} labelled standards in their sub-major"
    assert matches.index.nunique() / len(products) >= 0.9, "nearly every product serves an occupation"
    foundation = products.loc[products["route"] == "foundation"]
    described = foundation.loc[(foundation["related"] != "") | (foundation["typical_job_titles"] != ""), "reference"]
    assert len(described) >= 8 and described.isin(matches.index).all(), "a foundation apprenticeship naming occupations leads to them"
    bands = funding_bands(products, structure)
    care = bands.set_index(["occupation", "route", "level"]).loc[("61", "apprenticeship", 2)]
    assert 3000 <= care["cost"] <= 6000 and care["products"] >= 4  # adult care worker £3,000, healthcare support worker £5,000, ...
