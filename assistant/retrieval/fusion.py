"""Fusing ranked lists: weighted reciprocal rank fusion (Cormack et al., 2009)."""

from __future__ import annotations


def reciprocal_rank_fusion(rankings: list[list[int]], weights: list[float], k: float = 60.0) -> list[int]:
    """Items of all rankings, best first, by sum of weight / (k + rank); ties keep first-seen order."""
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    score: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            score[item] = score.get(item, 0.0) + weight / (k + rank)
    return sorted(score, key=lambda item: score[item], reverse=True)
