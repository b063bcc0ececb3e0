"""Finding areas by what people call them: names or codes, forgiving case, accents, '&',
shortened names, retired names and a typo or two; never by how alike two codes look.

``AreaFinder(geography, answerable)`` answers three questions:

* ``search(text)`` - the areas the text may mean, best first (``AreaMatch``);
* ``resolve(text)`` - the one area it means, or ``AmbiguousArea`` listing the candidates, or
  ``UnknownArea`` with suggestions (other names that look alike, or where a known place
  sits in the geography: a Welsh district is in Wales, a retired county's districts);
* ``describe(code)`` - "Leeds (district) - in West Yorkshire CA, West Yorkshire LSIP, Leeds
  City Region LEP, Yorkshire and The Humber".

How text is matched, first tier that finds anything wins:

1. a code (any case): the area, an alias (an SI2035 id such as ``GM_LSIP``), or a retired
   district code (2019-2023 mergers) -> the district that replaced it;
2. the whole name after ``normalise`` (accents folded, ``&`` -> and, apostrophes dropped,
   "Saint"/"St." -> st, punctuation -> spaces): "brighton & hove" is Brighton and Hove;
3. the name without type words and fillers ("City of", "council", "CA", "LSIP", "LEP",
   "region", "county"...): "Bristol" is "Bristol, City of", "West Midlands CA" the CA;
   retired district names (Barrow -> Westmorland and Furness) and retired counties
   (Cumbria -> Cumberland, Westmorland and Furness) count here;
4. a shortened name: every query word starts a word of the name in order, or the name
   holds them all ("Kings Lynn", "Southend", "Newcastle");
5. a typo: ``difflib`` similarity of at least ``TYPO_CUTOFF`` to a name.

A type word in the text ("Lancashire county", "West Midlands region") keeps only areas of
that type when any match. Several matches covering the *same* districts (Greater
Manchester: the CA, the LSIP and the LEP) are one place: the finder picks by
``TYPE_ORDER`` and says which others are the same. Matches covering different districts
are ambiguous ("West Midlands": the CA of 7 districts or the region of 30), and the caller
lists them instead of guessing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from skillcast.data.geography import Geography

TYPE_LABELS: dict[str, str] = {
    "lad": "district",
    "county": "county",
    "mca": "combined authority",
    "lsip": "LSIP",
    "lep": "LEP",
    "region": "region",
    "country": "country",
    "former_county": "former county",
}
SOURCE_ONLY: tuple[str, ...] = ("lad:", "lep:", "lsip:", "mca:", "lea:", "country:", "region:")  # names a source could not place
SOURCE_TYPES: frozenset[str] = frozenset({"nuts3", "lea", "si2035_lsip", "si2035_mca", "si2035_country"})  # areas only a source uses
SHORT_LABELS: dict[str, str] = {"mca": "CA", "lsip": "LSIP", "lep": "LEP"}  # after a name: "West Yorkshire CA"
QUERY_WORDS: dict[str, str] = {"lad": "district", "county": "county", "mca": "CA", "lsip": "LSIP", "lep": "LEP", "region": "region"}
TYPE_ORDER: tuple[str, ...] = (
    "lad",
    "county",
    "mca",
    "lsip",
    "lep",
    "region",
    "country",
)  # who a place is when several types share its districts
TYPE_WORDS: dict[str, str] = {
    "district": "lad",
    "unitary": "lad",
    "borough": "lad",
    "county": "county",
    "ca": "mca",
    "mca": "mca",
    "combined": "mca",
    "lsip": "lsip",
    "lep": "lep",
    "region": "region",
    "country": "country",
}
FILLER_WORDS: frozenset[str] = frozenset(
    {
        "city",
        "of",
        "the",
        "council",
        "metropolitan",
        "authority",
        "mayoral",
        "local",
        "enterprise",
        "partnership",
        "skills",
        "improvement",
        "plan",
        "area",
    }
)
TYPO_CUTOFF = 0.8  # difflib ratio: "Manchestr" (0.95) and "Bornemouth" pass; unrelated names of similar length do not
SUGGEST_CUTOFF = 0.6  # looser, for "did you mean" when nothing matched


def normalise(text: str) -> str:
    """Lower case ASCII words: accents folded, '&' -> and, apostrophes dropped, Saint/St. -> st."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"['\u2019`]", "", text).replace("&", " and ")
    text = re.sub(r"\bst\.", "st ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bsaint\b", "st", text)
    return re.sub(r"\s+", " ", text).strip()


def core(text: str) -> str:
    """``normalise`` without type words and fillers ("City of Bristol council" -> "bristol")."""
    words = [word for word in normalise(text).split() if word not in FILLER_WORDS and word not in TYPE_WORDS]
    return " ".join(words) or normalise(text)


def _trimmed(query: str) -> list[str]:
    """``query`` and what is left as type words and fillers are dropped from its ends, longest first
    ("leeds city region lep" -> "leeds city region", "leeds city", "leeds")."""
    words = query.split()
    droppable = set(TYPE_WORDS) | FILLER_WORDS
    spans = []
    for start in range(len(words)):
        if start and words[start - 1] not in droppable:
            break
        for end in range(len(words), start, -1):
            if end < len(words) and words[end] not in droppable:
                break
            spans.append(" ".join(words[start:end]))
    return sorted(dict.fromkeys(spans), key=len, reverse=True) or [query]


@dataclass(frozen=True)
class AreaMatch:
    code: str
    name: str
    type: str
    score: float  # 1 for a code or whole name, less for looser matches
    how: str  # 'code', 'alias', 'retired code', 'name', 'retired name', 'shortened name', 'similar name'


class UnknownArea(LookupError):
    """No area is called that. ``suggestions``: lines naming areas the caller may have meant."""

    def __init__(self, area: str, suggestions: list[str], reason: str = "", where: str = ""):
        self.area, self.suggestions, self.reason = area, suggestions, reason
        hint = f"; did you mean: {'; '.join(suggestions)}" if suggestions else ""
        super().__init__(f"{where + ': ' if where else ''}area {area!r} {reason or 'is not a known area name or code'}{hint}")


class AmbiguousArea(LookupError):
    """Several different areas have that name. ``candidates``: (code, description), best first."""

    def __init__(self, area: str, candidates: list[tuple[str, str]], where: str = ""):
        self.area, self.candidates = area, candidates
        listed = "; ".join(f"{code} = {text}" for code, text in candidates)
        super().__init__(
            f"{where + ': ' if where else ''}area {area!r} is ambiguous; give its code, or add its type "
            f"(district, county, CA, LSIP, LEP, region): {listed}"
        )


class AreaFinder:
    """Names and codes -> areas of ``geography``; ``answerable`` (default all) limits what ``resolve`` returns.

    ``aliases``: other ids of areas (SI2035 ``GM_LSIP`` -> ``E69000014``), any case.
    """

    def __init__(self, geography: Geography, answerable: set[str] | None = None, aliases: dict[str, str] | None = None):
        self.geography = geography
        self.answerable = set(answerable) if answerable is not None else None
        self.aliases = {alias.lower(): code for alias, code in (aliases or {}).items()}
        self._resolved: dict[str, str] = {}  # text -> code once found: a name asked again is a dictionary lookup

    # -- the name index, built once --------------------------------------------------------
    @cached_property
    def _places(self) -> list[str]:
        """Areas worth finding: districts of today (England's 296, Wales's) and the areas made of England's districts."""
        geography = self.geography
        districts = set(geography.districts())
        places = []
        for code in geography.codes():
            kind = geography.type_of(code)
            if kind == "lad":
                if code in districts or (code not in geography.successor and code not in geography.district_code):
                    places.append(code)
            elif kind != "former_county" and kind not in SOURCE_TYPES and not code.startswith(SOURCE_ONLY):
                places.append(code)
        return places

    def places(self, england_only: bool = True) -> list[str]:
        """Every area worth finding (``england_only``: not Welsh districts, Wales or Scotland), by type (``TYPE_ORDER``) then name."""
        order = {kind: index for index, kind in enumerate(TYPE_ORDER)}
        england = set(self.geography.districts())
        chosen = [
            code for code in self._places if not (england_only and england and not (self._district_sets.get(code) or code in england))
        ]
        return sorted(
            chosen,
            key=lambda code: (
                self.geography.type_of(code) == "lad" and bool(england) and code not in england,
                order.get(self.geography.type_of(code), len(order)),
                self.geography.name(code),
            ),
        )

    @cached_property
    def _areas_of_district(self) -> dict[str, set[str]]:
        links = self.geography.district_membership
        return links.groupby("district")["area"].agg(set).to_dict()

    @cached_property
    def _names(self) -> dict[str, dict[str, set[str]]]:
        """'whole' and 'core' normalised names -> codes; 'retired' old names -> today's codes."""
        whole: dict[str, set[str]] = {}
        cores: dict[str, set[str]] = {}
        for code in self._places:
            name = self.geography.name(code)
            plain = re.sub(r"\s*\(.*?\)", "", name)  # "G First (Gloucestershire)", "Ashvale (synthetic)"
            for variant in {name, plain, re.sub(r",\s*(city|county) of$", "", name, flags=re.IGNORECASE)}:
                whole.setdefault(normalise(variant), set()).add(code)
                cores.setdefault(core(variant), set()).add(code)
        retired: dict[str, set[str]] = {}
        places = set(self._places)
        districts = self.geography.district_code
        for code in self.geography.codes("lad"):
            target = districts.get(code)
            if target is not None and target != code and normalise(self.geography.name(code)) not in whole:
                retired.setdefault(normalise(self.geography.name(code)), set()).add(target)
        for code in self.geography.codes("former_county"):
            retired.setdefault(normalise(self.geography.name(code)), set()).update(self.geography.districts_of(code))
        for (_, key), code in self.geography.aliases.items():  # names publishers use (Shepway, ...)
            code = districts.get(code, code)
            if code in places:
                retired.setdefault(normalise(key), set()).add(code)
        return {"whole": whole, "core": cores, "retired": retired}

    def _district_set(self, code: str) -> frozenset[str]:
        """The districts of ``code``; itself where the geography has no districts (the demo's areas)."""
        return self._district_sets.get(code) or frozenset(self.geography.districts_of(code)) or frozenset({code})

    @cached_property
    def _district_sets(self) -> dict[str, frozenset[str]]:
        links = self.geography.district_membership
        return {area: frozenset(districts) for area, districts in links.groupby("area")["district"]}

    # -- search ----------------------------------------------------------------------------
    def search(self, text: str, limit: int = 10) -> list[AreaMatch]:
        """Areas ``text`` may mean, best first (see the module docstring for the tiers)."""
        raw = str(text).strip()
        if not raw:
            return []
        found = self._by_code(raw)
        if not found:
            found = self._by_name(raw)
        wanted = {TYPE_WORDS[word] for word in normalise(raw).split() if word in TYPE_WORDS}
        if wanted and any(match.type in wanted for match in found):
            found = [match for match in found if match.type in wanted]
        order = {kind: index for index, kind in enumerate(TYPE_ORDER)}
        found.sort(key=lambda match: (-match.score, order.get(match.type, len(order)), match.name))
        return found[:limit]

    def _match(self, code: str, score: float, how: str) -> AreaMatch:
        return AreaMatch(code=code, name=self.geography.name(code), type=self.geography.type_of(code), score=score, how=how)

    def _by_code(self, raw: str) -> list[AreaMatch]:
        lowered = raw.lower()
        if lowered in self.aliases:
            return [self._match(self.aliases[lowered], 1.0, "alias")]
        codes = {code.lower(): code for code in self._places}
        if lowered in codes:
            return [self._match(codes[lowered], 1.0, "code")]
        upper = raw.upper()
        if upper in self.geography and self.geography.type_of(upper) == "lad" and upper in self.geography.district_code:
            return [self._match(self.geography.district_code[upper], 1.0, "retired code")]
        return []

    def _by_name(self, raw: str) -> list[AreaMatch]:
        names = self._names
        query = normalise(raw)
        spans = _trimmed(query)
        for table, score, how in ((names["whole"], 1.0, "name"), (names["retired"], 0.95, "retired name")):
            for span in spans:
                if span in table:
                    return [self._match(code, score if span == query else score - 0.02, how) for code in sorted(table[span])]
        if core(raw) in names["core"]:
            return [self._match(code, 0.93, "name") for code in sorted(names["core"][core(raw)])]
        words = spans[-1].split()
        everything = {**{name: (codes, "shortened name") for name, codes in names["whole"].items()}}
        everything.update({name: (codes, "shortened retired name") for name, codes in names["retired"].items() if name not in everything})
        shortened: dict[str, str] = {}
        for name, (codes, how) in everything.items():
            parts = name.split()
            in_order = len(parts) > len(words) and all(part.startswith(word) for part, word in zip(parts, words, strict=False))
            if in_order or (len(parts) > len(words) and all(word in parts for word in words)):
                shortened.update(dict.fromkeys(codes, how))
        if shortened:
            return [self._match(code, 0.9, how) for code, how in sorted(shortened.items())]
        matches: dict[str, float] = {}
        for name in difflib.get_close_matches(spans[-1], list(everything), n=8, cutoff=TYPO_CUTOFF):
            ratio = difflib.SequenceMatcher(None, spans[-1], name).ratio()
            for code in everything[name][0]:
                matches[code] = max(matches.get(code, 0.0), ratio)
        return [self._match(code, round(min(score, 0.89), 3), "similar name") for code, score in matches.items()]

    # -- resolve ---------------------------------------------------------------------------
    def resolve(self, text: str, where: str = "") -> str:
        """The one answerable area ``text`` means; ``AmbiguousArea`` or ``UnknownArea`` (messages led by ``where``) otherwise."""
        if text in self._resolved:
            return self._resolved[text]
        found = self.search(text, limit=50)
        usable = [match for match in found if self.answerable is None or match.code in self.answerable]
        if not usable:
            unknown = self._unknown(text, found)
            raise UnknownArea(text, unknown.suggestions, unknown.reason, where)
        best = [match for match in usable if match.score == usable[0].score]
        places = {self._district_set(match.code) for match in best}
        if len(best) == 1 or len(places) == 1:
            if len(self._resolved) < 10_000:
                self._resolved[text] = best[0].code
            return best[0].code  # one place (several types sharing its districts: the first of TYPE_ORDER)
        raise AmbiguousArea(text, [(match.code, self.describe(match.code)) for match in best], where)

    def _unknown(self, text: str, found: list[AreaMatch]) -> UnknownArea:
        if found:  # a real place, but not one with figures here: say where it sits
            match = found[0]
            parents = [code for code in self.containing(match.code) if self.answerable is None or code in self.answerable]
            where = f"; it is part of {', '.join(self.label(code) for code in parents[:4])}" if parents else ""
            country = self.geography.parent(match.code)
            outside = country and self.geography.type_of(country) == "country" and country != "E92000001" and match.type == "lad"
            reason = (
                f"is {self.label(match.code)}, in {self.geography.name(country)}: skillcast covers England"
                if outside
                else f"is {self.label(match.code)}, which has no figures here{where}"
            )
            return UnknownArea(text, [], reason)
        pool = self._places if self.answerable is None else [code for code in self._places if code in self.answerable]
        by_core = {}
        for code in pool:
            by_core.setdefault(core(self.geography.name(code)), []).append(code)
        close = difflib.get_close_matches(core(text), list(by_core), n=4, cutoff=SUGGEST_CUTOFF)
        return UnknownArea(text, [f"{code} = {self.label(code)}" for name in close for code in by_core[name]][:5])

    # -- describing ------------------------------------------------------------------------
    def label(self, code: str) -> str:
        """'Leeds (district)', 'West Yorkshire (combined authority)'."""
        if code not in self.geography:
            return code
        return f"{self.geography.name(code)} ({TYPE_LABELS.get(self.geography.type_of(code), self.geography.type_of(code))})"

    def containing(self, code: str) -> list[str]:
        """Areas holding every district of ``code``, smallest type first (a district's county, CA, LSIP, LEPs, region)."""
        districts = self._district_set(code)
        if not all(district in self._areas_of_district for district in districts):
            return []
        holders = set.intersection(*(self._areas_of_district.get(district, set()) for district in districts))
        order = {kind: index for index, kind in enumerate(TYPE_ORDER)}
        chosen = [
            area
            for area in holders
            if area != code
            and self.geography.type_of(area) in order
            and self.geography.type_of(area) != "country"
            and self._district_set(area) != districts
        ]
        return sorted(chosen, key=lambda area: (order[self.geography.type_of(area)], len(self._district_set(area)), area))

    def describe(self, code: str) -> str:
        """One line: what ``code`` is and where it sits (districts), or what it is made of (larger areas)."""
        geography = self.geography
        kind = geography.type_of(code)
        label = self.label(code)
        if kind == "lad":
            tier = ", upper tier" if geography.is_upper_tier(code) else ""
            parents = [f"{geography.name(area)} {SHORT_LABELS.get(geography.type_of(area), '')}".strip() for area in self.containing(code)]
            if geography.type_of(code) == "lad" and not parents:
                return f"{geography.name(code)} (district{tier})"
            return f"{geography.name(code)} (district{tier}) - in {', '.join(parents)}"
        districts = sorted(self._district_set(code), key=geography.name)
        if districts == [code]:  # no districts in this geography: where it sits instead
            chain, parent = [], geography.parent(code)
            while parent and parent in geography and parent not in chain:
                chain.append(parent)
                parent = geography.parent(parent)
            return f"{label} - in {', '.join(geography.name(area) for area in chain)}" if chain else label
        regions = [area for area in self.containing(code) if geography.type_of(area) == "region"]
        names = ", ".join(geography.name(district) for district in districts[:4]) + (", ..." if len(districts) > 4 else "")
        where = f", in {geography.name(regions[0])}" if regions else ""
        return f"{label} - {len(districts)} district{'s' if len(districts) != 1 else ''} ({names}){where}"
