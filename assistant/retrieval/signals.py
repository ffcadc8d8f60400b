"""Stage 5, signals: what the top hits say about the answer, and THE abstention rule (used by
``Assistant.ask`` and by the evaluation).

Abstention weighs several signals: whether the asked countries and years exist in the index at all
(none: nothing to answer with; some: a partial answer, saying which have nothing), whether any
passage matches an asked country and year together, whether any passage holds any of the words the
question is about ("café": none does, so nothing to answer with), and a model (logistic regression trained on
answerable and unanswerable gold questions by ``assistant.learning``, bundled as abstention.json)
over the best cosine similarity and how much of the question's words the top passages hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pathlib import Path

import numpy as np

from assistant.retrieval.ranking import Hit, Ranking

if TYPE_CHECKING:
    from assistant.index.metadata import MetadataIndex
    from assistant.index.store import IndexData
    from assistant.retrieval.query import Query

ABSTENTION_NAMES = ("best_score", "coverage", "coverage_top")
ABSTENTION_MODEL = Path(__file__).with_name("abstention.json")


def best_score(hits: list[Hit]) -> float:
    """The best cosine similarity among the hits (-1 when there are none)."""
    return max((h.score for h in hits), default=-1.0)


def constraints_met(hits: list[Hit]) -> bool:
    """The first hit matches every country and year constraint of the question."""
    return bool(hits) and hits[0].country_match and hits[0].year_match


def country_known(metadata: MetadataIndex, query: Query) -> bool:
    """Some passage is about one of the question's countries (true when it names none). Countries named
    as places decide ("Syrian refugees in Canada" is about Canada); an origin alone asks about no place."""
    asked = query.constraint_countries
    return not asked or any(metadata.knows(c) for c in asked)


def missing(metadata: MetadataIndex, query: Query) -> tuple[tuple[str, ...], bool]:
    """The asked countries (as places) and years no passage matches, and whether no passage matches an
    asked country and an asked year together (only when both are asked)."""
    from assistant.geo import country_name

    countries, years = query.constraint_countries, query.years
    gone = [country_name(c) for c in countries if not metadata.knows(c)]
    year_rows = None
    for y in years:
        rows = metadata.own_years([y]) | metadata.period([y])
        if not rows.any():
            gone.append(str(y))
        year_rows = rows if year_rows is None else year_rows | rows
    together = bool(countries and years) and year_rows is not None and not (
        metadata.countries(countries) & year_rows).any()
    return tuple(gone), together


def coverage(index: IndexData, hits: list[Hit], query: Query) -> tuple[float, float]:
    """Share of the question's topic words (stemmed, as BM25 reads them; its countries, years and
    question words out) held by the top three hits (text, heading, notes, report title) and by the
    first; 1 when the question asks only who or when."""
    from assistant.retrieval.features import word_set, words_held

    words = sorted(word_set(query.topic))
    if not words:  # asks who or when only ("What did Estonia do in 2023?"): nothing more to cover
        return 1.0, 1.0
    if not hits:
        return 0.0, 0.0
    held = words_held(index, [h.row for h in hits[:3]], words).any(axis=2)  # passage x word: anywhere
    return float(held.any(axis=0).mean()), float(held[0].mean())


def unknown_terms(index: IndexData, query: Query) -> tuple[str, ...]:
    """The question's topic words as written ("café"), when not one of them (stemmed, as BM25 reads
    them) is in any passage of the index: the reports cannot be about it. Empty otherwise, and when the
    question asks only who or when."""
    from assistant.retrieval.features import word_set

    words = word_set(query.topic)
    if not words or any(w in index.lexical.vocab_dict for w in words):
        return ()
    return tuple(w for w in query.topic.split() if word_set(w))


def ranking(hits: list[Hit], index: IndexData, query: Query) -> Ranking:
    """The ranking of these (top) hits with its signals."""
    gone, together = missing(index.metadata, query)
    cover, cover_top = coverage(index, hits, query)
    return Ranking(hits=hits, best_score=best_score(hits), constraints_met=constraints_met(hits),
                   country_known=country_known(index.metadata, query), coverage=cover, coverage_top=cover_top,
                   missing=gone, nothing_matches=together, asked=len(query.constraint_countries) + len(query.years),
                   unknown_terms=unknown_terms(index, query))


def abstention_signals(ranking: Ranking) -> np.ndarray:
    """The model's inputs, ABSTENTION_NAMES."""
    return np.array([ranking.best_score, ranking.coverage, ranking.coverage_top], dtype="float64")


def unanswerable(ranking: Ranking, model_path: Path | None = None) -> float:
    """The abstention model's probability that the question has no answer in the index."""
    from assistant.retrieval.learned import load

    model = load(model_path, ABSTENTION_NAMES, ABSTENTION_MODEL)
    return float(model.probability(abstention_signals(ranking)[None, :])[0])


def abstains(ranking: Ranking, threshold: float, model_path: Path | None = None, cut: float | None = None) -> bool:
    """Nothing to answer with: no passage about the place asked; no year asked held by any passage, or
    no passage matching an asked country and year together; no passage holding any of the words the
    question is about; the best cosine similarity under the
    floor ``threshold`` (the setting ``abstain_below``); or the abstention model's probability of no
    answer over its cut (``cut``, else the one recorded in the model when it was trained)."""
    if rules_abstain(ranking, threshold):
        return True
    from assistant.retrieval.learned import load

    model = load(model_path, ABSTENTION_NAMES, ABSTENTION_MODEL)
    limit = cut if cut is not None else float(model.about.get("cut", 0.5))
    return unanswerable(ranking, model_path) > limit  # (the same model: loads are cached)


def rules_abstain(ranking: Ranking, threshold: float) -> bool:
    """The rules alone (see ``abstains``), without the model."""
    if not ranking.hits or not ranking.country_known or ranking.nothing_matches or ranking.best_score < threshold:
        return True
    if ranking.unknown_terms:  # no passage holds any of the words the question is about
        return True
    return bool(ranking.missing) and len(ranking.missing) >= ranking.asked  # everything asked is missing
