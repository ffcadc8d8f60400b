"""A parsed report: its body blocks (with heading paths and note placeholders) and its notes table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.footnotes import mark_markers, split_notes
from assistant.ingest.layout import Block, layout
from assistant.models import Note

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
                          warnings=warnings, furniture=table.furniture + laid.furniture, orphans=orphans)
