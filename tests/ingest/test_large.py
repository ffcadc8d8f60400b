"""A large report (generated from the corpus, as eval/bench_large.py makes them) splits like a small one:
no word lost, every note attached to a passage of its own chapter. Speed is measured by the benchmark
only, never here."""

from __future__ import annotations

import re

import pytest

from assistant.ingest.document import normalize, parse_text
from assistant.ingest.footnotes import split_notes
from eval.bench_large import large_report
from tests.ingest.test_invariants import _splitter, assert_every_body_word_once

MB = 2**20
_CHAPTER = re.compile(r"^CHAPTER (\d+)\. ")


def _chapter_of_notes(text: str) -> list[int]:
    """The chapter each note of a superscript report sits in (its page-bottom place), in table order."""
    lines = normalize(text).split("\n")
    starts = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := _CHAPTER.match(line))]
    _, table = split_notes(lines)
    return [max(chapter for start, chapter in starts if start <= line) for line in table.line_of]


def test_two_megabyte_report_keeps_every_word_and_every_note_in_its_chapter():
    text, fmt = large_report(2 * MB, "superscript")
    doc = parse_text(text, fmt)
    passages = _splitter(60, 80).split(doc, "big")
    assert len(doc.notes) > 1000 and not doc.warnings and not doc.orphans
    assert_every_body_word_once(text, doc, passages)
    index = {id(note): i for i, note in enumerate(doc.notes)}
    attached = {index[id(n)] for p in passages for n in p.footnotes}
    assert attached == set(range(len(doc.notes)))
    # numbering restarts in every chapter: each marker took the note of its own chapter (a chapter's
    # first passage is its introduction, under its heading; a report's own headings may follow)
    chapter_of_note = _chapter_of_notes(text)
    chapter, chapters = 0, []
    for p in passages:
        if p.heading_path and (m := _CHAPTER.match(p.heading_path[0])):
            chapter = int(m.group(1))
        chapters.append(chapter)
        assert all(chapter_of_note[index[id(n)]] == chapter for n in p.footnotes), p.heading_path
    assert chapters == sorted(chapters) and chapters[-1] == chapter_of_note[-1] > 30
    assert all(p.n_tokens <= 60 for p in passages)


@pytest.mark.parametrize("form", ["glued", "anchor"])
def test_large_report_with_notes_at_the_end_keeps_every_word_and_note(form):
    text, fmt = large_report(MB // 2, form)
    doc = parse_text(text, fmt)
    passages = _splitter(60, 80).split(doc, "big")
    assert len(doc.notes) > 300 and not doc.warnings and not doc.orphans
    assert_every_body_word_once(text, doc, passages)
    assert {id(n) for p in passages for n in p.footnotes} == {id(n) for n in doc.notes}


@pytest.mark.parametrize("form", ["paragraph", "short-lines"])
def test_degenerate_reports_keep_every_word(form):
    text, fmt = large_report(MB // 2, form)
    doc = parse_text(text, fmt)
    passages = _splitter(60, 80).split(doc, "big")
    assert_every_body_word_once(text, doc, passages)
    assert all(p.n_tokens <= 60 for p in passages)


@pytest.mark.parametrize("form", ["superscript", "anchor", "short-lines"])
def test_additive_counts_give_the_same_passages(form):
    """A passage measured from its pieces' counts, where counts add up, is the passage tokenized whole."""
    text, fmt = large_report(MB // 4, form)
    exact = _splitter(60, 80).split(parse_text(text, fmt), "big")
    additive = _splitter(60, 80, additive=True).split(parse_text(text, fmt), "big")
    assert [p.model_dump() for p in additive] == [p.model_dump() for p in exact]


def test_progress_is_reported_by_block_and_changes_nothing():
    text, fmt = large_report(MB // 4, "superscript")
    splitter = _splitter(60, 80)
    calls: list[tuple[int, int]] = []
    with_progress = splitter.split(parse_text(text, fmt), "big", on_block=lambda done, total: calls.append((done, total)))
    without = splitter.split(parse_text(text, fmt), "big")
    total = len(parse_text(text, fmt).blocks)
    assert calls[-1] == (total, total) and len(calls) == total // splitter.PROGRESS_EVERY + 1
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    assert [p.model_dump() for p in with_progress] == [p.model_dump() for p in without]


@pytest.mark.slow
def test_long_text_counted_in_pieces_as_in_one_piece_and_passages_fit_the_model():
    from assistant.embedding import Embedder
    from assistant.ingest.pipeline import make_splitter
    from assistant.ingest.splitter import PassageSplitter, TokenCounter
    from assistant.settings import Settings

    settings = Settings()
    embedder = Embedder(settings)
    text, fmt = large_report(MB // 4, "paragraph")
    # the reference: transformers' own tokenizer of the model (the ONNX backend no longer loads one)
    reference = Embedder(Settings(backend="torch")).tokenizer
    whole = len(reference(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])
    assert len(text) > 200_000 and embedder.counts_add_up and embedder.count_tokens(text) == whole
    splitter = make_splitter(settings, embedder)
    passages = splitter.split(parse_text(text, fmt), "big")
    assert_every_body_word_once(text, parse_text(text, fmt), passages)
    assert all(p.n_tokens <= splitter.config.chunk_tokens for p in passages)
    assert all(p.n_tokens == embedder.count_tokens(p.embed_text()) + 2 for p in passages[:50])
    # the model's counts add up over whitespace: measured from the pieces, the same passages
    text, fmt = large_report(MB // 8, "anchor")
    additive = PassageSplitter(splitter.config, TokenCounter(embedder.count_tokens, additive=True))
    assert ([p.model_dump() for p in additive.split(parse_text(text, fmt), "big")]
            == [p.model_dump() for p in splitter.split(parse_text(text, fmt), "big")])
