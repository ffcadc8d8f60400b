"""Ranking passages for a question, in one of four modes (the evaluation compares them):

* ``dense``: FAISS cosine similarity of question and passage;
* ``bm25``: BM25 over the passage, its section and its notes;
* ``hybrid``: the two lists fused by weighted reciprocal rank fusion;
* ``hybrid+meta`` (the default): the fused list re-ranked so that passages matching the question's
  countries and years come first (a passage's own years first, its report's reporting period
  otherwise), and spread over reports when the question spans several years.

Every hit carries its dense cosine similarity as its score, whatever the mode: that is what the
abstention threshold is calibrated on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.index.store import IndexData
from assistant.models import Passage
from assistant.retrieval import dense, lexical
from assistant.retrieval.fusion import reciprocal_rank_fusion
from assistant.retrieval.query import Query

MODES = ("bm25", "dense", "hybrid", "hybrid+meta")


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # cosine similarity of question and passage
    country_match: bool
    year_match: bool
    own_year_match: bool  # the passage itself names one of the question's years
    period_match: bool  # its report's reporting period holds one of the question's years
    prominent: bool  # the asked country is in the passage's heading or first sentence


@dataclass(frozen=True)
class Ranking:
    hits: list[Hit]
    best_score: float  # best cosine similarity among the hits returned
    constraints_met: bool  # the first hit matches every country and year constraint of the question
    country_known: bool  # some passage is about one of the question's countries


@dataclass(frozen=True)
class FusionWeights:
    dense: float = 1.0
    bm25: float = 1.0
    k: float = 60.0


def _diversify(hits: list[Hit], k: int) -> list[Hit]:
    """For a question spanning years: the best hit of each report first, then the rest in order."""
    firsts, rest, seen = [], [], set()
    for hit in hits:
        (rest if hit.passage.source in seen else firsts).append(hit)
        seen.add(hit.passage.source)
    leading = firsts[:k]
    return sorted(leading, key=hits.index) + [h for h in hits if h not in leading]


def _top(scores: np.ndarray, n: int) -> list[int]:
    """Rows of the n highest positive scores, best first (argpartition: no full sort)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        positive = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return [int(r) for r in positive[np.argsort(-scores[positive], kind="stable")]]


def rank(index: IndexData, query: Query, query_vector: np.ndarray, k: int, candidates: int,
         mode: str = "hybrid+meta", weights: FusionWeights | None = None,
         sources: set[str] | None = None) -> Ranking:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    weights = weights or FusionWeights()
    meta = index.metadata
    ef = index.meta.get("dense", {}).get("ef_search")
    depth = min(index.dense.ntotal, max(candidates, k))
    allowed = meta.reports(sources) if sources is not None else None
    allowed_rows = np.flatnonzero(allowed) if allowed is not None else None

    dense_hits = dense.search(index.dense, query_vector, depth, allowed_rows, ef)
    dense_rows = [row for row, _ in dense_hits]
    bm25 = lexical.scores(index.lexical, query.resolved, meta.acronyms)
    if allowed is not None:
        bm25 = np.where(allowed, bm25, 0)
    bm25_rows = _top(bm25, depth)
    if mode == "dense":
        order = dense_rows
    elif mode == "bm25":
        listed = set(bm25_rows)
        order = bm25_rows + [r for r in dense_rows if r not in listed]
    else:
        order = reciprocal_rank_fusion([dense_rows, bm25_rows], [weights.dense, weights.bm25], k=weights.k)

    constrained = mode == "hybrid+meta" and bool(query.countries or query.years)
    n = index.dense.ntotal
    country = meta.countries(query.countries) if query.countries else np.ones(n, dtype=bool)
    own = meta.own_years(query.years) if query.years else np.zeros(n, dtype=bool)
    period = meta.period(query.years) if query.years else np.zeros(n, dtype=bool)
    year = (own | period) if query.years else np.ones(n, dtype=bool)
    lead = meta.lead(query.countries) if query.countries else np.zeros(n, dtype=bool)
    if constrained:
        # The best passages that match the constraints, even outside both lists: dense search restricted
        # to them by an ID selector, and BM25 scores masked to them.
        listed = set(order)
        for mask in ([country & year, country] if query.countries else [year]):
            if allowed is not None:
                mask = mask & allowed
            rows = np.flatnonzero(mask)
            extra = [r for r, _ in dense.search(index.dense, query_vector, depth, rows, ef)]
            extra += _top(np.where(mask, bm25, 0), depth)
            for r in extra:
                if r not in listed:
                    order.append(r)
                    listed.add(r)
    cosine = dict(dense_hits)
    cosine.update(dense.cosines(index.dense, [r for r in order if r not in cosine], query_vector))
    hits = [Hit(passage=index.passages[r], score=cosine[r], country_match=bool(country[r]),
                year_match=bool(year[r]), own_year_match=bool(own[r]), period_match=bool(period[r]),
                prominent=bool(lead[r])) for r in order]
    if constrained:
        # Who before when: a passage about the asked country outranks one that only matches the year;
        # then a passage where the country is the subject (heading, first sentence) before a mere
        # mention; then its own years and its report's period both matching, then its own years.
        # Within a tier the fused order stands (the sort is stable).
        hits.sort(key=lambda h: (2 * h.country_match + h.year_match, h.prominent,
                                 h.own_year_match and h.period_match, h.own_year_match), reverse=True)
        if len(query.years) > 1:
            matching = [h for h in hits if h.country_match and h.year_match]
            hits = _diversify(matching, k) + [h for h in hits if not (h.country_match and h.year_match)]
    top_hits = hits[:k]
    # Countries named as places decide ("Syrian refugees in Canada" is about Canada).
    asked_countries = query.places or query.countries
    country_known = not asked_countries or any(meta.knows(c) for c in asked_countries)
    met = bool(top_hits) and top_hits[0].country_match and top_hits[0].year_match
    best = max((h.score for h in top_hits), default=-1.0)
    return Ranking(hits=top_hits, best_score=best, constraints_met=met, country_known=country_known)
