"""What a budget buys, as people read it: the report's "What £X buys" section and the workbook's sheet.

Pure. From ``skills.funding.buy``'s rows (``PURCHASE_COLUMNS``: each occupation's money by route and
level) and the funding's description (the service's ``funding`` answer: ``source``, ``products``,
``records_to``, ``route_shares``, ``stated_costs``), one wording for the report and the workbook, as
``skillcast priorities --budget`` prints it (route, level, money, cost per start, starts, the
occupations served most).
"""

from __future__ import annotations

import pandas as pd

from skillcast.data.standards import ROUTE_NAMES
from skillcast.skills.funding import PURCHASE_COLUMNS, RouteShares
from skillcast.skills.priorities import ALLOCATION_METHOD

ROUTE_ORDER = list(ROUTE_NAMES)
ROUTE_PLURALS = {"apprenticeship": "apprenticeships", "foundation": "foundation apprenticeships", "unit": "apprenticeship units"}
TOP_SERVED = 3
SHEET_COLUMNS = [
    "area",
    "occupation",
    "title",
    "route",
    "route_name",
    "product_level",
    "allocation",
    "cost_per_start",
    "starts",
    "products",
    "examples",
    "cost_basis",
]


BUDGET_CAVEAT = (
    "Starts funded are each route's money divided by its cost per start, the funding band: the most the levy pays for one "
    "apprentice's training and assessment. Providers may agree lower prices; the figures do not say whether employers take "
    "on the apprentices or whether they complete. How the money is split between routes is a stated assumption."
)


def own_budget(budget: tuple[float, pd.DataFrame, dict] | None, area: str) -> dict:
    """An area report's ``budget``, ``purchases`` and ``funding`` fields from (pounds, every area's purchases, the funding)."""
    if budget is None:
        return {}
    pounds, purchases, funding = budget
    own = purchases.loc[purchases["area"] == area].reset_index(drop=True) if purchases is not None and len(purchases) else pd.DataFrame()
    return {"budget": float(pounds), "purchases": own, "funding": dict(funding or {})}


def funding_text(funding: dict) -> str:
    """Where the costs per start come from (Skills England's products, their records' date, the licence), in one line."""
    source = funding.get("source") or "Skills England apprenticeship standards, foundation apprenticeships and units"
    if "Open Government Licence" not in source:
        source += " (Open Government Licence v3.0)"
    dated = f", records to {funding['records_to']}" if funding.get("records_to") else ""
    line = (
        f"Costs per start come from {source}{dated}: the median funding band of the {funding.get('products', 0):,} products open "
        "to new starts that serve each occupation at that route and level, or of all products at that route and level where "
        "none is matched to it"
    )
    own = funding.get("occupations_with_own_products")
    if own:
        line += f" ({own} occupation group{'s have' if own != 1 else ' has'} products matched to {'them' if own != 1 else 'it'})"
    return line + "."


def assumptions_text(funding: dict) -> str:
    """The route shares and any stated costs per start, said as assumptions (not funding rules)."""
    shares = funding.get("route_shares") or RouteShares().model_dump()
    where = f", from {funding['costs_file']}" if funding.get("costs_file") else ", the default"
    said = [
        f"Assumption{where} (a starting point, not a funding rule): of each occupation's money, {shares['foundation']:.0%} goes to "
        f"foundation apprenticeships and {shares['unit']:.0%} to apprenticeship units where it has one (otherwise that money stays "
        "with its apprenticeships), the rest to apprenticeships, split by its mix of jobs held at RQF 2-5."
    ]
    stated = funding.get("stated_costs") or {}
    if stated:
        levels = ", ".join(f"level {str(name).removeprefix('level')} £{float(value):,.0f}" for name, value in stated.items())
        said.append(f"Stated costs per apprenticeship start, replacing the funding bands at those levels (assumption): {levels}.")
    if own_products_missing(funding):
        said.append(
            "No foundation apprenticeship or apprenticeship unit is matched to these occupations (the match needs ONS's SOC 2020 "
            "descriptions, which these data do not have), so all the money goes to apprenticeships at the bands of all products."
        )
    return " ".join(said)


def own_products_missing(funding: dict) -> bool:
    return funding.get("occupations_with_own_products") == 0


def route_rows(purchases: pd.DataFrame, titles: dict[str, str] | None = None, top: int = TOP_SERVED) -> list[dict]:
    """One row per route and level (route order, then level): money, cost per start (money / starts), starts and the
    occupations served most (by starts), with their titles."""
    if purchases is None or purchases.empty:
        return []
    titles = titles or {}
    rows = []
    for (route, level), group in purchases.groupby(["route", "level"], sort=False):
        money, starts = float(group["allocation"].sum()), float(group["starts"].sum())
        served = group.groupby("occupation", sort=False)["starts"].sum().sort_values(ascending=False, kind="stable").head(top)
        rows.append(
            {
                "route": str(route),
                "route_name": ROUTE_NAMES.get(str(route), str(route)),
                "level": int(level),
                "allocation": money,
                "cost_per_start": money / starts if starts > 0 else float("nan"),
                "starts": starts,
                "served": [
                    {"occupation": str(code), "title": titles.get(str(code), ""), "starts": float(value)} for code, value in served.items()
                ],
            }
        )
    order = {route: index for index, route in enumerate(ROUTE_ORDER)}
    return sorted(rows, key=lambda row: (order.get(row["route"], len(order)), row["level"]))


def budget_section(budget: float | None, purchases: pd.DataFrame, funding: dict, priorities: pd.DataFrame) -> dict | None:
    """What the report's "What £X buys" section shows; None without a budget."""
    if budget is None:
        return None
    titles = dict(zip(priorities["occupation"].astype(str), priorities["title"].astype(str), strict=True)) if len(priorities) else {}
    rows = route_rows(purchases, titles)
    money = sum(row["allocation"] for row in rows)
    starts = sum(row["starts"] for row in rows)
    return {
        "budget": float(budget),
        "rows": rows,
        "route_names": [ROUTE_PLURALS.get(route, route) for route in dict.fromkeys(row["route"] for row in rows)],
        "allocation": money,
        "starts": starts,
        "cost_per_start": money / starts if starts > 0 else float("nan"),
        "funding": funding_text(funding),
        "assumptions": assumptions_text(funding),
        "method": ALLOCATION_METHOD,
    }


def budget_sheet(purchases: pd.DataFrame | None, titles: dict[tuple[str, str], str] | None = None) -> pd.DataFrame:
    """The workbook's "budget by route" sheet: every purchase row (``PURCHASE_COLUMNS``) with the occupation's title and the
    route's name; ``level`` is the products' RQF level (``product_level``), ``basis`` where the cost comes from."""
    if purchases is None or purchases.empty:
        return pd.DataFrame(columns=SHEET_COLUMNS)
    titles = titles or {}
    sheet = purchases[PURCHASE_COLUMNS].rename(columns={"level": "product_level", "basis": "cost_basis"})
    sheet = sheet.assign(
        title=[titles.get((str(area), str(code)), "") for area, code in zip(sheet["area"], sheet["occupation"], strict=True)],
        route_name=sheet["route"].map(ROUTE_NAMES).fillna(sheet["route"]),
        product_level=sheet["product_level"].astype(int),
    )
    order = sheet["route"].map({route: index for index, route in enumerate(ROUTE_ORDER)})
    sheet = sheet.assign(_order=order).sort_values(["area", "_order", "product_level", "starts"], ascending=[True, True, True, False])
    return sheet[SHEET_COLUMNS].reset_index(drop=True)


def about_lines(budget: float, funding: dict) -> list[tuple[str, str]]:
    """The About sheet's rows on the budget: what each area is given, how it is spent, where the costs come from."""
    return [
        (
            "budget",
            f"£{budget:,.0f} for each area shown (each area is given the whole budget), allocated across its occupations: "
            f"{ALLOCATION_METHOD}.",
        ),
        (
            "budget by route",
            "Each occupation's money by route (apprenticeship, foundation apprenticeship, apprenticeship unit) and RQF level: "
            "pounds, cost per start (pounds), starts funded (money / cost per start). " + funding_text(funding),
        ),
        ("assumptions", assumptions_text(funding)),
        ("licence", "Skills England apprenticeship products: Open Government Licence v3.0."),
    ]
