"""PDFs as they sometimes really arrive: scanned pages read by OCR (and a clear message without it),
and broken files (truncated, no pages, 10,000 pages, a page of a million characters, fonts whose
glyphs map to no readable text), each refused or read with a message naming the problem and the page,
while the rest of the corpus is indexed and nothing served is lost. Fixtures: tests/fixtures/bad_pdfs.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.errors import SourceError
from assistant.ingest import ocr, pdf_chars
from assistant.ingest.document import parse_text
from assistant.ingest.loaders import load
from assistant.ingest.pages import marks_in, visible
from assistant.ingest.pdf import read_pdf
from assistant.ingest.splitter import PassageSplitter, SplitterConfig, TokenCounter
from assistant.settings import Parsing
from tests.fixtures import bad_pdfs
from tests.fixtures.bad_pdfs import SENTENCES
from tests.fixtures.pdfs import build_encrypted_pdf, build_report_pdf

TESSERACT = "Debian package tesseract-ocr (apt install tesseract-ocr tesseract-ocr-eng)"
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason=f"Tesseract OCR is not installed: {TESSERACT}")
WORDS = TokenCounter(lambda text: len(text.split()))
_WORD = re.compile(r"[a-z]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(visible(text).lower()))


def assert_mostly_read(sentence: str, text: str, share: float = 0.8) -> None:
    """Most words of the sentence (three letters or more) are in the text: OCR is not exact."""
    wanted = [w for w in _WORD.findall(sentence.lower()) if len(w) >= 3]
    found = [w for w in wanted if w in _words(text)]
    assert len(found) >= share * len(wanted), f"read {found} of {wanted} in {visible(text)!r}"


@pytest.fixture()
def no_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine without Tesseract."""
    monkeypatch.setattr(ocr, "available", lambda: False)


# ---------------------------------------------------------------------------------------------- OCR

@needs_tesseract
@pytest.mark.parametrize("font, size, pagesize, pages", [
    ("Helvetica", 14, bad_pdfs.A4, [SENTENCES[:3], SENTENCES[3:]]),
    ("Times-Roman", 13, bad_pdfs.A5, [SENTENCES[1:5]]),
    ("Courier", 12, bad_pdfs.A4, [SENTENCES[2:]]),
])
def test_a_scanned_pdf_is_read_by_ocr_and_marked_so(tmp_path: Path, font, size, pagesize, pages):
    path = bad_pdfs.scanned_pdf(tmp_path / "scan.pdf", pages, font, size, pagesize)
    assert all(not page.chars and page.images for page in pdf_chars.iter_pages(path)), "no text layer"
    pdf = read_pdf(path)
    numbers = list(range(1, len(pages) + 1))
    assert pdf.reading.ocr_pages == numbers and pdf.reading.blank_pages == []
    for sentence in [s for page in pages for s in page]:
        assert_mostly_read(sentence, pdf.markdown)
    assert [(page, is_ocr) for _, page, is_ocr in marks_in(pdf.markdown)] == [(n, True) for n in numbers]
    assert not any(line.startswith("#") for line in pdf.markdown.split("\n")), \
        "OCR lines of one type size are not headings"


@needs_tesseract
def test_a_mixed_pdf_reads_its_scanned_page_by_ocr_and_its_passages_say_so(tmp_path: Path):
    path = bad_pdfs.mixed_pdf(tmp_path / "mixed.pdf", SENTENCES[:3], SENTENCES[3:])
    pdf = read_pdf(path)
    reading = pdf.reading
    assert (reading.pages, reading.ocr_pages, reading.blank_pages, reading.warnings) == (2, [2], [], [])
    for sentence in SENTENCES[:3]:  # the text layer: exact
        assert sentence in visible(pdf.markdown)
    for sentence in SENTENCES[3:]:
        assert_mostly_read(sentence, pdf.markdown)

    doc = parse_text(pdf.markdown, "md")
    doc.reading = reading
    quality = doc.quality()
    assert (quality.pages, quality.ocr_pages, quality.blank_pages) == (2, [2], [])
    assert quality.score < 1 and "1 page(s) read by OCR" in quality.problems()

    splitter = PassageSplitter(SplitterConfig(max_tokens=256, chunk_tokens=16, min_tokens=4), WORDS)
    passages = splitter.split(doc, "mixed")
    first = set().union(*(_words(s) for s in SENTENCES[:3]))
    second = set().union(*(_words(s) for s in SENTENCES[3:]))
    kinds = set()
    for p in passages:
        words = _words(p.text)
        on_one, on_two = bool(words & (first - second)), bool(words & (second - first))
        if on_two and not on_one:
            assert (p.pages, p.ocr) == ([2], True), p
        elif on_one and not on_two:
            assert (p.pages, p.ocr) == ([1], False), p
        else:  # a paragraph that goes on over the page break
            assert (p.pages, p.ocr) == ([1, 2], True), p
        kinds.add((on_one, on_two))
    assert {(True, False), (False, True)} <= kinds, "passages of each page alone"


@needs_tesseract
@pytest.mark.parametrize("mapping", ["private", "none"])
def test_a_font_without_a_unicode_map_is_read_by_ocr_with_a_warning_naming_the_page(tmp_path: Path, mapping):
    path = bad_pdfs.broken_font_pdf(tmp_path / "font.pdf", [SENTENCES[:3], SENTENCES[3:]], mapping, plain_pages=(1,))
    pdf = read_pdf(path)
    assert pdf.reading.ocr_pages == [2]
    assert len(pdf.reading.warnings) == 1 and pdf.reading.warnings[0].startswith("page 2: its text cannot be decoded")
    for sentence in SENTENCES[:3]:
        assert sentence in visible(pdf.markdown)
    for sentence in SENTENCES[3:]:
        assert_mostly_read(sentence, pdf.markdown)
    assert not re.search("[\ufffd\ue000-\ue0ff]", pdf.markdown), "no undecoded characters in the text"


# --------------------------------------------------------------------------------- without Tesseract

def test_without_tesseract_a_scanned_pdf_is_refused_saying_how_to_enable_ocr(tmp_path: Path, no_tesseract):
    path = bad_pdfs.scanned_pdf(tmp_path / "scan.pdf", [SENTENCES[:3]])
    with pytest.raises(SourceError, match="no text layer") as raised:
        load(path, "pdf")
    assert "tesseract-ocr" in str(raised.value) and "install Tesseract OCR" in str(raised.value)


def test_without_tesseract_a_mixed_pdf_reads_its_text_page_and_names_the_scanned_one(tmp_path: Path, no_tesseract):
    path = bad_pdfs.mixed_pdf(tmp_path / "mixed.pdf", SENTENCES[:3], SENTENCES[3:])
    pdf = read_pdf(path)
    assert (pdf.reading.ocr_pages, pdf.reading.blank_pages) == ([], [2])
    for sentence in SENTENCES[:3]:
        assert sentence in visible(pdf.markdown)
    assert not _words(pdf.markdown) & {"mentors", "apprenticeships", "councils"}
    [warning] = pdf.reading.warnings
    assert re.match(r"pages? 2 ha(s|ve) no text layer", warning) and "tesseract-ocr" in warning, warning
    assert [(page, is_ocr) for _, page, is_ocr in marks_in(pdf.markdown)] == [(1, False)]


def test_without_tesseract_a_page_in_a_font_without_a_unicode_map_is_skipped_with_a_warning(
        tmp_path: Path, no_tesseract):
    path = bad_pdfs.broken_font_pdf(tmp_path / "font.pdf", [SENTENCES[:3], SENTENCES[3:]], plain_pages=(1,))
    pdf = read_pdf(path)
    assert (pdf.reading.ocr_pages, pdf.reading.blank_pages) == ([], [2])
    [warning] = pdf.reading.warnings
    assert warning.startswith("page 2: its text cannot be decoded") and "tesseract-ocr" in warning, warning
    assert _words(pdf.markdown) == set().union(*(_words(s) for s in SENTENCES[:3]))


def test_without_tesseract_a_pdf_all_in_a_font_without_a_unicode_map_is_refused_naming_the_font_problem(
        tmp_path: Path, no_tesseract):
    path = bad_pdfs.broken_font_pdf(tmp_path / "font.pdf", [SENTENCES[:3], SENTENCES[3:]])
    with pytest.raises(SourceError) as raised:
        read_pdf(path)
    message = str(raised.value)
    assert "cannot be decoded" in message and "tesseract-ocr" in message, message


# ----------------------------------------------------------------------------------------- broken files

@pytest.mark.parametrize("mapping, expected", [("private", "\ue000"), ("none", "\ufffd")])
def test_characters_with_no_unicode_come_back_as_such_not_as_hyphens(tmp_path: Path, mapping, expected):
    """pdfium's text of a glyph with no Unicode mapping is U+FFFE, as for a line-end hyphen: the two
    are told apart, so a page in such a font is known as undecodable rather than read as dashes."""
    path = bad_pdfs.broken_font_pdf(tmp_path / "font.pdf", [SENTENCES[:2]], mapping)
    [page] = pdf_chars.iter_pages(path)
    letters = [c["text"] for c in page.chars if c["text"] != " "]
    assert len(letters) > 50 and "-" not in letters
    assert all(ch == "\ufffd" for ch in letters) if expected == "\ufffd" else all(
        "\ue000" <= ch <= "\ue0ff" for ch in letters)


def test_a_line_end_hyphen_still_reads_as_a_hyphen(tmp_path: Path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "hyphen.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "The international pro-")
    c.drawString(72, 685, "tection of refugees")
    c.save()
    [page] = pdf_chars.iter_pages(path)
    assert "".join(c["text"] for c in page.chars).startswith("The international pro-tection")


def test_text_beyond_the_edge_of_the_page_does_not_stop_the_pdf_being_read(tmp_path: Path):
    pdf = read_pdf(bad_pdfs.off_page_text_pdf(tmp_path / "off.pdf"))
    text = visible(pdf.markdown)
    for sentence in SENTENCES:
        assert sentence in text
    assert "Country Applicants Decisions" in text


def test_a_truncated_pdf_is_refused_saying_it_is_incomplete(tmp_path: Path):
    path = bad_pdfs.truncated_pdf(tmp_path / "cut.pdf")
    with pytest.raises(SourceError, match=r"^not a readable PDF .*check that the file is a complete PDF"):
        load(path, "pdf")


def test_an_encrypted_pdf_is_refused_saying_what_to_do(tmp_path: Path):
    with pytest.raises(SourceError, match="^encrypted PDF; save an unencrypted copy"):
        load(build_encrypted_pdf(tmp_path / "locked.pdf"), "pdf")


def test_a_pdf_without_pages_is_refused_saying_so_even_after_an_encrypted_one(tmp_path: Path):
    """pdfium refuses a PDF without pages without setting its last error: the code is then the one
    the file opened before left (an encrypted one's "password"); the message must not be that."""
    with pytest.raises(SourceError, match="^encrypted PDF"):
        load(build_encrypted_pdf(tmp_path / "locked.pdf"), "pdf")
    path = bad_pdfs.no_pages_pdf(tmp_path / "empty.pdf")
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    with path.open("rb") as fh:  # the fixture is a sound PDF (pdfminer reads it), only without pages
        assert PDFDocument(PDFParser(fh)).catalog["Pages"] is not None
    with pytest.raises(SourceError, match="^the PDF has no pages"):
        load(path, "pdf")


def test_ten_thousand_pages_are_refused_by_the_page_limit_before_any_page_is_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = bad_pdfs.many_pages_pdf(tmp_path / "many.pdf")
    assert pdf_chars.page_count(path) == 10_000

    def no_reading(*args, **kwargs):
        raise AssertionError("pages were read")

    monkeypatch.setattr(pdf_chars, "iter_pages", no_reading)
    with pytest.raises(SourceError) as raised:
        load(path, "pdf")
    message = str(raised.value)
    assert message.startswith("10,000 pages, over the limit of 3,000") and "parsing.max_pdf_pages" in message
    with pytest.raises(SourceError, match="over the limit of 9,999"):
        load(path, "pdf", Parsing(max_pdf_pages=9_999))


def test_a_page_of_a_million_characters_is_skipped_naming_it_and_the_others_are_read(tmp_path: Path):
    path = bad_pdfs.huge_page_pdf(tmp_path / "huge.pdf", chars=1_000_000, page=2, pages=3)
    pdf = read_pdf(path)
    [warning] = pdf.reading.warnings
    assert re.match(r"page 2 holds 1,0\d\d,\d\d\d characters, over the limit of 100,000", warning), warning
    assert "parsing.max_page_chars" in warning
    assert (pdf.reading.pages, pdf.reading.blank_pages) == (3, [2])
    text = visible(pdf.markdown)
    assert "migration statistics" not in text
    for n in (1, 3):
        for sentence in [SENTENCES[(2 * n + k) % len(SENTENCES)] for k in range(3)]:
            assert sentence in text
    assert [page for _, page, _ in marks_in(pdf.markdown)] == [1, 3]
    doc = parse_text(pdf.markdown, "md")
    doc.reading = pdf.reading
    assert doc.quality().blank_pages == [2] and "1 page(s) with no text read" in doc.quality().problems()


def test_a_lower_page_character_limit_skips_ordinary_pages_too_each_named(tmp_path: Path):
    path = bad_pdfs.huge_page_pdf(tmp_path / "huge.pdf", chars=20_000, page=2, pages=3)
    pdf = read_pdf(path, Parsing(max_page_chars=1_000))
    assert pdf.reading.blank_pages == [2]  # the ordinary pages hold some 200 characters
    pdf = read_pdf(path, Parsing(max_page_chars=100_000))
    assert pdf.reading.blank_pages == [] and "migration statistics" in pdf.markdown


# ------------------------------------------------------------------------------------ the whole build

def _index(corpus: Path, index: Path) -> dict:
    from ui.cli import main

    result = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--json", "-q"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("tesseract", [
    pytest.param(True, marks=needs_tesseract, id="with-tesseract"), pytest.param(False, id="without-tesseract")])
def test_bad_pdfs_are_skipped_with_their_reasons_the_rest_is_indexed_and_nothing_served_is_lost(
        corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tesseract: bool):
    if not tesseract:
        monkeypatch.setattr(ocr, "available", lambda: False)
    build_report_pdf(corpus_copy / "graz.pdf")
    bad_pdfs.mixed_pdf(corpus_copy / "mixed.pdf", SENTENCES[:3], SENTENCES[3:])
    bad_pdfs.huge_page_pdf(corpus_copy / "huge.pdf")
    bad_pdfs.truncated_pdf(corpus_copy / "cut.pdf")
    build_encrypted_pdf(corpus_copy / "locked.pdf")
    bad_pdfs.no_pages_pdf(corpus_copy / "empty.pdf")
    bad_pdfs.many_pages_pdf(corpus_copy / "many.pdf")
    bad_pdfs.scanned_pdf(corpus_copy / "scan.pdf", [SENTENCES[3:]])
    bad_pdfs.broken_font_pdf(corpus_copy / "font.pdf", [SENTENCES[:3], SENTENCES[3:]])
    index = tmp_path / "index"
    first = _index(corpus_copy, index)
    skipped = {Path(s["path"]).name: s["reason"] for s in first["skipped"]}
    expected = {"cut.pdf": "not a readable PDF", "locked.pdf": "encrypted PDF", "empty.pdf": "the PDF has no pages",
                "many.pdf": "10,000 pages, over the limit of 3,000"}
    if not tesseract:  # refused, saying how to enable OCR
        expected |= {"scan.pdf": "", "font.pdf": ""}
        assert "tesseract-ocr" in skipped["scan.pdf"] and "tesseract-ocr" in skipped["font.pdf"], skipped
    assert {name: reason[: len(expected.get(name, ""))] for name, reason in skipped.items()} == expected, skipped
    assert all(str(corpus_copy) in s["path"] for s in first["skipped"]), "the skipped file is named by its path"

    details = {d["id"]: d for d in first["details"]}
    seeds = {r for r, d in details.items() if not d["file"].endswith(".pdf")}
    assert len(seeds) == 5, "the five seed reports"
    indexed = seeds | {"graz", "mixed", "huge"} | ({"scan", "font"} if tesseract else set())
    assert set(details) == indexed and first["reports"] == len(indexed)
    assert all(details[r]["passages"] > 0 for r in indexed)
    huge = details["huge"]
    assert any(w.startswith("page 2 holds") and "parsing.max_page_chars" in w for w in huge["warnings"])
    assert huge["quality"]["blank_pages"] == [2]
    mixed = details["mixed"]
    if tesseract:
        assert mixed["quality"]["ocr_pages"] == [2] and details["scan"]["quality"]["ocr_pages"] == [1]
        undecoded = [w.split(":")[0] for w in details["font"]["warnings"] if "cannot be decoded" in w]
        assert undecoded == ["page 1", "page 2"]
    else:
        assert mixed["quality"]["blank_pages"] == [2]
        assert any(re.match(r"pages? 2 ha(s|ve) no text layer", w) and "tesseract-ocr" in w
                   for w in mixed["warnings"])

    # a second build with one more bad file: everything served before is served still, nothing re-embedded
    bad_pdfs.truncated_pdf(corpus_copy / "cut-again.pdf")
    second = _index(corpus_copy, index)
    assert {d["id"]: d["passages"] for d in second["details"]} == {r: details[r]["passages"] for r in indexed}
    assert second["passages"] == first["passages"] and second["embedded"] == 0 and second["removed"] == 0
    assert {Path(s["path"]).name for s in second["skipped"]} == set(skipped) | {"cut-again.pdf"}

    from assistant.api import Assistant
    from assistant.settings import Settings

    assistant = Assistant(Settings(corpus=corpus_copy, index=index))
    hits = assistant.ask("Graz language cafes for refugees", k=3, mode="bm25").passages
    assert hits and hits[0].source.id == "graz" and hits[0].source.pages
    if tesseract:
        # the sentence is on page 2 of the mixed PDF, page 1 of the scan, page 2 of the undecodable one
        hits = assistant.ask("mentors apprenticeships Porto", k=10, mode="bm25").passages
        cited = {h.source.id: (h.source.pages, h.source.ocr) for h in hits if "apprenticeships" in h.text.lower()}
        for report, page in (("mixed", 2), ("scan", 1), ("font", 2)):  # (a passage may begin on the page before)
            pages, is_ocr = cited[report]
            assert is_ocr and pages[0] <= page == pages[-1], (report, cited)
