"""Understanding a question: its countries, its years (and ranges), its topic, and what a follow-up
inherits from the turns before it.

Years: "in 2023", "2021-2022", "between 2019 and 2021", "from 2019 to 2021", "since 2021" (to the
newest report's year), "before 2018", "last year" / "this year" / "in the last 3 years" (relative to
the newest report's publication year). A follow-up ("And in 2017?", "What about Ireland?", "Which
handbook was drafted under it?") keeps what it leaves out: the earlier question is rewritten with
the new countries or years, or, for a question that points back ("it", "they"), searched together
with the earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.geo import YEAR, countries_in, country_name, gazetteer
from assistant.geo import prepare as geo_prepare

_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|and what about|same for|also|now)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|this|that|these|those|they|them|their|there|then|the same)\b", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*(what|which|who|how|when|where|why|did|does|is|are|was|were)\b", re.IGNORECASE)
_Y = YEAR
_RANGE = re.compile(rf"\b(?:between\s+|from\s+)?{_Y}\s*(?:-|–|to|and|until)\s*{_Y}\b", re.IGNORECASE)
_SINCE = re.compile(rf"\b(since|after|from)\s+{_Y}\b", re.IGNORECASE)
_BEFORE = re.compile(rf"\b(before|until|up to)\s+{_Y}\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(last|past|previous|this|current)\s+(year|(\d{1,2}|two|three|four|five)\s+years)\b",
                       re.IGNORECASE)
_YEAR = re.compile(rf"\b{_Y}\b")
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}
_EARLIEST = 1990
_FILLER = re.compile(r"\b(what|which|who|whom|how|when|where|why|did|does|do|is|are|was|were|has|have|had|the|a|an|"
                     r"in|on|of|for|to|and|about|during|since|between|from|until|before|after|last|this|year|"
                     r"years)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    text: str  # the question as asked
    resolved: str  # the question actually searched (follow-ups rewritten)
    countries: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    topic: str = ""  # what is left once who and when are taken out
    places: list[str] = field(default_factory=list)  # countries named as places, not by a demonym


def years_asked(question: str, newest: int | None) -> list[int]:
    """The years a question asks about, ranges expanded."""
    years: set[int] = set()
    rest = question
    for m in _RANGE.finditer(question):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
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


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern[str]:
    spellings = sorted(gazetteer(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in spellings) + r")(?!\w)", re.IGNORECASE)


def topic_of(question: str) -> str:
    text = _country_pattern().sub(" ", question)
    text = _YEAR.sub(" ", text)
    text = _FILLER.sub(" ", text)
    text = re.sub(r"[^\w\s'-]", " ", text)
    return " ".join(w for w in text.split() if any(c.isalnum() for c in w))


def _is_follow_up(question: str, countries: list[str], years: list[int]) -> bool:
    words = re.findall(r"\w+", question)
    # "Ireland?", "In 2019?": a fragment naming only a who or a when. A whole question stands alone.
    if _FOLLOW_UP.match(question) or (len(words) <= 3 and bool(countries or years) and not _QUESTION.match(question)):
        return True
    return not countries and bool(_PRONOUN.search(question))


def _replace_countries(text: str, new: list[str]) -> str:
    names = " and ".join(country_name(c) for c in new)
    done = False

    def repl(m: re.Match[str]) -> str:
        nonlocal done
        if done:
            return ""
        done = True
        return names

    return re.sub(r"\s{2,}", " ", _country_pattern().sub(repl, text))


def _year_text(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _replace_years(text: str, new: list[int]) -> str:
    for pattern in (_RANGE, _SINCE, _BEFORE, _RELATIVE):
        text = pattern.sub(lambda m: "\x00", text)
    text = _YEAR.sub("\x00", text)
    text = re.sub(r"\x00(\s*\x00)*", "\x00", text)
    return text.replace("\x00", _year_text(new), 1).replace("\x00", "")


def prepare() -> None:
    """Build what understanding a question needs (country tables and patterns) ahead of the first one."""
    geo_prepare()
    _country_pattern()


def understand(question: str, history: list[str] | None = None, newest: int | None = None) -> Query:
    """The question's countries, years and topic, with a follow-up resolved against the earlier turns."""
    question = re.sub(r"\s+", " ", question).strip()
    countries = countries_in(question, ignore_case=True)
    places = countries_in(question, ignore_case=True, places_only=True)
    years = years_asked(question, newest)
    previous: Query | None = None
    for earlier in history or []:
        previous = understand(earlier, [previous.resolved] if previous else None, newest)
    if previous is None or not _is_follow_up(question, countries, years):
        return Query(text=question, resolved=question, countries=countries, years=years, topic=topic_of(question),
                     places=places)
    resolved = previous.resolved
    if countries:
        resolved = _replace_countries(resolved, countries) if previous.countries else \
            f"{resolved} in {' and '.join(country_name(c) for c in countries)}"
    if years:
        resolved = _replace_years(resolved, years) if previous.years else f"{resolved} in {_year_text(years)}"
    if not countries and not years:
        resolved = f"{previous.resolved} {question}"
    return Query(text=question, resolved=resolved, countries=countries or previous.countries,
                 years=years or previous.years, topic=topic_of(resolved),
                 places=places if countries else previous.places)


def _strip(text: str, pattern: re.Pattern[str]) -> str:
    text = re.sub(r"\b(in|during|since|from|for|of|between|after|before)\s+" + pattern.pattern, " ", text,
                  flags=re.IGNORECASE)
    text = pattern.sub(" ", text)
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def with_filters(query: Query, countries: list[str] | None = None, years: list[int] | None = None) -> Query:
    """The query with the user's own choice of countries and years (chips removed or changed): the
    searched text drops what was removed and names what was added."""
    text = query.resolved
    new_countries = query.countries if countries is None else list(countries)
    new_years = query.years if years is None else sorted(set(years))
    if new_years != query.years:
        for pattern in (_RANGE, _SINCE, _BEFORE, _RELATIVE, _YEAR):
            text = _strip(text, pattern)
        if new_years:
            text = f"{text.rstrip('?.! ')} in {_year_text(new_years)}?"
    if new_countries != query.countries:
        text = _strip(text, _country_pattern())
        if new_countries:
            text = f"{text.rstrip('?.! ')} in {' and '.join(country_name(c) for c in new_countries)}?"
    places = [c for c in query.places if c in new_countries] if countries is None else new_countries
    return Query(text=query.text, resolved=text, countries=new_countries, years=new_years,
                 topic=topic_of(text), places=places)
