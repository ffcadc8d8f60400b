"""Dense search: the question's embedding against the FAISS index of passage embeddings, optionally
restricted to some rows, on a flat, pq or HNSW index alike.

A flat index is searched by one matrix-vector product over FAISS's own vectors (no copy): NumPy's
BLAS uses every core where FAISS scans a single query on one, twice as fast at 100,000 passages here.
The scores of a question are kept (one question per thread), so that the searches restricted to some
rows that follow for the same question (countries, years, reports) cost a selection, not a scan. The
other indexes use a FAISS ID selector (the search itself skips the other rows)."""

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
    params = None
    selector = faiss.IDSelectorBatch(np.asarray(rows, dtype=np.int64)) if rows is not None else None
    if isinstance(index, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(efSearch=max(ef_search or 64, n))
        if selector is not None:
            params.sel = selector
    elif isinstance(index, faiss.IndexRefine):
        if selector is not None:  # fast-scan codes take no filter: the selected rows are scored exactly
            index = faiss.downcast_index(index.refine_index)
            params = faiss.SearchParameters(sel=selector)
        else:
            params = faiss.IndexRefineSearchParameters(k_factor=index.k_factor)
    elif selector is not None:
        params = faiss.SearchParameters(sel=selector)
    scores, found = index.search(query_vector.reshape(1, -1).astype("float32"), n, params=params)
    return [(int(r), float(s)) for r, s in zip(found[0], scores[0]) if r >= 0]


_last = threading.local()  # this thread's last question: (weak ref to the index, vector bytes, every row's score)


def _scores(index: faiss.Index, query_vector: np.ndarray) -> np.ndarray:
    import faiss

    vector = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(-1)
    key = vector.tobytes()
    last = getattr(_last, "value", None)
    if last is not None and last[0]() is index and last[1] == key and len(last[2]) == index.ntotal:
        return last[2]
    stored = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d).reshape(index.ntotal, index.d)
    scores = stored @ vector
    _last.value = (weakref.ref(index), key, scores)  # weak: a rebuilt index's old vectors are never held
    return scores


def _flat(index: faiss.Index, query_vector: np.ndarray, n: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
    """The exact top n by inner product (among ``rows``), best first; equal scores by row."""
    scores = _scores(index, query_vector)
    if rows is not None:
        rows = np.asarray(rows, dtype=np.int64)
        scores = scores[rows]
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
