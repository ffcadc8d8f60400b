"""PDF reports, read with pdfplumber (pdfminer.six underneath): characters with their size and
position, so superscript note markers and page-bottom notes are recognised from the layout itself.

The page is written in the project's Markdown dialect: larger lines become ``#`` headings, raised
small digits become Unicode superscripts (``¹⁷``), the small-type notes at the bottom of a page become
``¹ note text`` paragraphs where they stand, and pages are separated by blank lines, so the shared
parser lifts the notes out and rejoins the sentence a page break cut. Page numbers and running
heads or feet repeated on several pages are dropped as furniture.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import SourceError
from assistant.ingest.footnotes import SUPERSCRIPTS, TO_SUPERSCRIPT, from_superscript
from assistant.ingest.hyphenation import Dehyphenator
from assistant.settings import Parsing

_NOTE_START = re.compile(rf"^[{SUPERSCRIPTS}\d]+\s*\S")  # a page-bottom note: its number, then text
_NOTE_NUMBER = re.compile(rf"^([{SUPERSCRIPTS}\d]+)\s*")



@dataclass
class _Line:
    text: str
    size: float  # the line's main font size
    top: float
    bottom: float
    page: int
    starts_with_marker: str = ""  # a note number the line starts with (small type), if any


def _line_from_chars(chars: list[dict], page: int, layout: Parsing) -> _Line | None:
    chars = sorted(chars, key=lambda c: c["x0"])
    sizes = Counter(round(c["size"], 1) for c in chars if c["text"].strip())
    if not sizes:
        return None
    size = sizes.most_common(1)[0][0]
    base = max(c["bottom"] for c in chars if round(c["size"], 1) == size)
    parts: list[str] = []
    prev = None
    lead = ""
    for i, c in enumerate(chars):
        text = c["text"]
        raised = (c["size"] <= size * layout.pdf_superscript_size
                  and c["bottom"] < base - size * layout.pdf_superscript_raise and text.isdigit())
        if prev is not None and c["x0"] - prev["x1"] > min(c["size"], prev["size"]) * layout.pdf_word_gap \
                and not raised:
            parts.append(" ")
        if raised:
            text = text.translate(TO_SUPERSCRIPT)
            if not "".join(parts).strip():
                lead += c["text"]
        parts.append(text)
        prev = c
    line = re.sub(r"\s+", " ", "".join(parts)).strip()
    return _Line(text=line, size=size, top=min(c["top"] for c in chars), bottom=base, page=page,
                 starts_with_marker=lead)


def _lines(page, page_no: int, layout: Parsing) -> list[_Line]:
    rows: list[list[dict]] = []
    for c in sorted(page.chars, key=lambda c: (round(c["bottom"]), c["x0"])):
        # a raised superscript sits a little above its line: group by overlap of vertical extent
        for row in rows:
            top = min(x["top"] for x in row)
            bottom = max(x["bottom"] for x in row)
            if c["top"] < bottom - 1 and c["bottom"] > top + 1:
                row.append(c)
                break
        else:
            rows.append([c])
    lines = [_line_from_chars(r, page_no, layout) for r in rows]
    return sorted((ln for ln in lines if ln and ln.text), key=lambda ln: ln.top)


def pdf_to_markdown(path: Path, layout: Parsing | None = None) -> str:
    """The PDF's text in the project's Markdown dialect; ``layout``: the parsing settings whose
    ``pdf_*`` thresholds tell superscripts, headings, page-bottom notes and paragraphs apart."""
    import pdfplumber

    layout = layout or Parsing()
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        with pdfplumber.open(path) as pdf:
            pages = [_lines(page, i, layout) for i, page in enumerate(pdf.pages)]
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise SourceError("encrypted PDF; save an unencrypted copy of the report") from exc
    except PDFSyntaxError as exc:
        raise SourceError(f"not a readable PDF ({exc}); check that the file is a complete PDF") from exc
    except Exception as exc:  # pdfplumber wraps pdfminer's errors; pdfminer raises many kinds on broken files
        causes = [*exc.args, exc.__context__]
        if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes):
            raise SourceError("encrypted PDF; save an unencrypted copy of the report") from exc
        if any(isinstance(c, PDFSyntaxError) for c in causes):
            raise SourceError("not a readable PDF; check that the file is a complete PDF") from exc
        raise SourceError(f"PDF cannot be read ({type(exc).__name__}: {exc}); check the file") from exc
    all_lines = [ln for page in pages for ln in page]
    lines_joined = Dehyphenator(ln.text for ln in all_lines)
    if sum(len(ln.text) for ln in all_lines) < 20:
        raise SourceError("PDF has no text layer (a scanned image?); run OCR on it (e.g. ocrmypdf) and add that")
    body = Counter()
    for ln in all_lines:
        body[ln.size] += len(ln.text)
    body_size = body.most_common(1)[0][0]
    heading_sizes = sorted({ln.size for ln in all_lines if ln.size >= body_size * layout.pdf_heading_size}, reverse=True)
    repeated = Counter(ln.text for ln in all_lines if not ln.text.isdigit())
    furniture = {t for t, n in repeated.items() if n >= 3 and len(pages) >= 3}

    out: list[str] = []
    for lines in pages:
        paragraphs: list[list[str]] = []
        last: _Line | None = None
        body_bottom = max((ln.bottom for ln in lines if ln.size >= body_size * layout.pdf_body_size), default=0.0)
        for ln in lines:
            if re.fullmatch(r"(page\s*)?\d{1,4}", ln.text, re.IGNORECASE) or ln.text in furniture:
                continue  # page numbers, running heads and feet
            small = ln.size < body_size * layout.pdf_note_size
            if small and ln.top >= body_bottom and _NOTE_START.match(ln.text):
                number = _NOTE_NUMBER.match(ln.text)
                digits = from_superscript(number.group(1))
                paragraphs.append([digits.translate(TO_SUPERSCRIPT) + " " + ln.text[number.end():]])
                last = ln
                continue
            if small and ln.top >= body_bottom and paragraphs and last is not None and last.size < body_size * layout.pdf_note_size:
                paragraphs[-1].append(ln.text)  # a note continued on the next line
                last = ln
                continue
            if ln.size in heading_sizes and len(ln.text) < 150:
                level = min(heading_sizes.index(ln.size) + 1, 6)
                paragraphs.append(["#" * level + " " + ln.text])
                last = None
                continue
            gap = ln.top - last.bottom if last is not None else None
            new_paragraph = last is None or last.size != ln.size or gap is None or gap > ln.size * layout.pdf_paragraph_gap or \
                paragraphs[-1][0].startswith("#")
            if new_paragraph:
                paragraphs.append([ln.text])
            else:
                paragraphs[-1].append(ln.text)
            last = ln
        for para in paragraphs:
            text = para[0]
            for nxt in para[1:]:
                text = lines_joined.join(text, nxt)  # a word split at a line end is joined again
            out.append(text)
        out.append("")  # a page break: one more blank line
    return "\n\n".join(out).strip() + "\n"
