"""How each passage matches what the question asks (its countries as places, its years), and which
asked country-year cells no passage of the answer matches.

A passage matches an asked country when it is about it (its countries, taken from its text and heading),
and an asked year when it names the year or its report covers it (the report's period): the same
evidence the ranking weighs (retrieval/metadata.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from assistant.geo import country_name
from assistant.models import Passage
from assistant.retrieval.query import Query

BOTH, COUNTRY, YEAR, NEITHER, ANY = "both", "country", "year", "neither", "any"


def asks(query: Query) -> tuple[list[str], list[int]]:
    """The countries (as places) and years the question asks about."""
    return list(query.constraint_countries), list(query.years)


def holds(passage: Passage, countries: Iterable[str], years: Iterable[int], periods: Mapping[str, set[int]]) -> bool:
    """Whether the passage is about one of ``countries`` and one of ``years`` (its own years or its
    report's period); an empty list asks nothing of that kind."""
    countries, years = set(countries), set(years)
    return ((not countries or bool(countries & set(passage.countries)))
            and (not years or bool(years & (set(passage.years) | periods.get(passage.source, set())))))


def match(passage: Passage, query: Query, periods: Mapping[str, set[int]]) -> str:
    """``both``, ``country``, ``year`` or ``neither`` of what the question asks; ``any`` when it asks
    neither a country nor a year. With one of the two asked, a passage matching it is ``country`` (or
    ``year``), one not matching it ``neither``."""
    countries, years = asks(query)
    if not countries and not years:
        return ANY
    c = holds(passage, countries, (), periods) if countries else None
    y = holds(passage, (), years, periods) if years else None
    if c and y:
        return BOTH
    if c and y is None:
        return COUNTRY
    if y and c is None:
        return YEAR
    return COUNTRY if c else YEAR if y else NEITHER


def wanted(asks_country: bool, asks_year: bool) -> str:
    """The match kind of a passage that matches everything asked."""
    return BOTH if asks_country and asks_year else COUNTRY if asks_country else YEAR if asks_year else ANY


def full(kind: str, query: Query) -> bool:
    """Whether a passage of this match kind matches everything the question asks."""
    countries, years = asks(query)
    return kind == wanted(bool(countries), bool(years))


def cell_label(country: str | None, year: int | None) -> str:
    """"Greece for 2022", "Greece", "2022"."""
    if country and year:
        return f"{country_name(country)} for {year}"
    return country_name(country) if country else str(year)


def empty_cells(passages: Iterable[Passage], query: Query, periods: Mapping[str, set[int]]) -> list[str]:
    """The asked country-year cells ("Greece for 2022") that no passage given matches; a question
    asking one country and no year has one cell, "Greece"."""
    countries, years = asks(query)
    if not countries and not years:
        return []
    passages = list(passages)
    out = []
    for c in countries or [None]:
        for y in years or [None]:
            if not any(holds(p, [c] if c else (), [y] if y else (), periods) for p in passages):
                out.append(cell_label(c, y))
    return out


def also_shown(text: str, passages: Iterable[tuple[Passage, str]], query: Query) -> str:
    """The answer text followed by how the passages shown that do not match everything asked differ
    (``passages``: every passage shown with its match kind; see ``differences``)."""
    differ = differences([(p, kind) for p, kind in passages if not full(kind, query)], query)
    return f"{text} Also shown, not matching what was asked: {differ}.".strip() if differ else text


def differences(passages: Iterable[tuple[Passage, str]], query: Query) -> str:
    """How the passages that do not match everything asked differ from it, grouped: "Bulgaria, other
    years: 2014, 2017; 2023, other countries: Greece; other countries and years"."""
    countries, years = asks(query)
    other_years: dict[str, set[int]] = {}
    other_countries: dict[int, set[str]] = {}
    neither = False
    undated = set()
    for p, kind in passages:
        if kind == COUNTRY and years:
            for c in countries:
                if c in p.countries:
                    found = set(p.years) - set(years)
                    other_years.setdefault(c, set()).update(found)
                    if not found:
                        undated.add(c)
        elif kind == YEAR and countries:
            for y in years:
                other_countries.setdefault(y, set()).update(
                    country_name(c) for c in p.countries if c not in countries)
        elif kind == NEITHER:
            neither = True
    parts = []
    for c, found in other_years.items():
        if not found:
            parts.append(f"{country_name(c)}, undated")
            continue
        label = ", ".join(str(y) for y in sorted(found)) + (", and undated" if c in undated else "")
        parts.append(f"{country_name(c)}, other years: {label}")
    for y, names in other_countries.items():
        parts.append(f"{y}, other countries: {', '.join(sorted(names)) or 'none named'}")
    if neither:
        parts.append("other countries and years" if countries and years else
                     "other countries" if countries else "other years")
    return "; ".join(parts)
