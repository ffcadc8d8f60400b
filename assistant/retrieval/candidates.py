"""Stage 1, candidates: the passages worth ranking, from the two searches. Dense: the question's
embedding against the FAISS index (cosine similarity). BM25: the question's words against the
lexical index. Both can be limited to some reports (a boolean row mask).

On the Milvus store (index/milvus_search.py) both searches run in Milvus: each function here asks it
for what the embedded store computes over its arrays. A BM25 score array is then filled for the
rows the search returned (0 elsewhere), and ``bm25_at`` and ``bm25_top`` ask Milvus for the scores
of other rows when a stage needs them."""

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


def in_milvus(index: IndexData) -> bool:
    """Whether the index is a Milvus collection (its searches run there)."""
    from assistant.index.milvus_search import MilvusDense

    return isinstance(index.dense, MilvusDense)


def _said(mask: np.ndarray | None) -> str | None:
    """The mask's constraint as a Milvus filter over the metadata fields, when it has one (index/metadata.Rows)."""
    return getattr(mask, "expression", None)


def dense_candidates(index: IndexData, query_vector: np.ndarray, n: int,
                     mask: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, cosine similarity) of the n passages nearest the question (among ``mask``), best first."""
    rows = np.flatnonzero(mask) if mask is not None else None
    if in_milvus(index):
        return index.dense.search(query_vector, n, rows, _said(mask))
    return dense.search(index.dense, query_vector, n, rows, ef_search(index))


TOP_ROWS = 16_384  # the most rows one Milvus search scores (acronym rows beyond stay at 0 on Milvus)


def _raw_scores(index: IndexData, text: str, n: int, mask: np.ndarray | None
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Every row's BM25 score, acronyms not lifted (Milvus: filled for its n best among ``mask``, and for
    every row holding one of the question's acronyms, which the lift may bring up from anywhere), and
    how many of the question's acronyms each row holds (None: none the index knows)."""
    if not in_milvus(index):
        raw = lexical.scores(index.lexical, text)
        return raw, lexical.acronyms_held(text, index.metadata.acronyms, len(raw))
    raw = index.lexical.scores(text, n, np.flatnonzero(mask) if mask is not None else None, _said(mask))
    held = lexical.acronyms_held(text, index.metadata.acronyms, len(raw))
    if held is not None:
        lifted = np.flatnonzero((held > 0) & (raw == 0) & (mask if mask is not None else True))
        lifted = lifted[:TOP_ROWS].tolist()
        raw[lifted] = index.lexical.scores_of(text, lifted)
    return raw, held


def bm25_scores(index: IndexData, text: str, mask: np.ndarray | None = None, n: int | None = None) -> np.ndarray:
    """Every passage's BM25 score for the text (acronyms lifted), 0 outside ``mask``; ``n``: the rows
    wanted (Milvus returns that many; the embedded store scores every row)."""
    if not in_milvus(index):
        scores = lexical.scores(index.lexical, text, index.metadata.acronyms)
        return np.where(mask, scores, 0) if mask is not None else scores
    raw, held = _raw_scores(index, text, n or index.dense.ntotal, mask)
    if held is not None and mask is not None:
        held = np.where(mask, held, 0)
    return lexical.lift(raw, held) if held is not None and held.any() else raw


def bm25_candidates(index: IndexData, text: str, n: int,
                    mask: np.ndarray | None = None) -> tuple[list[int], np.ndarray]:
    """The n rows of highest positive BM25 score, best first, and every row's score (see bm25_scores)."""
    scores = bm25_scores(index, text, mask, n)
    return top(scores, n), scores


def bm25_top(index: IndexData, text: str, n: int, wanted: np.ndarray, scores: np.ndarray) -> list[int]:
    """The n rows of highest BM25 score among ``wanted`` (``scores``: every row's, from the same text, as
    the caller weighs them: lifted or not), selected from the scores. On Milvus, whose scores are
    filled only for the rows its searches returned, the rows of ``wanted`` not among them are asked of
    it (their own BM25 score: the rows an acronym lifts are filled already)."""
    within = np.where(wanted, scores, 0)
    if in_milvus(index):
        found, found_scores = index.lexical.search(text, n, np.flatnonzero(wanted), _said(wanted))
        at = np.asarray(found, dtype=np.int64)
        if len(at):
            within[at] = np.where(within[at] == 0, np.asarray(found_scores, dtype=within.dtype), within[at])
    return top(within, n)


def bm25_at(index: IndexData, text: str, rows: list[int], scores: np.ndarray) -> np.ndarray:
    """The BM25 score of these rows (``scores``: every row's from bm25_evidence; on Milvus, asked again)."""
    if in_milvus(index):
        return index.lexical.scores_of(text, rows)
    return scores[np.asarray(rows, dtype=np.int64)] if rows else np.zeros(0, dtype="float32")


def bm25_evidence(index: IndexData, text: str, n: int,
                  mask: np.ndarray | None = None) -> tuple[list[int], np.ndarray, np.ndarray]:
    """As bm25_candidates (the same n rows, acronyms lifting), with every row's BM25 score before the
    lift and how many of the question's acronyms it holds, apart: the learned ranker weighs them as
    two pieces of evidence."""
    raw, held = _raw_scores(index, text, n, mask if in_milvus(index) else None)
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
    missing = [r for r in rows if r not in cosine]
    found = index.dense.cosines(missing, query_vector) if in_milvus(index) else \
        dense.cosines(index.dense, missing, query_vector)
    cosine.update(found)
    return cosine
