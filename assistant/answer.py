"""The answer text: a short extractive summary of the top passages, each sentence cited.

Sentences are picked by how many of the question's content words (and its countries and years) they
contain; each is followed by a marker ``[P1]``, ``[P2]`` ... naming the passage's rank, which cannot
be mistaken for the reports' own footnote numbers.
"""

from __future__ import annotations

import re

from assistant.geo import country_name, countries_in, years_in
from assistant.retrieval.query import Query
from assistant.retrieval.ranking import Ranking
from assistant.settings import AnswerSettings

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")
_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")
_STOP = set("""the and for with what did does was were are has have had which who whom whose when where how
why this that these those from into about over under than then there their they them its also any all some
such not but can could would should will may might our your you one two per via""".split())


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "s", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP}


_REFERENCE = re.compile(r"^\(?\s*(source|photo)\b|https?://", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """The passage's sentences (a table's lines count as sentences), without source or photo lines."""
    out = []
    for line in text.split("\n"):
        for sentence in _SENTENCE.split(line):
            sentence = sentence.strip()
            if len(sentence) > 20 and not _REFERENCE.search(sentence):
                out.append(sentence)
    return out


def _score(sentence: str, terms: set[str], query: Query) -> float:
    score = len(terms & _terms(sentence))
    if query.countries and set(query.countries) & set(countries_in(sentence)):
        score += 2
    if query.years and set(query.years) & set(years_in(sentence)):
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


def compose(query: Query, ranking: Ranking, abstained: bool,
            max_sentences: int = AnswerSettings.model_fields["answer_sentences"].default) -> str:
    if not ranking.hits:
        return "The index holds no passages yet."
    if abstained:
        about = ""
        if (query.constraint_countries and not ranking.country_known) or ranking.nothing_matches:
            about = f" {_constraint_text(query)}"  # "about Bulgaria in 2019"
        elif ranking.missing:
            about = " about " + " or ".join(ranking.missing)
        elif ranking.unknown_terms:  # "nothing about café"
            about = " about " + " ".join(ranking.unknown_terms)
        return (f"The reports hold nothing{about} that answers this question. The passages below are only "
                "possibly related.")
    terms = _terms(query.resolved)
    picked: list[str] = []
    for rank, hit in enumerate(ranking.hits[:max_sentences], start=1):
        candidates = sentences(hit.passage.text)
        if not candidates:
            continue
        best = max(candidates, key=lambda s: (_score(s, terms, query), -candidates.index(s)))
        picked.append(f"{best} [P{rank}]")
    text = " ".join(picked)
    if (query.constraint_countries or query.years) and not ranking.constraints_met:
        text = f"No passage {_constraint_text(query)}; closest: {text}"
    if ranking.missing:  # a partial answer: say what has nothing
        text = f"The reports hold nothing about {' or '.join(ranking.missing)}. {text}"
    return text
