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

import re
from dataclasses import dataclass

import numpy as np

from assistant.geo import countries_in
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


def _prominent(passage: Passage, countries: list[str]) -> bool:
    first = re.split(r"(?<=[.!?])\s", passage.text, maxsplit=1)[0]
    return bool(set(countries) & set(countries_in(" ".join(passage.heading_path) + "\n" + first)))


def _cosines(index: IndexData, rows: list[int], query_vector: np.ndarray) -> dict[int, float]:
    if not rows:
        return {}
    vectors = np.vstack([index.dense.reconstruct(int(r)) for r in rows])
    return dict(zip(rows, (vectors @ query_vector).tolist()))


def _diversify(hits: list[Hit], k: int) -> list[Hit]:
    """For a question spanning years: the best hit of each report first, then the rest in order."""
    firsts, rest, seen = [], [], set()
    for hit in hits:
        (rest if hit.passage.source in seen else firsts).append(hit)
        seen.add(hit.passage.source)
    leading = firsts[:k]
    return sorted(leading, key=hits.index) + [h for h in hits if h not in leading]


def rank(index: IndexData, query: Query, query_vector: np.ndarray, k: int, candidates: int,
         mode: str = "hybrid+meta", weights: FusionWeights | None = None,
         sources: set[str] | None = None) -> Ranking:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    weights = weights or FusionWeights()
    n = index.dense.ntotal
    depth = min(n, max(candidates, k))
    dense_hits = dense.search(index.dense, query_vector, depth)
    dense_rows = [row for row, _ in dense_hits]
    bm25 = lexical.scores(index.lexical, query.resolved, index.passages)
    top = np.argsort(-bm25, kind="stable")[:depth]
    bm25_rows = [int(r) for r in top if bm25[r] > 0]
    if mode == "dense":
        order = dense_rows
    elif mode == "bm25":
        order = bm25_rows + [r for r in dense_rows if r not in set(bm25_rows)]
    else:
        order = reciprocal_rank_fusion([dense_rows, bm25_rows], [weights.dense, weights.bm25], k=weights.k)
    constrained = mode == "hybrid+meta" and bool(query.countries or query.years)
    if constrained and n <= 100_000:  # a matching passage outside both lists still counts
        listed = set(order)
        order = order + [r for r in range(n) if r not in listed]
    if sources is not None:  # the user picked reports: search only those
        order = [r for r in (order + [r for r in range(n) if r not in set(order)])
                 if index.passages[r].source in sources]
    cosine = dict(dense_hits)
    cosine.update(_cosines(index, [r for r in order if r not in cosine], query_vector))
    hits = []
    asked = set(query.years)
    for row in order:
        passage = index.passages[row]
        own = bool(asked & set(passage.years))
        period = bool(asked & set(index.reports[passage.source].period_years()))
        country = bool(set(query.countries) & set(passage.countries)) if query.countries else True
        hits.append(Hit(passage=passage, score=cosine[row], country_match=country,
                        year_match=(own or period) if asked else True, own_year_match=own, period_match=period,
                        prominent=country and bool(query.countries) and _prominent(passage, query.countries)))
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
    asked_countries = set(query.places or query.countries)
    country_known = not asked_countries or any(asked_countries & set(p.countries) for p in index.passages)
    met = bool(top_hits) and top_hits[0].country_match and top_hits[0].year_match
    best = max((h.score for h in top_hits), default=-1.0)
    return Ranking(hits=top_hits, best_score=best, constraints_met=met, country_known=country_known)
