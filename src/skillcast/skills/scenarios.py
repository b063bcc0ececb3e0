"""Scenarios: the levers local commissioners pull, read from a TOML file and checked.

A scenario changes the baseline's flows, never its data:

* ``[[completions]]`` extra apprenticeship or adult-skills completions per year at a level:
  that many people a year move up to ``level`` from the levels below it (nearest first),
  counted as *new highest qualifications* (completers who already held the level or above
  do not change supply). ``age_band`` limits who completes (default: anyone 16-64, in
  proportion to who holds the level below). The net effect on the stock grows by less than
  the completions: the model's observed gain rates apply to everyone still below a level,
  so some completers would have got there anyway (deadweight), and completers age out at 65.
* ``[[retention]]`` extra people a year at a level kept in (or drawn to) the area: net
  migration of qualified people. Negative values model losing them.
* ``[[demand]]`` faster or slower demand growth in chosen occupations: employment of the
  SOC 2020 group ``occupation`` (a sub-major code such as ``"21"``, or a major code such as
  ``"2"`` for all its sub-majors) grows ``growth_pct_per_year`` percentage points a year
  faster (negative: slower) than the baseline forecast, compounding from the first
  forecast year. Extra jobs take the occupation's qualification mix, so band demand moves too.

Example::

    name = "More level 3 apprenticeships, keep graduates"
    [[completions]]
    level = "level3"
    people_per_year = 2000
    from_year = 2025
    [[retention]]
    level = "level4plus"
    people_per_year = 500
    [[demand]]
    occupation = "21"
    growth_pct_per_year = 1.0

* ``[activity]`` inactivity falls to England's rate (``to_england = true``) or to ``inactivity_rate``
  (a share, 0-1; ``unemployment_rate`` too): acts on the labour reserve (the people who would then
  be in work, by level, beside each band's gap), not on the cohort model.

Foundation apprenticeships (level 2, 16-24) are ``[[completions]]`` at ``level2`` with ``age_band``
``16-19`` or ``20-24``: completions, not starts (say how many starts complete).

``areas`` (optional, a list of area codes) limits the supply levers to those areas; by
default they apply to whichever area is being analysed. Every error is one line naming the
file and field, e.g. ``s.toml: completions[0].level: ...``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from skillcast.data.schema import DataError

Level = Literal["level1", "level2", "level3", "level4plus"]
AgeBand = Literal["16-19", "20-24", "25-29", "30-39", "40-49", "50-64"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Completions(_Strict):
    level: Level
    people_per_year: float = Field(ge=0, le=1_000_000)
    from_year: int = Field(default=2000, ge=2000, le=2100)
    to_year: int = Field(default=2100, ge=2000, le=2100)
    age_band: AgeBand | None = None

    @model_validator(mode="after")
    def _years_in_order(self) -> Completions:
        if self.to_year < self.from_year:
            raise ValueError(f"to_year {self.to_year} is before from_year {self.from_year}")
        return self


class Retention(_Strict):
    level: Literal["none", "level1", "level2", "level3", "level4plus"]
    people_per_year: float = Field(ge=-1_000_000, le=1_000_000)
    from_year: int = Field(default=2000, ge=2000, le=2100)
    to_year: int = Field(default=2100, ge=2000, le=2100)

    @model_validator(mode="after")
    def _years_in_order(self) -> Retention:
        if self.to_year < self.from_year:
            raise ValueError(f"to_year {self.to_year} is before from_year {self.from_year}")
        return self


class DemandGrowth(_Strict):
    occupation: str = Field(pattern=r"^[1-9][0-9]?$", description="SOC 2020 major (1 digit) or sub-major (2 digits) code")
    growth_pct_per_year: float = Field(ge=-20, le=20)


class Activity(_Strict):
    """Economic activity: the area's inactivity (and unemployment) rate falls (or rises) to a target. It acts on the
    labour reserve (``skills.labour_reserve``: the people who would then be in work, by level, set against each band's
    gap), not inside the cohort model: on the people basis supply counts the inactive already."""

    to_england: bool = Field(default=False, description="inactivity and unemployment fall to England's rates")
    inactivity_rate: float | None = Field(default=None, ge=0, le=1, description="the inactivity rate of people 16-64 to reach")
    unemployment_rate: float | None = Field(default=None, ge=0, le=1, description="the unemployment rate to reach (default: as now)")

    @model_validator(mode="after")
    def _one_target(self) -> Activity:
        if self.to_england == (self.inactivity_rate is not None):
            raise ValueError("give either to_england = true or an inactivity_rate")
        return self


class Scenario(_Strict):
    name: str = Field(default="scenario", min_length=1, max_length=80)
    description: str = ""
    areas: list[str] | None = None
    completions: list[Completions] = []
    retention: list[Retention] = []
    demand: list[DemandGrowth] = []
    activity: Activity | None = None

    def applies_to(self, area: str) -> bool:
        return self.areas is None or area in self.areas

    def is_empty(self) -> bool:
        return not (self.completions or self.retention or self.demand or self.activity)

    def growth_for(self, occupation: str) -> float:
        """Extra growth (fraction a year) for an occupation code, sub-major rules first."""
        exact = [lever.growth_pct_per_year for lever in self.demand if lever.occupation == occupation]
        if exact:
            return exact[-1] / 100.0
        major = [
            lever.growth_pct_per_year for lever in self.demand if len(lever.occupation) == 1 and occupation.startswith(lever.occupation)
        ]
        return major[-1] / 100.0 if major else 0.0


def _where(location: tuple) -> str:
    parts = []
    for part in location:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}[{part}]" if parts else f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "scenario"


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    """A checked ``Scenario`` from parsed TOML; ``DataError`` (one line, naming the field) otherwise."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = error.errors()
        # A misspelt key also makes its real key "missing": name the misspelling, it is the cause.
        first = next((problem for problem in problems if problem["type"] == "extra_forbidden"), problems[0])
        where = _where(tuple(part for part in first["loc"] if not str(part).startswith("function-")))
        message = first["msg"].replace("\n", " ")
        got = f" (got {first['input']!r})" if "input" in first and not isinstance(first["input"], dict) else ""
        raise DataError(f"{source}: {where}: {message}{got}") from None


def load_scenario(path: Path) -> Scenario:
    """Read and check a scenario TOML file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such scenario file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: invalid TOML: {str(error).splitlines()[0]}") from None
    return parse_scenario(data, source=str(path))
