"""Ranking: dense hits re-ranked so that passages matching the question's countries and years come
first (a passage's own years, else its report's reporting period), with an honest flag when none does."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.index.store import IndexData
from assistant.models import Passage
from assistant.retrieval import dense
from assistant.retrieval.query import Query


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # cosine similarity of question and passage
    country_match: bool
    year_match: bool
    own_year_match: bool  # the passage itself names one of the question's years


@dataclass(frozen=True)
class Ranking:
    hits: list[Hit]
    best_score: float
    constraints_met: bool  # some passage matches every country and year constraint of the question
    country_known: bool  # some passage is about one of the question's countries


def _year_match(passage: Passage, index: IndexData, years: list[int]) -> tuple[bool, bool]:
    """(matches by its own years or its report's period, matches by its own years)."""
    own = bool(set(years) & set(passage.years))
    return own or bool(set(years) & set(index.reports[passage.source].period_years())), own


def rank(index: IndexData, query: Query, query_vector, k: int, candidates: int) -> Ranking:
    n = index.dense.ntotal if (query.countries or query.years) and index.dense.ntotal <= 50_000 else candidates
    scored = dense.search(index.dense, query_vector, max(n, k))
    hits = []
    for row, score in scored:
        passage = index.passages[row]
        year, own_year = _year_match(passage, index, query.years) if query.years else (True, False)
        hits.append(Hit(
            passage=passage,
            score=score,
            country_match=bool(set(query.countries) & set(passage.countries)) if query.countries else True,
            year_match=year,
            own_year_match=own_year,
        ))
    # Who before when: a passage about the asked country outranks one that only matches the year.
    hits.sort(key=lambda h: (2 * h.country_match + h.year_match, h.own_year_match, h.score), reverse=True)
    met = bool(hits) and hits[0].country_match and hits[0].year_match
    country_known = not query.countries or any(h.country_match for h in hits)
    best = max((h.score for h in hits), default=-1.0)
    return Ranking(hits=hits[:k], best_score=best, constraints_met=met, country_known=country_known)
