"""Reading a report file into text, with a one-line reason when it cannot be used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import SourceError
from assistant.settings import Parsing

if TYPE_CHECKING:
    from assistant.ingest.pdf import PdfReading


@dataclass
class Loaded:
    """A file's text, and for a PDF how its pages read."""

    text: str
    reading: PdfReading | None = None


def too_large(size: int, parsing: Parsing) -> str | None:
    """Why a file of ``size`` bytes is refused (settings.parsing.max_file_mb, the one limit for files
    read, added or uploaded), or None."""
    if size > parsing.max_file_mb * 2**20:
        return f"{size / 2**20:.0f} MB is over the {parsing.max_file_mb} MB limit; split the report"
    return None


def load_text(path: Path, fmt: str, parsing: Parsing | None = None) -> str:
    """The file's text; raises SourceError naming what is wrong and what to do (see ``load``)."""
    return load(path, fmt, parsing).text


def load(path: Path, fmt: str, parsing: Parsing | None = None,
         on_page: Callable[[int, int], None] | None = None) -> Loaded:
    """The file's text; raises SourceError naming what is wrong and what to do.

    HTML and PDF come back in the project's Markdown dialect (see ``parse_format``). ``parsing``:
    the file size limit, the PDF layout thresholds and OCR (the defaults when not given);
    ``on_page(done, total)``: called after each page of a PDF."""
    parsing = parsing or Parsing()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"cannot be read ({exc.strerror}); check the file's permissions") from exc
    if size == 0:
        raise SourceError("empty file; remove it or add the report's text")
    if too_large(size, parsing):
        raise SourceError(too_large(size, parsing))
    if fmt == "pdf":
        from assistant.ingest.pdf import read_pdf

        with path.open("rb") as fh:
            if not fh.read(1024).lstrip().startswith(b"%PDF"):
                raise SourceError("not a PDF (no %PDF header); check the file or its extension")
        pdf = read_pdf(path, parsing, on_page)
        return Loaded(pdf.markdown, pdf.reading)
    data = path.read_bytes()
    if b"\x00" in data[:65536]:
        raise SourceError("binary data, not text (NUL bytes); convert the report to UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8") from exc
    if not text.strip():
        raise SourceError("no text (only whitespace); remove it or add the report's text")
    if fmt == "html":
        from assistant.ingest.html import html_to_markdown

        text = html_to_markdown(text)
        if not text.strip():
            raise SourceError("the HTML page has no text outside scripts and navigation")
    return Loaded(text)


def parse_format(fmt: str) -> str:
    """How a loaded text is parsed: HTML and PDF are converted to Markdown by their loaders."""
    return "md" if fmt in ("md", "html", "pdf") else "txt"
