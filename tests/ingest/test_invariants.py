"""Nothing lost, nothing invented: invariants on the five real reports and on generated reports in
each footnote form (hypothesis)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from assistant.ingest.document import ParsedDocument, normalize, parse_text
from assistant.ingest.footnotes import SUPERSCRIPTS, split_notes, take_placeholders
from assistant.ingest.splitter import ORPHAN_SECTION, PassageSplitter, SplitterConfig, TokenCounter
from assistant.models import Passage
from tests.conftest import corpus_text

WORD = re.compile(f"[^\\W\\d_{SUPERSCRIPTS}]+")  # letters only: markers and numbers are not words
WORDS = TokenCounter(lambda text: len(text.split()))
WORDS_ADDITIVE = TokenCounter(lambda text: len(text.split()), additive=True)  # a word count adds up
REPORTS = [("euaa-ar2024-cooperation.txt", "txt"), ("euaa-ar2023-cooperation.md", "md"),
           ("euaa-ar2022-cooperation.md", "md"), ("ec-action-plan-partnerships.txt", "txt"),
           ("integra-good-practices.txt", "txt")]


def _splitter(chunk: int, max_tokens: int, additive: bool = False) -> PassageSplitter:
    return PassageSplitter(SplitterConfig(max_tokens=max_tokens, chunk_tokens=chunk, min_tokens=8),
                           WORDS_ADDITIVE if additive else WORDS)


def assert_every_body_word_once(text: str, doc: ParsedDocument, passages: list[Passage]) -> None:
    """Every word of the body (the text less its notes) in exactly one passage or heading."""
    body_lines, table = split_notes(normalize(text).split("\n"))
    body = Counter(WORD.findall("\n".join(body_lines)))
    text_passages = [p for p in passages if p.heading_path != [ORPHAN_SECTION]]
    got = Counter(WORD.findall(" ".join(p.text for p in text_passages)))
    # the one declared overlap: a split table's header row leads each of its parts
    heads = {(b.heading_path, take_placeholders(b.text.split("\n")[0])[0]) for b in doc.blocks if b.kind == "table"}
    leads: set[tuple] = set()
    for p in text_passages:
        lead = (tuple(p.heading_path), p.text.split("\n")[0])
        if "\n" in p.text and lead in leads and lead in heads:
            got -= Counter(WORD.findall(lead[1]))
        leads.add(lead)
    repeated_headings = [f for f in doc.furniture if f not in table.furniture]
    got += Counter(WORD.findall(" ".join(doc.headings + repeated_headings)))
    assert got == body, f"lost: {body - got}, invented: {got - body}"
    assert len(body) > 100, "fixture too small to prove anything"


@pytest.mark.parametrize("name, fmt", REPORTS)
@pytest.mark.parametrize("chunk", [40, 200])
def test_every_body_word_in_exactly_one_passage_every_cited_note_attached(name, fmt, chunk):
    text = corpus_text(name)
    doc = parse_text(text, fmt)
    passages = _splitter(chunk, 256).split(doc, "r")
    assert_every_body_word_once(text, doc, passages)
    attached = {n.number for p in passages for n in p.footnotes}
    assert attached == {n.number for n in doc.notes}
    assert all(p.n_tokens <= chunk for p in passages)
    assert [p.chunk_id for p in passages] == [p.chunk_id for p in _splitter(chunk, 256).split(parse_text(text, fmt), "r")]


# ---- generated reports, one strategy per footnote form -------------------------------------------

_word = st.text(alphabet="abcdefghijklmnoprstuvwy", min_size=2, max_size=8).filter(
    lambda w: w not in ("source", "photo"))
_sentences = st.lists(st.lists(_word, min_size=3, max_size=25), min_size=1, max_size=5)
_SUP = str.maketrans("0123456789", SUPERSCRIPTS)


def _paragraph(sentences: list[list[str]]) -> str:
    return " ".join(" ".join(words).capitalize() + "." for words in sentences)


def _build(form: str, paragraphs: list[list[list[str]]], cites: list[bool], note_words: list[list[str]],
           cut: bool) -> tuple[str, str, dict[str, str], dict[str, str]]:
    """(text, fmt, note number -> note text, note number -> unique word of the citing sentence)."""
    body, notes, cited_by, bottom = [], {}, {}, []
    number = 0 if form == "superscript" else 40
    for i, sentences in enumerate(paragraphs):
        para = _paragraph(sentences)
        if cites[i % len(cites)]:
            number += 1
            token = "qq" + "".join("abcdefghij"[int(d)] for d in str(number))
            para = para[:-1] + f" {token}."
            n = str(number)
            notes[n] = "Reference " + " ".join(note_words[i % len(note_words)]) + "."
            cited_by[n] = token
            marker = {"glued": n, "anchor": f"[{n}](#)", "superscript": n.translate(_SUP)}[form]
            para += marker
            if form == "superscript":
                if cut and len(sentences[0]) > 4:  # the note at the page bottom cuts the first sentence
                    words = para.split(" ")
                    para = " ".join(words[:2]) + f"\n\n{n.translate(_SUP)} {notes[n]}\n\n" + " ".join(words[2:])
                else:
                    bottom.append(f"{n.translate(_SUP)} {notes[n]}")
        body.append(para)
    if form == "superscript":
        text = "Report title\n\n" + "\n\n".join(body) + "\n\n" + "\n\n".join(bottom) + "\n"
        return text, "txt", notes, cited_by
    if form == "glued":
        tail = "\n".join(f"  • {n}{t}" for n, t in notes.items())
        return "Report title\n\n" + "\n\n".join(body) + "\n\n" + tail + "\n", "txt", notes, cited_by
    lines = []
    for k, (n, t) in enumerate(notes.items()):
        head = f"[{n}](#)" if k < 2 else n  # the switch to bare-number notes
        words = t.split(" ")
        lines.append(f"{head} {' '.join(words[:2])}\n\n{' '.join(words[2:])}" if cut and len(words) > 3 else
                     f"{head} {t}")
    return "## Report title\n\n" + "\n\n".join(body) + "\n\n" + "\n\n".join(lines) + "\n", "md", notes, cited_by


@hsettings(max_examples=40, deadline=None)
@given(form=st.sampled_from(["glued", "anchor", "superscript"]),
       paragraphs=st.lists(_sentences, min_size=1, max_size=6),
       cites=st.lists(st.booleans(), min_size=1, max_size=6),
       note_words=st.lists(st.lists(_word, min_size=1, max_size=8), min_size=1, max_size=3),
       cut=st.booleans())
def test_generated_reports_keep_words_and_notes(form, paragraphs, cites, note_words, cut):
    text, fmt, notes, cited_by = _build(form, paragraphs, cites, note_words, cut)
    doc = parse_text(text, fmt)
    passages = _splitter(30, 40).split(doc, "gen")
    joined = " ".join(p.text for p in passages)
    expected_body = [w for para in paragraphs for s in para for w in s]
    got = [w.lower() for w in WORD.findall(joined) if not w.startswith("qq")]
    assert got == expected_body, "a body word was lost, moved or invented"
    assert not re.search(r"\[\d+\]\(#\)|[" + SUPERSCRIPTS + r"•]", joined), "a marker was left in the text"
    assert not re.search(r"\.\d", joined), "a glued marker was left in the text"
    assert {n.number: n.text for n in doc.notes} == notes
    for number, token in cited_by.items():
        holders = [p for p in passages if token in p.text]
        assert holders and all(number in [n.number for n in p.footnotes] for p in holders[-1:])
    assert not doc.orphans and not doc.warnings
    assert [p.chunk_id for p in passages] == [p.chunk_id for p in _splitter(30, 40).split(parse_text(text, fmt), "gen")]
    additive = _splitter(30, 40, additive=True).split(parse_text(text, fmt), "gen")
    assert [p.model_dump() for p in additive] == [p.model_dump() for p in passages]
