"""Dense search: the question's embedding against the FAISS index of passage embeddings, optionally
restricted to some rows with a FAISS ID selector (the search itself skips the others: no scan in
Python), on a flat or an HNSW index alike."""

from __future__ import annotations

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


def cosines(index: faiss.Index, rows: list[int], query_vector: np.ndarray) -> dict[int, float]:
    """Cosine similarity of the question and the given rows (vectors read back from the index)."""
    if not rows:
        return {}
    ids = np.asarray(rows, dtype=np.int64)
    vectors = index.reconstruct_batch(ids)
    return dict(zip(rows, (vectors @ query_vector.astype("float32")).tolist()))
