"""Understanding a question: its countries, its years (and ranges), its topic, and what a follow-up
inherits from the turns before it.

Years: "in 2023", "2021-2022", "between 2019 and 2021", "from 2019 to 2021", "since 2021" (to the
newest report's year), "before 2018", "last year" / "this year" / "in the last 3 years" (relative to
the newest report's publication year). A follow-up ("And in 2017?", "What about Ireland?", "Which
handbook was drafted under it?") keeps what it leaves out: the earlier question is rewritten with
the new countries or years, or, for a question that points back ("it", "they"), searched together
with the earlier one. "The following year", "the year before" count from the last years the
conversation named ("pledges for 2023?", "What did Sweden pledge?", "And the following year?": 2024).

Places and origins: a country can be named as a place ("in Poland", "What did Bulgaria do?", "the
Italian government") or as where people come from ("refugees from Ukraine", "Syrian refugees",
"Ukrainians", "people fleeing the war in Ukraine", "Afghan nationals", "nationals of Eritrea", "of
Somali origin", "Syrian-born", "returns to Iraq"). ``Query.places`` and ``Query.origins`` keep them
apart; ``Query.constraint_countries`` is what a passage must be about: the places, and nothing when
every country is named as an origin ("Where did people fleeing Ukraine go?" is not about Ukraine the
place). ``Query.countries`` still lists every country named (the ``filters.countries`` contract).

Groups of countries (``geo.REGIONS``: "the Nordic countries", "Baltic states", "Benelux", "Western
Balkans", ...) expand to their members when named as a set ("in the Nordic countries", "Which Baltic
states ..."), not as a modifier ("Benelux cooperation"); the groups of (nearly) all the countries the
reports cover ("Member States", "the EU", "EU+", "Schengen area") are recorded in ``Query.regions``
but never constrain, and "EU asylum law" names no group at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise

from assistant.geo import REGIONS, YEAR, Region, country_name, demonym, mentions, name_spans, region_mentions
from assistant.geo import prepare as geo_prepare

_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|and what about|same for|also|now)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|this|that|these|those|they|them|their|there|then|the same)\b", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*(what|which|who|how|when|where|why|did|does|is|are|was|were)\b", re.IGNORECASE)
_Y = YEAR
# a range: "2021-2023", "2021 to 2023", "from 2021 until 2023", "between 2021 and 2023"; a bare "2013 and
# 2016" (or "2013, 2018 and 2023") is a list of years, not a range
_RANGE = re.compile(rf"\b(?:between\s+{_Y}\s*(?:-|–|to|and)\s*{_Y}|(?:from\s+)?{_Y}\s*(?:-|–|to|until)\s*{_Y})\b",
                    re.IGNORECASE)
_SINCE = re.compile(rf"\b(since|after|from)\s+{_Y}\b", re.IGNORECASE)
_BEFORE = re.compile(rf"\b(before|until|up to)\s+{_Y}\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(last|past|previous|this|current)\s+(year|(\d{1,2}|two|three|four|five)\s+years)\b",
                       re.IGNORECASE)
_YEAR = re.compile(rf"\b{_Y}\b")
# a year counted from the conversation's ("And the following year?"), not from the newest report's
_NEXT_YEAR = re.compile(r"\b(?:the\s+)?(?:following|next|subsequent)\s+year\b|\bthe\s+year\s+after\b|"
                        r"\ba\s+year\s+later\b", re.IGNORECASE)
_PREVIOUS_YEAR = re.compile(r"\b(?:the\s+)?(?:preceding|previous|prior)\s+year\b|\bthe\s+year\s+before\b|"
                            r"\ba\s+year\s+(?:earlier|before)\b", re.IGNORECASE)
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}
_EARLIEST = 1990
_FILLER = re.compile(r"\b(what|which|who|whom|how|when|where|why|did|does|do|is|are|was|were|has|have|had|the|a|an|"
                     r"in|on|of|for|to|and|about|during|since|between|from|until|before|after|last|this|year|"
                     r"years|done|happen|happens|happened|say|says|said|tell|describe|mention|mentioned|"
                     r"compare|compared|comparison|versus|vs|differ|differs|difference|differences|change|"
                     r"changes|changed|evolve|evolved)\b",
                     re.IGNORECASE)  # (question words, the verbs of a question that asks nothing in particular,
#                                      and the words that ask for a comparison or a timeline)


@dataclass(frozen=True)
class Query:
    text: str  # the question as asked
    resolved: str  # the question actually searched (follow-ups rewritten)
    countries: list[str] = field(default_factory=list)  # every country named, as a place or an origin
    years: list[int] = field(default_factory=list)
    topic: str = ""  # what is left once who and when are taken out
    places: list[str] = field(default_factory=list)  # countries named as places (a group's members too)
    origins: list[str] = field(default_factory=list)  # countries named as where people come from
    regions: list[str] = field(default_factory=list)  # groups of countries named ("Nordic countries")

    @property
    def constraint_countries(self) -> list[str]:
        """The countries a passage must be about: those named as places ("refugees from Ukraine in
        Poland" -> Poland); none when every country named is an origin ("Where did people fleeing
        Ukraine go?": not about Ukraine the place). A Query built with ``countries`` alone (no places,
        no origins) constrains on them all."""
        if self.places:
            return list(self.places)
        return [c for c in self.countries if c not in self.origins]


def years_asked(question: str, newest: int | None) -> list[int]:
    """The years a question asks about, ranges expanded."""
    years: set[int] = set()
    rest = question
    for m in _RANGE.finditer(question):
        a, b = sorted(int(y) for y in m.groups() if y)
        if b - a <= 60:
            years.update(range(a, b + 1))
            rest = rest.replace(m.group(0), " ")
    for m in _SINCE.finditer(rest):
        start = int(m.group(2)) + (1 if m.group(1).lower() == "after" else 0)
        years.update(range(start, max(start, newest or start) + 1))
        rest = rest.replace(m.group(0), " ")
    for m in _BEFORE.finditer(rest):
        end = int(m.group(2)) - (1 if m.group(1).lower() == "before" else 0)
        years.update(range(min(_EARLIEST, end), end + 1))
        rest = rest.replace(m.group(0), " ")
    if newest is not None:
        for m in _RELATIVE.finditer(rest):
            if m.group(1).lower() in ("this", "current"):
                years.add(newest)
            elif m.group(3):
                n = int(m.group(3)) if m.group(3).isdigit() else _NUMBER_WORDS[m.group(3).lower()]
                years.update(range(newest - n, newest))
            else:
                years.add(newest - 1)
    years.update(int(y) for y in _YEAR.findall(rest))
    return sorted(years)


# Who is named as where people come from. Cues before a name: "from", "fleeing", "nationals of", "born
# in", "the war in", "returns to" (the return is to a country of origin).
_ORIGIN_BEFORE = re.compile(
    r"\b(?:(?P<from>from)|flee|flees|fleeing|fled|escaping|escaped|leaving|left|"
    r"(?:nationals|citizens|natives)\s+of|born\s+in|"
    r"(?:war|conflict|invasion|fighting|persecution|aggression|hostilities)\s+(?:in|of|on|against)|"
    r"(?:returns?|returned|returning|deported|deportations?|removals?|removed|repatriated|repatriation|"
    r"sent\s+back|send\s+back)\s+to)\s+(?:the\s+)?$", re.IGNORECASE)
# "from" a place, not an origin: what comes from a country ("examples from Italy", "learn from Denmark",
# "relocation from Greece").
_FROM_PLACE = re.compile(
    r"\b(?:apart|aside|away|different|differs?|differed|learn\w*|lessons?|examples?|practices?|evidence|data|"
    r"reports?|experiences?|projects?|cases?|stud(?:y|ies)|findings?|insights?|fund\w*|initiatives?|statistics|"
    r"figures|information|sources?|experts?|officials?|delegations?|authorities|ministers?|ministry|governments?|"
    r"partners?|relocat\w*|transfer\w*|movements?|support|aid|assistance|money|grants?|judgments?|rulings?|"
    r"returns?|returned|deport\w*|removals?|removed|expel\w*|expulsions?)\s+from\s+(?:the\s+)?$"
    # "returns to Afghanistan from Germany": what people are returned from is a place
    r"|\b(?:return|deport|remov|expel|expuls)\w*\b[^.?!]*\bfrom\s+(?:the\s+)?$", re.IGNORECASE)
_PLACE_BEFORE = re.compile(r"\b(?:in|into|to|at|within|across|throughout|inside|outside|among|amongst|towards?|"
                           r"via|through|by|of)\s+(?:the\s+)?$", re.IGNORECASE)
# People nouns: after a demonym ("Syrian refugees", "Afghan nationals") the country is their origin.
_PEOPLE = (r"refugees?|asylum[\s-]+seekers?|applicants?|applications|claimants?|nationals?|citizens?|migrants?|"
           r"immigrants?|emigrants?|people|persons|children|minors|youths?|women|men|girls|boys|famil(?:y|ies)|"
           r"students?|workers?|communit(?:y|ies)|diasporas?|arrivals?|returnees?|beneficiaries|evacuees|"
           r"displaced|idps|populations?|newcomers|residents?|origin|descent|background|nationality")
# After a country's name only the unambiguous ones ("Ukraine refugees", not "Italy arrivals").
_PEOPLE_AFTER_NAME = (r"refugees?|asylum[\s-]+seekers?|nationals?|citizens?|diasporas?|evacuees|displaced|origin|"
                      r"descent|nationality")
# Up to two words between the demonym and the people noun: adjectives ("unaccompanied minors",
# "temporary protection beneficiaries").
_MODIFIER = (r"(?:[a-z]+(?:ed|al|ary|ous|ble|ive|ic|ful|less)|young|old|elderly|adult|female|male|asylum|temporary|"
             r"protection|child|skilled|highly|low|new|recent|former|undocumented|irregular|stateless|minor)")
_ORIGIN_AFTER_DEMONYM = re.compile(rf"^(?:-?born\b|\s+(?:{_MODIFIER}\s+){{0,2}}(?:{_PEOPLE})\b)", re.IGNORECASE)
_ORIGIN_AFTER_NAME = re.compile(rf"^(?:-?\s?born\b|\s+(?:{_PEOPLE_AFTER_NAME})\b)", re.IGNORECASE)
_COORDINATED = re.compile(r"^\s*(?:,\s*(?:and|or)?|and|or|&|/)\s*(?:the\s+)?$", re.IGNORECASE)
# Words after a bare group name ("the EU", "Benelux") that leave it a noun; any other lower-case word
# makes it a modifier ("EU asylum law", "Benelux cooperation").
_NOT_MODIFIED = frozenset({"and", "or", "but", "nor", "in", "on", "at", "to", "into", "for", "of", "with",
    "without", "since", "during", "between", "from", "by", "as", "than", "that", "which", "who", "whose",
    "where", "when", "while", "if", "whether", "is", "are", "was", "were", "be", "been", "being", "have",
    "has", "had", "do", "did", "does", "can", "could", "should", "would", "will", "shall", "may", "might",
    "must", "not", "also", "still", "now", "then", "so", "versus", "vs", "compared", "together", "alone",
    "only", "themselves", "itself", "each", "both", "all", "overall", "before", "after", "until", "under",
    "over", "about", "against", "regarding", "concerning", "including", "except", "like", "up"})


@dataclass(frozen=True)
class _Named:
    """A country or group named in a question, and how: as a place or an origin; ``cued`` when the words
    around it say which (an uncued name in a follow-up fragment takes the earlier question's role)."""

    start: int
    end: int
    codes: tuple[str, ...]
    role: str  # "place" or "origin"
    cued: bool
    region: Region | None = None
    demonym: bool = False
    plural: bool = False


def _own_role(text: str, start: int, end: int, is_demonym: bool, plural: bool) -> tuple[str | None, str]:
    """The role the words around a name give it (None when they give none), and where the cue is
    ("before", "after" or "self")."""
    before, after = text[:start], text[end:]
    cue = _ORIGIN_BEFORE.search(before)
    if cue and not (cue.group("from") and _FROM_PLACE.search(before)):
        return "origin", "before"
    if (_ORIGIN_AFTER_DEMONYM if is_demonym else _ORIGIN_AFTER_NAME).match(after):
        return "origin", "after"
    if cue or _PLACE_BEFORE.search(before):
        return "place", "before"
    if plural:  # "Ukrainians", "Afghans": a people
        return "origin", "self"
    return None, ""


def _modifies(after: str) -> bool:
    """A bare group name followed by a noun it modifies ("EU asylum law", "the EU's", "Benelux court")."""
    if re.match(r"^['’]s\b", after):
        return True
    m = re.match(r"^[\s-]+([a-z][a-z-]*)\b", after, re.IGNORECASE)
    word = m.group(1).lower() if m else ""
    return bool(word) and word not in _NOT_MODIFIED and not word.endswith("ed")


@lru_cache(maxsize=512)
def _read(text: str) -> tuple[_Named, ...]:
    """The countries and groups a question names, each as a place or an origin, in order."""
    named: list[_Named] = []
    cues: list[str] = []  # where each one's cue is: "before", "after", "self" or "" (none)
    for r in region_mentions(text):
        role, where = _own_role(text, r.start, r.end, True, False)
        if r.bare and role is None and _modifies(text[r.end:]):
            continue  # "EU asylum law": no group of countries is asked about
        named.append(_Named(r.start, r.end, r.region.codes, role or "place", role is not None, region=r.region))
        cues.append(where)
    taken = [(g.start, g.end) for g in named]
    for m in mentions(text, ignore_case=True):
        if any(a <= m.start < b for a, b in taken):
            continue
        role, where = _own_role(text, m.start, m.end, m.demonym, m.plural)
        named.append(_Named(m.start, m.end, (m.code,), role or "place", role is not None, demonym=m.demonym,
                            plural=m.plural))
        cues.append(where)
    order = sorted(range(len(named)), key=lambda i: named[i].start)
    named, cues = [named[i] for i in order], [cues[i] for i in order]
    # "refugees from Syria and Iraq": Iraq shares Syria's cue; "Syrian and Afghan refugees": Syrian
    # shares Afghan's.
    for i in range(1, len(named)):
        gap = text[named[i - 1].end:named[i].start]
        if not named[i].cued and cues[i - 1] == "before" and _COORDINATED.match(gap):
            named[i] = replace(named[i], role=named[i - 1].role, cued=True)
            cues[i] = "before"
    for i in range(len(named) - 2, -1, -1):
        gap = text[named[i].end:named[i + 1].start]
        if not named[i].cued and cues[i + 1] == "after" and _COORDINATED.match(gap):
            named[i] = replace(named[i], role=named[i + 1].role, cued=True)
            cues[i] = "after"
    return tuple(named)


def _unique(codes) -> list[str]:
    return list(dict.fromkeys(codes))


def _who(named: list[_Named]) -> dict[str, list[str]]:
    """Query's countries, places, origins and regions from what a question names."""
    def codes(items):
        return _unique(c for n in items if not (n.region and n.region.broad) for c in n.codes)

    return {"countries": codes(named), "places": codes(n for n in named if n.role == "place"),
            "origins": codes(n for n in named if n.role == "origin"),
            "regions": _unique(n.region.label for n in named if n.region)}


def topic_of(question: str) -> str:
    for n in sorted((n for n in _read(question) if n.region), key=lambda n: -n.start):
        question = question[:n.start] + " " + question[n.end:]
    text = question
    for start, end in reversed(name_spans(question)):
        text = text[:start] + " " + text[end:]
    text = _YEAR.sub(" ", text)
    text = _FILLER.sub(" ", text)
    text = re.sub(r"[^\w\s'-]|(?<![\w'])['’]s\b", " ", text)  # ("Italy's" less Italy leaves "'s")
    return " ".join(w for w in text.split() if any(c.isalnum() for c in w))


def _is_follow_up(question: str, countries: list[str], years: list[int]) -> bool:
    words = re.findall(r"\w+", question)
    # "Ireland?", "In 2019?": a fragment naming only a who or a when. A whole question stands alone.
    if _FOLLOW_UP.match(question) or (len(words) <= 3 and bool(countries or years) and not _QUESTION.match(question)):
        return True
    return not countries and bool(_PRONOUN.search(question))


def _surface(new: _Named, fragment: str, old: _Named) -> str:
    """How a name from a follow-up is written into the earlier question in place of ``old``: a group
    as the follow-up wrote it, a country by its name, or by its demonym where the earlier question used
    one ("Syrian refugees" -> "Afghan refugees")."""
    if new.region:
        return fragment[new.start:new.end]
    code = new.codes[0]
    if old.demonym and not old.region:
        own = demonym(code, plural=old.plural)
        if own:
            return own
        if old.plural:
            return f"people from {country_name(code)}"
    return country_name(code)


def _rewrite(resolved: str, fragment: str, new: list[_Named]) -> str:
    """The earlier question with a follow-up's countries and groups in it: each replaces those of the
    same role ("And from Syria?" the origins, "What about Ireland?" the places), or is added when the
    earlier question named none. A name the follow-up gives no role to ("What about Syria?" after
    "Where did people fleeing Ukraine go?") takes the role of the earlier question's names when they
    were all origins."""
    earlier = _read(resolved)
    origins_only = bool(earlier) and all(n.role == "origin" for n in earlier)
    new = [n if n.cued or not origins_only else replace(n, role="origin") for n in new]
    edits: list[tuple[int, int, str]] = []
    added: dict[str, list[_Named]] = {}
    for role in ("place", "origin"):
        mine = [n for n in new if n.role == role]
        old = [n for n in earlier if n.role == role]
        if not mine:
            continue
        if not old:
            added[role] = mine
            continue
        edits.append((old[0].start, old[0].end, " and ".join(_surface(n, fragment, old[0]) for n in mine)))
        for before, n in pairwise(old):
            gap = resolved[before.end:n.start]
            start = n.start - len(gap) if _COORDINATED.match(gap) else n.start
            edits.append((max(start, before.end), n.end, ""))
    for start, end, text in sorted(edits, reverse=True):
        resolved = resolved[:start] + text + resolved[end:]
    resolved = re.sub(r"\s{2,}", " ", resolved)
    if "place" in added:
        resolved = f"{resolved} in {' and '.join(_surface(n, fragment, n) for n in added['place'])}"
    if "origin" in added:
        names = " and ".join(_surface(n, fragment, n) for n in added["origin"])
        resolved = f"{resolved.rstrip('?.! ')} for people from {names}?"
    return resolved


def _year_text(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


# A years span that carries its own preposition ("between 2019 and 2021", "since 2019", "last year")
# becomes "in <years>" in a rewritten follow-up, unless words before it already lead to it ("in the last
# 3 years"); a bare one ("2019-2021", "2023") keeps the words around it.
_OWN_PREPOSITION = re.compile(r"^(between|from|since|after|before|until|up to|last|past|previous|this|current)\b",
                              re.IGNORECASE)
_LED = re.compile(r"\b(in|during|for|of|over|the|to)\s*$", re.IGNORECASE)


def _replace_years(text: str, new: list[int]) -> str:
    def span(m: re.Match[str]) -> str:
        return "in \x00" if _OWN_PREPOSITION.match(m.group(0)) and not _LED.search(m.string[:m.start()]) else "\x00"

    for pattern in (_RANGE, _SINCE, _BEFORE, _RELATIVE):
        text = pattern.sub(span, text)
    text = re.sub(r"\b(in|during|for|over)\s+the\s+\x00", "\\1 \x00", text, flags=re.IGNORECASE)
    text = _YEAR.sub("\x00", text)
    text = re.sub(r"\x00(\s*\x00)*", "\x00", text)
    return text.replace("\x00", _year_text(new), 1).replace("\x00", "")


def prepare() -> None:
    """Build what understanding a question needs (country tables and patterns) ahead of the first one."""
    geo_prepare()


def understand(question: str, history: list[str] | None = None, newest: int | None = None) -> Query:
    """The question's countries (as places and as origins), groups of countries, years and topic, with a
    follow-up resolved against the earlier turns."""
    question = re.sub(r"\s+", " ", question).strip()
    named = _read(question)
    years = years_asked(question, newest)
    previous: Query | None = None
    asked_before: list[int] = []  # the years the conversation last named
    for earlier in history or []:
        previous = understand(earlier, [previous.resolved] if previous else None, newest)
        asked_before = previous.years or asked_before
    shifted = _shifted_years(question, asked_before)
    if shifted:
        years = shifted
    who_named = [n.region.label if n.region else n.codes[0] for n in named]
    if previous is None or not (shifted or _is_follow_up(question, who_named, years)):
        return Query(text=question, resolved=question, years=years, topic=topic_of(question), **_who(named))
    resolved = previous.resolved
    if named:
        resolved = _rewrite(resolved, question, named)
    if years:
        resolved = _replace_years(resolved, years) if previous.years else f"{resolved} in {_year_text(years)}"
    if not named and not years:
        resolved = f"{previous.resolved} {question}"
    who = _who(_read(resolved)) if named else {"countries": previous.countries, "places": previous.places,
                                                "origins": previous.origins, "regions": previous.regions}
    return Query(text=question, resolved=resolved, years=years or previous.years, topic=topic_of(resolved), **who)


def _shifted_years(question: str, asked_before: list[int]) -> list[int]:
    """"The following year" / "the year before" in a conversation that named years: the year after the
    last of them or before the first; nothing without such years (then "the previous year" is counted
    from the newest report, as in a question on its own)."""
    if not asked_before:
        return []
    if _NEXT_YEAR.search(question):
        return [max(asked_before) + 1]
    if _PREVIOUS_YEAR.search(question):
        return [min(asked_before) - 1]
    return []


def _strip(text: str, pattern: re.Pattern[str]) -> str:
    text = re.sub(r"\b(in|during|since|from|for|of|between|after|before)\s+" + pattern.pattern, " ", text,
                  flags=re.IGNORECASE)
    text = pattern.sub(" ", text)
    return _tidy(text)


def _tidy(text: str) -> str:
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def _strip_named(text: str, gone: list[_Named]) -> str:
    """The text without these names, each with the preposition before it ("in Bulgaria", "from Syria")."""
    for n in sorted(gone, key=lambda n: -n.start):
        m = re.search(r"\b(?:in|during|since|from|for|of|between|after|before|fleeing)\s+(?:the\s+)?$", text[:n.start],
                      re.IGNORECASE)
        text = text[:m.start() if m else n.start] + " " + text[n.end:]
    return _tidy(text)


def with_filters(query: Query, countries: list[str] | None = None, years: list[int] | None = None) -> Query:
    """The query with the user's own choice of countries and years (chips removed or changed): the
    searched text drops what was removed and names what was added.

    Chosen countries are places: a country kept keeps its role (an origin stays an origin, and so does
    not constrain), one the user added is a place, one removed is neither. A group stays in ``regions``
    while all its members are kept (a group of all the Member States, which never constrains, always)."""
    text = query.resolved
    new_countries = query.countries if countries is None else _unique(countries)
    new_years = query.years if years is None else sorted(set(years))
    if new_years != query.years:
        for pattern in (_RANGE, _SINCE, _BEFORE, _RELATIVE, _YEAR):
            text = _strip(text, pattern)
        if new_years:
            text = f"{text.rstrip('?.! ')} in {_year_text(new_years)}?"
    places, origins, regions = query.places, query.origins, query.regions
    if new_countries != query.countries:
        keep = set(new_countries)
        text = _strip_named(text, [n for n in _read(text) if n.role == "place" or not keep.issuperset(n.codes)
                                   if not (n.region and n.region.broad)])
        places = [c for c in new_countries if c in query.places or c not in query.countries]
        origins = [c for c in new_countries if c in query.origins]
        if places:
            text = f"{text.rstrip('?.! ')} in {' and '.join(country_name(c) for c in places)}?"
        broad = {r.label for r in REGIONS if r.broad}
        regions = [r for r in query.regions if r in broad or keep.issuperset(_region(r).codes)]
    return Query(text=query.text, resolved=text, countries=new_countries, years=new_years,
                 topic=topic_of(text), places=places, origins=origins, regions=regions)


def _region(label: str) -> Region:
    return next(r for r in REGIONS if r.label == label)
