"""Stage 2, fusion: one order from the dense and BM25 lists, by mode."""

from __future__ import annotations

import pytest

from assistant.retrieval.fusion import FusionWeights, fuse, reciprocal_rank_fusion

DENSE = [1, 2, 3, 4]
BM25 = [5, 3, 1]


def test_dense_mode_is_the_dense_list():
    assert fuse("dense", DENSE, BM25) == DENSE


def test_bm25_mode_is_the_bm25_list_then_the_dense_candidates_it_lacks():
    assert fuse("bm25", DENSE, BM25) == [5, 3, 1, 2, 4]


@pytest.mark.parametrize("mode", ["hybrid", "hybrid+meta"])
def test_hybrid_puts_what_both_searches_found_first(mode):
    order = fuse(mode, DENSE, BM25)
    assert order[:2] == [1, 3]  # in both lists; 1 ranks higher in dense than 3 in BM25 (1 + 3 vs 3 + 2)
    assert sorted(order) == [1, 2, 3, 4, 5]  # nothing lost, nothing twice


def test_weights_decide_which_list_leads():
    assert fuse("hybrid", [1, 2], [2, 1], FusionWeights(dense=2.0, bm25=1.0))[0] == 1
    assert fuse("hybrid", [1, 2], [2, 1], FusionWeights(dense=1.0, bm25=2.0))[0] == 2
    # k: how much agreement outweighs a single first place. 8 is 4th in both lists, 7 first in one.
    dense, bm25 = [7, 1, 2, 8], [9, 3, 4, 8]
    assert fuse("hybrid", dense, bm25, FusionWeights(k=1.0))[0] == 7  # 1/2 > 2/5
    assert fuse("hybrid", dense, bm25, FusionWeights(k=60.0))[0] == 8  # 2/64 > 1/61
    assert fuse("hybrid", dense, bm25, FusionWeights(dense=3.0, bm25=0.1, k=60.0))[0] == 7


def test_weights_default_to_plain_rrf():
    assert FusionWeights() == FusionWeights(dense=1.0, bm25=1.0, k=60.0)
    assert fuse("hybrid", DENSE, BM25) == reciprocal_rank_fusion([DENSE, BM25], [1.0, 1.0], k=60.0)


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode must be one of"):
        fuse("semantic", DENSE, BM25)


def test_reciprocal_rank_fusion_needs_one_weight_per_list():
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([DENSE, BM25], [1.0])
