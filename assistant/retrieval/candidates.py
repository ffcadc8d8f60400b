"""Stage 1, candidates: the passages worth ranking, from the two searches. Dense: the question's
embedding against the FAISS index (cosine similarity). BM25: the question's words against the
lexical index. Both can be limited to some reports (a boolean row mask)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval import dense, lexical

if TYPE_CHECKING:
    from assistant.index.store import IndexData


def top(scores: np.ndarray, n: int) -> list[int]:
    """Rows of the n highest positive scores, best first (argpartition: no full sort)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        positive = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return [int(r) for r in positive[np.argsort(-scores[positive], kind="stable")]]


def search_depth(index: IndexData, k: int, candidates: int) -> int:
    """How many candidates each search returns: ``candidates``, at least ``k``, at most every passage."""
    return min(index.dense.ntotal, max(candidates, k))


def report_mask(index: IndexData, sources: set[str] | None) -> np.ndarray | None:
    """Rows of the given reports as a boolean mask; None (every row) when no reports are given."""
    return index.metadata.reports(sources) if sources is not None else None


def ef_search(index: IndexData) -> int | None:
    """The HNSW search breadth recorded when the dense index was built (None for flat and pq)."""
    return index.meta.dense.ef_search


def dense_candidates(index: IndexData, query_vector: np.ndarray, n: int,
                     mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, cosine similarity) of the n passages nearest the question (among ``mask``), best first."""
    rows = np.flatnonzero(mask) if mask is not None else None
    return dense.search(index.dense, query_vector, n, rows, ef_search(index))


def bm25_scores(index: IndexData, text: str, mask: np.ndarray | None = None) -> np.ndarray:
    """Every passage's BM25 score for the text (acronyms lifted), 0 outside ``mask``."""
    scores = lexical.scores(index.lexical, text, index.metadata.acronyms)
    return np.where(mask, scores, 0) if mask is not None else scores


def bm25_candidates(index: IndexData, text: str, n: int,
                    mask: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    """The n rows of highest positive BM25 score, best first, and every row's score (see bm25_scores)."""
    scores = bm25_scores(index, text, mask)
    return top(scores, n), scores


def bm25_evidence(index: IndexData, text: str, n: int,
                  mask: np.ndarray | None = None) -> tuple[list[int], np.ndarray, np.ndarray]:
    """As bm25_candidates (the same n rows, acronyms lifting), with every row's BM25 score before the
    lift and how many of the question's acronyms it holds, apart: the learned ranker weighs them as
    two pieces of evidence."""
    raw = lexical.scores(index.lexical, text)
    held = lexical.acronyms_held(text, index.metadata.acronyms, len(raw))
    if held is None:
        held = np.zeros(len(raw), dtype=np.int64)
    lifted = lexical.lift(raw, held) if held.any() else raw
    if mask is not None:
        raw, lifted, held = np.where(mask, raw, 0), np.where(mask, lifted, 0), np.where(mask, held, 0)
    return top(lifted, n), raw, held


def cosines(index: IndexData, rows: list[int], known: list[tuple[int, float]],
            query_vector: np.ndarray) -> dict[int, float]:
    """Cosine similarity of the question and each row: from the dense search's (row, cosine) pairs where
    it found the row, otherwise from the row's vector read back from the index."""
    cosine = dict(known)
    cosine.update(dense.cosines(index.dense, [r for r in rows if r not in cosine], query_vector))
    return cosine
