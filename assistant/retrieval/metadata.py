"""Stage 3, metadata (mode ``hybrid+meta``, for a question naming countries or years): who before when.

The fused order is extended with the best passages that match the question's constraints even when
neither search listed them (``expand``), every row gets its matches (``matches``, ``hits``), and the
hits are sorted in tiers (``who_before_when``): a passage about the asked country outranks one that
only matches the year. The arrays it reads are the index's metadata part (assistant/index/metadata.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.models import Passage
from assistant.retrieval.candidates import bm25_top, dense_candidates
from assistant.retrieval.ranking import Hit

if TYPE_CHECKING:
    from assistant.index.metadata import MetadataIndex
    from assistant.index.store import IndexData
    from assistant.retrieval.query import Query


@dataclass(frozen=True)
class Matches:
    """Boolean row masks: how each passage matches the question's countries and years."""

    country: np.ndarray  # about an asked country (every row when none is asked)
    year: np.ndarray  # own years or report period hold an asked year (every row when none is asked)
    own_year: np.ndarray  # the passage itself names an asked year
    period: np.ndarray  # its report's reporting period holds an asked year
    lead: np.ndarray  # an asked country is in its heading or first sentence


def applies(mode: str, query: Query) -> bool:
    """The metadata stage re-ranks in mode hybrid+meta when the question names a country or a year."""
    return mode == "hybrid+meta" and bool(query.constraint_countries or query.years)


def matches(metadata: MetadataIndex, query: Query, n: int) -> Matches:
    """The question's country and year masks over the n passages."""
    own = metadata.own_years(query.years) if query.years else np.zeros(n, dtype=bool)
    period = metadata.period(query.years) if query.years else np.zeros(n, dtype=bool)
    asked = query.constraint_countries  # places: an origin ("refugees from Ukraine") is no constraint
    return Matches(country=metadata.countries(asked) if asked else np.ones(n, dtype=bool),
                   year=(own | period) if query.years else np.ones(n, dtype=bool), own_year=own, period=period,
                   lead=metadata.lead(asked) if asked else np.zeros(n, dtype=bool))


def expand(index: IndexData, query: Query, query_vector: np.ndarray, order: list[int], found: Matches,
           bm25_scores: np.ndarray, depth: int, mask: np.ndarray | None = None) -> list[int]:
    """The order followed by the best passages that match the constraints (country and year, then
    country; or year alone), even outside both candidate lists: dense search restricted to them by an
    ID selector, and BM25 scores masked to them; ``mask`` limits them to some reports."""
    order, listed = list(order), set(order)
    for wanted in ([found.country & found.year, found.country] if query.constraint_countries else [found.year]):
        if mask is not None:
            wanted = wanted & mask
        extra = [r for r, _ in dense_candidates(index, query_vector, depth, wanted)]
        extra += bm25_top(index, query.resolved, depth, wanted, bm25_scores)
        for r in extra:
            if r not in listed:
                order.append(r)
                listed.add(r)
    return order


def hits(passages: list[Passage], order: list[int], cosine: dict[int, float], found: Matches) -> list[Hit]:
    """A hit for each row of the order: its passage, its cosine score and its matches."""
    return [Hit(passage=passages[r], score=cosine[r], country_match=bool(found.country[r]),
                year_match=bool(found.year[r]), own_year_match=bool(found.own_year[r]),
                period_match=bool(found.period[r]), prominent=bool(found.lead[r]), row=r) for r in order]


def who_before_when(hits: list[Hit]) -> list[Hit]:
    """Who before when: a passage about the asked country outranks one that only matches the year; then
    a passage where the country is the subject (heading, first sentence) before a mere mention; then its
    own years and its report's period both matching, then its own years. Within a tier the given order
    stands (the sort is stable)."""
    return sorted(hits, key=lambda h: (2 * h.country_match + h.year_match, h.prominent,
                                       h.own_year_match and h.period_match, h.own_year_match), reverse=True)
