"""Dense search: the question's embedding against the FAISS index of passage embeddings."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import faiss
    import numpy as np


def search(index: faiss.Index, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
    """(row, cosine similarity) of the n nearest passages, best first."""
    n = min(n, index.ntotal)
    if n <= 0:
        return []
    scores, rows = index.search(query_vector.reshape(1, -1), n)
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]
