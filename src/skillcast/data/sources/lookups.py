"""ONS geography lookups -> one ``Geography``: England's districts and every area a council
may ask about (counties, regions, LSIPs, combined authorities, LEPs, England), Wales and
Scotland, with retired district codes and renamed areas.

Files (folder ``lookups/`` of a tree laid out like ``../shared/data``):
``lad23_to_region_england.csv``, ``lad11_to_lad21_to_lad23.csv``,
``lad23_to_lsip_aug2023.csv``, ``lad25_to_combined_authority_may2025.csv``,
``lad_to_lep_2020.csv``; and one table shipped with skillcast,
``skillcast/data/reference/lad18_to_cty18_england.csv`` (ONS LAD to County, December 2018;
the data folder has no counties; see that folder's README).

Each membership keeps its own lookup's district codes (LSIPs 2023, combined authorities
2025, LEPs 2020, counties 2018); ``Geography.district_membership`` states them all on
the 296 districts of 2023. What is built here beyond the lookups:

* **Counties** (21): a county of 2018 is kept when all its districts are still lower-tier
  (``E07``) districts in 2023. The six replaced by unitaries 2019-2023 become
  ``former_county`` areas (their names still find their successors).
* **LEPs as re-formed in 2021** (``LEP21_CHANGES``): ``lad_to_lep_2020.csv`` is a
  pre-2021, one-LEP-per-district assignment, but the APS publishes LEP figures on the 2021
  LEPs, which differ for nine of them. Seven districts sit in two 2021 LEPs (Greater
  Birmingham and Solihull with Stoke-on-Trent and Staffordshire, or with Worcestershire):
  they count in full in both (``weight`` 1, so each LEP's total is the published one) and
  ``primary`` marks the first, so the primary links make a partition of England. Never
  add LEPs together. Checked against every APS LEP row: the sum of each LEP's districts is
  within 1.2% of the published LEP figure in every year 2017-2021 (the rest is suppressed
  district cells).
* **England** (``country`` membership): the 296 districts of the 2023 LSIP lookup.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from skillcast.data.geography import Geography
from skillcast.data.sources.common import read_csv_checked

ENGLAND = "E92000001"
WALES = "W92000004"
SCOTLAND = "S92000003"

FILES = {
    "region": "lad23_to_region_england.csv",
    "history": "lad11_to_lad21_to_lad23.csv",
    "lsip": "lad23_to_lsip_aug2023.csv",
    "mca": "lad25_to_combined_authority_may2025.csv",
    "lep": "lad_to_lep_2020.csv",
}
COUNTY_REFERENCE = "lad18_to_cty18_england.csv"  # shipped in skillcast/data/reference (see its README)

# Areas published under a later name than the lookups carry. Only renames with the same
# boundary belong here; a name whose boundary changed is left unmatched and reported,
# never mapped to a different area.
RENAMES: dict[tuple[str, str], str] = {
    ("lsip", "enterprise m3 lep"): "Enterprise M3",
    ("lsip", "gloucestershire"): "G First (Gloucestershire)",
    ("lsip", "norfolk and suffolk"): "New Anglia",
    ("mca", "cambridge and peterborough"): "Cambridgeshire and Peterborough",
    ("lad", "rhondda cynon taff"): "Rhondda Cynon Taf",
    ("lad", "shepway"): "Folkestone and Hythe",  # renamed in 2018, same district and code (E07000112)
    ("lep", "hull and east riding"): "Hull and East Yorkshire",
    ("lep", "humber"): "Hull and East Yorkshire",  # the same two districts before 2021
    ("lep", "buckinghamshire thames valley"): "Buckinghamshire",  # the same district before 2021
    # A DfE extract mislabels the district Stoke-on-Trent with its LEP's name; every one of
    # its cells equals Stoke-on-Trent's in the by-age file, so this is the district.
    ("lad", "stoke on trent and staffordshire"): "Stoke-on-Trent",
}

# The 2021 LEPs as changes to lad_to_lep_2020.csv (district names as that file spells them).
LEP21_CHANGES: dict[str, dict[str, str]] = {
    "rename": {
        "Humber": "Hull and East Yorkshire",
        "Buckinghamshire Thames Valley": "Buckinghamshire",
        "York, North Yorkshire and East Riding": "York and North Yorkshire",
    },
    "move": {  # district -> its (primary) LEP in 2021
        "York": "York and North Yorkshire",
        "Craven": "York and North Yorkshire",
        "Harrogate": "York and North Yorkshire",
        "Selby": "York and North Yorkshire",
        "Rutland": "Greater Lincolnshire",
    },
    "second": {  # district -> its second LEP in 2021 (the first stays primary)
        "Cannock Chase": "Stoke-on-Trent and Staffordshire",
        "East Staffordshire": "Stoke-on-Trent and Staffordshire",
        "Lichfield": "Stoke-on-Trent and Staffordshire",
        "Tamworth": "Stoke-on-Trent and Staffordshire",
        "Bromsgrove": "Worcestershire",
        "Redditch": "Worcestershire",
        "Wyre Forest": "Worcestershire",
    },
}


def county_reference() -> pd.DataFrame:
    """The shipped ONS LAD to County (December 2018) lookup."""
    source = resources.files("skillcast.data").joinpath("reference", COUNTY_REFERENCE)
    with resources.as_file(source) as path:
        return read_csv_checked(Path(path), ["LAD18CD", "LAD18NM", "CTY18CD", "CTY18NM"])


def lep21_membership(lep: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """2021 LEP links (``area, member_of, type, weight, primary``) from the 2020 file, and LEP code -> 2021 name."""
    names = lep["LEP20NM"].replace(LEP21_CHANGES["rename"])
    code_of = dict(zip(names, lep["LEP20CD"], strict=True))
    unknown = sorted({*LEP21_CHANGES["move"].values(), *LEP21_CHANGES["second"].values()} - set(code_of))
    missing = sorted((set(LEP21_CHANGES["move"]) | set(LEP21_CHANGES["second"])) - set(lep["LAD_NM"]))
    if unknown or missing:
        raise ValueError(f"{FILES['lep']}: the 2021 LEP changes name LEP(s) {unknown} or district(s) {missing} it does not have")
    primary = [code_of[LEP21_CHANGES["move"].get(district, name)] for district, name in zip(lep["LAD_NM"], names, strict=True)]
    links = pd.DataFrame({"area": lep["LAD_CD"], "member_of": primary, "type": "lep", "weight": 1.0, "primary": True})
    district_code = dict(zip(lep["LAD_NM"], lep["LAD_CD"], strict=True))
    second = pd.DataFrame(
        {
            "area": [district_code[district] for district in LEP21_CHANGES["second"]],
            "member_of": [code_of[name] for name in LEP21_CHANGES["second"].values()],
            "type": "lep",
            "weight": 1.0,
            "primary": False,
        }
    )
    return pd.concat([links, second], ignore_index=True), {code: name for name, code in code_of.items()}


def _counties(reference: pd.DataFrame, successor: dict[str, str], districts: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(county areas, memberships): current counties and the ones replaced by unitaries since 2018."""

    def now(code: str) -> str | None:
        seen = [code]
        while seen[-1] not in districts and seen[-1] in successor and successor[seen[-1]] not in seen:
            seen.append(successor[seen[-1]])
        return seen[-1] if seen[-1] in districts else None

    shire = reference.loc[reference["CTY18CD"].str.startswith("E10")].assign(district=lambda frame: frame["LAD18CD"].map(now))
    if shire["district"].isna().any():
        raise ValueError(
            f"{COUNTY_REFERENCE}: 2018 district(s) {sorted(shire.loc[shire['district'].isna(), 'LAD18CD'])} have no 2023 district"
        )
    kept = shire.groupby("CTY18CD")["district"].transform(lambda codes: codes.str.startswith("E07").all())
    current, former = shire.loc[kept.astype(bool)], shire.loc[~kept.astype(bool)]
    split = current.groupby("district")["CTY18CD"].nunique()
    if (split > 1).any():
        raise ValueError(f"{COUNTY_REFERENCE}: district(s) {sorted(split.index[split > 1])} would sit in two counties")
    areas = pd.concat(
        [
            current[["CTY18CD", "CTY18NM"]].drop_duplicates().assign(type="county"),
            former[["CTY18CD", "CTY18NM"]].drop_duplicates().assign(type="former_county"),
        ]
    ).rename(columns={"CTY18CD": "area", "CTY18NM": "name"})
    links = pd.concat([current.assign(type="county"), former.assign(type="former_county")])
    links = links.rename(columns={"district": "area_code", "CTY18CD": "member_of"})
    links = links[["area_code", "member_of", "type"]].rename(columns={"area_code": "area"}).drop_duplicates()
    return areas.reset_index(drop=True), links.assign(weight=1.0, primary=True).reset_index(drop=True)


def load_geography(lookups_dir: Path) -> Geography:
    region, history, lsip, mca, lep = _read_lookups(Path(lookups_dir))
    rows = _country_and_region_rows(region)
    region_of = dict(zip(region["LAD23CD"], region["RGN_CD"], strict=True))
    districts, district_rows, successor, known = _districts(history, region, region_of)
    rows += district_rows

    england = sorted(lsip["LAD23CD"])
    memberships = [
        pd.DataFrame({"area": region["LAD23CD"], "member_of": region["RGN_CD"], "type": "region"}),
        pd.DataFrame({"area": england, "member_of": ENGLAND, "type": "country"}),
    ]
    group_rows, group_links = _group_areas(lsip, mca, lep, districts, known, successor, region_of)
    rows += group_rows
    memberships += group_links

    county_rows, county_links = _county_areas(successor, england, region_of)
    rows += county_rows
    memberships.append(county_links)

    areas = pd.DataFrame(rows).drop_duplicates("area")
    by_name = {(row.type, row.name): row.area for row in areas.itertuples()}
    aliases = {(area_type, key): by_name[(area_type, target)] for (area_type, key), target in RENAMES.items()}
    return Geography.from_frame(areas, memberships=pd.concat(memberships, ignore_index=True), successor=successor, aliases=aliases)


def _read_lookups(lookups_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(region, history, lsip, mca, lep): the five ONS lookups, each refused in one line if a column is missing."""
    region = read_csv_checked(lookups_dir / FILES["region"], ["LAD23CD", "LAD23NM", "RGN_CD", "RGN_NM"])
    history = read_csv_checked(lookups_dir / FILES["history"], ["LAD11CD", "LAD11NM", "LAD21CD", "LAD21NM", "LAD23CD", "LAD23NM"])
    lsip = read_csv_checked(lookups_dir / FILES["lsip"], ["LAD23CD", "LSIP23CD", "LSIP23NM"])
    mca = read_csv_checked(lookups_dir / FILES["mca"], ["LAD25CD", "LAD25NM", "CAUTH25CD", "CAUTH25NM"])
    lep = read_csv_checked(lookups_dir / FILES["lep"], ["LAD_CD", "LAD_NM", "LEP20CD", "LEP20NM"])
    return region, history, lsip, mca, lep


def _country_and_region_rows(region: pd.DataFrame) -> list[dict]:
    """Area rows for England, Wales and Scotland and England's regions: the top of every parent chain."""
    rows = [
        {"area": ENGLAND, "name": "England", "type": "country", "parent": ""},
        {"area": WALES, "name": "Wales", "type": "country", "parent": ""},
        {"area": SCOTLAND, "name": "Scotland", "type": "country", "parent": ""},
    ]
    regions = region[["RGN_CD", "RGN_NM"]].drop_duplicates()
    rows += [
        {"area": code, "name": name, "type": "region", "parent": ENGLAND}
        for code, name in zip(regions["RGN_CD"], regions["RGN_NM"], strict=True)
    ]
    return rows


def _country_parent(region_of: dict[str, str], code: str) -> str:
    """A district's parent: its region in England where the lookup has one, else its country (from the code's letter)."""
    return region_of.get(code) or (WALES if code.startswith("W") else ENGLAND if code.startswith("E") else "")


def _districts(
    history: pd.DataFrame, region: pd.DataFrame, region_of: dict[str, str]
) -> tuple[pd.DataFrame, list[dict], dict[str, str], set[str]]:
    """(current districts, district rows, successor, known codes): the districts of 2023, and the retired ones of
    2011 and 2021 with the code each became, so figures published on old codes still find their area."""
    current = history[["LAD23CD", "LAD23NM"]].drop_duplicates("LAD23CD")
    districts = pd.concat([current, region[["LAD23CD", "LAD23NM"]]]).drop_duplicates("LAD23CD")
    rows = [
        {"area": code, "name": name, "type": "lad", "parent": _country_parent(region_of, code)}
        for code, name in zip(districts["LAD23CD"], districts["LAD23NM"], strict=True)
    ]
    successor: dict[str, str] = {}
    known = set(districts["LAD23CD"])
    # One hop per boundary change (2011 -> 2021 -> 2023), so lineages and predecessors are exact.
    hops = list(zip(history["LAD11CD"], history["LAD11NM"], history["LAD21CD"], history["LAD23CD"], strict=True)) + list(
        zip(history["LAD21CD"], history["LAD21NM"], history["LAD23CD"], history["LAD23CD"], strict=True)
    )
    for old_code, old_name, new_code, final_code in hops:
        if old_code != new_code:
            successor[old_code] = new_code
            if old_code not in known:
                known.add(old_code)
                rows.append({"area": old_code, "name": old_name, "type": "lad", "parent": _country_parent(region_of, final_code)})
    return districts, rows, successor, known


def _group_areas(
    lsip: pd.DataFrame,
    mca: pd.DataFrame,
    lep: pd.DataFrame,
    districts: pd.DataFrame,
    known: set[str],
    successor: dict[str, str],
    region_of: dict[str, str],
) -> tuple[list[dict], list[pd.DataFrame]]:
    """(area rows, memberships) of the LSIPs, combined authorities and 2021 LEPs, plus rows for districts these
    lookups have that the 2023 one lacks; adds those districts to ``known`` and their predecessors to ``successor``."""
    rows: list[dict] = []
    memberships: list[pd.DataFrame] = []
    lep_links, lep_names = lep21_membership(lep)
    for frame, district, code, name, area_type in (
        (lsip, "LAD23CD", "LSIP23CD", "LSIP23NM", "lsip"),
        (mca, "LAD25CD", "CAUTH25CD", "CAUTH25NM", "mca"),
        (lep, "LAD_CD", "LEP20CD", "LEP20NM", "lep"),
    ):
        groups = frame[[code, name]].drop_duplicates(code)
        labels = groups[code].map(lep_names) if area_type == "lep" else groups[name]
        rows += [
            {"area": group, "name": label, "type": area_type, "parent": ENGLAND} for group, label in zip(groups[code], labels, strict=True)
        ]
        memberships.append(
            lep_links if area_type == "lep" else pd.DataFrame({"area": frame[district], "member_of": frame[code], "type": area_type})
        )
        rows += _newer_districts(frame, district, districts, known, successor, region_of)
    return rows, memberships


def _newer_districts(
    frame: pd.DataFrame, district: str, districts: pd.DataFrame, known: set[str], successor: dict[str, str], region_of: dict[str, str]
) -> list[dict]:
    """Rows for the districts in ``frame[district]`` not yet known, so figures on a code newer than the 2023 lookup
    find their area; adds them to ``known`` and the 2023 district of the same name as predecessor to ``successor``."""
    rows = []
    # Districts newer than the 2023 lookup (e.g. Barnsley and Sheffield re-coded in 2024):
    # add them, and record the 2023 district of the same name as their predecessor.
    name_column = district.replace("CD", "NM")
    current_by_name = dict(zip(districts["LAD23NM"], districts["LAD23CD"], strict=True))
    for missing_code in sorted(set(frame[district]) - known):
        known.add(missing_code)
        missing_name = frame.loc[frame[district] == missing_code].iloc[0].get(name_column, missing_code)
        predecessor = current_by_name.get(missing_name)
        parent = _country_parent(region_of, predecessor) if predecessor else _country_parent(region_of, missing_code)
        rows.append({"area": missing_code, "name": missing_name, "type": "lad", "parent": parent})
        if predecessor:
            successor[predecessor] = missing_code
    return rows


def _county_areas(successor: dict[str, str], england: list[str], region_of: dict[str, str]) -> tuple[list[dict], pd.DataFrame]:
    """(area rows, memberships) of the counties from the shipped 2018 lookup, each under its region when all its
    districts share one (else England)."""
    county_areas, county_links = _counties(county_reference(), successor, set(england))
    county_region = (
        county_links.assign(region=county_links["area"].map(region_of))
        .groupby("member_of")["region"]
        .agg(lambda values: values.iloc[0] if values.nunique() == 1 else ENGLAND)
    )
    rows = [
        {"area": code, "name": name, "type": kind, "parent": county_region.get(code, ENGLAND)}
        for code, name, kind in zip(county_areas["area"], county_areas["name"], county_areas["type"], strict=True)
    ]
    return rows, county_links
