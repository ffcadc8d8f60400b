"""Footnotes: read the notes first, then accept a number in the body as a marker only when it is in
the notes table and fits the notes' order.

Three forms are known (see ``shared/corpus-seed/SOURCES.md``):

* **glued** (PDF text): markers glued to the text (``Naples.893The``, ``2022,894and``) and notes as
  bullets with the number glued to the note (``• 893European Commission ...``);
* **anchor** (web Markdown): markers ``[1144](#)``, notes ``[1144](#) text`` that may switch to a bare
  number (``1167 European ...``) and wrap over blank lines;
* **superscript** (PDF text): markers ``¹``/``¹⁷`` and page-bottom notes ``¹ text`` that may sit in the
  middle of a sentence; numbering can restart, so a marker resolves to the nearest note below it.

A marker found in the body becomes a placeholder ``\\ue000<i>\\ue001`` (``i`` = the note's index in the
table) glued to the word before it, so a split never separates a marker from its sentence. Pure
functions: text in, text and records out.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from assistant.ingest.inline import clean_inline
from assistant.models import Note

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
PLACEHOLDER = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"  # the one table of superscript digits (html.py and pdf.py write markers with it)
_SUP_TO_DIGIT = str.maketrans(SUPERSCRIPTS, "0123456789")
TO_SUPERSCRIPT = str.maketrans("0123456789", SUPERSCRIPTS)


def from_superscript(text: str) -> str:
    """Superscript digits as plain digits ("¹²" -> "12")."""
    return text.translate(_SUP_TO_DIGIT)

_BULLET_NOTE = re.compile(r"^\s*[•▪●]\s*(\d{1,4})\s*(\S.*)$")
_ANCHOR_NOTE = re.compile(r"^\s*\[(\d{1,4})\]\(#\)\s*(.*)$")
_BARE_NOTE = re.compile(r"^(\d{1,4})\s+(\S.*)$")
_SUP_NOTE = re.compile(f"^\\s*\\**([{SUPERSCRIPTS}]+)\\**\\s*(\\S.*)$")
_RANGE_LINE = re.compile(r"^\s*\d{1,4}\s*[-–]\s*\d{1,4}\s*$")
_FURNITURE = re.compile(r"^\s*(©|\(c\)\s|copyright\b)", re.IGNORECASE)
_ANCHOR_MARKER = re.compile(r"\s*\[(\d{1,4})\]\(#\)")
_SUP_MARKER = re.compile(f"(\\*\\*)?([{SUPERSCRIPTS}]+)(\\*\\*)?")
_URL = re.compile(r"https?://[^\s<>\"\]\)]+")
_GLUED_NUMBER = re.compile(r"(?<=[^\s\d])(\d+)(?!\d)")  # a run of digits glued to text
_MD_LINK = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")
_BARE_NUMBER_GAP = 20
_UNIT_BEFORE = re.compile(r"(?<![A-Za-z])(m|km|cm|mm|ft|sq)$")  # a bare-number note must follow the previous note number within this gap


@dataclass
class NoteTable:
    """The notes of one document, in order, with where each superscript note sat in the text."""

    notes: list[Note] = field(default_factory=list)
    form: str | None = None  # glued | anchor | superscript
    line_of: list[int] = field(default_factory=list)  # line index of each note (superscript form)
    warnings: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    cited: set[int] = field(default_factory=set)

    def add(self, number: str, text: str, line: int) -> None:
        self.notes.append(clean_note(number, text))
        self.line_of.append(line)

    def orphans(self) -> list[Note]:
        return [n for i, n in enumerate(self.notes) if i not in self.cited]


def clean_note(number: str, raw: str) -> Note:
    """A note's display text (Markdown links and <url> reduced to the URL) and its URLs."""
    text = _MD_LINK.sub(lambda m: m.group(2) if m.group(1).replace("\\", "") in (m.group(2), "") else
                        f"{m.group(1)} {m.group(2)}", raw)
    text = clean_inline(text).replace("\\", "")
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    urls: list[str] = []
    for url in _URL.findall(text):
        url = url.rstrip(".,;")
        if url not in urls:
            urls.append(url)
    return Note(number=number, text=text, urls=urls)


def _note_start(line: str, form: str | None, last_number: int | None) -> tuple[str, int, str] | None:
    """(form, number, rest) when the line starts a note of the notes section."""
    if m := _BULLET_NOTE.match(line):
        return "glued", int(m.group(1)), m.group(2)
    if m := _ANCHOR_NOTE.match(line):
        return "anchor", int(m.group(1)), m.group(2)
    if form == "anchor" and last_number is not None and (m := _BARE_NOTE.match(line)):
        number = int(m.group(1))
        if last_number < number <= last_number + _BARE_NUMBER_GAP:
            return "anchor", number, m.group(2)
    return None


def split_notes(lines: list[str]) -> tuple[list[str], NoteTable]:
    """Take the notes out of a document's lines.

    Returns the body lines (notes, note-range lines and furniture removed; a removed line leaves a
    blank line so paragraph structure survives) and the notes table.
    """
    table = NoteTable()
    body = list(lines)
    # 1. Notes section at the end (glued bullets or anchors): from the first note line on.
    start = next((i for i, ln in enumerate(lines) if _BULLET_NOTE.match(ln) or _ANCHOR_NOTE.match(ln)), None)
    if start is not None:
        current: list[str] | None = None
        number: int | None = None
        for i in range(start, len(lines)):
            line = lines[i]
            body[i] = ""
            if not line.strip():
                continue
            if _FURNITURE.match(line):
                table.furniture.append(line.strip())
                continue
            started = _note_start(line, table.form, number)
            if started:
                if current is not None and number is not None:
                    table.add(str(number), " ".join(current), i)
                table.form = table.form or started[0]
                number, current = started[1], [started[2]]
            elif current is not None:
                current.append(line.strip())
        if current is not None and number is not None:
            table.add(str(number), " ".join(current), len(lines))
        # A stray range line ("1163-1178") just before the notes is furniture.
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and _RANGE_LINE.match(lines[j]):
            table.furniture.append(lines[j].strip())
            body[j] = ""
    # 2. Page-bottom superscript notes anywhere in the body: a paragraph that starts with "¹ text".
    if table.form is None:
        i = 0
        while i < len(body):
            m = _SUP_NOTE.match(body[i])
            prev_blank = i == 0 or not body[i - 1].strip()
            if m and prev_blank:
                j = i + 1
                while j < len(body) and body[j].strip():
                    j += 1
                text = " ".join([m.group(2)] + [ln.strip() for ln in body[i + 1:j]])
                table.add(m.group(1).translate(_SUP_TO_DIGIT), text, i)
                table.form = "superscript"
                for k in range(i, j):
                    body[k] = ""
                i = j
            else:
                i += 1
    for line in body:
        if _FURNITURE.match(line):
            table.furniture.append(line.strip())
    body = ["" if _FURNITURE.match(ln) else ln for ln in body]
    return body, table


def _placeholder(index: int) -> str:
    return f"{MARK_OPEN}{index}{MARK_CLOSE}"


def _space_after(text: str, end: int) -> str:
    """A space after a removed glued marker when a word follows directly ("Naples.893The")."""
    return " " if end < len(text) and (text[end].isalnum() or text[end] in "“\"'‘(") else ""


def mark_markers(body: str, table: NoteTable) -> str:
    """Replace the body's note markers by placeholders; unresolved markers stay and are warned about."""
    if table.form == "anchor":
        return _mark_anchor(body, table)
    if table.form == "glued":
        return _mark_glued(body, table)
    return _mark_superscript(body, table)


def _mark_anchor(body: str, table: NoteTable) -> str:
    index = {}
    for i, note in enumerate(table.notes):
        index.setdefault(note.number, i)

    def repl(m: re.Match[str]) -> str:
        i = index.get(m.group(1))
        if i is None:
            table.warnings.append(f"marker [{m.group(1)}] has no note; left in the text")
            return m.group(0)
        table.cited.add(i)
        return _placeholder(i) + _space_after(body, m.end())

    return _ANCHOR_MARKER.sub(repl, body)


def _mark_glued(body: str, table: NoteTable) -> str:
    # Each note, in number order, takes the first number after the previous marker that is glued to
    # text (not after a space or a digit) and not followed by a digit. The numbers are read in one pass
    # (a marker is always a whole run of digits), not searched for note by note over the rest of the text.
    at: dict[str, list[int]] = {}
    for m in _GLUED_NUMBER.finditer(body):
        at.setdefault(m.group(1), []).append(m.start())
    out: list[str] = []
    pos = 0
    order = sorted(range(len(table.notes)), key=lambda i: int(table.notes[i].number))
    for i in order:
        number = table.notes[i].number
        starts = at.get(number, ())
        k = bisect_left(starts, pos)
        if k == len(starts):
            continue
        start = starts[k]
        end = start + len(number)
        out.append(body[pos:start])
        out.append(_placeholder(i) + _space_after(body, end))
        table.cited.add(i)
        pos = end
    out.append(body[pos:])
    return "".join(out)


def _mark_superscript(body: str, table: NoteTable) -> str:
    line_starts = [0]
    for m in re.finditer("\n", body):
        line_starts.append(m.end())

    def line_at(offset: int) -> int:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # note number -> its notes' lines and indexes, in line order (a number may restart)
    by_number: dict[str, tuple[list[int], list[int]]] = {}
    for i in sorted(range(len(table.notes)), key=lambda k: (table.line_of[k], k)):
        lines, indexes = by_number.setdefault(table.notes[i].number, ([], []))
        lines.append(table.line_of[i])
        indexes.append(i)

    def repl(m: re.Match[str]) -> str:
        number = m.group(2).translate(_SUP_TO_DIGIT)
        # the unit, if any, ends right before the marker: look at the few characters there only
        if _UNIT_BEFORE.search(body, max(0, m.start() - 4), m.start()):
            return m.group(0)  # m², km², cm³: a power, not a marker
        if number not in by_number:
            table.warnings.append(f"marker {m.group(2)} (note {number}) has no note; left in the text")
            return m.group(0)
        lines, indexes = by_number[number]
        k = bisect_left(lines, line_at(m.start()))  # the nearest note below the marker, else the last one
        i = indexes[k] if k < len(lines) else max(indexes, key=lambda j: table.line_of[j])
        table.cited.add(i)
        return _placeholder(i) + _space_after(body, m.end())

    return _SUP_MARKER.sub(repl, body)


def take_placeholders(text: str) -> tuple[str, list[int]]:
    """Remove the placeholders from a passage's text; return the text and the cited note indexes."""
    cited: list[int] = []
    for m in PLACEHOLDER.finditer(text):
        i = int(m.group(1))
        if i not in cited:
            cited.append(i)
    clean = PLACEHOLDER.sub("", text)
    clean = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", clean))
    return clean.strip(), cited
