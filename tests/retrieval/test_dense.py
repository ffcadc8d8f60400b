"""Dense search on a flat index: one matrix-vector product over FAISS's own vectors, the question's
scores kept for the searches restricted to some rows that follow (retrieval/dense.py). The results
are FAISS's own, row for row."""

from __future__ import annotations

import gc

import faiss
import numpy as np
import pytest

from assistant.retrieval import dense


def _flat(n: int, seed: int) -> tuple[faiss.IndexFlatIP, np.ndarray]:
    vectors = np.random.default_rng(seed).standard_normal((n, 32)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(32)
    index.add(vectors)
    return index, vectors


def _faiss(index, vector, n, rows=None):
    params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows)) if rows is not None else None
    scores, found = index.search(vector.reshape(1, -1), n, params=params)
    return [int(r) for r in found[0] if r >= 0], scores[0][found[0] >= 0]


@pytest.mark.parametrize("n", [1, 10, 500, 5000])
def test_flat_search_finds_what_faiss_finds_with_and_without_rows(n: int):
    index, vectors = _flat(3000, seed=n)
    rng = np.random.default_rng(7)
    for probe in (vectors[11], rng.standard_normal(32).astype("float32")):
        found = dense.search(index, probe, n)
        expected, scores = _faiss(index, probe, min(n, 3000))
        assert [r for r, _ in found] == expected
        assert np.allclose([s for _, s in found], scores, atol=1e-5)
        rows = np.sort(rng.choice(3000, 200, replace=False))
        within = dense.search(index, probe, n, rows)
        expected, _ = _faiss(index, probe, min(n, 200), rows)
        assert [r for r, _ in within] == expected and set(expected) <= set(rows.tolist())
    assert dense.search(index, vectors[0], 5, np.array([], dtype=np.int64)) == []


def test_kept_scores_serve_only_the_same_question_on_the_same_index():
    index, vectors = _flat(1000, seed=1)
    first = dense.search(index, vectors[3], 3)
    assert first[0][0] == 3
    assert dense.search(index, vectors[4], 3)[0][0] == 4  # another question: scored again
    other, _ = _flat(1000, seed=2)  # another index of the same size (a rebuild): scored again
    assert [r for r, _ in dense.search(other, vectors[4], 3)] == _faiss(other, vectors[4], 3)[0]
    ref = __import__("weakref").ref(other)
    del other
    gc.collect()
    assert ref() is None, "the kept scores must not keep a replaced index alive"
