"""Stage 3, metadata: who before when, and constraint matches found outside both candidate lists."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval import metadata
from assistant.retrieval.candidates import bm25_candidates, report_mask
from assistant.retrieval.query import Query
from tests import fakes
from tests.fakes import by_id, hit

BG_2023 = Query(text="What did Bulgaria do in 2023?", resolved="What did Bulgaria do in 2023?", countries=["BG"],
                years=[2023], places=["BG"])


@pytest.fixture(scope="module")
def index():
    return fakes.index_data()


def chunk_ids(index, mask):
    return {index.passages[r].chunk_id for r in np.flatnonzero(mask)}


def test_applies_only_in_hybrid_meta_to_a_question_naming_a_country_or_year():
    assert metadata.applies("hybrid+meta", BG_2023)
    assert metadata.applies("hybrid+meta", Query(text="q", resolved="q", years=[2022]))
    assert not metadata.applies("hybrid+meta", Query(text="q", resolved="q"))
    assert not metadata.applies("hybrid", BG_2023)


def test_matches_country_own_years_reporting_period_and_lead(index):
    found = metadata.matches(index.metadata, BG_2023, len(index.passages))
    assert chunk_ids(index, found.country) == {"bg-mention", "bg-forum", "bg-2023", "bg-2023-plan"}
    assert chunk_ids(index, found.own_year) == {"year-2023", "bg-2023", "bg-2023-plan"}
    assert chunk_ids(index, found.period) == {"year-2023", "bg-2023"}  # ar-2024 covers 2023
    assert chunk_ids(index, found.year) == {"year-2023", "bg-2023", "bg-2023-plan"}
    assert chunk_ids(index, found.lead) == {"bg-forum", "bg-2023", "bg-2023-plan"}  # not where Croatia leads


def test_a_question_without_countries_or_years_matches_everything(index):
    found = metadata.matches(index.metadata, Query(text="q", resolved="q"), len(index.passages))
    assert found.country.all() and found.year.all()
    assert not found.own_year.any() and not found.period.any() and not found.lead.any()


def test_a_passage_about_the_country_outranks_one_that_only_matches_the_year():
    hits = [hit(by_id("year-2023"), 0.9, country=False, year=True, own_year=True, period=True),
            hit(by_id("bg-forum"), 0.2, country=True, year=False, prominent=True)]
    assert [h.passage.chunk_id for h in metadata.who_before_when(hits)] == ["bg-forum", "year-2023"]


def test_country_and_year_first_then_subject_before_mention_then_own_year_and_period():
    ranked = metadata.who_before_when([
        hit(by_id("bg-mention"), country=True, year=True, own_year=True, period=True, prominent=False),
        hit(by_id("bg-forum"), country=True, year=False, prominent=True),
        hit(by_id("bg-2023-plan"), country=True, year=True, own_year=True, period=False, prominent=True),
        hit(by_id("bg-2023"), country=True, year=True, own_year=True, period=True, prominent=True),
    ])
    assert [h.passage.chunk_id for h in ranked] == ["bg-2023", "bg-2023-plan", "bg-mention", "bg-forum"]


def test_within_a_tier_the_fused_order_stands():
    hits = [hit(by_id(c), country=True, year=True) for c in ("it-2022-mediators", "it-2022", "it-2021")]
    assert metadata.who_before_when(hits) == hits


def test_expand_adds_matching_passages_that_neither_search_listed(index):
    order = [fakes.row(index, "year-2023")]  # what the searches found: only the year passage
    q = fakes.vector(index, {"year-2023": 0.9, "bg-2023-plan": 0.3, "bg-forum": 0.2})
    _, scores = bm25_candidates(index, BG_2023.resolved, 2)
    found = metadata.matches(index.metadata, BG_2023, len(index.passages))
    expanded = metadata.expand(index, BG_2023, q, order, found, scores, depth=2)
    added = [index.passages[r].chunk_id for r in expanded[1:]]
    assert expanded[0] == order[0] and len(set(expanded)) == len(expanded)
    # country and year first (the best two by dense score, then by BM25), then country alone
    assert added[0] == "bg-2023-plan" and added[1] == "bg-2023"
    assert added[2] == "bg-forum"  # the next best about Bulgaria by dense score
    assert set(added) <= {"bg-2023", "bg-2023-plan", "bg-forum", "bg-mention"}
    assert order == [fakes.row(index, "year-2023")]  # the order given is left as it was


def test_expand_stays_within_the_reports_asked(index):
    q = fakes.vector(index, {"bg-2023": 0.9, "bg-forum": 0.4})
    mask = report_mask(index, {"ar-2023"})
    _, scores = bm25_candidates(index, BG_2023.resolved, 10, mask)
    found = metadata.matches(index.metadata, BG_2023, len(index.passages))
    expanded = metadata.expand(index, BG_2023, q, [], found, scores, depth=10, mask=mask)
    assert {index.passages[r].chunk_id for r in expanded} == {"bg-mention", "bg-forum", "bg-2023-plan"}


def test_hits_carry_the_cosine_score_and_the_matches(index):
    found = metadata.matches(index.metadata, BG_2023, len(index.passages))
    rows = [fakes.row(index, "bg-2023"), fakes.row(index, "year-2023")]
    hits = metadata.hits(index.passages, rows, {rows[0]: 0.4, rows[1]: 0.7}, found)
    assert [(h.passage.chunk_id, h.score, h.country_match, h.year_match, h.prominent) for h in hits] == [
        ("bg-2023", 0.4, True, True, True), ("year-2023", 0.7, False, True, False)]
