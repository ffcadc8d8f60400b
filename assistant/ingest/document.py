"""A parsed report: its body blocks (with heading paths and note placeholders) and its notes table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.ingest.footnotes import mark_markers, split_notes
from assistant.ingest.layout import Block, layout
from assistant.models import Note, ReadingQuality

if TYPE_CHECKING:
    from assistant.ingest.pdf import PdfReading

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ue000-\ue0ff]")


@dataclass
class ParsedDocument:
    blocks: list[Block]
    headings: list[str]
    notes: list[Note]
    note_form: str | None
    warnings: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    orphans: list[Note] = field(default_factory=list)
    reading: PdfReading | None = None  # a PDF: how its pages read
    markers: int = 0  # note markers attached to a note
    unresolved: int = 0  # note markers left in the text, with no note

    def quality(self) -> ReadingQuality:
        """How well the report read (markers and notes; a PDF's pages too)."""
        r = self.reading
        pages = {} if r is None else {"pages": r.pages, "ocr_pages": r.ocr_pages, "blank_pages": r.blank_pages,
                                      "stray_pages": r.stray_pages}
        return ReadingQuality.measure(markers=self.markers, markers_without_notes=self.unresolved,
                                      notes_without_markers=len(self.orphans), **pages)


def normalize(text: str) -> str:
    """Line ends unified, no-break spaces made plain, control and zero-width characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u202f", " ")
    text = _CONTROL.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def parse_text(text: str, fmt: str) -> ParsedDocument:
    """Parse a plain-text or Markdown report (``fmt`` is ``txt`` or ``md``)."""
    lines = normalize(text).split("\n")
    body_lines, table = split_notes(lines)
    del lines  # each stage's copy of a large text is let go once the next one is made
    body = mark_markers("\n".join(body_lines), table)
    del body_lines
    body_lines = body.split("\n")
    del body
    laid = layout(body_lines, fmt)
    orphans = table.orphans()
    warnings = list(table.warnings)
    warnings += [f"note {n.number} is cited nowhere in the text (orphan)" for n in orphans]
    return ParsedDocument(blocks=laid.blocks, headings=laid.headings, notes=table.notes, note_form=table.form,
                          warnings=warnings, furniture=table.furniture + laid.furniture, orphans=orphans,
                          markers=len(table.cited), unresolved=table.unresolved)
