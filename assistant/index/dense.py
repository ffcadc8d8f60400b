"""The dense index: FAISS over the passage embeddings, row i = passage i; built here (searched in
retrieval/dense.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.models import DenseInfo

from assistant.settings import Indexing

if TYPE_CHECKING:
    import faiss
    import numpy as np

def build(vectors: np.ndarray, indexing: Indexing | None = None) -> tuple[faiss.Index, DenseInfo]:
    """Exact inner product while it is fast enough; from ``indexing.approximate_above`` vectors on,
    ``indexing.approximate_index``:

    - ``pq``: every vector scanned as a 96-byte product-quantized code (FAISS 4-bit fast scan), the best
      ``pq_k_factor`` x k re-scored exactly from the full vectors: recall@10 0.999 against flat on the
      gold questions at 110,535 real passages, 15x faster than flat there and 7 ms at 1,000,000; or
    - ``hnsw``: a graph (``hnsw_m``, ``hnsw_ef_construction``, ``hnsw_ef_search``): fast, but it found
      only 0.89 of the exact top 10 for our questions at 110,535 passages (docs/scaling.md), and builds
      slowly.
    """
    import faiss
    import numpy as np

    indexing = indexing or Indexing()
    kind, m = indexing.approximate_index, indexing.hnsw_m
    ef_construction, ef_search = indexing.hnsw_ef_construction, indexing.hnsw_ef_search
    dim = vectors.shape[1]
    if len(vectors) < indexing.approximate_above:
        index = faiss.IndexFlatIP(dim)
        info = DenseInfo(kind="flat")
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        index.hnsw.efSearch = ef_search
        info = DenseInfo(kind="hnsw", m=m, ef_construction=ef_construction, ef_search=ef_search)
    elif kind == "pq":
        base = faiss.index_factory(dim, f"PQ{dim // 2}x4fs", faiss.METRIC_INNER_PRODUCT)
        index = faiss.IndexRefineFlat(base)
        index.k_factor = indexing.pq_k_factor
        rng = np.random.default_rng(0)
        sample = vectors if len(vectors) <= 100_000 else vectors[rng.choice(len(vectors), 100_000, replace=False)]
        index.train(sample)
        info = DenseInfo(kind="pq", codes=f"PQ{dim // 2}x4fs", k_factor=indexing.pq_k_factor)
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    index.add(vectors)
    return index, info


def save(index: faiss.Index, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    import faiss

    return faiss.read_index(str(path))
