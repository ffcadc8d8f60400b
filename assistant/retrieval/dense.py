"""Dense search: the question's embedding against the FAISS index of passage embeddings, optionally
restricted to some rows, on a flat, pq or HNSW index alike.

A flat index is searched by one matrix-vector product over FAISS's own vectors (no copy): NumPy's
BLAS uses every core where FAISS scans a single query on one, twice as fast at 100,000 passages here.
The scores of a question are kept (one question per thread), so that the searches restricted to some
rows that follow for the same question (countries, years, reports) cost a selection, not a scan. A pq
index's searches share one scan of its codes the same way (``_refine``); HNSW uses a FAISS ID
selector (the search itself skips the other rows)."""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss


def search(index: faiss.Index, query_vector: np.ndarray, n: int, rows: np.ndarray | None = None,
           ef_search: int | None = None) -> list[tuple[int, float]]:
    """(row, cosine similarity) of the n nearest passages (among ``rows`` when given), best first."""
    import faiss

    n = min(n, index.ntotal if rows is None else len(rows))
    if n <= 0:
        return []
    if type(index) in (faiss.IndexFlatIP, faiss.IndexFlat) and index.metric_type == faiss.METRIC_INNER_PRODUCT:
        return _flat(index, query_vector, n, rows)
    rows = None if rows is None else np.asarray(rows, dtype=np.int64)
    if isinstance(index, faiss.IndexRefine):  # fast-scan codes take no filter: see _refine
        return _refine(index, query_vector, n, rows)
    params = None
    if isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(efSearch=max(ef_search or 64, n))
        if rows is not None:
            params.sel = faiss.IDSelectorBatch(rows)
    elif rows is not None:
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
    return _faiss(index, query_vector, n, params)


def _faiss(index: faiss.Index, query_vector: np.ndarray, n: int, params) -> list[tuple[int, float]]:
    scores, found = index.search(query_vector.reshape(1, -1).astype("float32"), n, params=params)
    return [(int(r), float(s)) for r, s in zip(found[0], scores[0]) if r >= 0]


GATHER_MAX = 16_384  # rows scored by reading their vectors at once (about 25 MB); more: from the pq pool
POOL = 4_096  # candidates of one unrestricted pq scan a restricted search picks from


def _refine(index: faiss.Index, query_vector: np.ndarray, n: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
    """The n best (of ``rows``) on a pq index, scored exactly from the full vectors it keeps.

    Unrestricted: what IndexRefine's own search does (the pq scan's k_factor x n best, re-scored), from
    the question's pool (one pq scan, kept for the question's restricted searches). Restricted: a few
    rows (up to GATHER_MAX) are all scored, exactly as a flat index would; more are taken from the pool
    when it holds n of them, the pq index being approximate by design; else every selected row is
    scored by FAISS (exact, a scan of the whole index)."""
    import faiss

    flat = faiss.downcast_index(index.refine_index)
    if rows is None:
        depth = int(n * index.k_factor)
        return _exact(flat, query_vector, np.sort(_pool(index, query_vector, depth)[:depth]), n)
    if len(rows) > GATHER_MAX:
        if np.any(rows[1:] < rows[:-1]):
            rows = np.sort(rows)
        pool = _pool(index, query_vector)
        at = np.minimum(np.searchsorted(rows, pool), len(rows) - 1)
        inside = pool[rows[at] == pool]
        if len(inside) < n:
            return _faiss(flat, query_vector, n, faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows)))
        rows = np.sort(inside)
    return _exact(flat, query_vector, rows, n)


def _stored(flat: faiss.Index) -> np.ndarray:
    """A flat index's vectors, read in place (no copy)."""
    import faiss

    return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d)


def _exact(flat: faiss.Index, query_vector: np.ndarray, rows: np.ndarray, n: int) -> list[tuple[int, float]]:
    """The n best of ``rows`` by their full vectors."""
    scores = _stored(flat)[rows] @ np.asarray(query_vector, dtype=np.float32).reshape(-1)
    return _best(scores, rows, n)


def _kept(slot: threading.local, index: faiss.Index, query_vector: np.ndarray, compute, enough=None):
    """``compute(vector)`` for this thread's question on this index, kept until the next one: the
    question's restricted searches reuse it. Held by a weak reference to the index (a rebuilt index's
    old data is never kept alive) and checked against its size; ``enough(value)``: whether the kept
    value serves this call."""
    vector = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(-1)
    key = vector.tobytes()
    last = getattr(slot, "value", None)
    if (last is not None and last[0]() is index and last[1] == key and last[2] == index.ntotal
            and (enough is None or enough(last[3]))):
        return last[3]
    value = compute(vector)
    slot.value = (weakref.ref(index), key, index.ntotal, value)
    return value


_last_pool = threading.local()  # this thread's last question on a pq index: its pool
_last_scores = threading.local()  # this thread's last question on a flat index: every row's score


def _pool(index: faiss.Index, query_vector: np.ndarray, size: int = 0) -> np.ndarray:
    """The best ``max(POOL, size)`` rows of one pq scan for this question, best first."""
    import faiss

    size = min(max(POOL, size), index.ntotal)

    def scan(vector: np.ndarray) -> np.ndarray:
        _, found = faiss.downcast_index(index.base_index).search(vector.reshape(1, -1), size)
        return found[0][found[0] >= 0]

    return _kept(_last_pool, index, query_vector, scan, lambda pool: len(pool) >= size)


def _flat(index: faiss.Index, query_vector: np.ndarray, n: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
    """The exact top n by inner product (among ``rows``), best first; equal scores by row."""
    scores = _kept(_last_scores, index, query_vector, lambda vector: _stored(index) @ vector)
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
        scores = scores[rows]
    return _best(scores, rows, n)


def _best(scores: np.ndarray, rows: np.ndarray | None, n: int) -> list[tuple[int, float]]:
    """The n highest of ``scores`` (of ``rows``, or of every row), best first; equal scores by row."""
    if n < len(scores):
        best = np.argpartition(-scores, n - 1)[:n]
        best = best[np.lexsort((best, -scores[best]))]
    else:
        best = np.lexsort((np.arange(len(scores)), -scores))
    found = rows[best] if rows is not None else best
    return [(int(r), float(s)) for r, s in zip(found, scores[best])]


def cosines(index: faiss.Index, rows: list[int], query_vector: np.ndarray) -> dict[int, float]:
    """Cosine similarity of the question and the given rows (vectors read back from the index)."""
    if not rows:
        return {}
    ids = np.asarray(rows, dtype=np.int64)
    vectors = index.reconstruct_batch(ids)
    return dict(zip(rows, (vectors @ query_vector.astype("float32")).tolist()))
