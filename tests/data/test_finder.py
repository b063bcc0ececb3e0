"""Finding areas by name (#15): names and codes, forgiving, retired names, ambiguity listed, suggestions from names."""

import pytest

from skillcast.data.finder import AmbiguousArea, AreaFinder, UnknownArea, normalise


@pytest.fixture(scope="module")
def finder(geography):
    return AreaFinder(geography)


@pytest.mark.parametrize(
    ("text", "name", "kind"),
    [
        ("Leeds", "Leeds", "lad"),
        ("leeds city council", "Leeds", "lad"),
        ("E08000035", "Leeds", "lad"),
        ("greater manchester", "Greater Manchester", "mca"),  # CA = LSIP = LEP: one place
        ("E07000148", "Norwich", "lad"),
        ("North Yorkshire", "North Yorkshire", "lad"),  # the 2023 unitary, the former county's area
        ("Surrey", "Surrey", "county"),
        ("South West", "South West", "region"),
        ("West Midlands CA", "West Midlands", "mca"),
        ("west midlands region", "West Midlands", "region"),
        ("Leeds City Region", "Leeds City Region", "lep"),
        ("Enterprise M3 LEP", "Enterprise M3", "lep"),
        ("Brighton & Hove", "Brighton and Hove", "lad"),
        ("Bórnemouth, Christchurch & Poole", "Bournemouth, Christchurch and Poole", "lad"),
        ("Saint Albans", "St Albans", "lad"),
        ("Bristol", "Bristol, City of", "lad"),
        ("Kings Lynn", "King's Lynn and West Norfolk", "lad"),
        ("Barrow", "Westmorland and Furness", "lad"),  # a district merged in 2023
        ("E07000026", "Cumberland", "lad"),  # Allerdale's code
        ("E08000038", "Barnsley", "lad"),  # re-coded in 2024
        ("Shepway", "Folkestone and Hythe", "lad"),  # renamed in 2018
        ("Manchestr", "Manchester", "lad"),  # a typo
        ("Leads", "Leeds", "lad"),
        ("Devon and Torbay", "Devon and Torbay", "mca"),
        ("England", "England", "country"),
    ],
)
def test_names_find_their_area(finder, geography, text, name, kind):
    code = finder.resolve(text)
    assert (geography.name(code), geography.type_of(code)) == (name, kind)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("West Midlands", {"West Midlands (combined authority)", "West Midlands (region)"}),
        ("Lancashire", {"Lancashire (county)", "Lancashire (combined authority)", "Lancashire (LSIP)", "Lancashire (LEP)"}),
        ("Newcastle", {"Newcastle upon Tyne (district)", "Newcastle-under-Lyme (district)"}),
        ("Northamptonshire", {"North Northamptonshire (district)", "West Northamptonshire (district)"}),  # a former county
    ],
)
def test_ambiguous_names_list_their_candidates(finder, text, expected):
    with pytest.raises(AmbiguousArea) as raised:
        finder.resolve(text)
    assert {finder.label(code) for code, _ in raised.value.candidates} == expected


def test_suggestions_come_from_names_not_codes(geography):
    finder = AreaFinder(geography, answerable=set(geography.codes("lsip")))
    with pytest.raises(UnknownArea) as raised:
        finder.resolve("E08000099")  # no such code: nothing whose code merely looks alike
    assert raised.value.suggestions == []
    with pytest.raises(UnknownArea) as raised:
        finder.resolve("Greater Lincs")
    assert any("Greater Lincolnshire (LSIP)" in line for line in raised.value.suggestions)
    assert finder.resolve("Greater Manchstr") == "E69000014"  # a typo or two is forgiven
    with pytest.raises(UnknownArea, match="in Wales: skillcast covers England"):
        finder.resolve("Cardiff")
    with pytest.raises(UnknownArea, match="part of .*West Yorkshire"):
        finder.resolve("Leeds")  # a real district, but only LSIPs answer here: where it sits


def test_descriptions_name_type_and_parents(finder):
    assert finder.describe("E08000035") == (
        "Leeds (district, upper tier) - in West Yorkshire CA, West Yorkshire LSIP, Leeds City Region LEP, Yorkshire and The Humber"
    )
    assert finder.describe("E07000148").startswith("Norwich (district) - in Norfolk, New Anglia LSIP")
    assert finder.describe("E47000001").startswith("Greater Manchester (combined authority) - 10 districts")


def test_normalise_forgives_case_accents_ampersands_and_saints():
    assert normalise("  Bournemouth,  Christchurch & POOLE ") == "bournemouth christchurch and poole"
    assert normalise("Saint Álbans") == "st albans"
    assert normalise("St. Helens") == normalise("Saint Helens") == "st helens"
    assert normalise("King's Lynn") == "kings lynn"
