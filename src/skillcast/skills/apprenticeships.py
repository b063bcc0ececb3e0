"""Apprenticeship relevance of occupations and the cost of a start by level.

**Relevance** is parsed from the SOC 2020 "typical entry routes and qualifications" text of each
unit group (ONS SOC 2020 Volume 1): 1 where apprenticeships are named, 0.5 where a vocational
route is (NVQ/SVQ, BTEC, City & Guilds, on-the-job training) without the word, 0.1 otherwise.
A sub-major group's relevance is the mean over its unit groups weighted by England's new online
adverts (hiring), so it reads as "the share of hiring in routes that take apprentices".

Its weakness, stated wherever it is shown: the text names apprenticeships unevenly (116 of 412
unit groups; 1 of 16 caring personal service units, although care apprenticeships at levels 2-3
are among the largest). A reviewed table can replace it (``override_relevance``: a CSV with
``occupation, relevance`` and an optional ``reason``).

**Cost per start** comes from Skills England's funding bands (``skillcast.skills.funding``); a
``--costs`` file (JSON or TOML, ``BudgetAssumptions``) may state pounds per apprenticeship start
at some levels instead (``{"level2": 7000}``) and the shares of the money for the newer routes
(``{"routes": {"foundation": 0.2, "unit": 0.1}}``). Every figure it leaves out keeps its default.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillcast.data.schema import DataError
from skillcast.skills.funding import RouteShares

RELEVANCE_COLUMNS = ["occupation", "relevance", "apprenticeship_share", "units", "units_naming", "relevance_source"]
NAMED, VOCATIONAL, OTHER = 1.0, 0.5, 0.1
VOCATIONAL_WORDS = re.compile(r"nvq|svq|btec|vocational|city\s*(?:&|and)\s*guilds|on-the-job", re.IGNORECASE)


class CostPerStart(BaseModel):
    """Stated pounds per apprenticeship start at RQF levels 2-5, each replacing the funding bands at its level; None
    (the default) keeps the bands."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level2: float | None = Field(default=None, gt=0, le=100_000, description="pounds per start at level 2")
    level3: float | None = Field(default=None, gt=0, le=100_000, description="pounds per start at level 3")
    level4: float | None = Field(default=None, gt=0, le=100_000, description="pounds per start at level 4")
    level5: float | None = Field(default=None, gt=0, le=100_000, description="pounds per start at level 5")

    def stated(self) -> dict[str, float]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class BudgetAssumptions(BaseModel):
    """What a ``--costs`` file states: costs per start by level (top-level keys) and the routes' shares (``routes``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level2: float | None = Field(default=None, gt=0, le=100_000)
    level3: float | None = Field(default=None, gt=0, le=100_000)
    level4: float | None = Field(default=None, gt=0, le=100_000)
    level5: float | None = Field(default=None, gt=0, le=100_000)
    routes: RouteShares = Field(default_factory=RouteShares)

    @property
    def costs(self) -> CostPerStart:
        return CostPerStart(**self.model_dump(exclude={"routes"}))


def load_costs(path: Path) -> BudgetAssumptions:
    """``BudgetAssumptions`` from a JSON or TOML file; one-line errors naming the file and field."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise DataError(f"{path}: cannot read the costs file ({error.strerror})") from None
    try:
        values = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise DataError(f"{path}: not valid {'TOML' if str(path).endswith('.toml') else 'JSON'} ({str(error).splitlines()[0]})") from None
    if not isinstance(values, dict):
        raise DataError(f"{path}: expected an object of level2..level5 -> pounds per start and optional routes shares")
    try:
        return BudgetAssumptions(**values)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "costs"
        raise DataError(f"{path}: {field}: {first['msg']}") from None


def unit_routes(structure: pd.DataFrame) -> pd.DataFrame:
    """Unit groups with their route tier and relevance: ``unit, occupation, tier, relevance``."""
    units = structure.loc[structure["level"].astype(str) == "unit"]
    text = units["typical_entry_routes_and_qualifications"].fillna("").astype(str)
    named = text.str.contains("apprentic", case=False)
    vocational = text.str.contains(VOCATIONAL_WORDS)
    tier = np.where(named, "apprenticeship", np.where(vocational, "vocational", "other"))
    relevance = np.where(named, NAMED, np.where(vocational, VOCATIONAL, OTHER))
    codes = units["code"].astype(str)
    return pd.DataFrame({"unit": codes.to_numpy(), "occupation": codes.str[:2].to_numpy(), "tier": tier, "relevance": relevance})


def relevance(structure: pd.DataFrame, unit_adverts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per sub-major group: relevance (hiring-weighted), the share of hiring in unit groups naming apprenticeships,
    how many unit groups there are and how many name them (``RELEVANCE_COLUMNS``)."""
    routes = unit_routes(structure)
    if routes.empty:
        return pd.DataFrame(columns=RELEVANCE_COLUMNS)
    weights = unit_adverts.set_index("unit")["adverts"] if unit_adverts is not None and not unit_adverts.empty else pd.Series(dtype=float)
    routes["weight"] = routes["unit"].map(weights)
    routes["weight"] = routes["weight"].fillna(routes["weight"].min() if routes["weight"].notna().any() else 1.0).clip(lower=1e-9)
    rows = []
    for occupation, group in routes.groupby("occupation"):
        share = group["weight"] / group["weight"].sum()
        rows.append(
            {
                "occupation": occupation,
                "relevance": float((share * group["relevance"]).sum()),
                "apprenticeship_share": float(share[group["tier"] == "apprenticeship"].sum()),
                "units": len(group),
                "units_naming": int((group["tier"] == "apprenticeship").sum()),
                "relevance_source": "SOC 2020 entry routes (parsed)",
            }
        )
    return pd.DataFrame(rows, columns=RELEVANCE_COLUMNS)


def override_relevance(relevance_table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Replace parsed relevance by a reviewed CSV (``occupation, relevance[, reason]``); one-line errors naming the row."""
    try:
        reviewed = pd.read_csv(path, dtype=str)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{path}: cannot read the relevance file ({str(error).splitlines()[0]})") from None
    for column in ("occupation", "relevance"):
        if column not in reviewed:
            raise DataError(f"{path}: no {column!r} column; expected occupation, relevance[, reason]")
    values = pd.to_numeric(reviewed["relevance"], errors="coerce")
    bad = values.isna() | (values < 0) | (values > 1)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: row {row + 2}, column relevance: expected a number from 0 to 1, got {reviewed['relevance'].iloc[row]!r}")
    table = relevance_table.set_index("occupation").copy()
    for occupation, value, reason in zip(
        reviewed["occupation"].str.strip(), values, reviewed.get("reason", pd.Series("", index=reviewed.index)).fillna(""), strict=True
    ):
        table.loc[occupation, "relevance"] = float(value)
        table.loc[occupation, "relevance_source"] = f"reviewed ({path.name}{': ' + reason if reason else ''})"
    return table.reset_index()
