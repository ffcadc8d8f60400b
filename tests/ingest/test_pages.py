"""Pages: a passage read from a PDF knows the pages it spans, a text report's passages know none, and
reading a PDF reports progress page by page."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, strategies as st

from assistant.ingest.document import parse_text
from assistant.ingest.loaders import load_text
from assistant.ingest.pages import PageTracker, page_mark, visible
from assistant.ingest.pipeline import _load_and_parse
from assistant.ingest.plan import PlannedFile
from assistant.ingest.splitter import PassageSplitter, SplitterConfig, TokenCounter
from assistant.settings import Parsing
from tests.fixtures.pdfs import build_report_pdf

WORDS = TokenCounter(lambda text: len(text.split()))


def _passages(text: str, fmt: str, chunk: int = 60):
    splitter = PassageSplitter(SplitterConfig(max_tokens=chunk + 20, chunk_tokens=chunk, min_tokens=4), WORDS)
    return splitter.split(parse_text(text, fmt), "r")


def test_pdf_passages_carry_their_pages(tmp_path: Path):
    passages = _passages(load_text(build_report_pdf(tmp_path / "r.pdf"), "pdf"), "md")
    by_text = {p.text.split(".")[0]: p.pages for p in passages}
    assert by_text["In 2021 the city of Graz opened free language cafes for refugees"] == [1]
    # the sentence a page break and the page's notes cut is one passage, on pages 1 and 2
    cut = next(p for p in passages if "volunteers helping refugees and migrants received" in p.text)
    assert cut.pages == [1, 2]
    assert next(p for p in passages if "Ljubljana" in p.text).pages == [2]
    assert not any(p.ocr for p in passages)
    assert all("\ue100" not in p.text and "\ue101" not in p.text for p in passages), "no page mark in the text"


def test_text_reports_have_no_pages():
    text = "# Report\n\nFirst paragraph of the report, long enough.\n\nSecond paragraph, also here.\n"
    assert all(p.pages == [] for p in _passages(text, "md"))


def test_page_progress_comes_page_by_page(tmp_path: Path):
    pdf = build_report_pdf(tmp_path / "r.pdf")
    events: list[tuple[str, int, int]] = []
    doc = _load_and_parse(PlannedFile(path=pdf, sha256="", report=None), Parsing(),
                          lambda stage, done, total: events.append((stage, done, total)))
    assert [e for e in events if e[0] == "page"] == [("page", 1, 2), ("page", 2, 2)]
    assert doc.reading is not None and doc.reading.pages == 2
    quality = doc.quality()
    assert quality.pages == 2 and quality.verdict == "good" and quality.markers == 3


@given(st.lists(st.tuples(st.integers(1, 5), st.booleans()), min_size=1, max_size=12))
def test_a_tracker_spans_from_the_page_a_passage_starts_on(parts):
    """Passages made of words with page marks glued after a page's first word: each passage spans
    from the page its first word is on to the page its last word is on."""
    page, texts, expected = 1, [], []
    first = True
    for extra, starts_page in parts:
        words = [f"w{i}" for i in range(extra + 1)]
        start = page
        if starts_page or first:
            page = page + (0 if first else 1)
            words[0] += page_mark(page)
            start = page
        first = False
        if extra > 1 and not starts_page:  # a page starts inside this passage
            page += 1
            words[1] += page_mark(page)
        texts.append(" ".join(words))
        expected.append([start] if page == start else [start, page])
    tracker = PageTracker()
    assert [tracker.span(t)[0] for t in texts] == expected
    assert all(not any(c in visible(t) for c in "\ue100\ue101") for t in texts)


def test_the_cli_shows_a_bar_for_the_pages_of_a_pdf(capsys):
    from ui.progress import Bars

    bars = Bars()
    bars("parse", 0, 2)
    for page in range(1, 4):
        bars("page", page, 3)  # a second bar under the parse bar, closed at the last page
    assert bars._pages is None and bars._stage == "parse"
    bars("parse", 1, 2)
    bars.close()
    err = capsys.readouterr().err
    assert "pages:" in err and "/3 " in err and "page/s" in err and "parse" in err
