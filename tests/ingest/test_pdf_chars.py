"""pdf_chars (pdfium) against pdfplumber: the same characters, at the same places, with the same sizes
and font names, on PDFs made by reportlab (the project's fixtures, the generated whole report, text
scaled by its matrix) and by pdflatex (embedded subset fonts, real footnotes); and clear errors for
encrypted, empty, broken and page-less files."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from assistant.errors import SourceError
from assistant.ingest.pdf_chars import iter_pages, page_count
from tests.fixtures.big_pdf import build_big_report
from tests.fixtures.pdfs import build_encrypted_pdf, build_report_pdf, build_scanned_pdf

POSITION, SIZE = 1.5, 0.5  # points
SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")  # pdfium leaves out the tag of a subset font


def _plumber_pages(path: Path, pages: list[int]) -> dict[int, tuple[float, float, list[dict]]]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return {n: (pdf.pages[n - 1].width, pdf.pages[n - 1].height, pdf.pages[n - 1].chars) for n in pages}


def _compare(path: Path, pages: list[int] | None = None, spaces: bool = True) -> int:
    """Assert pdfium's and pdfplumber's characters agree on ``pages`` (from 1; default all): each
    upright character of one is matched by one of the other with the same text, positions within
    POSITION, size within SIZE and the same font name, and both read in the same order. Returns the
    number of characters compared. ``spaces``: compare space characters too (pdfium drops the space
    glyphs of some producers' fonts, putting its own inferred spaces, which pdf_chars leaves out,
    in their place)."""

    def kept(c: dict) -> bool:
        return c["upright"] and (spaces or not c["text"].isspace())

    ours = {p.number: p for p in iter_pages(path)}
    pages = pages or sorted(ours)
    theirs = _plumber_pages(path, pages)
    compared = 0
    for n in pages:
        width, height, expected = theirs[n]
        page = ours[n]
        assert (page.width, page.height) == pytest.approx((width, height), abs=0.01)
        expected = [c for c in expected if kept(c)]
        upright = [c for c in page.chars if kept(c)]
        pool: dict[tuple[str, int], list[dict]] = defaultdict(list)
        for c in upright:
            pool[c["text"], round(c["x0"])].append(c)
        for c in expected:
            candidates = [(abs(o["x0"] - c["x0"]) + abs(o["top"] - c["top"]), key, o)
                          for key in ((c["text"], round(c["x0"]) + d) for d in (-1, 0, 1)) for o in pool.get(key, [])]
            assert candidates, f"page {n}: {c['text']!r} at {c['x0']:.1f},{c['top']:.1f} has no counterpart"
            _, key, o = min(candidates, key=lambda t: t[0])
            pool[key].remove(o)
            where = f"page {n}: {c['text']!r} at {c['x0']:.1f},{c['top']:.1f}"
            for field in ("x0", "x1", "top", "bottom"):
                assert o[field] == pytest.approx(c[field], abs=POSITION), f"{where}: {field}"
            assert o["size"] == pytest.approx(c["size"], abs=SIZE), where
            assert o["fontname"] == SUBSET_TAG.sub("", c["fontname"]), where
            compared += 1
        # in the same order: both follow the content stream
        assert "".join(c["text"] for c in upright) == "".join(c["text"] for c in expected), f"page {n}"
    return compared


def test_project_fixture_pdf_matches_pdfplumber(tmp_path: Path) -> None:
    path = build_report_pdf(tmp_path / "report.pdf")
    assert _compare(path) > 300
    assert page_count(path) == 2


def test_generated_report_matches_pdfplumber(tmp_path: Path) -> None:
    report = build_big_report(tmp_path / "big.pdf", pages=6, notes=45, seed=3)
    assert (report.pages, report.notes) == (6, 45)
    assert page_count(report.path) == 6
    assert _compare(report.path, [1, 2, 6]) > 8000
    # the superscript markers: small and raised above their line's baseline
    chars = next(iter_pages(report.path)).chars
    small = [c for c in chars if c["size"] < 7 and c["text"].isdigit() and c["top"] < 700]
    assert small, "no superscript marker found on page 1"
    body = [c for c in chars if c["size"] == pytest.approx(10.0)]
    assert all(any(b["bottom"] - s["bottom"] > 2 for b in body if abs(b["x0"] - s["x0"]) < 60) for s in small)


def test_text_scaled_by_its_matrix(tmp_path: Path) -> None:
    """Tf 1 scaled by Tm, and text scaled and rotated by the graphics matrix (as browsers and some
    word processors write it): the size on the page, as pdfplumber reports it."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "scaled.pdf"
    c = canvas.Canvas(str(path), pagesize=(420, 595))
    t = c.beginText()
    t.setTextTransform(10, 0, 0, 10, 40, 500)
    t.setFont("Helvetica", 1)
    t.textOut("Text scaled by the text matrix")
    c.drawText(t)
    c.saveState()
    c.translate(40, 400)
    c.scale(1.5, 1.5)
    c.setFont("Times-Roman", 8)
    c.drawString(0, 0, "Text scaled by the graphics matrix")
    c.restoreState()
    c.saveState()
    c.translate(380, 100)
    c.rotate(90)
    c.setFont("Times-Roman", 9)
    c.drawString(0, 0, "A rotated margin note")
    c.restoreState()
    c.showPage()
    c.save()
    assert _compare(path) == len("Text scaled by the text matrix") + len("Text scaled by the graphics matrix")
    chars = next(iter_pages(path)).chars
    sizes = {round(c["size"], 2) for c in chars if c["text"] == "x"}
    assert sizes == {10.0, 12.0}
    rotated = [c for c in chars if not c["upright"]]
    assert all(c["size"] == pytest.approx(9) for c in rotated)
    assert "".join(c["text"] for c in rotated) == "A rotated margin note"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_pdf_matches_pdfplumber(tmp_path: Path) -> None:
    """Embedded subset Type 1 fonts with their own metrics; LaTeX's footnotes."""
    body = " ".join(f"In {2015 + i % 9} the agency in region {i} funded language courses for refugees "
                    f"and evaluated the results.\\footnote{{Annual report {i}, p. {i + 3}.}}" for i in range(40))
    (tmp_path / "r.tex").write_text("\\documentclass[a4paper]{article}\\begin{document}\\section{Reception}"
                                    f"{body}\\end{{document}}\n")
    subprocess.run(["pdflatex", "-interaction=batchmode", "-halt-on-error", "r.tex"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=120)
    path = tmp_path / "r.pdf"
    assert _compare(path) > 3000
    names = {c["fontname"] for page in iter_pages(path) for c in page.chars}
    assert {"CMR10", "CMBX12"} <= names, names


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_browser_printed_pdf_matches_pdfplumber(tmp_path: Path) -> None:
    """Chromium's print to PDF (Skia): text scaled by 0.75 in its matrix, subset CID fonts, real
    superscripts, typographic characters."""
    notes = "".join(f"<p class=n>{i} Ministry of the Interior ({2010 + i}), report on reception, p. {i * 7}.</p>"
                    for i in range(1, 13))
    body = "".join(f"<p>In {2010 + i} the cité of Graz opened {i * 31} places – “financial” "
                   f"support followed for refugees and asylum seekers in the region.<sup>{i}</sup></p>"
                   for i in range(1, 13))
    html = tmp_path / "report.html"
    html.write_text("<html><head><meta charset=utf-8><style>body{font:11pt serif} sup{font-size:7pt}"
                    f".n{{font-size:8pt}}</style></head><body><h1>Integration report</h1>{body}{notes}</body></html>",
                    encoding="utf-8")
    path = tmp_path / "report.pdf"
    subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={path}", html.as_uri()], check=True, capture_output=True, timeout=120)
    assert _compare(path, spaces=False) > 1500
    sizes = {round(c["size"], 1) for page in iter_pages(path) for c in page.chars}
    assert {11.0, 7.0, 8.0} <= sizes, sizes


def test_pages_come_one_at_a_time(tmp_path: Path) -> None:
    report = build_big_report(tmp_path / "big.pdf", pages=4, notes=20, seed=5)
    pages = iter_pages(report.path)
    first = next(pages)
    assert first.number == 1 and first.chars
    assert [p.number for p in pages] == [2, 3, 4]


def test_a_page_without_text_has_no_chars(tmp_path: Path) -> None:
    path = build_scanned_pdf(tmp_path / "scan.pdf")
    assert [p.chars for p in iter_pages(path)] == [[]]


def test_encrypted_pdf_is_a_clear_error(tmp_path: Path) -> None:
    path = build_encrypted_pdf(tmp_path / "secret.pdf")
    with pytest.raises(SourceError, match="encrypted PDF"):
        list(iter_pages(path))
    with pytest.raises(SourceError, match="encrypted PDF"):
        page_count(path)


def test_broken_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n this is not a PDF body \n")
    with pytest.raises(SourceError, match="not a readable PDF"):
        list(iter_pages(broken))
    with pytest.raises(SourceError, match="cannot be opened"):
        page_count(tmp_path / "missing.pdf")


def test_a_pdf_without_pages_is_a_clear_error(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    path = tmp_path / "empty.pdf"
    doc = pdfium.PdfDocument.new()
    doc.save(path)
    doc.close()
    with pytest.raises(SourceError, match="no pages"):
        page_count(path)
    with pytest.raises(SourceError, match="no pages"):
        list(iter_pages(path))


def test_a_truncated_pdf_is_a_clear_error(tmp_path: Path) -> None:
    full = build_big_report(tmp_path / "big.pdf", pages=4, notes=20, seed=1).path
    data = full.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(SourceError, match="not a readable PDF.*complete PDF"):
        list(iter_pages(cut))


def test_a_page_that_fails_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2 as pdfium

    from assistant.ingest import pdf_chars

    path = build_big_report(tmp_path / "big.pdf", pages=3, notes=10, seed=2).path
    real = pdf_chars._page_chars
    calls = []

    def failing(*args):
        calls.append(1)
        if len(calls) == 2:
            raise pdfium.PdfiumError("Failed to load text page.")
        return real(*args)

    monkeypatch.setattr(pdf_chars, "_page_chars", failing)
    first, second, third = iter_pages(path)  # a page that fails is named, and the pages after it are read
    assert first.chars and first.error is None
    assert not second.chars and second.error.startswith("page 2 of 3 cannot be read")
    assert third.number == 3 and third.chars and third.error is None


@pytest.mark.slow
def test_a_whole_report_is_read_page_by_page_in_bounded_memory(tmp_path: Path) -> None:
    """300 pages, 2,000 notes: reading them all takes no more memory than reading the first ten."""
    import tracemalloc

    report = build_big_report(tmp_path / "big.pdf")
    assert (report.pages, report.notes) == (300, 2000)

    def peak(pages: int) -> tuple[int, int]:
        tracemalloc.start()
        try:
            read = 0
            for page in iter_pages(report.path):
                assert page.chars, f"page {page.number} has no characters"
                read += 1
                if read == pages:
                    break
            return read, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    (ten, first_ten), (all_pages, whole) = peak(10), peak(10_000)
    assert (ten, all_pages) == (10, 300)
    assert whole < 1.5 * first_ten, (whole, first_ten)
