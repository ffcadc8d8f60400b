"""Pages with no text layer (a scan), read with Tesseract OCR: Debian's ``tesseract-ocr``, run as a
program (no Python binding to keep in step with it). The page is rendered with pdfium at
``parsing.ocr_dpi``; Tesseract's TSV output gives each word with its box, and its lines become the
same ``Line`` records a text page gives, so the same layout rules (paragraphs, headings, notes) apply.
"""

from __future__ import annotations

import csv
import io
import logging
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import SourceError
from assistant.settings import Parsing

if TYPE_CHECKING:
    from assistant.ingest.pdf import Line

log = logging.getLogger(__name__)

INSTALL = "on Debian: apt install tesseract-ocr tesseract-ocr-eng"
_TIMEOUT_S = 120


def available() -> bool:
    """Whether the ``tesseract`` program is installed."""
    return shutil.which("tesseract") is not None


def _render(path: Path, page: int, dpi: int, out: Path) -> int:
    """Render the page to a PNG; its height in pixels."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        image = pdf[page - 1].render(scale=dpi / 72).to_pil()
        image.save(out)
        return image.height
    finally:
        pdf.close()


# A word's box is as high as its letters reach: x-height alone ("one"), up to the ascenders or capitals
# ("the"), down to the descenders ("gap"). As fractions of the type size in common Latin text faces:
_X_HEIGHT, _ASCENT, _DESCENT = 0.5, 0.72, 0.21
_TALL = set("bdfhijklt0123456789()[]{}/|\\!?%&@#$'\"")
_LOW = set("gjpqy()[]{}|,;")


def _type_size(words: list[dict]) -> float:
    """The line's type size in pixels: each word's box height over the share of the type size its
    letters cover (the median over the line), so that a line of words with descenders is not taken
    for larger type than one without (a box's bare height would make it a heading)."""
    sizes = []
    for w in words:
        letters = set(w["text"])
        # capitals and accented letters ("é": a decomposable one) reach up too
        tall = bool(letters & _TALL) or any(ch.isupper() or unicodedata.decomposition(ch) for ch in letters)
        share = (_ASCENT if tall else _X_HEIGHT) + (_DESCENT if letters & _LOW else 0.0)
        sizes.append(int(w["height"]) / share)
    sizes.sort()
    return sizes[len(sizes) // 2]


def read_tsv(tsv: str, page: int, scale: float, height: float) -> list[Line]:
    """Tesseract's TSV (one row per word) as lines; ``scale`` turns pixels into points."""
    from assistant.ingest.pdf import Line, mark_position

    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    lines: dict[tuple[str, str, str], list[dict]] = {}
    for row in rows:
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        try:
            if float(row.get("conf") or -1) < 0:
                continue
        except ValueError:
            continue
        lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    out: list[Line] = []
    for words in lines.values():
        left = min(int(w["left"]) for w in words)
        right = max(int(w["left"]) + int(w["width"]) for w in words)
        top = min(int(w["top"]) for w in words)
        bottom = max(int(w["top"]) + int(w["height"]) for w in words)
        size = round(_type_size(words) * scale, 1)
        out.append(Line(text=" ".join(w["text"].strip() for w in words), size=size, top=top * scale,
                        bottom=bottom * scale, x0=left * scale, x1=right * scale, page=page, ocr=True))
    out.sort(key=lambda ln: ln.top)
    mark_position(out, height * scale)
    return out


def page_lines(path: Path, page: int, parsing: Parsing) -> list[Line]:
    """The lines of one page (1-based) read by OCR; SourceError names the page when Tesseract fails."""
    with tempfile.TemporaryDirectory(prefix="assistant-ocr-") as tmp:
        image = Path(tmp) / "page.png"
        try:
            height = _render(path, page, parsing.ocr_dpi, image)
        except Exception as exc:
            raise SourceError(f"page {page} cannot be rendered for OCR ({exc})") from exc
        try:
            done = subprocess.run(["tesseract", str(image), "stdout", "-l", parsing.ocr_languages, "tsv"],
                                  capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SourceError(f"OCR of page {page} took over {_TIMEOUT_S} s; check the scan") from exc
        if done.returncode != 0:
            raise SourceError(f"OCR of page {page} failed ({done.stderr.strip()[:200]}); check that the "
                              f"Tesseract languages {parsing.ocr_languages!r} are installed ({INSTALL})")
    lines = read_tsv(done.stdout, page, 72 / parsing.ocr_dpi, height)
    log.info("page %d read by OCR: %d lines", page, len(lines))
    return lines
