"""Stage 2, fusion: the two candidate lists made one order, by retrieval mode.

* ``dense``: the dense list as it is;
* ``bm25``: the BM25 list, then the dense candidates it lacks;
* ``hybrid`` and ``hybrid+meta``: weighted reciprocal rank fusion (Cormack et al., 2009).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval.ranking import MODES


@dataclass(frozen=True)
class FusionWeights:
    """Weights of the dense and BM25 lists in reciprocal rank fusion, and its constant k (the settings
    ``fusion_dense_weight``, ``fusion_bm25_weight``, ``fusion_k`` are what the product uses)."""

    dense: float = 1.0
    bm25: float = 1.0
    k: float = 60.0


def reciprocal_rank_fusion(rankings: list[list[int]], weights: list[float], k: float = 60.0) -> list[int]:
    """Items of all rankings, best first, by sum of weight / (k + rank); ties keep first-seen order."""
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    score: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            score[item] = score.get(item, 0.0) + weight / (k + rank)
    return sorted(score, key=lambda item: score[item], reverse=True)


def fuse(mode: str, dense_rows: list[int], bm25_rows: list[int], weights: FusionWeights | None = None) -> list[int]:
    """The rows of both lists in one order, for the mode (``weights`` default: FusionWeights())."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if mode == "dense":
        return list(dense_rows)
    if mode == "bm25":
        listed = set(bm25_rows)
        return list(bm25_rows) + [r for r in dense_rows if r not in listed]
    weights = weights or FusionWeights()
    return reciprocal_rank_fusion([dense_rows, bm25_rows], [weights.dense, weights.bm25], k=weights.k)
