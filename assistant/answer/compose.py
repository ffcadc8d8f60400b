"""The answer text: a short extractive summary of the passages that match what was asked, each
sentence cited, and what the answer says about the rest.

Only passages that match everything the question asks (its countries and years, see matching.py) give
sentences. Sentences are picked by how many of the question's content words (and its countries and
years) they hold; each is followed by a marker ``[P1]``, ``[P2]`` ... naming the passage's rank, which
cannot be mistaken for the reports' own footnote numbers. A sentence that leans on the one before it
("A similar forum ...", "It ...") comes with that sentence, or another is chosen; a sentence saying what
an earlier one said is skipped; a sentence naming no year shows its passage's year. Passages that do
not match are described apart ("Bulgaria, other years: 2014, 2017"), and an asked country or year that
nothing matches is said ("Nothing on Greece for 2022 in these reports.").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.answer import matching
from assistant.answer.groups import Cell, narrowed
from assistant.answer.sentences import refers_back, sentences, split
from assistant.geo import country_name, countries_in, years_in
from assistant.models import AnswerSentence, Passage
from assistant.retrieval.query import Query
from assistant.retrieval.ranking import Ranking
from assistant.settings import AnswerSettings

_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
_STOP = set("""the and for with what did does was were are has have had which who whom whose when where how
why this that these those from into about over under than then there their they them its also any all some
such not but can could would should will may might our your you one two per via""".split())
SAME = 0.6  # a sentence sharing this share of its words with one already quoted says the same thing


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=4096)
def _terms(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP)


@functools.lru_cache(maxsize=4096)
def _named(sentence: str) -> tuple[frozenset[str], frozenset[int]]:
    """The countries and years a sentence names (a passage's sentences are scored for every question
    that shows it, and for each group of a timeline)."""
    return frozenset(countries_in(sentence)), frozenset(years_in(sentence))


def _score(sentence: str, terms: set[str], query: Query) -> float:
    score = len(terms & _terms(sentence))
    countries, years = _named(sentence) if query.countries or query.years else (frozenset(), frozenset())
    if query.countries and countries & set(query.countries):
        score += 2
    if query.years and years & set(query.years):
        score += 2
    return score


def _constraint_text(query: Query) -> str:
    parts = []
    if query.constraint_countries:
        parts.append("about " + " or ".join(country_name(c) for c in query.constraint_countries))
    if query.years:
        parts.append("in " + (str(query.years[0]) if len(query.years) == 1 else
                              f"{query.years[0]}-{query.years[-1]}"))
    return " ".join(parts)


def _same(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= SAME


def _year(passage: Passage, text: str, query: Query) -> int | None:
    """The year to show with a sentence that names none: the asked one its passage names, else the
    passage's only year."""
    if years_in(text):
        return None
    asked = [y for y in query.years if y in passage.years]
    if asked:
        return asked[0]
    return passage.years[0] if len(passage.years) == 1 else None


def _quote(passage: Passage, rank: int, terms: set[str], query: Query,
           quoted: list[set[str]]) -> AnswerSentence | None:
    """The passage's best sentence that stands alone (with the sentence it leans on, when it leans on
    one) and says something not quoted yet; None when it has none."""
    allowed = sentences(passage.text)
    if not allowed:
        return None
    every = list(split(passage.text))
    for best in sorted(allowed, key=lambda s: (-_score(s, terms, query), allowed.index(s))):
        at = every.index(best)
        before = every[at - 1] if at > 0 else None
        context = None
        if refers_back(best, before):
            if before is None or refers_back(before, every[at - 2] if at > 1 else None):
                continue  # it points at nothing the passage shows, or at a sentence that points further
            context = before
        words = _terms(best) | (_terms(context) if context else frozenset())
        if any(_same(words, q) for q in quoted):
            continue
        quoted.append(words)
        return AnswerSentence(rank=rank, text=best, context=context,
                              year=_year(passage, f"{context or ''} {best}", query))
    return None


def render(item: AnswerSentence) -> str:
    """A quoted sentence as the answer text shows it: "(2023) context sentence [P1]"."""
    year = f"({item.year}) " if item.year else ""
    context = f"{item.context} " if item.context else ""
    return f"{year}{context}{item.text} [P{item.rank}]"


@dataclass
class Composed:
    """The answer text, its quoted sentences, each passage's match, and what the answer covers."""

    text: str
    sentences: list[AnswerSentence] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)  # per hit, in rank order (matching.match)
    status: str = "answered"  # answered, partial (``missing`` says which) or none
    missing: list[str] = field(default_factory=list)
    groups: list = field(default_factory=list)  # AnswerGroup, for a timeline or a comparison


def compose_answer(query: Query, ranking: Ranking, abstained: bool,
                   max_sentences: int = AnswerSettings.model_fields["answer_sentences"].default,
                   periods: Mapping[str, set[int]] | None = None) -> Composed:
    """The answer to the question from its ranking (``periods``: each report's covered years, for the
    year matches; none known when not given)."""
    periods = periods or {}
    kinds = [matching.match(h.passage, query, periods) for h in ranking.hits]
    if not ranking.hits:
        return Composed("The index holds no passages yet.", status="none")
    if abstained:
        about = ""
        if (query.constraint_countries and not ranking.country_known) or ranking.nothing_matches:
            about = f" {_constraint_text(query)}"  # "about Bulgaria in 2019"
        elif ranking.missing:
            about = " about " + " or ".join(ranking.missing)
        elif ranking.unknown_terms:  # "nothing about café"
            about = " about " + " ".join(ranking.unknown_terms)
        return Composed(f"The reports hold nothing{about} that answers this question. The passages below are "
                        "only possibly related.", matches=kinds, status="none", missing=list(ranking.missing))
    shown = [(h.passage, kind) for h, kind in zip(ranking.hits, kinds)]
    matched = [(rank, h) for rank, (h, kind) in enumerate(zip(ranking.hits, kinds), start=1)
               if matching.full(kind, query)]
    cells = matching.empty_cells([h.passage for _, h in matched], query, periods)
    missing = cells + [m for m in ranking.missing if not any(m in c for c in cells)]
    if not matched:
        text = f"Nothing on {' or '.join(cells) or _constraint_text(query)} in these reports."
        differ = matching.differences(shown, query)
        if differ:
            text += f" The passages below differ: {differ}."
        return Composed(text, matches=kinds, status="none", missing=missing)
    terms = _terms(query.resolved)
    picked: list[AnswerSentence] = []
    quoted: list[set[str]] = []
    for rank, hit in matched:
        if len(picked) >= max_sentences:
            break
        item = _quote(hit.passage, rank, terms, query, quoted)
        if item is not None:
            picked.append(item)
    text = " ".join(render(s) for s in picked)
    if missing:
        text = f"Nothing on {' or '.join(missing)} in these reports. {text}".strip()
    return Composed(matching.also_shown(text, shown, query), sentences=picked, matches=kinds, status="partial" if missing else "answered",
                    missing=missing)


def compose(query: Query, ranking: Ranking, abstained: bool,
            max_sentences: int = AnswerSettings.model_fields["answer_sentences"].default,
            periods: Mapping[str, set[int]] | None = None) -> str:
    """The answer text alone (see ``compose_answer``)."""
    return compose_answer(query, ranking, abstained, max_sentences, periods).text


def _cell_text(country: str | None, year: int | None, query: Query) -> str:
    """A cell named with the rest of what was asked: "Greece for 2022" in a comparison asking 2022."""
    countries, years = matching.asks(query)
    if country is None and len(countries) == 1:
        country = countries[0]
    if year is None and len(years) == 1:
        year = years[0]
    return matching.cell_label(country, year)


def compose_groups(query: Query, cells: list[tuple[Cell, list[tuple[int, Passage]]]],
                   shown: list[Passage] | None = None, periods: Mapping[str, set[int]] | None = None) -> Composed:
    """The answer to a timeline or comparison: a line per group in the order asked, its extract cited
    ("Italy: ... [P1]"), or "Nothing on Greece for 2022 in these reports." for a group no passage
    matches, then how the passages ``shown`` that match not everything asked differ (their matches, in
    ``periods``, are the Composed's). ``cells``: (the group, [(rank, passage) of its best passages]) per
    group; a group's extract prefers the sentence naming its own year or country. Status ``partial``
    when some group is empty, ``none`` when all are."""
    from assistant.models import AnswerGroup

    terms = _terms(query.resolved)
    quoted: list[set[str]] = []
    groups: list[AnswerGroup] = []
    lines: list[str] = []
    for cell, ranked in cells:
        country, year = cell.country, cell.year
        extract = None
        for rank, passage in ranked:
            extract = _quote(passage, rank, terms, narrowed(query, cell), quoted)
            if extract is not None:
                break
        full_label = _cell_text(country, year, query)
        groups.append(AnswerGroup(label=matching.cell_label(country, year), country=country, year=year,
                                  ranks=[r for r, _ in ranked], extract=extract, empty=not ranked))
        if not ranked:
            lines.append(f"Nothing on {full_label} in these reports.")
        elif extract is not None:
            lines.append(f"{groups[-1].label}: {render(extract)}")
        else:
            lines.append(f"{groups[-1].label}: " + " ".join(f"[P{r}]" for r, _ in ranked))
    missing = [_cell_text(g.country, g.year, query) for g in groups if g.empty]
    status = "none" if len(missing) == len(groups) else "partial" if missing else "answered"
    kinds = [matching.match(p, query, periods or {}) for p in shown or []]
    return Composed(matching.also_shown(" ".join(lines), zip(shown or [], kinds), query),
                    sentences=[g.extract for g in groups if g.extract is not None], matches=kinds,
                    status=status, missing=missing, groups=groups)
