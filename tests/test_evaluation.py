"""The gold set and the evaluation: targets met, hybrid with metadata ahead of both single modes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.evaluation import (EvalReport, check_gold, evaluate, failures, load_gold, meets_targets,
                                  write_report)
from assistant.settings import Settings
from tests.conftest import ROOT

GOLD = ROOT / "eval" / "gold.jsonl"
KINDS = {"country_year", "country", "topic", "exact_fact", "footnote_source", "action_status", "follow_up",
         "unanswerable"}


def test_gold_set_shape():
    questions = load_gold(GOLD)
    assert len(questions) >= 80
    assert len({q.id for q in questions}) == len(questions)
    kinds = Counter(q.kind for q in questions)
    assert set(kinds) == KINDS and min(kinds.values()) >= 5
    assert {ev.report for q in questions for ev in q.evidence} == {
        "euaa-ar-2024", "euaa-ar-2023", "euaa-ar-2022", "ec-action-plan-partnerships", "integra-good-practices"}
    for q in questions:
        assert q.answerable == bool(q.evidence), q.id
        assert (q.kind == "follow_up") == bool(q.history), q.id


@pytest.mark.slow
def test_every_gold_span_is_in_a_passage(settings: Settings):
    from assistant.index import store

    assert check_gold(load_gold(GOLD), store.read(settings.index).passages) == []


@pytest.mark.slow
def test_targets_met_and_hybrid_with_metadata_ahead(settings: Settings, tmp_path: Path):
    report = evaluate(settings, GOLD)
    modes = report.modes
    best = modes["hybrid+meta"].overall
    assert meets_targets(best) == [], failures(report)
    assert best["MRR@10"] > modes["bm25"].overall["MRR@10"]
    assert best["MRR@10"] > modes["dense"].overall["MRR@10"]
    json_path, md_path = write_report(report, tmp_path)
    written = json.loads(json_path.read_text())
    assert written["modes"].keys() == modes.keys()
    assert EvalReport.model_validate(written) == report, "a written report reads back as it was"
    unanswerable = next(q for q in written["modes"]["bm25"]["questions"].values() if not q["answerable"])
    assert "metrics" not in unanswerable  # as before the report was typed
    text = md_path.read_text()
    assert "| hybrid+meta |" in text and "## By question kind" in text and "## Failed questions" in text
