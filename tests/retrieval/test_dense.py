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


def _pq(vectors: np.ndarray):
    from assistant.index import dense as dense_index
    from assistant.settings import Indexing

    index, info = dense_index.build(vectors, Indexing(approximate_above=1, approximate_index="pq"))
    assert info.kind == "pq"
    return index


def test_a_pq_index_restricted_to_a_few_rows_scores_them_all_exactly():
    flat, vectors = _flat(3000, seed=3)
    index = _pq(vectors)
    rows = np.sort(np.random.default_rng(4).choice(3000, 300, replace=False))
    for probe in (vectors[rows[5]], vectors[17]):
        assert dense.search(index, probe, 20, rows) == dense.search(flat, probe, 20, rows)


def test_a_pq_index_restricted_to_many_rows_picks_from_its_pool_or_scans(monkeypatch: pytest.MonkeyPatch):
    flat, vectors = _flat(3000, seed=5)
    index = _pq(vectors)
    monkeypatch.setattr(dense, "GATHER_MAX", 100)
    rows = np.arange(0, 3000, 2)  # half the rows: the pool of 500 holds about 250 of them
    monkeypatch.setattr(dense, "POOL", 500)
    probe = vectors[8]
    found = dense.search(index, probe, 20, rows)
    assert len(found) == 20 and {r for r, _ in found} <= set(rows.tolist())
    assert found[0][0] == 8  # the passage itself, first
    exact = dict(dense.search(flat, probe, 3000))
    assert all(abs(exact[r] - s) < 1e-5 for r, s in found), "scored exactly from the full vectors"
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    truth = {r for r, _ in dense.search(flat, probe, 20, rows)}
    assert len(truth & {r for r, _ in found}) >= 18  # approximate by design, as the pq index is
    monkeypatch.setattr(dense, "POOL", 8)  # a pool short of 20 of them: every selected row is scanned
    dense._last_pool.value = None
    scanned, expected = dense.search(index, vectors[9], 20, rows), dense.search(flat, vectors[9], 20, rows)
    assert [r for r, _ in scanned] == [r for r, _ in expected]
    assert np.allclose([s for _, s in scanned], [s for _, s in expected], atol=1e-5)


def test_a_pq_search_finds_what_faiss_refine_finds():
    _, vectors = _flat(3000, seed=6)
    index = _pq(vectors)
    for probe in (vectors[40], np.random.default_rng(9).standard_normal(32).astype("float32")):
        ours = dense.search(index, probe, 10)
        scores, found = index.search(probe.reshape(1, -1), 10,
                                     params=faiss.IndexRefineSearchParameters(k_factor=index.k_factor))
        assert [r for r, _ in ours] == found[0].tolist()
        assert np.allclose([s for _, s in ours], scores[0], atol=1e-5)
