"""The learned ranker: its model file, its features, the mode that uses it, and cross-validation that
never lets a report's questions train the model that ranks them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import UserError
from assistant.learning import Example, fit, fold_models
from assistant.retrieval import learned
from assistant.retrieval.features import NAMES, candidates
from assistant.retrieval.pipeline import rank
from assistant.retrieval.query import Query
from tests import fakes


def test_the_bundled_model_reads_and_records_how_it_was_trained():
    model = learned.load()
    assert model.names == NAMES and model.coef.shape == (len(NAMES),)
    about = model.about
    assert about["questions"] >= 100 and about["reports"] >= 20
    assert 0 < about["out_of_sample"]["Hit@1"] <= about["in_sample"]["Hit@1"] + 0.05


def test_a_bad_model_file_is_refused_with_its_name(tmp_path: Path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="broken.json"):
        learned.load(broken)
    other = tmp_path / "other.json"
    data = learned.load().as_dict()
    data["names"] = ["dense", "bm25"]
    other.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UserError, match="train it again"):
        learned.load(other)


def test_features_come_from_both_searches_and_the_metadata():
    index = fakes.index_data()
    query = Query(text="q", resolved="integration ordinance Bulgaria", countries=["BG"], places=["BG"], years=[2023],
                  topic="integration ordinance")
    found = candidates(index, query, fakes.vector(index, {"bg-2023": 0.9, "it-2022": 0.5}), depth=5)
    assert found.X.shape == (len(found.rows), len(NAMES))
    row = found.rows.index(fakes.row(index, "bg-2023"))
    features = dict(zip(NAMES, found.X[row]))
    assert features["dense"] == pytest.approx(0.9) and features["country"] == 1 and features["year_own"] == 1
    assert features["bm25"] > 0 and features["document"] > 0
    italy = found.rows.index(fakes.row(index, "it-2022"))
    assert dict(zip(NAMES, found.X[italy]))["country"] == -1


def test_words_held_reads_each_field_as_bm25_tokenizes_it():
    """The postings lookup and the cached heading, title and note sets say what tokenizing each passage
    says: a word counts in the passage when its text, section path or notes hold it."""
    from assistant.index.lexical import tokenize
    from assistant.models import Note
    from assistant.retrieval.features import FIELDS, words_held

    passages = fakes.PASSAGES + [fakes.passage("noted", "ar-2023", "Housing support for refugees in Sofia.",
                                               heading=["Access to housing"],
                                               footnotes=[Note(number="1", text="Ordinance on integration, 2023.")])]
    index = fakes.index_data(passages)
    words = sorted(set(tokenize(["housing integration ordinance refugees Sofia asylum report"])[0]))
    rows = list(range(len(index.passages)))[::-1]  # any order
    held = words_held(index, rows, words)
    assert held.shape == (len(rows), len(words), len(FIELDS))
    for i, r in enumerate(rows):
        p = index.passages[r]
        fields = [" ".join(p.heading_path), index.reports[p.source].title, " ".join(n.text for n in p.footnotes),
                  "\n".join([p.section or "", p.text, *(n.text for n in p.footnotes)])]
        for f, text in enumerate(fields):
            tokens = set(tokenize([text])[0]) if text.strip() else set()
            assert [w in tokens for w in words] == held[i, :, f].tolist(), (p.chunk_id, FIELDS[f])
    assert held[rows.index(fakes.row(index, "noted")), words.index("ordin"), 2], "a word of its note"


def test_the_learned_mode_puts_the_passage_that_matches_everything_first():
    index = fakes.index_data()
    query = Query(text="q", resolved="Bulgaria integration ordinance 2023", countries=["BG"], places=["BG"],
                  years=[2023], topic="integration ordinance")
    ranking = rank(index, query, fakes.vector(index, {"bg-2023": 0.6, "it-2022": 0.65}), k=3, candidates=5,
                   mode="learned")
    assert ranking.hits[0].passage.chunk_id == "bg-2023"


def _examples(groups: list[str]) -> list[Example]:
    rng = np.random.default_rng(0)
    out = []
    for i, g in enumerate(groups):
        X = rng.normal(size=(6, len(NAMES)))
        y = np.zeros(6, dtype=int)
        y[0] = 1
        X[0, 0] += 2.0  # the relevant candidate has the higher first feature
        out.append(Example(question=f"q{i}", X=X, y=y, group=g))
    return out


def test_cross_validation_never_trains_on_the_questions_of_the_same_report():
    examples = _examples(["a", "a", "b", "b", "c", "c", "d", "e", "e", "f"])
    models = fold_models(examples, folds=5)
    assert set(models) == {e.question for e in examples}
    for e in examples:
        trained_on = models[e.question].about["trained_on_groups"]
        assert e.group not in trained_on and trained_on  # its own report never, others always


def test_the_model_learns_which_evidence_marks_the_relevant_passage():
    model = fit(_examples([str(i) for i in range(12)]))
    assert model.coef[0] > 0 and np.argmax(np.abs(model.coef)) == 0


def test_the_model_weighs_what_sets_a_passage_above_the_others_of_its_question():
    """Pairwise: evidence that is the same for every candidate of a question (it tells questions apart,
    not passages) gets no weight, however it correlates with relevance across questions."""
    examples = _examples([str(i) for i in range(12)])
    for i, e in enumerate(examples):
        e.X[:, 1] = float(i)  # a question-level value
        if i % 2:
            e.y[:] = 0
            e.y[:2] = 1  # the questions with a higher value have more relevant candidates
    model = fit(examples)
    assert model.coef[0] > 0 and abs(model.coef[1]) < 1e-6


def test_the_heading_title_and_note_words_cache_stays_bounded(monkeypatch):
    from assistant.index import lexical

    texts = ["Access to housing", "Asylum Report 2023", "", "Ordinance on integration, 2023.", "Access to housing"]
    expected = [frozenset(lexical.tokenize([t])[0]) if t else frozenset() for t in texts]
    monkeypatch.setattr(lexical, "_TERM_SETS", {})
    monkeypatch.setattr(lexical, "TERM_SETS_MAX", 2)
    for start in range(len(texts)):
        asked = texts[start:start + 2]
        assert lexical.term_sets(asked) == expected[start:start + 2]
        assert len(lexical._TERM_SETS) <= 2


def test_the_abstention_cut_is_chosen_on_questions_the_model_has_not_seen():
    """Chosen in sample, the cut sits at the edge of 3% false abstentions on the training questions and
    crosses it on the next ones; it is chosen on each question's out-of-fold probability instead."""
    from assistant.learning import (
        MAX_FALSE_ABSTENTION,
        AbstentionExample,
        _abstention_model,
        _best_cut,
        fit_abstention,
        grouped_folds,
    )

    rng = np.random.default_rng(7)
    examples = []
    for i in range(160):
        unanswerable = i % 4 == 0
        x = rng.normal(-0.8 if unanswerable else 0.4, 1.0, size=3)
        examples.append(AbstentionExample(question=f"q{i}", x=x, unanswerable=unanswerable, hard=False,
                                          group=f"r{i % 23}"))
    y = np.array([e.unanswerable for e in examples], dtype=int)
    hard = np.zeros(len(examples), dtype=bool)
    X = np.vstack([e.x for e in examples])
    model = fit_abstention(examples)
    outside = np.zeros(len(examples))
    for train, test in grouped_folds([e.group for e in examples], 5)[1]:
        outside[test] = _abstention_model([examples[i] for i in train]).probability(X[test])
    inside_cut = _best_cut(model.probability(X), hard, y)
    assert inside_cut != model.about["cut"], "the fixture should tell the two choices apart"
    assert model.about["cut"] == _best_cut(outside, hard, y)
    false = ((outside > model.about["cut"]) & (y == 0)).sum() / (y == 0).sum()
    assert false <= MAX_FALSE_ABSTENTION
