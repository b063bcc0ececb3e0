"""ONS geography lookups -> one ``Geography`` (districts, regions, LSIPs, combined
authorities, LEPs, England and Wales), with retired district codes and renamed areas.

Files (folder ``lookups/`` of a tree laid out like ``../shared/data``):
``lad23_to_region_england.csv``, ``lad11_to_lad21_to_lad23.csv``,
``lad23_to_lsip_aug2023.csv``, ``lad25_to_combined_authority_may2025.csv``,
``lad_to_lep_2020.csv``. Each aggregation uses its own year's lookup: LSIPs are built from
2023 districts, combined authorities from 2025 districts, LEPs from 2020 districts.
"""

from __future__ import annotations

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

# Areas published under a later name than the lookups carry. Only renames with the same
# boundary belong here; a name whose boundary changed (e.g. LEPs re-formed in 2021) is left
# unmatched and reported, never mapped to a different area.
RENAMES: dict[tuple[str, str], str] = {
    ("lsip", "enterprise m3 lep"): "Enterprise M3",
    ("lsip", "gloucestershire"): "G First (Gloucestershire)",
    ("lsip", "norfolk and suffolk"): "New Anglia",
    ("mca", "cambridge and peterborough"): "Cambridgeshire and Peterborough",
    ("lad", "rhondda cynon taff"): "Rhondda Cynon Taf",
    # A DfE extract mislabels the district Stoke-on-Trent with its LEP's name; every one of
    # its cells equals Stoke-on-Trent's in the by-age file, so this is the district.
    ("lad", "stoke on trent and staffordshire"): "Stoke-on-Trent",
}


def load_geography(lookups_dir: Path) -> Geography:
    lookups_dir = Path(lookups_dir)
    region = read_csv_checked(lookups_dir / FILES["region"], ["LAD23CD", "LAD23NM", "RGN_CD", "RGN_NM"])
    history = read_csv_checked(lookups_dir / FILES["history"], ["LAD11CD", "LAD11NM", "LAD21CD", "LAD21NM", "LAD23CD", "LAD23NM"])
    lsip = read_csv_checked(lookups_dir / FILES["lsip"], ["LAD23CD", "LSIP23CD", "LSIP23NM"])
    mca = read_csv_checked(lookups_dir / FILES["mca"], ["LAD25CD", "LAD25NM", "CAUTH25CD", "CAUTH25NM"])
    lep = read_csv_checked(lookups_dir / FILES["lep"], ["LAD_CD", "LAD_NM", "LEP20CD", "LEP20NM"])

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
    region_of = dict(zip(region["LAD23CD"], region["RGN_CD"], strict=True))

    def country_parent(code: str) -> str:
        return region_of.get(code) or (WALES if code.startswith("W") else ENGLAND if code.startswith("E") else "")

    current = history[["LAD23CD", "LAD23NM"]].drop_duplicates("LAD23CD")
    districts = pd.concat([current, region[["LAD23CD", "LAD23NM"]]]).drop_duplicates("LAD23CD")
    rows += [
        {"area": code, "name": name, "type": "lad", "parent": country_parent(code)}
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
                rows.append({"area": old_code, "name": old_name, "type": "lad", "parent": country_parent(final_code)})

    memberships = [pd.DataFrame({"area": region["LAD23CD"], "member_of": region["RGN_CD"], "type": "region"})]
    for frame, district, code, name, area_type in (
        (lsip, "LAD23CD", "LSIP23CD", "LSIP23NM", "lsip"),
        (mca, "LAD25CD", "CAUTH25CD", "CAUTH25NM", "mca"),
        (lep, "LAD_CD", "LEP20CD", "LEP20NM", "lep"),
    ):
        groups = frame[[code, name]].drop_duplicates(code)
        rows += [
            {"area": group, "name": label, "type": area_type, "parent": ENGLAND}
            for group, label in zip(groups[code], groups[name], strict=True)
        ]
        memberships.append(pd.DataFrame({"area": frame[district], "member_of": frame[code], "type": area_type}))
        # Districts newer than the 2023 lookup (e.g. Barnsley and Sheffield re-coded in 2024):
        # add them, and record the 2023 district of the same name as their predecessor.
        name_column = district.replace("CD", "NM")
        current_by_name = dict(zip(districts["LAD23NM"], districts["LAD23CD"], strict=True))
        for missing_code in sorted(set(frame[district]) - known):
            known.add(missing_code)
            missing_name = frame.loc[frame[district] == missing_code].iloc[0].get(name_column, missing_code)
            predecessor = current_by_name.get(missing_name)
            parent = country_parent(predecessor) if predecessor else country_parent(missing_code)
            rows.append({"area": missing_code, "name": missing_name, "type": "lad", "parent": parent})
            if predecessor:
                successor[predecessor] = missing_code

    areas = pd.DataFrame(rows).drop_duplicates("area")
    by_name = {(row.type, row.name): row.area for row in areas.itertuples()}
    aliases = {(area_type, key): by_name[(area_type, target)] for (area_type, key), target in RENAMES.items()}
    return Geography.from_frame(areas, memberships=pd.concat(memberships, ignore_index=True), successor=successor, aliases=aliases)
