"""Layout: from a report's body lines to text blocks that know their heading path.

Rejoins what page breaks cut (a paragraph that ends mid-sentence and a next one that starts in
lower case), joins hyphenated line ends, reads headings (Markdown ``#``, upper-case themes,
practice titles, numbered action headings) and turns pipe tables into ``Key: value`` lines kept
whole. Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.footnotes import MARK_CLOSE, MARK_OPEN
from assistant.ingest.inline import clean_inline
from assistant.ingest.pages import CONTINUES, CONTINUES_GLUED, has_marks, take_marks, visible

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_NUMBERED = re.compile(r"^\d{1,3}\.\s+\S")
_TABLE_KEY = re.compile(r"^\s*([^|]{1,40}?)\s*\|(.*)$")
_TABLE_SEP = re.compile(r"^\s*[-:| ]*-[-:| ]*$")
_TERMINAL = ".!?:;)”\"’»]>" + MARK_CLOSE


@dataclass(frozen=True)
class Block:
    """A run of body text under one heading path; ``kind`` is text or table."""

    text: str
    heading_path: tuple[str, ...]
    kind: str = "text"


@dataclass(slots=True)
class _Para:
    lines: list[str]
    gap_before: int
    gap_after: int = 0
    kind: str = "text"  # text | table | heading
    level: int = 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _paragraphs(lines: list[str]) -> list[_Para]:
    paras: list[_Para] = []
    gap = 0
    current: list[str] = []
    for line in lines + [""]:
        if line.strip():
            if not current:
                start_gap = gap
            current.append(line.rstrip())
            gap = 0
        else:
            if current:
                paras.append(_Para(current, start_gap))
                current = []
            gap += 1
    for a, b in zip(paras, paras[1:]):
        a.gap_after = b.gap_before
    if paras:
        paras[-1].gap_after = 2
    return paras


def _split_tables(para: _Para) -> list[_Para]:
    """Split a paragraph at numbered headings that introduce a pipe table, and at the tables."""
    if not any("|" in line for line in para.lines):  # no table row, so nothing to split: the paragraph itself
        return [para]
    out: list[_Para] = []
    lines = para.lines
    i = 0
    buf: list[str] = []

    def flush(kind: str = "text") -> None:
        if buf:
            out.append(_Para(list(buf), 0, 0, kind=kind))
            buf.clear()

    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _NUMBERED.match(line) and "|" not in line and _TABLE_KEY.match(nxt):
            flush()
            out.append(_Para([line.strip()], 0, 0, kind="heading", level=1))
            i += 1
            continue
        if _TABLE_KEY.match(line) and (line.rstrip().endswith("|") or _TABLE_SEP.match(nxt) or
                                        nxt.strip() == "|" or (out and out[-1].kind == "heading")):
            flush()
            rows: list[tuple[str, list[str]]] = []  # key, and the parts of its value (a cell may wrap)
            while i < len(lines) and not (_NUMBERED.match(lines[i]) and "|" not in lines[i]):
                row = lines[i]
                if _TABLE_SEP.match(row) or row.strip() == "|":
                    pass
                elif m := _TABLE_KEY.match(row):
                    rows.append((m.group(1).strip(), [m.group(2).strip().rstrip("|").strip()]))
                elif rows:
                    rows[-1][1].append(row.strip().rstrip("|").strip())
                i += 1
            out.append(_Para([f"{k}: {' '.join(p for p in v if p)}".rstrip() for k, v in rows], 0, 0, kind="table"))
            continue
        buf.append(line)
        i += 1
    flush()
    if out:
        out[0].gap_before = para.gap_before
        out[-1].gap_after = para.gap_after
    return out


def _is_caps(text: str) -> bool:
    """At least three letters, all upper case (read up to the first lower-case one, no copy)."""
    letters = 0
    for c in text:
        if c.isalpha():
            if not c.isupper():
                return False
            letters += 1
    return letters >= 3


def _ends_sentence(text: str) -> bool:
    text = visible(text).rstrip()
    return text[-1:] in _TERMINAL if text else True


def _title_candidate(para: _Para) -> bool:
    if len(para.lines) != 1:
        return False
    text = para.text.strip()
    if MARK_OPEN in text or len(text) > 120 or len(text.split()) > 14:
        return False
    if text[0] in "(-•*|" or text.lower().startswith(("source", "photo")) or "|" in text:
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if text.startswith("http") or text[-1] in ",;:!?":
        return False
    # A title may end with a full stop only when set apart by page-layout gaps on both sides.
    return text[-1] != "." or (para.gap_before >= 2 and para.gap_after >= 2)


@dataclass
class Layout:
    blocks: list[Block]
    headings: list[str]  # every heading, in order, once per occurrence kept
    furniture: list[str]  # what was dropped: headings repeated one level down


def layout(lines: list[str], fmt: str) -> Layout:
    """The body's blocks, in reading order, each with its heading path."""
    paras: list[_Para] = []
    for para in _paragraphs(lines):
        paras.extend(_split_tables(para))

    # Rejoin what a page break (or a lifted page-bottom note) cut: no sentence end, lower-case start.
    joined: list[_Para] = []
    # (A paragraph's lines are never blank, so its first and last lines tell how it starts and ends:
    # joining its whole text for that would grow with each paragraph joined to it.)
    for para in paras:
        prev = joined[-1] if joined else None
        first = para.lines[0].lstrip()[:1] if para.lines else ""
        if first in (CONTINUES, CONTINUES_GLUED):  # the reader says: the paragraph before goes on here
            rest = para.lines[0].lstrip()[1:]
            if prev is not None and prev.kind == "text" and para.kind == "text" and not _MD_HEADING.match(prev.lines[-1]):
                prev.lines[-1] += ("" if first == CONTINUES_GLUED else " ") + rest
                prev.lines.extend(para.lines[1:])
                prev.gap_after = para.gap_after
                continue
            para.lines[0] = rest
        if (prev is not None and prev.kind == "text" and para.kind == "text" and first.islower()
                and not _MD_HEADING.match(prev.lines[-1]) and not _ends_sentence(prev.lines[-1])):
            tail = prev.lines[-1]
            if tail.endswith("-") and not tail.endswith(" -"):
                prev.lines[-1] = tail + para.lines[0].lstrip()
            else:
                prev.lines[-1] = tail + " " + para.lines[0].lstrip()
            prev.lines.extend(para.lines[1:])
            prev.gap_after = para.gap_after
            continue
        joined.append(para)

    # Classify headings.
    for para in joined:
        if para.kind != "text":
            continue
        if fmt == "md":
            m = _MD_HEADING.match(para.lines[0])
            if m and len(para.lines) == 1:
                para.kind, para.level = "heading", len(m.group(1))
                para.lines = [m.group(2)]
        elif len(para.lines) <= 3 and _is_caps(para.text) and para.gap_after >= 2 and MARK_OPEN not in para.text:
            para.kind, para.level = "heading", 1
            para.lines = [" ".join(ln.strip() for ln in para.lines)]
        elif _title_candidate(para):
            para.kind, para.level = "heading", 2

    # A heading that heads nothing (the document ends, or a heading of its level or above follows: a
    # caption, say) would take its words out of every passage: it is text.
    for i, para in enumerate(joined):
        if para.kind == "heading":
            title = clean_inline(para.text.strip())
            nxt = next((joined[j] for j in range(i + 1, len(joined)) if joined[j].kind != "heading"
                        or joined[j].level <= para.level or clean_inline(joined[j].text.strip()) != title), None)
            if nxt is None or (nxt.kind == "heading" and nxt.level <= para.level):
                para.kind = "text"

    blocks: list[Block] = []
    headings: list[str] = []
    furniture: list[str] = []
    stack: list[tuple[int, str]] = []
    path: tuple[str, ...] = ()  # the stack's titles: one tuple shared by the blocks of a section
    pending = ""  # the page marks of headings, carried to the text that follows them
    for para in joined:
        if para.kind == "heading":
            if has_marks(para.text):
                pending += take_marks(para.text)
                para.lines = [visible(line) for line in para.lines]
            title = clean_inline(para.text.strip())
            if stack and stack[-1][1] == title:  # the same heading repeated one level down
                furniture.append(title)
                continue
            headings.append(title)
            while stack and stack[-1][0] >= para.level:
                stack.pop()
            stack.append((para.level, title))
            path = tuple(t for _, t in stack)
            continue
        text = clean_inline(para.text).strip()
        if text:
            blocks.append(Block(text=pending + text, heading_path=path, kind=para.kind))
            pending = ""
    return Layout(blocks=blocks, headings=headings, furniture=furniture)
