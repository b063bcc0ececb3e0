"""What a budget buys: each occupation's apprenticeship products, their funding bands, and a budget
turned into starts by route (apprenticeship, foundation apprenticeship, apprenticeship unit).

**Products to occupations.** Skills England's standards carry no SOC code, so each product is
matched to the SOC 2020 unit group whose title, related job titles and description (ONS SOC
2020 Volume 1) are nearest to its own title and typical job titles: TF-IDF on words and word
pairs, plurals folded ("electricians" is "electrician"), English stop words out, titles counted
twice, cosine similarity; the best unit group if its similarity is at least ``MIN_SIMILARITY``
(hand-set by reading the matches just above and below it); the product serves that unit
group's sub-major group. Chosen over character n-grams, the tasks text and a penalty for a
level unlike the SOC major group's skill level by a hand-labelled check of 43 well-known
standards (tests/skills/test_funding.py): 39 right against 31-37. A foundation apprenticeship or a unit serves
the occupations of the standards it names (its related occupations, the standards its knowledge
and skills come from), else its own match. The match is made where the data are, each time:
the SOC descriptions are in the data folder, never in this repository.

**Funding bands.** The cost of a start on a route at a level, for an occupation, is the median
funding band of the open products of that route and level that serve it; with none, the median
of all products of that route and level (``basis`` says which). Levels 2-5, as the priorities.

**A budget across routes** (``RouteShares``, a stated and overridable assumption): of each
occupation's money, ``foundation`` goes to foundation apprenticeships and ``unit`` to
apprenticeship units where the occupation has one (otherwise that money stays with its
apprenticeships), and the rest to apprenticeships, split by the occupation's mix of jobs held at
RQF 2-5. Starts = money / cost per start. Stated costs per start (``CostPerStart`` from a
``--costs`` file) replace the apprenticeship bands at the levels they name.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from skillcast.data.standards import ROUTE_NAMES

LEVELS = {"rqf2": 2, "rqf3": 3, "rqf4": 4, "rqf5": 5}
MIN_SIMILARITY = 0.12  # hand-set (module doc): below it the matches read are mostly wrong, above it mostly right
ANY_OCCUPATION = "all"
MATCH_COLUMNS = ["reference", "route", "unit", "unit_title", "occupation", "similarity", "how"]
BAND_COLUMNS = ["occupation", "route", "level", "cost", "products", "examples", "basis"]
PURCHASE_COLUMNS = ["area", "occupation", "route", "level", "allocation", "cost_per_start", "starts", "products", "examples", "basis"]
TITLE_WORDS = r"(?i)\b(foundation apprenticeship|apprenticeship unit|apprenticeship|integrated degree|degree)\b|[–()-]"


class RouteShares(BaseModel):
    """Of each occupation's money, the shares spent on the two newer routes where it has a product on them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    foundation: float = Field(
        default=0.10, ge=0, le=1, description="share to foundation apprenticeships (level 2, ages 16-21); hand-set, a starting point"
    )
    unit: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="share to apprenticeship units (short courses, employed people 19+); hand-set, a starting point",
    )

    @model_validator(mode="after")
    def _at_most_all(self) -> RouteShares:
        if self.foundation + self.unit > 1:
            raise ValueError(f"foundation + unit: expected at most 1 of the money, got {self.foundation + self.unit:g}")
        return self


def _folded(text: pd.Series) -> pd.Series:
    """Lower case, plurals folded: 'electricians' and 'electrician' are one word."""
    return text.str.lower().str.replace(r"(?<=[a-z])(ies|es|s)\b", "", regex=True)


def _unit_texts(structure: pd.DataFrame) -> pd.DataFrame:
    units = structure.loc[structure["level"].astype(str) == "unit"].copy()
    units["unit"] = units["code"].astype(str)
    related = units["related_job_titles"].fillna("").astype(str).str.replace("~", " ", regex=False)
    title = units["title"].astype(str)
    units["text"] = _folded((title + " ") * 2 + related + " " + units["description"].fillna("").astype(str))  # the title names the group
    return units[["unit", "title", "text"]]


def _product_texts(products: pd.DataFrame) -> pd.Series:
    titles = products["title"].astype(str).str.replace(TITLE_WORDS, " ", regex=True)
    return _folded((titles + " ") * 2 + products["typical_job_titles"].fillna("").astype(str).str.replace("|", " ", regex=False))


def match_occupations(products: pd.DataFrame, structure: pd.DataFrame | None) -> pd.DataFrame:
    """``MATCH_COLUMNS``: each product's unit group and sub-major (``occupation``), by text (``how`` 'title') or by the
    standards it names (``how`` 'related'); unmatched products have no row. No structure: no matches."""
    if structure is None or structure.empty or products.empty:
        return pd.DataFrame(columns=MATCH_COLUMNS)
    from sklearn.feature_extraction.text import TfidfVectorizer

    units = _unit_texts(structure)
    vectorizer = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    unit_vectors = vectorizer.fit_transform(units["text"])
    similarity = (vectorizer.transform(_product_texts(products)) @ unit_vectors.T).toarray()
    best = similarity.argmax(axis=1)
    own = pd.DataFrame(
        {
            "reference": products["reference"].to_numpy(),
            "route": products["route"].to_numpy(),
            "unit": units["unit"].to_numpy()[best],
            "unit_title": units["title"].to_numpy()[best],
            "similarity": similarity[np.arange(len(products)), best],
            "how": "title",
        }
    )
    own = own.loc[own["similarity"] >= MIN_SIMILARITY]
    own["occupation"] = own["unit"].str[:2]
    by_reference = own.set_index("reference")
    standard_of_occupation_code = products.loc[products["occupation_code"] != ""].set_index("occupation_code")["reference"]
    rows = []
    for product in products.loc[products["route"] != "apprenticeship"].itertuples():
        named = [standard_of_occupation_code.get(code, code) for code in str(product.related).split("|") if code]
        known = [code for code in named if code in by_reference.index and by_reference.loc[code, "route"] == "apprenticeship"]
        for code in dict.fromkeys(known):
            match = by_reference.loc[code]
            rows.append({"reference": product.reference, "route": product.route, "unit": match["unit"], "unit_title": match["unit_title"]})
            rows[-1].update({"occupation": match["occupation"], "similarity": match["similarity"], "how": f"related ({code})"})
    related = pd.DataFrame(rows, columns=MATCH_COLUMNS)
    own = own.loc[~own["reference"].isin(set(related["reference"]))]
    return pd.concat([own[MATCH_COLUMNS], related], ignore_index=True).sort_values(["route", "reference"]).reset_index(drop=True)


def _examples(rows: pd.DataFrame) -> str:
    shown = rows.drop_duplicates("reference").sort_values("max_funding", ascending=False).head(3)
    more = rows["reference"].nunique() - len(shown)
    return "; ".join(f"{row.reference} {row.title} (£{row.max_funding:,.0f})" for row in shown.itertuples()) + (
        f"; {more} more" if more > 0 else ""
    )


def funding_bands(products: pd.DataFrame, structure: pd.DataFrame | None) -> pd.DataFrame:
    """``BAND_COLUMNS``: the cost of a start per occupation, route and level (RQF 2-5), from the products serving it,
    and per route and level for any occupation (``occupation`` 'all')."""
    products = products.loc[products["level"].isin(LEVELS.values())]
    matches = match_occupations(products, structure)
    served = matches.merge(products.drop(columns=["route"]), on="reference")
    rows = []
    for (occupation, route, level), group in served.groupby(["occupation", "route", "level"]):
        cost = float(group.drop_duplicates("reference")["max_funding"].median())
        count = group["reference"].nunique()
        basis = (
            f"median funding band of {count} {ROUTE_NAMES[route]} product{'s' if count > 1 else ''} at level {level} for this occupation"
        )
        rows.append([occupation, route, level, cost, count, _examples(group), basis])
    for (route, level), group in products.groupby(["route", "level"]):
        count = group["reference"].nunique()
        basis = f"median funding band of all {count} {ROUTE_NAMES[route]} products at level {level} (none matched to the occupation)"
        rows.append([ANY_OCCUPATION, route, level, float(group["max_funding"].median()), count, _examples(group), basis])
    return pd.DataFrame(rows, columns=BAND_COLUMNS)


def _level_shares(ranking: pd.DataFrame, mix: pd.DataFrame | None) -> pd.DataFrame:
    """area, occupation -> share of each RQF 2-5 level (rows summing to 1; level 3 where nothing is known)."""
    columns = [f"share_{rqf}" for rqf in LEVELS]
    keys = pd.MultiIndex.from_frame(ranking[["area", "occupation"]].astype(str))
    if mix is not None and not mix.empty:
        table = mix.loc[mix["rqf"].isin(list(LEVELS))].pivot_table(
            index=["area", "occupation"], columns="rqf", values="share", aggfunc="sum"
        )
        shares = table.reindex(columns=list(LEVELS)).reindex(keys).fillna(0.0).to_numpy()
    elif set(columns) <= set(ranking.columns):
        shares = ranking[columns].astype(float).fillna(0.0).to_numpy()
    else:
        shares = np.zeros((len(ranking), len(LEVELS)))
    total = shares.sum(axis=1, keepdims=True)
    shares = np.where(total > 0, shares / np.where(total > 0, total, 1.0), np.eye(len(LEVELS))[1])  # level 3 when unknown
    return pd.DataFrame(shares, index=keys, columns=list(LEVELS))


def buy(ranking: pd.DataFrame, bands: pd.DataFrame, shares: RouteShares | None = None, costs=None, mix=None) -> pd.DataFrame:
    """``PURCHASE_COLUMNS``: each occupation's ``allocation`` (pounds, from ``priorities.allocate``) spent by route and
    level (module doc); ``costs``: a ``CostPerStart`` whose stated levels replace the apprenticeship bands."""
    shares = shares or RouteShares()
    band = bands.set_index(["occupation", "route", "level"])
    levels = _level_shares(ranking, mix)
    rows = []

    def cost_of(occupation: str, route: str, level: int):
        """The occupation's band at the level, else any occupation's, else any occupation's at the nearest level."""
        for key in ((occupation, route, level), (ANY_OCCUPATION, route, level)):
            if key in band.index:
                return band.loc[key]
        nearest = sorted(
            (abs(other - level), other)
            for other_occupation, other_route, other in band.index
            if other_occupation == ANY_OCCUPATION and other_route == route
        )
        return band.loc[(ANY_OCCUPATION, route, nearest[0][1])] if nearest else None

    for row in ranking.itertuples():
        occupation, money = str(row.occupation), float(row.allocation)
        spent = 0.0
        for route, share in (("foundation", shares.foundation), ("unit", shares.unit)):
            own = [level for level in LEVELS.values() if (occupation, route, level) in band.index]
            if share <= 0 or not own or money <= 0:
                continue
            for level in own:
                found = band.loc[(occupation, route, level)]
                amount = money * share / len(own)
                rows.append([row.area, occupation, route, level, amount, found["cost"], amount / found["cost"]])
                rows[-1] += [found["products"], found["examples"], found["basis"]]
                spent += amount
        rest = money - spent
        for rqf, level in LEVELS.items():
            amount = rest * float(levels.loc[(str(row.area), occupation), rqf])
            if amount <= 0:
                continue
            stated = costs.stated().get(f"level{level}") if costs is not None else None
            found = cost_of(occupation, "apprenticeship", level)
            if stated is not None:
                cost, count, examples, basis = float(stated), 0, "", f"stated cost per start at level {level} (--costs)"
            elif found is not None:
                cost, count, examples, basis = float(found["cost"]), found["products"], found["examples"], found["basis"]
            else:
                raise ValueError("no apprenticeship funding band at any level: the products table has no apprenticeship")
            rows.append([row.area, occupation, "apprenticeship", level, amount, cost, amount / cost, count, examples, basis])
    return pd.DataFrame(rows, columns=PURCHASE_COLUMNS)


@lru_cache(maxsize=1)
def _shipped_bands() -> pd.DataFrame:
    from skillcast.data.standards import load_products

    return funding_bands(load_products(), None)


def default_bands() -> pd.DataFrame:
    """The shipped products' bands by route and level for any occupation (no SOC descriptions to match with)."""
    return _shipped_bands().copy()


def funding_description(bands: pd.DataFrame) -> dict:
    """What the metadata records of the bands: the products' vintage and how many occupations have their own."""
    from skillcast.data.standards import load_products, products_vintage

    products = load_products()
    own = bands.loc[bands["occupation"] != ANY_OCCUPATION] if not bands.empty else bands
    return {
        "source": "Skills England apprenticeship standards, foundation apprenticeships and units (Open Government Licence v3.0)",
        "products": len(products),
        "records_to": products_vintage(products),
        "occupations_with_own_products": int(own["occupation"].nunique()) if len(own) else 0,
    }


def funding_info(bands: pd.DataFrame, shares: RouteShares | None, stated: dict[str, float] | None, costs_file: str = "") -> dict:
    """What every output says of a budget's costs: ``funding_description`` with the route shares, the stated costs per
    start and the file they came from (the API's ``funding`` answer, the report's and workbook's lines)."""
    shares = shares or RouteShares()
    return {**funding_description(bands), "route_shares": shares.model_dump(), "stated_costs": dict(stated or {}), "costs_file": costs_file}
