"""Understanding a question: its countries, its years, and what a follow-up inherits.

A follow-up ("And in 2017?", "What about Ireland?") keeps what it leaves out from the turn before:
the earlier question is rewritten with the new countries or years, and that is the query searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.geo import country_name, countries_in, gazetteer, years_in

_FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|and what about|same for|also)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|this|that|these|those|they|them|there|then)\b", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*(what|which|who|how|when|where|why|did|does|is|are|was|were)\b", re.IGNORECASE)
_YEAR_TOKEN = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")


@dataclass(frozen=True)
class Query:
    text: str  # the question as asked
    resolved: str  # the question actually searched (follow-ups rewritten)
    countries: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)


def _is_follow_up(question: str, countries: list[str], years: list[int]) -> bool:
    words = re.findall(r"\w+", question)
    # "Ireland?", "In 2019?": a fragment naming only a who or a when. A whole question stands alone.
    if _FOLLOW_UP.match(question) or (len(words) <= 3 and bool(countries or years) and not _QUESTION.match(question)):
        return True
    return not countries and bool(_PRONOUN.search(question))


def _replace_countries(text: str, new: list[str]) -> str:
    spellings = sorted(gazetteer(), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in spellings) + r")(?!\w)", re.IGNORECASE)
    names = [country_name(c) for c in new]
    first = True

    def repl(m: re.Match[str]) -> str:
        nonlocal first
        if first:
            first = False
            return " and ".join(names)
        return ""

    return re.sub(r"\s{2,}", " ", pattern.sub(repl, text))


def _replace_years(text: str, new: list[int]) -> str:
    first = True

    def repl(m: re.Match[str]) -> str:
        nonlocal first
        if first:
            first = False
            return "-".join(str(y) for y in (new if len(new) <= 2 else [new[0], new[-1]]))
        return ""

    return _YEAR_TOKEN.sub(repl, text)


def understand(question: str, history: list[str] | None = None) -> Query:
    """The question's countries and years, with a follow-up resolved against the earlier turns."""
    question = question.strip()
    countries = countries_in(question, ignore_case=True)
    years = years_in(question)
    previous: Query | None = None
    for earlier in history or []:
        previous = understand(earlier, [previous.resolved] if previous else None)
    if previous is None or not _is_follow_up(question, countries, years):
        return Query(text=question, resolved=question, countries=countries, years=years)
    resolved = previous.resolved
    if countries:
        resolved = _replace_countries(resolved, countries) if previous.countries else f"{resolved} in " + \
            " and ".join(country_name(c) for c in countries)
    if years:
        resolved = _replace_years(resolved, years) if previous.years else f"{resolved} in " + \
            "-".join(str(y) for y in years)
    if not countries and not years:
        resolved = f"{previous.resolved} {question}"
    return Query(text=question, resolved=resolved, countries=countries or previous.countries,
                 years=years or previous.years)
