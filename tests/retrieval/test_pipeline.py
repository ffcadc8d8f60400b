"""The composed ranking (candidates -> fusion -> metadata -> diversify -> signals) on the in-memory index:
what a user sees first for a question, in each mode."""

from __future__ import annotations

import pytest

from assistant.retrieval.pipeline import MODES, STAGES, rank
from assistant.retrieval.query import understand
from tests import fakes


@pytest.fixture(scope="module")
def index():
    return fakes.index_data()


def ids(ranking):
    return [h.passage.chunk_id for h in ranking.hits]


def test_a_passage_about_the_asked_country_outranks_one_only_matching_the_year(index):
    query = understand("What did Bulgaria do in 2023?")
    # the searches prefer the passage about 2023 in general
    q = fakes.vector(index, {"year-2023": 0.9, "bg-forum": 0.3, "bg-mention": 0.2})
    assert ids(rank(index, query, q, k=3, candidates=100, mode="hybrid"))[0] == "year-2023"
    ranked = ids(rank(index, query, q, k=10, candidates=100, mode="hybrid+meta"))
    # Bulgaria in 2023 (own year and the report's period, then own year only), then Bulgaria as the
    # subject, then Bulgaria mentioned; the passage only about 2023 after all of them
    assert ranked[:5] == ["bg-2023", "bg-2023-plan", "bg-forum", "bg-mention", "year-2023"]


def test_a_multi_year_question_gets_one_passage_per_report_first(index):
    query = understand("What did Italy do in 2021-2022?")
    q = fakes.vector(index, {"it-2022": 0.8, "it-2022-mediators": 0.7, "it-2021": 0.1})
    ranked = ids(rank(index, query, q, k=3, candidates=100, mode="hybrid+meta"))
    assert ranked[:2] == ["it-2022", "it-2021"]  # ar-2023's best, then ar-2022's, before ar-2023's second
    assert ranked[2] == "it-2022-mediators"
    assert ids(rank(index, query, q, k=3, candidates=100, mode="hybrid"))[:2] == ["it-2022", "it-2022-mediators"]


def test_every_hit_scores_its_cosine_similarity_whatever_the_mode(index):
    query = understand("What did Bulgaria do in 2023?")
    weights = {"year-2023": 0.8, "bg-forum": 0.5, "bg-2023": 0.3}
    q = fakes.vector(index, weights)
    for mode in MODES:
        ranking = rank(index, query, q, k=5, candidates=100, mode=mode)
        assert {h.passage.chunk_id: round(h.score, 4) for h in ranking.hits} == {
            h.passage.chunk_id: weights.get(h.passage.chunk_id, 0.0) for h in ranking.hits}, mode
        assert round(ranking.best_score, 4) == 0.8, mode


def test_k_passages_at_most(index):
    query = understand("refugees")
    q = fakes.vector(index, {"bg-forum": 1.0})
    assert len(rank(index, query, q, k=2, candidates=100).hits) == 2
    assert len(rank(index, query, q, k=50, candidates=100).hits) == len(index.passages)


def test_only_the_reports_asked(index):
    query = understand("What did Bulgaria do in 2023?")
    q = fakes.vector(index, {"year-2023": 0.9, "bg-2023": 0.5})
    for mode in MODES:
        ranking = rank(index, query, q, k=10, candidates=100, mode=mode, sources={"ar-2023"})
        assert ranking.hits and {h.passage.source for h in ranking.hits} == {"ar-2023"}, mode


def test_constraints_not_met_when_no_passage_matches_country_and_year(index):
    q = fakes.vector(index, {"bg-forum": 0.6})
    met = rank(index, understand("What did Bulgaria do in 2023?"), q, k=5, candidates=100)
    unmet = rank(index, understand("What did Bulgaria do in 2019?"), q, k=5, candidates=100)
    assert met.constraints_met and not unmet.constraints_met
    assert ids(unmet)[0] == "bg-forum"  # the closest passage about Bulgaria still leads


def test_a_country_in_no_passage_is_unknown(index):
    q = fakes.vector(index, {"bg-forum": 0.9})
    assert not rank(index, understand("What did Portugal do for refugees?"), q, k=5, candidates=100).country_known
    assert rank(index, understand("What did Croatia do for refugees?"), q, k=5, candidates=100).country_known


def test_timings_name_every_stage(index):
    timings: dict[str, float] = {}
    rank(index, understand("What did Bulgaria do in 2023?"), fakes.vector(index, {"bg-forum": 1.0}), k=5,
         candidates=100, timings=timings)
    assert set(timings) == set(STAGES)
    assert all(t >= 0 for t in timings.values())


def test_an_unknown_mode_is_refused(index):
    with pytest.raises(ValueError, match="mode must be one of"):
        rank(index, understand("refugees"), fakes.vector(index, {"bg-forum": 1.0}), k=5, candidates=10,
             mode="semantic")
