"""Stage 1, candidates: the dense and BM25 lists, on the in-memory index of tests/fakes.py."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval.candidates import (
    bm25_candidates,
    bm25_scores,
    cosines,
    dense_candidates,
    report_mask,
    search_depth,
    top,
)
from tests import fakes


@pytest.fixture(scope="module")
def index():
    return fakes.index_data()


def ids(index, rows):
    return [index.passages[r].chunk_id for r in rows]


def test_top_keeps_the_n_best_positive_scores_best_first_ties_in_row_order():
    scores = np.array([0.0, 3.0, -1.0, 5.0, 3.0, 1.0])
    assert top(scores, 10) == [3, 1, 4, 5]  # zero and negative scores are no match
    assert top(scores, 2) == [3, 1]
    assert top(np.zeros(4), 3) == []


def test_search_depth_is_the_candidates_at_least_k_at_most_every_passage(index):
    n = len(index.passages)
    assert search_depth(index, k=5, candidates=3) == 5
    assert search_depth(index, k=2, candidates=4) == 4
    assert search_depth(index, k=5, candidates=100) == n


def test_dense_candidates_follow_the_cosine_similarity(index):
    q = fakes.vector(index, {"it-2021": 0.8, "bg-forum": 0.5, "hr-handbook": 0.3})
    found = dense_candidates(index, q, 3)
    assert ids(index, [r for r, _ in found]) == ["it-2021", "bg-forum", "hr-handbook"]
    assert [round(s, 4) for _, s in found] == [0.8, 0.5, 0.3]


def test_dense_candidates_limited_to_some_reports(index):
    q = fakes.vector(index, {"it-2021": 0.8, "bg-forum": 0.5, "hr-handbook": 0.3})
    found = dense_candidates(index, q, 3, report_mask(index, {"ar-2023"}))
    assert ids(index, [r for r, _ in found])[0] == "bg-forum"
    assert {index.passages[r].source for r, _ in found} == {"ar-2023"}


def test_bm25_candidates_rank_passages_with_the_question_words(index):
    rows, scores = bm25_candidates(index, "housing programmes", 5)
    assert ids(index, rows) == ["year-2023"]  # the only passage holding those words
    assert scores.shape == (len(index.passages),) and scores[rows[0]] > 0


def test_bm25_scores_are_zero_outside_the_reports_asked(index):
    everywhere = bm25_scores(index, "refugees")
    limited = bm25_scores(index, "refugees", report_mask(index, {"ar-2024"}))
    outside = [i for i, p in enumerate(index.passages) if p.source != "ar-2024"]
    assert everywhere[outside].max() > 0
    assert limited[outside].max() == 0
    assert np.array_equal(limited[fakes.row(index, "year-2023")], everywhere[fakes.row(index, "year-2023")])


def test_an_acronym_in_the_question_lifts_the_passage_that_holds_it_case_and_all(index):
    rows, _ = bm25_candidates(index, "What is INCLuDE about refugees?", 5)
    assert ids(index, rows)[0] == "hr-handbook"


def test_cosines_of_rows_the_dense_search_did_not_return_are_read_from_the_index(index):
    q = fakes.vector(index, {"it-2021": 0.8, "bg-forum": 0.5})
    found = dense_candidates(index, q, 1)
    rows = [fakes.row(index, "it-2021"), fakes.row(index, "bg-forum"), fakes.row(index, "hr-handbook")]
    assert {index.passages[r].chunk_id: round(s, 4) for r, s in cosines(index, rows, found, q).items()} == {
        "it-2021": 0.8, "bg-forum": 0.5, "hr-handbook": 0.0}
