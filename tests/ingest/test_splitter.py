"""Splitting: passages fit the model, keep markers with their sentences, lose no word."""

from __future__ import annotations

import re

from hypothesis import given, settings as hsettings, strategies as st

from assistant.ingest.document import parse_text
from assistant.ingest.splitter import PassageSplitter, SplitterConfig, TokenCounter
from tests.conftest import corpus_text

WORDS = TokenCounter(lambda text: len(text.split()))  # one token per word: enough to test the packing


def _split(text: str, fmt: str = "txt", chunk: int = 60, max_tokens: int = 80):
    doc = parse_text(text, fmt)
    return doc, PassageSplitter(SplitterConfig(max_tokens=max_tokens, chunk_tokens=chunk, min_tokens=8), WORDS).split(doc, "r")


def test_long_paragraph_split_under_the_limit_marker_stays_with_its_sentence():
    sentences = [f"Sentence number {i} tells what country {i} did for refugees this year." for i in range(30)]
    sentences[17] = sentences[17][:-1] + ".7"
    text = "Title of it\n\n" + " ".join(sentences) + "\n\n  • 7Seventh note about country 17.\n"
    doc, passages = _split(text)
    assert len(passages) > 1
    assert all(p.n_tokens <= 60 for p in passages)
    with_note = [p for p in passages if p.footnotes]
    assert len(with_note) == 1
    assert "country 17 did for refugees this year." in with_note[0].text
    assert with_note[0].footnotes[0].text == "Seventh note about country 17."


def test_source_line_travels_with_its_practice():
    doc, passages = _split(corpus_text("integra-good-practices.txt"), chunk=250, max_tokens=256)
    bee = next(p for p in passages if p.text.startswith("Bee My Job is a social agriculture project"))
    assert bee.text.endswith("(Source: <http://www.beemyjob.it>)")
    assert not any(p.text.startswith("(Source") for p in passages)


def test_ids_are_stable_and_hash_source_and_text():
    _, a = _split(corpus_text("euaa-ar2024-cooperation.txt"))
    _, b = _split(corpus_text("euaa-ar2024-cooperation.txt"))
    assert [p.chunk_id for p in a] == [p.chunk_id for p in b]
    assert len({p.chunk_id for p in a}) == len(a)


_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)


@hsettings(max_examples=60, deadline=None)
@given(paragraphs=st.lists(st.lists(_word, min_size=3, max_size=90), min_size=1, max_size=6),
       cite=st.lists(st.booleans(), min_size=6, max_size=6))
def test_no_body_word_lost_and_every_cited_note_attached(paragraphs, cite):
    """Generated reports with anchor notes: every body word in a passage, every cited note attached."""
    body, notes, n = [], [], 100
    for i, words in enumerate(paragraphs):
        sentence = " ".join(words) + "."
        if cite[i]:
            n += 1
            sentence += f"[{n}](#)"
            notes.append(f"[{n}](#) Source number {n}. <https://example.org/{n}>")
        body.append(sentence)
    text = "## Section\n\n" + "\n\n".join(body) + "\n\n" + "\n\n".join(notes) + "\n"
    doc, passages = _split(text, fmt="md", chunk=40, max_tokens=50)
    joined = " ".join(p.text for p in passages)
    assert re.findall(r"[a-z]+", " ".join(body).replace("https", "")) == re.findall(r"[a-z]+", joined)
    attached = [note.number for p in passages for note in p.footnotes]
    assert sorted(set(attached)) == [str(k) for k in range(101, n + 1)]
    assert "](#)" not in joined
    assert all(p.n_tokens <= 50 for p in passages)


def test_a_note_cited_in_two_passages_travels_with_both():
    text = ("## S\n\nThe first programme opened in Vienna this spring for many people.[5](#)\n\n"
            "A second and entirely separate paragraph cites the same source again here.[5](#)\n\n"
            "[5](#) Ministry report. <https://example.org/r>\n")
    _, passages = _split(text, fmt="md", chunk=16, max_tokens=16)
    holders = [p for p in passages if p.footnotes]
    assert len(holders) == 2 and all(p.footnotes[0].number == "5" for p in holders)


def test_orphan_note_is_reported_and_stays_searchable():
    text = "## S\n\nA paragraph that cites one note here.[1](#)\n\n[1](#) Cited note.\n\n[2](#) Nobody cites me.\n"
    doc, passages = _split(text, fmt="md")
    assert [n.number for n in doc.orphans] == ["2"]
    assert any("note 2 is cited nowhere" in w for w in doc.warnings)
    orphan = [p for p in passages if p.heading_path == ["Notes not cited in the text"]]
    assert len(orphan) == 1 and orphan[0].text == "Note 2: Nobody cites me."
    assert [n.number for n in orphan[0].footnotes] == ["2"]


def test_large_table_split_by_whole_rows_each_part_led_by_its_header():
    rows = "\n".join(f"Row {i} | value number {i} with some words |" for i in range(12))
    text = f"1. An action\nAction | The action's long header text |\n{rows}\n"
    _, passages = _split(text, chunk=30, max_tokens=40)
    assert len(passages) > 1
    for p in passages:
        assert p.text.splitlines()[0] == "Action: The action's long header text"
        assert all(re.fullmatch(r"Row \d+: value number \d+ with some words", ln) for ln in p.text.splitlines()[1:])
