"""Stage 5, signals: what the top hits say about the answer, and THE abstention rule (used by
``Assistant.ask`` and by the calibration that chooses its threshold)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.retrieval.ranking import Hit, Ranking

if TYPE_CHECKING:
    from assistant.index.metadata import MetadataIndex
    from assistant.retrieval.query import Query


def best_score(hits: list[Hit]) -> float:
    """The best cosine similarity among the hits (-1 when there are none)."""
    return max((h.score for h in hits), default=-1.0)


def constraints_met(hits: list[Hit]) -> bool:
    """The first hit matches every country and year constraint of the question."""
    return bool(hits) and hits[0].country_match and hits[0].year_match


def country_known(metadata: MetadataIndex, query: Query) -> bool:
    """Some passage is about one of the question's countries (true when it names none). Countries named
    as places decide ("Syrian refugees in Canada" is about Canada)."""
    asked = query.places or query.countries
    return not asked or any(metadata.knows(c) for c in asked)


def ranking(hits: list[Hit], metadata: MetadataIndex, query: Query) -> Ranking:
    """The ranking of these (top) hits with its signals."""
    return Ranking(hits=hits, best_score=best_score(hits), constraints_met=constraints_met(hits),
                   country_known=country_known(metadata, query))


def abstains(ranking: Ranking, threshold: float) -> bool:
    """Nothing relevant enough: no passage about the country asked, or none whose cosine similarity to
    the question reaches the threshold (the setting ``abstain_below``)."""
    return ranking.best_score < threshold or not ranking.country_known
