"""What ranking produces: hits (a passage, its cosine score and how it matches the question's
countries and years) and the ranking (the top hits and the signals read from them). The stages
(candidates, fusion, metadata, diversify, signals) exchange these; ``pipeline.rank`` composes them."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import Passage

MODES = ("bm25", "dense", "hybrid", "hybrid+meta", "learned")


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # cosine similarity of question and passage
    country_match: bool
    year_match: bool
    own_year_match: bool  # the passage itself names one of the question's years
    period_match: bool  # its report's reporting period holds one of the question's years
    prominent: bool  # the asked country is in the passage's heading or first sentence
    row: int = -1  # its row in the index


@dataclass(frozen=True)
class Ranking:
    hits: list[Hit]
    best_score: float  # best cosine similarity among the hits returned
    constraints_met: bool  # the first hit matches every country and year constraint of the question
    country_known: bool  # some passage is about one of the question's countries
    coverage: float = 1.0  # share of the question's words (its topic) in the top three hits
    coverage_top: float = 1.0  # and in the first hit
    missing: tuple[str, ...] = ()  # asked countries and years that no passage matches ("Mongolia", "2031")
    nothing_matches: bool = False  # no passage matches an asked country and an asked year together
    asked: int = 0  # countries (as places) and years the question asks about
    unknown_terms: tuple[str, ...] = ()  # the question's topic words, when the index holds none of them
