"""Stage 4, diversify: a question spanning years gets one passage per report first."""

from __future__ import annotations

from assistant.retrieval.diversify import applies, diversify, one_per_report
from tests.fakes import by_id, hit


def ids(hits):
    return [h.passage.chunk_id for h in hits]


def test_applies_only_to_a_reranked_question_asking_several_years():
    assert applies(True, [2021, 2022])
    assert not applies(True, [2022])
    assert not applies(False, [2021, 2022])


def test_the_best_passage_of_each_report_comes_first_then_the_rest_in_order():
    hits = [hit(by_id(c)) for c in ("it-2022", "it-2022-mediators", "year-2023", "it-2021")]
    # sources: ar-2023, ar-2023, ar-2024, ar-2022
    assert ids(one_per_report(hits, k=5)) == ["it-2022", "year-2023", "it-2021", "it-2022-mediators"]


def test_at_most_k_reports_lead():
    hits = [hit(by_id(c)) for c in ("it-2022", "it-2022-mediators", "year-2023", "it-2021")]
    assert ids(one_per_report(hits, k=2)) == ["it-2022", "year-2023", "it-2022-mediators", "it-2021"]


def test_only_passages_matching_country_and_year_are_spread_the_others_follow():
    hits = [hit(by_id("it-2022")), hit(by_id("it-2022-mediators")),
            hit(by_id("bg-forum"), country=False, year=False),  # matches neither: stays after
            hit(by_id("it-2021"))]
    assert ids(diversify(hits, k=5)) == ["it-2022", "it-2021", "it-2022-mediators", "bg-forum"]
