"""Loaders: HTML and PDF produce the same document model; bad files give one-line reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ui.cli import main
from assistant.errors import SourceError
from assistant.ingest.document import parse_text
from assistant.ingest.pages import visible
from assistant.ingest.footnotes import take_placeholders
from assistant.ingest.loaders import load_text, parse_format
from tests.fixtures.pdfs import build_encrypted_pdf, build_report_pdf, build_scanned_pdf

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _parse(path: Path, fmt: str):
    doc = parse_text(load_text(path, fmt), parse_format(fmt))
    return doc, [(b, *take_placeholders(visible(b.text))) for b in doc.blocks]


def test_html_footnotes_read_from_the_markup_scripts_dropped():
    doc, blocks = _parse(FIXTURES / "footnotes.html", "html")
    assert [n.number for n in doc.notes] == ["1", "2", "3"]
    assert doc.notes[0].urls == ["https://www.lisboa.pt/refugees"]
    assert "↩" not in doc.notes[0].text
    block, text, cited = next(x for x in blocks if "Lisbon opened" in x[1])
    assert block.heading_path == ("Integration in Portugal", "Local partnerships")
    assert [doc.notes[i].number for i in cited] == ["1", "2"]
    porto = next(x for x in blocks if "Porto trained" in x[1])
    assert [doc.notes[i].number for i in porto[2]] == ["3"]
    assert "Porto trained 40 mediators and published" in porto[1]
    body = " ".join(t for _, t, _ in blocks)
    assert "alert" not in body and "innerHTML" not in body and "Home" not in body
    assert "COVID-19" in body and "H2O" in body and "100 m² shelters" in body and "Art. 13" in body


def test_pdf_superscripts_page_bottom_notes_and_page_break(tmp_path: Path):
    pdf = build_report_pdf(tmp_path / "report.pdf")
    doc, blocks = _parse(pdf, "pdf")
    assert [n.number for n in doc.notes] == ["1", "2", "1"], "numbering restarts on page 2"
    assert doc.notes[0].urls == ["https://www.graz.at/sprachcafe"]
    first = next(x for x in blocks if "language cafes" in x[1])
    assert first[0].heading_path == ("Local integration practices", "Language courses (Austria)")
    assert [doc.notes[i].text for i in first[2]] == ["City of Graz (2021). Sprachcafes. https://www.graz.at/sprachcafe"]
    # a line that ends a sentence well short of the margin ends its paragraph: the next one is its own block
    second = next(x for x in blocks if "More than 300 people" in x[1])
    assert [doc.notes[i].text for i in second[2]] == ["Volunteer Network Styria (2022). Annual report."]
    # the sentence cut by the page break (and the page-bottom notes between) is one sentence again
    cut = next(x for x in blocks if "helping refugees" in x[1])
    assert "the volunteers helping refugees and migrants received a certificate" in cut[1]
    # the second "¹" resolves to the note of its own page
    assert doc.notes[2].text == "Integration Office Graz (2022). Certificates for volunteers."
    assert 2 in cut[2]
    assert "In 2022, 894 people attended courses under Art. 13" in cut[1]
    body = " ".join(t for _, t, _ in blocks)
    assert "¹" not in body and "²" not in body
    assert not any(t.strip() in ("1", "2") for _, t, _ in blocks), "page numbers are furniture"
    housing = next(x for x in blocks if "Ljubljana" in x[1])
    assert housing[0].heading_path == ("Local integration practices", "Housing (Slovenia)")


@pytest.mark.parametrize("name, make, reason", [
    ("scanned.pdf", build_scanned_pdf, "no text layer"),
    ("locked.pdf", build_encrypted_pdf, "encrypted PDF"),
])
def test_unreadable_pdfs_are_refused_with_a_reason(tmp_path: Path, name, make, reason):
    with pytest.raises(SourceError, match=reason):
        load_text(make(tmp_path / name), "pdf")


def test_bad_files_each_give_a_reason(tmp_path: Path):
    cases = {
        "empty.txt": (b"", "txt", "empty file"),
        "blank.md": (b"  \n\n ", "md", "only whitespace"),
        "binary.txt": (b"\x00\x01\x02binary", "txt", "binary data"),
        "latin1.txt": ("Café".encode("latin-1"), "txt", "not UTF-8"),
        "fake.pdf": (b"hello, I am not a PDF", "pdf", "not a PDF"),
        "broken.pdf": (b"%PDF-1.7\n1 0 obj garbage", "pdf", "PDF"),
        "scripts.html": (b"<html><script>alert(1)</script><style>p{}</style></html>", "html", "no text"),
    }
    for name, (data, fmt, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(SourceError, match=reason):
            load_text(path, fmt)
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as fh:  # a sparse 200 MB file: refused by its size, never read
        fh.truncate(200 * 1024 * 1024)
    with pytest.raises(SourceError, match="200 MB is over the 50 MB limit"):
        load_text(huge, "txt")


@pytest.mark.slow
def test_bad_pdfs_and_html_skipped_while_the_corpus_is_indexed(corpus_copy: Path, tmp_path: Path):
    build_encrypted_pdf(corpus_copy / "locked.pdf")
    build_scanned_pdf(corpus_copy / "scanned.pdf")
    build_report_pdf(corpus_copy / "graz.pdf")
    (corpus_copy / "footnotes.html").write_text((FIXTURES / "footnotes.html").read_text())
    result = CliRunner().invoke(main, ["index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "i"), "--json"])
    summary = json.loads(result.stdout)
    assert summary["reports"] == 7
    assert {Path(s["path"]).name: s["reason"].split(";")[0] for s in summary["skipped"]} == {
        "locked.pdf": "encrypted PDF", "scanned.pdf": "PDF has no text layer (a scanned image?)"}
    graz = next(d for d in summary["details"] if d["id"] == "graz")
    assert graz["inferred_values"]["title"] == "Local integration practices"
    assert (graz["inferred_values"]["period_start"], graz["inferred_values"]["period_end"]) == (2021, 2023)
