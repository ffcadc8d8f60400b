"""Ranking passages for a question: candidates -> fusion -> metadata -> diversify -> signals, in one of
four modes (the evaluation compares them):

* ``dense``: FAISS cosine similarity of question and passage;
* ``bm25``: BM25 over the passage, its section and its notes;
* ``hybrid``: the two lists fused by weighted reciprocal rank fusion;
* ``hybrid+meta``: the fused list re-ranked so that passages matching the question's
  countries and years come first (a passage's own years first, its report's reporting period
  otherwise), and spread over reports when the question spans several years;
* ``learned``: both searches' candidates (and the best matches of the question's countries and years)
  ordered by a linear model of their evidence (features.py, learned.py), the same spread over reports.

Every hit carries its dense cosine similarity as its score, whatever the mode: that is what the
abstention threshold is calibrated on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.retrieval import diversify, metadata, signals
from assistant.retrieval.candidates import (
    bm25_candidates,
    cosines,
    dense_candidates,
    report_mask,
    search_depth,
)
from assistant.retrieval.fusion import FusionWeights, fuse
from assistant.retrieval.ranking import MODES, Hit, Ranking

if TYPE_CHECKING:
    import numpy as np

    from assistant.index.store import IndexData
    from assistant.retrieval.query import Query

__all__ = ["MODES", "STAGES", "FusionWeights", "Hit", "Ranking", "rank"]

# Timed stages: the two searches, fusion, metadata (matches, constraint expansion, each hit's cosine score,
# the tiered sort), diversify, signals.
STAGES = ("dense", "bm25", "fusion", "metadata", "diversify", "signals")


@contextmanager
def _stage(timings: dict[str, float] | None, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    if timings is not None:
        timings[name] = time.perf_counter() - started


def rank(index: IndexData, query: Query, query_vector: np.ndarray, k: int, candidates: int,
         mode: str = "hybrid+meta", weights: FusionWeights | None = None, sources: set[str] | None = None,
         timings: dict[str, float] | None = None, ranker: Path | None = None) -> Ranking:
    """The k best passages for the question, with the signals the answer needs.

    ``candidates``: passages each search returns (at least k); ``weights``: the fusion's (default
    FusionWeights()); ``sources``: only these reports. ``timings``, when given, receives the seconds each
    stage took, by the names in STAGES (a stage that does not apply to the mode takes next to none);
    ``ranker``: the learned mode's model file (None: the bundled one).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    depth = search_depth(index, k, candidates)
    if mode == "learned":
        return _learned(index, query, query_vector, k, depth, sources, timings, ranker)
    mask = report_mask(index, sources)
    with _stage(timings, "dense"):
        dense_hits = dense_candidates(index, query_vector, depth, mask)
    with _stage(timings, "bm25"):
        bm25_rows, bm25_scores = bm25_candidates(index, query.resolved, depth, mask)
    with _stage(timings, "fusion"):
        order = fuse(mode, [row for row, _ in dense_hits], bm25_rows, weights)
    constrained = metadata.applies(mode, query)
    with _stage(timings, "metadata"):
        found = metadata.matches(index.metadata, query, index.dense.ntotal)
        if constrained:
            order = metadata.expand(index, query, query_vector, order, found, bm25_scores, depth, mask)
        hits = metadata.hits(index.passages, order, cosines(index, order, dense_hits, query_vector), found)
        if constrained:
            hits = metadata.who_before_when(hits)
    with _stage(timings, "diversify"):
        if diversify.applies(constrained, query.years):
            hits = diversify.diversify(hits, k)
    with _stage(timings, "signals"):
        ranking = signals.ranking(hits[:k], index, query)
    return ranking


def _learned(index: IndexData, query: Query, query_vector: np.ndarray, k: int, depth: int,
             sources: set[str] | None, timings: dict[str, float] | None, ranker: Path | None) -> Ranking:
    """Mode ``learned``: the candidates and their features (timed as the BM25 stage: both searches run
    there), ordered by the model's score (timed as fusion)."""
    import numpy as np

    from assistant.retrieval import features, learned

    model = learned.load(ranker)
    with _stage(timings, "dense"):
        pass
    with _stage(timings, "bm25"):
        found_candidates = features.candidates(index, query, query_vector, depth, sources)
    with _stage(timings, "fusion"):
        scores = model.score(found_candidates.X)
        best = np.argsort(-scores, kind="stable")
        order = [found_candidates.rows[i] for i in best]
        cosine = {r: float(found_candidates.X[i, 0]) for i, r in enumerate(found_candidates.rows)}
    constrained = bool(query.constraint_countries or query.years)
    with _stage(timings, "metadata"):
        hits = metadata.hits(index.passages, order, cosine, found_candidates.found)
    with _stage(timings, "diversify"):
        if diversify.applies(constrained, query.years):
            hits = diversify.diversify(hits, k)
    with _stage(timings, "signals"):
        return signals.ranking(hits[:k], index, query)
