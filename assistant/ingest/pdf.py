"""PDF reports, read from the characters of each page with their size and position, so that the
layout itself says what is body, heading, note or page furniture, whichever tool typeset the file
(a word processor, LaTeX, a browser's print-to-PDF, a report generator).

Page by page (one page's characters in memory at a time), characters become lines: digits set small
and raised become superscript note markers (``¹⁷``), and a page set in two columns is read column by
column. Over the whole document:

* **furniture**: page numbers and running heads or feet (a line at the top or bottom edge of a page
  whose text, digits aside, stands at the same height on other pages too) are dropped;
* **notes**: the lines below a page's body, in smaller type, that start with a number (raised or not,
  glued to the text or set apart) are that page's notes; lines there without a number continue the
  note before, also across a page break; notes listed after the body in body type (endnotes printed
  by a browser: ``1. text``) are recognised by their numbers following the markers cited before them;
* **headings**: lines in larger type (or whole lines in bold, short and unpunctuated) become ``#``
  headings, a heading set over several lines becomes one;
* **paragraphs**: a vertical gap, a first-line indent, or a short line that ends a sentence starts a
  new one; a paragraph cut by a page or column break, or by the notes under it, is joined again, and a
  word the typesetter split at a line end is joined again (``hyphenation.py``).

The result is the project's Markdown dialect: ``#`` headings, paragraphs, superscript markers and
page-bottom notes as ``¹ note text`` paragraphs placed after the paragraph in which their page ends,
plus a page mark (``pages.py``) glued to the first word of each page so that passages know their pages.
Pages without a text layer are read by Tesseract OCR when it is installed (``ocr.py``).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.errors import SourceError
from assistant.ingest.footnotes import SUPERSCRIPTS, TO_SUPERSCRIPT, from_superscript
from assistant.ingest.hyphenation import Dehyphenator
from assistant.ingest.pages import CONTINUES, CONTINUES_GLUED, page_mark, visible
from assistant.settings import Parsing

log = logging.getLogger(__name__)

_PAGE_NUMBER = re.compile(r"(?i)^(page\s*|p\.\s*|[-–—]\s*)?(\d{1,4}|[ivxlc]{1,7})(\s*[-–—])?(\s*(of|/)\s*\d{1,4})?$")
_NOTE_HEAD = re.compile(rf"^([{SUPERSCRIPTS}]+|\d{{1,4}})(?:[.)]|(?=\s)|(?=[^\d\s.,:;%)\-–]))\s*(?=\S)")
_CELL = "\ue1f0"  # between two stretches of a line set apart by a gap wider than _CELL_GAP type sizes
_CELL_GAP = 1.0
_GOES_ON = re.compile(r"^(https?://|www\.|doi:|[a-z])")  # a line that goes on with something before it
_WIDEST_GUTTER = 48  # points: a wider empty band is a short column's blank, not the space between columns
_SUPERSCRIPT_RUN = re.compile(f"[{SUPERSCRIPTS}]+")
_LIST_NUMBER = re.compile(r"^(\d{1,4})[.)]\s+\S")
_TERMINAL = tuple(".!?:;)”\"’»]")
_HYPHENS = {"\u00ad": "-", "\u2010": "-", "\u2011": "-"}  # soft and non-breaking hyphens (pdf_chars maps pdfium's own)
# a bold face by its name: "-Bold", "Black", "Heavy", "Semibold", "Demi", Times' "-Medi", TeX's "CMBX"/"SFBX"
_BOLD = re.compile(r"(?i)bold|black|heavy|semi|demi|-medi|cmbx|sfbx|\bbx\d")


@dataclass
class Line:
    """One line of text on a page (one column of it), with what the layout says about it."""

    text: str
    size: float  # main type size
    top: float
    bottom: float  # baseline of the main type
    x0: float
    x1: float
    page: int  # 1-based
    lead: str = ""  # a raised note number the line starts with
    bold: bool = False
    column: int = 0  # 0: the whole width or the left column, 1: the right column
    ocr: bool = False
    edge: int = 0  # 1: the first or last line of its page; 2: the second or the last but one; 0: inside
    upper: bool = True  # in the upper part of its page (where page-bottom notes are not)
    cells: list[tuple[float, float]] = field(default_factory=list)  # its stretches set apart by wide gaps
    cell_text: list[str] = field(default_factory=list)  # and their text
    table: bool = False  # a row of a table: lines whose cells line up
    band_top: float | None = None  # where the columns of its band begin (set in two columns; None: not)


@dataclass
class PdfReading:
    """How a PDF read: what the quality report shows."""

    pages: int = 0
    ocr_pages: list[int] = field(default_factory=list)
    blank_pages: list[int] = field(default_factory=list)  # no text layer and no OCR
    stray_pages: list[int] = field(default_factory=list)  # text below the notes that is neither body nor note
    warnings: list[str] = field(default_factory=list)


@dataclass
class PdfText:
    markdown: str
    reading: PdfReading


# ---------------------------------------------------------------------------------------------- lines

@lru_cache(maxsize=512)
def _is_bold(fontname: str) -> bool:
    return bool(_BOLD.search(fontname))


def _rows(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into rows by vertical overlap (a raised marker overlaps its line). The
    characters standing on one baseline are taken together first: a page has a few dozen baselines."""
    by_base: dict[float, list[dict]] = {}
    for c in chars:
        if c["text"].strip():
            by_base.setdefault(round(c["bottom"], 1), []).append(c)
    rows: list[list[dict]] = []
    extents: list[list[float]] = []  # top, bottom of each row
    for base, group in sorted(by_base.items()):
        top = min(c["top"] for c in group)
        for k in range(len(rows) - 1, max(-1, len(rows) - 4), -1):  # only the last few rows can overlap
            row_top, row_bottom = extents[k]
            overlap = min(row_bottom, base) - max(row_top, top)
            if overlap > 0.3 * min(row_bottom - row_top, base - top) or (
                    base <= row_bottom + 0.5 and top >= row_top - 0.5):
                rows[k].extend(group)
                extents[k] = [min(row_top, top), max(row_bottom, base)]
                break
        else:
            rows.append(list(group))
            extents.append([top, base])
    return rows


def _gutter(rows: list[list[dict]], width: float, strict: bool = False) -> tuple[float, float] | None:
    """The empty band between two columns, when the page is set in two; ``strict``: no row may cross
    it (a few rows only: a stray crossing row would be a tenth of many, but a quarter of four)."""
    if len(rows) < 4 or width <= 0:
        return None
    bins = int(width) + 1
    diff = [0] * (bins + 1)  # each row counted once on every point its characters cover
    for row in rows:
        # (a character may stand beyond the page's edge: clamped)
        spans = sorted((min(bins - 1, max(0, int(c["x0"]))), min(bins - 1, max(0, int(c["x1"])))) for c in row)
        start, end = spans[0]
        for a, b in spans[1:]:
            if a > end + 1:
                diff[start] += 1
                diff[end + 1] -= 1
                start, end = a, b
            else:
                end = max(end, b)
        diff[start] += 1
        diff[end + 1] -= 1
    cover = []
    running = 0
    for x in range(bins):
        running += diff[x]
        cover.append(running)
    limit = 0 if strict else max(1, len(rows) // 10)
    best: tuple[int, int] | None = None
    start = None
    lo, hi = int(width * 0.3), int(width * 0.7)
    for x in range(lo, hi + 1):
        if x < bins and cover[x] <= limit:
            start = x if start is None else start
        else:
            if start is not None and (best is None or x - start > best[1] - best[0]):
                best = (start, x)
            start = None
    if start is not None and (best is None or hi + 1 - start > best[1] - best[0]):
        best = (start, hi + 1)  # the band runs on to the end of the middle: one column is short
    if best is None or best[1] - best[0] < 6:
        return None

    def sides(band: tuple[int, int]) -> tuple[int, int]:
        """How many rows have text left of the band, and right of it."""
        return (sum(1 for row in rows if any(c["x1"] <= band[0] + 1 for c in row)),
                sum(1 for row in rows if any(c["x0"] >= band[1] - 1 for c in row)))

    if best[1] - best[0] > _WIDEST_GUTTER:
        # one column is short (the end of a chapter): the band runs on into it; the gutter is the part
        # beside the full column, as wide as the narrowest gutter
        rows_left, rows_right = sides(best)
        best = (best[0], best[0] + 6) if rows_left >= rows_right else (best[1] - 6, best[1])
    left, right = sides(best)
    if left < 2 or right < 2:  # (a column may be short: the end of a chapter)
        return None
    return float(best[0]), float(best[1])


def _crosses(row: list[dict], mid: float) -> bool:
    """Whether a row runs across the page's middle: a character over it, or the characters nearest it
    on either side closer than a character's width."""
    left = None
    right = None
    for c in row:
        if c["x0"] < mid < c["x1"]:
            return True
        if c["x1"] < mid and (left is None or c["x1"] > left["x1"]):
            left = c
        elif c["x0"] > mid and (right is None or c["x0"] < right):
            right = c["x0"]
    return left is not None and right is not None and right - left["x1"] < left["size"]


def _prose(rows: list[list[dict]], gutter: tuple[float, float]) -> bool:
    """Whether the rows on both sides of a gutter read as lines of text (a few words each), not as a
    table's cells (a name, a number)."""
    def words(chars: list[dict]) -> int:
        chars = sorted(chars, key=lambda c: c["x0"])
        return 1 + sum(1 for a, b in zip(chars, chars[1:]) if b["x0"] - a["x1"] > 0.2 * a["size"] or b.get("space"))

    counts = []
    for row in rows:
        for side in ([c for c in row if c["x1"] <= gutter[0] + 1], [c for c in row if c["x0"] >= gutter[1] - 1]):
            if side:
                counts.append(words(side))
    counts.sort()
    return bool(counts) and counts[len(counts) // 2] >= 4


def _line(chars: list[dict], page: int, layout: Parsing, column: int) -> Line | None:
    chars = sorted(chars, key=lambda c: c["x0"])
    sizes = Counter(c["size"] for c in chars if c["text"].strip())  # (sizes come to a tenth of a point)
    if not sizes:
        return None
    size = sizes.most_common(1)[0][0]
    base = max(c["bottom"] for c in chars if c["size"] == size)
    parts: list[str] = []
    prev = None
    lead = ""
    body_seen = False
    cells = [[chars[0]["x0"], chars[0]["x1"]]]  # stretches of text set apart by wide gaps (table cells)
    for c in chars:
        text = _HYPHENS.get(c["text"], c["text"])
        raised = (text.isdigit() and c["size"] <= size * layout.pdf_superscript_size
                  and c["bottom"] < base - size * layout.pdf_superscript_raise)
        gap = c["x0"] - prev["x1"] if prev is not None else 0.0
        if prev is not None and not raised and (gap > min(c["size"], prev["size"]) * layout.pdf_word_gap
                                                or (c.get("space") and gap > -0.3 * size)):
            if gap > size * _CELL_GAP:
                cells.append([c["x0"], c["x1"]])
                parts.append(_CELL)
            parts.append(" ")
        if raised:
            if not body_seen:
                lead += text
            text = text.translate(TO_SUPERSCRIPT)
        elif text.strip():
            body_seen = True
        parts.append(text)
        cells[-1][1] = max(cells[-1][1], c["x1"])
        prev = c
    line = re.sub(r"\s+", " ", "".join(parts)).strip()
    if not line.replace(_CELL, "").strip():
        return None
    fonts = Counter(c.get("fontname") or "" for c in chars if c["text"].strip())
    bold = sum(n for font, n in fonts.items() if _is_bold(font)) >= 0.8 * sum(fonts.values())
    return Line(text=line.replace(_CELL, ""), size=size, top=min(c["top"] for c in chars), bottom=base,
                x0=chars[0]["x0"], x1=max(c["x1"] for c in chars), page=page, lead=lead, bold=bold, column=column,
                cells=[(a, b) for a, b in cells], cell_text=[t.strip() for t in line.split(_CELL)])


def _row_cut(row: list[dict], g0: float, g1: float) -> float | None:
    """Where a row divides between the columns: the middle of its widest gap in or beside the gutter
    ``g0``-``g1`` (a glyph may lean into it); None when its text runs across (a title, a wide table).
    A gap narrower than half the gutter is a space between words of one line that runs across (a
    large-type title whose word space happens to fall in the gutter), not the gutter."""
    best: tuple[float, float] | None = None
    prev_x1 = None
    least = max(3.0, 0.5 * (g1 - g0))
    for c in sorted(row, key=lambda c: c["x0"]):
        if prev_x1 is not None:
            lo, hi = max(prev_x1, g0 - 3), min(c["x0"], g1 + 3)
            if hi - lo >= least and (best is None or hi - lo > best[1] - best[0]):
                best = (lo, hi)
        prev_x1 = c["x1"] if prev_x1 is None else max(prev_x1, c["x1"])
    if best is not None:
        return (best[0] + best[1]) / 2
    if all(c["x1"] <= g0 + 1 for c in row) or all(c["x0"] >= g1 - 1 for c in row):
        return (g0 + g1) / 2  # the row is all on one side
    return None


def _after_columns(keyed: list[tuple[tuple[int, int, float], Line]]) -> list[tuple[tuple[int, int, float], Line]]:
    """Lines of the left column that stand below the end of both columns, set off by a wide gap (a
    full-width part that starts after them, such as a heading and notes), come after the right column;
    so does a heading that ends the left column below the right column's end, just above a full-width
    part: nothing of its column follows it, so it is the heading of what does."""
    out = list(keyed)
    last_band = max((key[0] for key, _ in keyed), default=0)
    for band in {key[0] for key, _ in keyed}:
        left = sorted((ln for key, ln in keyed if key[0] == band and key[1] == 0), key=lambda ln: ln.top)
        right = [ln for key, ln in keyed if key[0] == band and key[1] == 1]
        if not left or not right:
            continue
        end = max(ln.bottom for ln in right)
        size = _mode([ln.size for ln in left + right])
        heading = left[-1]
        if band < last_band and heading.top > end + size and (heading.size >= 1.15 * size or heading.bold):
            out = [((key[0], 2, key[2]) if ln is heading else key, ln) for key, ln in out]
        for a, b in zip(left, left[1:]):
            if b.top > end + a.size and b.top - a.bottom > 2.5 * a.size:  # the rest starts after the columns
                below = {id(ln) for ln in left if ln.top >= b.top}
                out = [((key[0], 2, key[2]) if id(ln) in below else key, ln) for key, ln in out]
                break
    return out


def _spanning(keyed: list[tuple[tuple[int, int, float], Line]]) -> set[int]:
    """Lines that interrupt both columns though they stand in one: a table or a heading beside which the
    other column is empty, with both columns ending together just above it and going on below it. This
    is how a part set across the columns (CSS ``column-span``, a section break in a word processor)
    looks when it is narrower than the page: the columns above it are read before it, those below
    after it. (A float in one column beside a gap in the other, such as a figure, is not one: the
    column beside the gap holds ordinary text.)"""
    out: set[int] = set()
    for band in {key[0] for key, _ in keyed}:
        cols = [sorted((ln for key, ln in keyed if key[0] == band and key[1] == col), key=lambda ln: ln.top)
                for col in (0, 1)]
        if not cols[0] or not cols[1]:
            continue
        for side in (0, 1):
            here, other = cols[side], cols[1 - side]
            size = _mode([ln.size for ln in other])  # the other column's text type

            def heading(ln: Line) -> bool:
                return ln.size >= 1.15 * size or ln.bold

            tables = {id(ln) for ln in _table_rows(other)}
            for a, b in zip(here, here[1:]):
                if b.top - a.bottom < 2.5 * a.size:
                    continue
                inside = [ln for ln in other if ln.top > a.bottom and ln.bottom < b.top]
                above = [ln for ln in other if ln.bottom <= a.bottom + 0.5 * size]
                below = [ln for ln in other if ln.top >= b.top - 0.5 * size]
                # both columns end near one height above it (CSS balances them, to a few lines: widows,
                # orphans, paragraph gaps)
                if not (inside and above and below) or abs(above[-1].bottom - a.bottom) > 4 * size:
                    continue
                first, before = inside[0], above[-1]
                # a part of its own: set off from the column above by a margin, in another style (not
                # the rest of a heading or a table that began above), and all of it table or heading
                # the other column above ends in its text (a heading is followed by what it heads)
                apart = first.top - before.bottom >= 0.8 * size and not heading(before) and (
                    (id(first) in tables) != (id(before) in tables) or abs(first.size - before.size) > 0.5
                    or first.bold != before.bold)
                if apart and all(id(ln) in tables or heading(ln) for ln in inside):
                    out.update(id(ln) for ln in inside)
    return out


def page_lines(chars: list[dict], page: int, width: float, height: float, layout: Parsing) -> list[Line]:
    """The page's lines in reading order: by column when set in two, full-width lines between."""
    rows = _rows(chars)
    gutter = _gutter(rows, width)
    outside: set[int] = set()  # rows of a full-width part of a page set in two columns elsewhere
    if gutter is None:  # two columns above (or below) a full-width part: the gutter of the rest
        by_top = sorted(rows, key=lambda r: min(c["top"] for c in r))
        across = [_crosses(r, width * 0.5) for r in by_top]
        if any(across):
            first = across.index(True)
            last = len(across) - 1 - across[::-1].index(True)
            part = by_top[:first] if first >= len(by_top) - 1 - last else by_top[last + 1:]
            # (a few lines in two columns atop a page of endnotes: strictly, no line crossing)
            if len(part) >= 4:
                few = len(part) < max(8, 0.3 * len(by_top))
                gutter = _gutter(part, width, strict=few)
                if few and gutter is not None and not _prose(part, gutter):
                    gutter = None  # a table's white columns, not a gutter
                inside = {id(r) for r in part}
                outside = {id(r) for r in by_top if id(r) not in inside}
    keyed: list[tuple[tuple[int, int, float], Line]] = []
    if gutter is None:
        keyed = [((0, 0, ln.top), ln) for row in rows if (ln := _line(row, page, layout, 0)) is not None]
    else:
        g0, g1 = gutter
        wide = []
        split: dict[int, float] = {}  # id of a character -> where its row divides between the columns
        cuts = [(row, _row_cut(row, g0, g1)) for row in rows]
        # the right column's margin: where most right-hand parts start; a row whose right-hand part
        # starts before it, in the gutter's reach, is one thing across the page (a table spanning both)
        starts = [min(c["x0"] for c in row if c["x0"] >= cut) for row, cut in cuts
                  if cut is not None and any(c["x0"] >= cut for c in row)]
        right_margin = _mode(starts) if starts else g1
        for row, cut in cuts:
            right = [c["x0"] for c in row if cut is not None and c["x0"] >= cut]
            size = max(c["size"] for c in row)
            if cut is None or id(row) in outside or (right and min(right) < right_margin - 0.5 * size - 1):
                wide.append(row)
            else:
                split.update((id(c), cut) for c in row)
        tops = sorted(min(c["top"] for c in row) for row in wide)
        rest = [c for c in chars if id(c) in split]

        def band(top: float) -> int:
            return sum(1 for t in tops if t <= top + 0.5)

        for row in wide:  # a title, a wide table, a page number: starts a band of its own
            if (ln := _line(row, page, layout, 0)) is not None:
                keyed.append(((band(ln.top), -1, ln.top), ln))
        left = [c for c in rest if c["x0"] < split[id(c)]]
        right = [c for c in rest if c["x0"] >= split[id(c)]]
        for col, part in ((0, left), (1, right)):
            for row in _rows(part):
                if (ln := _line(row, page, layout, col)) is not None:
                    keyed.append(((band(ln.top), col, ln.top), ln))
        if spanning := _spanning(keyed):  # each starts a band of its own, as a full-width line would
            tops = sorted(tops + [ln.top for _, ln in keyed if id(ln) in spanning])
            keyed = [((band(ln.top), -1 if id(ln) in spanning else key[1], ln.top), ln) for key, ln in keyed]
        keyed = _after_columns(keyed)
        starts: dict[int, float] = {}
        for key, ln in keyed:
            if key[1] in (0, 1):
                starts[key[0]] = min(starts.get(key[0], ln.top), ln.top)
        for key, ln in keyed:
            ln.band_top = starts.get(key[0]) if key[1] in (0, 1) else None
    keyed.sort(key=lambda kv: kv[0])
    out = [ln for _, ln in keyed]
    mark_position(out, height)
    mark_tables(out)
    return out


def mark_position(lines: list[Line], height: float) -> None:
    """Which lines are at a page's edge (running heads, page numbers) and in its upper part."""
    by_height = sorted(lines, key=lambda ln: ln.top)
    for ln in by_height[1:2] + by_height[-2:-1]:
        ln.edge = 2
    for ln in by_height[:1] + by_height[-1:]:
        ln.edge = 1
    # a line set close under (over) the one before (after) it in its column, in the same type, goes on
    # with it: the last line of a note at a column's foot, not a running foot, whatever it says
    for ln in [x for x in lines if x.edge]:
        lower = ln.top >= height * 0.5
        near = [x for x in lines if x is not ln and x.column == ln.column and abs(x.size - ln.size) <= 0.3
                and 0 <= ((ln.top - x.bottom) if lower else (x.top - ln.bottom)) + 0.5 * ln.size < 0.9 * ln.size]
        if near:
            ln.edge = 0
    for ln in lines:
        ln.upper = ln.top < height * 0.6


def _mode(values: list[float]) -> float:
    """The most common value, to the point."""
    return float(Counter(round(v) for v in values).most_common(1)[0][0])


def _table_rows(lines: list[Line]) -> list[Line]:
    """Rows of a table: three or more consecutive lines of one column, each in two or more stretches set
    apart by wide gaps, where the gaps of each line lie over the gaps of the next (the white columns
    between a table's columns run through all its rows; the wide spaces of a loosely justified line
    do not line up with the next line's)."""
    def gaps(ln: Line) -> list[tuple[float, float]]:
        return [(a[1], b[0]) for a, b in zip(ln.cells, ln.cells[1:])]

    def over(g: tuple[float, float], h: tuple[float, float], size: float) -> bool:
        return min(g[1], h[1]) - max(g[0], h[0]) >= size * 0.3

    def aligned(a: Line, b: Line) -> bool:
        if len(a.cells) < 2 or len(b.cells) < 2 or a.column != b.column or abs(len(a.cells) - len(b.cells)) > 1:
            return False
        few, many = sorted((gaps(a), gaps(b)), key=len)
        size = min(a.size, b.size)
        return all(any(over(g, h, size) for h in many) for g in few)

    by_column: dict[int, list[Line]] = {}
    for ln in lines:
        by_column.setdefault(ln.column, []).append(ln)
    edges = {col: (_mode([ln.x0 for ln in col_lines]), _mode([ln.x1 for ln in col_lines]))
             for col, col_lines in by_column.items()}  # the column's margins: most lines start and end there

    def justified(ln: Line) -> bool:
        """Set from margin to margin with every space stretched: a line of justified text."""
        left, right = edges[ln.column]
        return abs(ln.x0 - left) < ln.size * 0.5 + 1 and abs(right - ln.x1) < ln.size * 0.5 + 1 and \
            all(" " not in cell for cell in ln.cell_text)

    found: list[Line] = []
    run: list[Line] = []
    for ln in lines + [None]:  # type: ignore[list-item]
        if ln is not None and run and aligned(run[-1], ln):
            run.append(ln)
            continue
        if len(run) >= 3 and not all(justified(row) for row in run):
            found += run
        run = [ln] if ln is not None else []
    return found


def mark_tables(lines: list[Line]) -> None:
    """Mark the rows of tables (see ``_table_rows``)."""
    for row in _table_rows(lines):
        row.table = True


# ------------------------------------------------------------------------------------------ reading

def _normal(text: str) -> str:
    """A line's text with its numbers blanked: running heads that carry the page number match."""
    return re.sub(r"\d+", "#", from_superscript(text).lower()).strip(" #|-–—")  # a page number before or after


def _edge_key(ln: Line, heading_size: float) -> str:
    """How a line at a page's edge is compared with other pages': the outermost line with its numbers
    blanked (a running head may carry the page number); the one inside it, or a line in heading type
    ("Chapter 1", "Chapter 3" atop their pages), as it is (a note's last line, a web address, may stand
    there and differ from page to page only in its numbers)."""
    return _normal(ln.text) if ln.edge == 1 and ln.size < heading_size else "=" + ln.text.lower()


def _furniture(pages: list[list[Line]], heading_size: float) -> set[tuple[str, int]]:
    """Running heads and feet: (text, height) of lines at a page's edge that stand at the same height
    (within 4 points) on at least two pages (three in a long document). Where the text's numbers were
    blanked to compare, they must be the page's number (give or take a fixed offset: "Page 12") or
    the same on every page ("Asylum Report 2024"): the ends of notes that differ in a number, such as
    web addresses at the foot of a column, are not furniture."""
    seen: Counter[tuple[str, int]] = Counter()
    numbers: dict[tuple[str, int], list[tuple[int, tuple[int, ...]]]] = {}
    for page, lines in enumerate(pages, start=1):
        keys = set()
        for ln in lines:
            if ln.edge and not ln.lead and len(ln.text) < 150:  # (a raised number: a note)
                key = (_edge_key(ln, heading_size), round(ln.top / 4))
                keys.add(key)
                if not key[0].startswith("="):  # compared with its numbers blanked
                    found = tuple(int(d) for d in re.findall(r"\d+", from_superscript(ln.text)))
                    numbers.setdefault(key, []).append((ln.page or page, found))
        seen.update(keys)
    need = 2 if len(pages) < 20 else 3
    out = set()
    for (text, band), n in seen.items():
        near = n + seen.get((text, band - 1), 0) + seen.get((text, band + 1), 0)
        if near < need or len(pages) < 2:
            continue
        found = [x for b in (band - 1, band, band + 1) for x in numbers.get((text, b), [])]
        if any(nums for _, nums in found):
            same = len({nums for _, nums in found}) == 1
            counted = [(page, nums) for page, nums in found if nums]
            paged = any(len({nums[i] - page for page, nums in counted}) == 1  # "Page 3 of 10": the first
                        for i in range(min(len(nums) for _, nums in counted)))
            if not (same or paged):
                continue
        out.add((text, band))
    return out


def _note_head(ln: Line) -> tuple[str, str] | None:
    """(number, text) when the line starts a note: a raised number, or a number set before the text."""
    if ln.lead:
        return ln.lead, ln.text[len(ln.lead):].strip()
    m = _NOTE_HEAD.match(ln.text)
    if m is None:
        return None
    return from_superscript(m.group(1)), ln.text[m.end():]


def _small_left(lines: list[Line], small: float) -> dict[int, float]:
    """Each column's leftmost start of a line in small type (the notes' edge) on a page."""
    out: dict[int, float] = {}
    for ln in lines:
        if ln.size < small:
            out[ln.column] = min(out.get(ln.column, ln.x0), ln.x0)
    return out


def _markers(text: str) -> list[str]:
    """The note numbers a line cites: its superscript runs, less the number a note line starts with."""
    return [from_superscript(m) for m in _SUPERSCRIPT_RUN.findall(text.lstrip(SUPERSCRIPTS + " "))]


def _ends_sentence(text: str) -> bool:
    text = text.rstrip().rstrip(SUPERSCRIPTS).rstrip()
    return text.endswith(_TERMINAL)


@dataclass
class _Page:
    body: list[Line]
    notes: list[tuple[str, list[str]]]  # number, lines
    continued: list[str]  # note lines at the top of the notes area that continue the previous page's note
    stray: int = 0


class _Reader:
    def __init__(self, pages: list[list[Line]], layout: Parsing) -> None:
        self.layout = layout
        # the body's type: the most text, counting more the upper part of pages (notes sit at the bottom)
        # and the lines that cite notes (the body cites, notes and endnotes are cited)
        sizes: Counter[float] = Counter()
        for lines in pages:
            for ln in lines:
                cites = bool(_markers(ln.text))
                sizes[ln.size] += len(ln.text) * (1.0 if ln.upper else 0.25) * (3.0 if cites else 1.0)
        self.body_size = sizes.most_common(1)[0][0] if sizes else 10.0
        self.heading_size = self.body_size * layout.pdf_heading_size
        self.furniture = _furniture(pages, self.heading_size)
        # heading styles, largest first: a level each
        styles = {style for lines in pages for ln in lines if (style := self.heading_style(ln)) is not None}
        self.heading_levels = {style: min(i + 1, 6) for i, style in
                               enumerate(sorted(styles, key=lambda st: (-st[0], not st[1])))}
        self.dropped: list[str] = []
        # how this document sets its note numbers: when (nearly) every small-type line that starts with a
        # number has it raised, a plain number at a line's start is a date or a count wrapped there, never
        # a note's number (a long note continued overleaf may have "10 October 2019" start a line)
        small = self.body_size * layout.pdf_note_size
        heads = Counter(bool(ln.lead) for lines in pages for ln in lines
                        if ln.size < small and _note_head(ln) is not None)
        self.raised_numbers = heads[True] >= 3 and heads[True] >= 4 * heads[False]
        # likewise where the notes' first lines start: where a note's number stands out from its text
        # (in the margin, or the first line indented), a line that starts where the notes' other
        # lines do is no note's first line, whatever number it starts with ("2020 discuss", a date
        # wrapped there)
        starts: dict[bool, Counter[int]] = {True: Counter(), False: Counter()}
        for lines in pages:
            edges = _small_left(lines, small)
            for ln in lines:
                if ln.size < small:
                    starts[ln.lead != "" or _note_head(ln) is not None][round(ln.x0 - edges[ln.column])] += 1
        self.note_start = self.line_start = None
        if sum(starts[True].values()) >= 3 and sum(starts[False].values()) >= 3:
            note_start, line_start = (starts[k].most_common(1)[0][0] for k in (True, False))
            if abs(note_start - line_start) > 0.8 * small:
                self.note_start, self.line_start = note_start, line_start

    def heading_style(self, ln: Line) -> tuple[float, bool] | None:
        """(size, bold) when the line looks like a heading: larger type than the body, or a short whole
        line in bold type at least the body's size that does not end like a sentence part."""
        text = ln.text
        if len(text) > 150 or not any(ch.isalpha() for ch in text) or ln.lead:
            return None
        if ln.size >= self.heading_size:
            return ln.size, ln.bold
        if ln.bold and ln.size >= self.body_size - 0.6 and len(text.split()) <= 14 \
                and not text.rstrip(SUPERSCRIPTS).endswith((".", ",", ";", ":")):
            return ln.size, True
        return None

    def starts_note(self, ln: Line, left: float) -> bool:
        """Whether a line starts where this document's notes start (see ``note_start``); ``left``: the
        leftmost start of small type in its column on its page."""
        if self.note_start is None:
            return True
        at = ln.x0 - left
        return abs(at - self.note_start) < abs(at - self.line_start)

    def is_furniture(self, ln: Line) -> bool:
        if not ln.edge or ln.lead:
            return False
        if _PAGE_NUMBER.match(from_superscript(ln.text)):
            return True
        band = round(ln.top / 4)
        keys = {_edge_key(ln, self.heading_size)}
        # a running head that is the outermost line on some pages and the one inside it on others (its
        # page number set a little higher, or on a line of its own): the two forms compare equal
        if ln.size < self.heading_size:
            if ln.edge == 1:
                keys.add("=" + _normal(ln.text))
            elif not any(ch.isdigit() for ch in from_superscript(ln.text)):
                keys.add(_normal(ln.text))
        return any((key, b) in self.furniture for key in keys for b in (band - 1, band, band + 1))

    def split_page(self, lines: list[Line], cited: set[str], note_open: bool) -> _Page:
        """A page's body lines and its notes (the smaller-type lines below the body that start with a
        number); ``note_open``: the last note of the page before ends mid-sentence, so small lines at the
        top of this page's notes, before any number, go on with it."""
        kept = []
        for ln in lines:
            if self.is_furniture(ln):
                self.dropped.append(ln.text)
            else:
                kept.append(ln)
        body_size = self.body_size * self.layout.pdf_body_size
        small = self.body_size * self.layout.pdf_note_size
        here = {m for ln in kept if ln.size >= small for m in _markers(ln.text)}  # this page's markers
        # the notes area of each column starts below its last line of body type
        last_body = {}
        for i, ln in enumerate(kept):
            if ln.size >= body_size:
                last_body[ln.column] = i
        body: list[Line] = []
        notes: list[tuple[str, list[str]]] = []
        continued: list[str] = []
        stray = 0
        note_columns: set[int] = set()  # the columns whose notes area has begun
        notes_left = _small_left(kept, small)
        left = {col: _mode([ln.x0 for ln in kept if ln.column == col]) for col in {ln.column for ln in kept}}

        def set_apart(i: int) -> bool:
            """Small unnumbered lines from ``i`` on that a wide gap sets apart from the notes below them
            (a caption or a source line under a figure, not the rest of a note)."""
            col = kept[i].column
            following = [k for k in range(i + 1, len(kept)) if kept[k].column == col]
            for k in [i] + following:
                nxt = next((m for m in following if m > k), None)
                if nxt is None:
                    return False
                if kept[nxt].top - kept[k].bottom > 2 * kept[k].size:
                    return True
                if kept[nxt].size >= small or _note_head(kept[nxt]) is not None:
                    return False
            return False

        for i, ln in enumerate(kept):
            below = i > last_body.get(ln.column, -1)
            if below and ln.size < small and ln.table and _note_head(ln) is None:
                # a table in small type under the body: not notes (notes whose numbers stand in a
                # column of their own line up like a table's rows, and start with their numbers)
                body.append(ln)
                continue
            if below and ln.size < small and not notes and ln.x0 - left[ln.column] > 2 * ln.size \
                    and not ln.lead and _note_head(ln) is None:
                body.append(ln)  # set in from the margin (centred) under the body: a caption, not a note
                continue
            if below and ln.size < small:
                head = _note_head(ln)
                # a raised number starts a note; a plain one ("9 October 2023" may wrap to a line's
                # start) only as the next number, or as the page's first note when the text cites it
                if head is not None and (ln.lead or not self.raised_numbers and self.starts_note(ln, notes_left[ln.column]) and (
                        head[0] in cited if not notes else (
                        head[0] == str(int(notes[-1][0]) + 1)  # the next note
                        or (int(head[0]) < int(notes[-1][0]) and head[0] in here)))):  # numbering restarts
                    notes.append((head[0], [head[1]]))
                    note_columns.add(ln.column)
                elif notes and not (ln.column not in note_columns and set_apart(i)):
                    notes[-1][1].append(ln.text)
                elif not notes and (note_open or _GOES_ON.match(ln.text)) and not set_apart(i) \
                        or not any(b.column == ln.column for b in body):
                    continued.append(ln.text)
                else:
                    body.append(ln)  # small type under the body with no number: a caption, a source line
                continue
            if below and notes and ln.size >= small:
                stray += 1
            body.append(ln)
        return _Page(body=body, notes=notes, continued=continued, stray=stray)


def _is_heading(reader: _Reader, ln: Line) -> int:
    """The heading level of a line (0: not a heading): larger type, or a short whole line in bold."""
    style = reader.heading_style(ln)
    return reader.heading_levels.get(style, 0) if style is not None else 0


class _Writer:
    """Paragraphs, headings and notes in reading order, as Markdown."""

    def __init__(self, joiner: Dehyphenator) -> None:
        self.joiner = joiner
        self.out: list[str | list[str]] = []  # a note: [number, its lines...], joined at the end
        self.para: str | None = None  # the open paragraph (lines are joined to it as they come)
        self.heading: tuple[int, str] | None = None  # the open heading (level, text): a heading may wrap
        self.last_line: Line | None = None
        self.cut: int | None = None  # out[cut]: a paragraph the notes of its page cut off; it may go on
        self.mark = ""  # a page mark waiting for the page's first word

    def _with_mark(self, text: str) -> str:
        if not self.mark:
            return text
        first, _, rest = text.partition(" ")
        text = first + self.mark + (" " + rest if rest else "")
        self.mark = ""
        return text

    def open_text(self) -> str:
        """The paragraph the next line may continue: the open one, or one the page's notes cut off."""
        if self.para is not None:
            return self.para
        if self.cut is not None:
            return self.out[self.cut]  # type: ignore[return-value]
        return ""

    def close_heading(self) -> None:
        if self.heading is not None:
            level, text = self.heading
            self.out.append("#" * level + " " + text)
            self.heading = None

    def close_paragraph(self) -> None:
        self.close_heading()
        if self.para is not None:
            self.out.append(self.para)
            self.para = None
        self.cut = None

    def add_heading(self, level: int, ln: Line) -> None:
        text = self._with_mark(ln.text)
        if self.heading is not None and self.heading[0] == level and self.last_line is not None \
                and ln.top - self.last_line.bottom < ln.size * 1.2 and ln.page == self.last_line.page:
            self.heading = (level, self.joiner.join(self.heading[1], text))  # a heading set on two lines
        else:
            self.close_paragraph()
            self.heading = (level, text)
        self.last_line = ln

    def add_row(self, ln: Line) -> None:
        """A row of a table: a line of its own, its cells set apart by "|" (read as a table later)."""
        row = self._with_mark(" | ".join(ln.cell_text) + " |")
        if self.para is not None and self.heading is None and self.last_line is not None and self.last_line.table:
            self.para += "\n" + row
        else:
            self.close_paragraph()
            self.para = row
        self.last_line = ln

    def add_line(self, ln: Line, new_paragraph: bool) -> None:
        text = self._with_mark(ln.text)
        if self.last_line is not None and self.last_line.table:
            new_paragraph = True  # the line after a table
        if self.para is not None and self.heading is None and not new_paragraph:
            self.para = self.joiner.join(self.para, text)
        elif self.cut is not None and self.heading is None and not new_paragraph:
            before = self.out[self.cut]
            assert isinstance(before, str)
            joined = self.joiner.join(before, text)
            if joined == before[:-1] + text:  # a word split over the page: its hyphen dropped
                self.out[self.cut] = before[:-1]
                self.para = CONTINUES_GLUED + text
            elif joined == before + text:
                self.para = CONTINUES_GLUED + text
            else:
                self.para = CONTINUES + text
            self.cut = None
        else:
            self.close_paragraph()
            self.para = text
        self.last_line = ln

    def page_end(self, notes: list[list[str]]) -> None:
        """The notes of the page just read, written where its text ends: the paragraph it ends in may
        go on overleaf, after them."""
        if not notes:
            return
        self.close_heading()
        if self.para is not None:
            self.out.append(self.para)
            self.para = None
            self.cut = len(self.out) - 1
        self.out.extend(notes)


@dataclass
class _Measure:
    """What the document's body lines say about its paragraphs."""

    margins: dict[tuple[int, int], tuple[float, float]]  # (page, column): left and right margin
    indents: bool  # paragraphs start with a first-line indent
    spacing: float  # the usual gap between two lines of a paragraph, as a fraction of the type size
    extra: float  # a gap wider than spacing by this fraction of the type size: a new paragraph
    first_top: float = 0.0  # where the body's first line usually stands on a page (a column)
    justified: bool = False  # set flush to both margins: any line that ends short ends a paragraph


def _spacing(pages: list[_Page]) -> float:
    """The most common gap between consecutive body lines, as a fraction of their type size."""
    gaps: Counter[float] = Counter()
    for page in pages:
        for a, b in zip(page.body, page.body[1:]):
            if a.column == b.column and abs(a.size - b.size) < 0.6 and b.top > a.top:
                gaps[round((b.top - a.bottom) / b.size, 1)] += 1
    return gaps.most_common(1)[0][0] if gaps else 0.3


def _ends_short(ln: Line, measure: _Measure) -> bool:
    """Whether a line stops well before its column's right margin (a paragraph's last line, mostly):
    by an em in justified text (every other line reaches the margin), by more in ragged text."""
    left, right = measure.margins.get((ln.page, ln.column), (ln.x0, ln.x1))
    if measure.justified:
        return ln.x1 < right - ln.size
    return ln.x1 < right - max(3 * ln.size, 0.12 * (right - left))


def _justified(pages: list[_Page], margins: dict[tuple[int, int], tuple[float, float]]) -> bool:
    """Whether the body is set justified: most of its lines end at their column's right margin."""
    at = total = 0
    for page in pages:
        for ln in page.body:
            if not ln.table and (ln.page, ln.column) in margins:
                total += 1
                at += abs(ln.x1 - margins[(ln.page, ln.column)][1]) <= max(1.0, 0.1 * ln.size)
    return total >= 10 and at >= 0.6 * total


def _new_paragraph(prev: Line | None, ln: Line, prev_text: str, measure: _Measure) -> bool:
    """Whether a body line starts a new paragraph after ``prev`` (the paragraph's last line so far)."""
    if prev is None:
        return True
    margins, indents = measure.margins, measure.indents
    left, right = margins.get((ln.page, ln.column), (ln.x0, ln.x1))
    indent = ln.x0 - left > ln.size * 0.8
    if (m := _LIST_NUMBER.match(ln.text)) and (_ends_sentence(prev_text) or (
            (before := _LIST_NUMBER.match(prev_text)) is not None and int(before.group(1)) + 1 == int(m.group(1)))):
        return True  # an item of a numbered list (not a year that goes on a sentence: "in\n2015. The")
    if prev.page != ln.page or prev.column != ln.column:  # a page or column break
        if not _ends_sentence(prev_text):
            return False  # cut mid-sentence: the same paragraph
        if ln.text[:1].islower():
            return False
        if abs(prev.size - ln.size) > 0.6 or ln.x0 - left > 3 * ln.size:
            return True  # other type, or set in from the margin (centred): a caption, a quotation
        # the text starts lower than its pages' do (a column: than its columns do, under a part set
        # across them): a figure stands above it
        start = ln.band_top if prev.page == ln.page and ln.band_top is not None else measure.first_top
        if ln.top - start > 3 * ln.size:
            return True
        if indents:
            return indent
        # paragraphs set apart by gaps: the break shows nothing; a paragraph's last line is most often
        # short, so one that ends a sentence near the margin most likely goes on overleaf
        return _ends_short(prev, measure)
    if abs(prev.size - ln.size) > 0.6:
        return True
    gap = ln.top - prev.bottom
    if gap > ln.size * (measure.spacing + measure.extra):  # wider than the line spacing: a paragraph gap
        return True
    if indent and indents:
        return True
    if _ends_sentence(prev_text):
        pleft = margins.get((prev.page, prev.column), (prev.x0, prev.x1))[0]
        centred = prev.x0 - pleft > 2 * prev.size and ln.x0 - left > 2 * ln.size  # a caption's lines
        if _ends_short(prev, measure) and not centred:
            return True  # the line before ended short, at a sentence end
    return False


def _margins(pages: list[_Page]) -> dict[tuple[int, int], tuple[float, float]]:
    """Each page column's left margin (the most common line start) and right margin (the longest lines)."""
    out = {}
    by: dict[tuple[int, int], list[Line]] = {}
    for page in pages:
        for ln in page.body:
            by.setdefault((ln.page, ln.column), []).append(ln)
    for key, lines in by.items():
        starts = Counter(round(ln.x0) for ln in lines)
        left = float(min(starts.most_common(3), key=lambda kv: kv[0])[0]) if len(lines) > 2 else min(ln.x0 for ln in lines)
        ends = sorted(ln.x1 for ln in lines)
        right = ends[int(len(ends) * 0.9)] if len(ends) > 2 else ends[-1]
        out[key] = (left, right)
    return out


def _uses_indents(pages: list[_Page], margins: dict) -> bool:
    """Whether paragraphs here start with a first-line indent (LaTeX) rather than a gap."""
    indented = 0
    lines = 0
    for page in pages:
        for ln in page.body:
            left, _ = margins.get((ln.page, ln.column), (ln.x0, ln.x1))
            lines += 1
            if ln.size * 0.8 < ln.x0 - left < ln.size * 3:
                indented += 1
    return lines > 0 and indented >= max(2, lines * 0.03)


def _endnotes(paragraphs: list[str], cited_order: list[str]) -> list[str]:
    """Notes listed after the body in body type (``1. text`` endnotes) as ``¹ text`` paragraphs: a run of
    paragraphs numbered one after another whose numbers were cited by raised markers before them."""
    cited = set(cited_order)
    out = list(paragraphs)
    i = 0
    while i < len(out):
        m = _NOTE_HEAD.match(out[i])
        if m is None or out[i].startswith("#") or (num := from_superscript(m.group(1))) not in cited:
            i += 1
            continue
        run = [i]
        expected = int(num) + 1
        j = i + 1
        while j < len(out):
            mj = _NOTE_HEAD.match(out[j])
            if mj is None or out[j].startswith("#"):
                break
            if int(from_superscript(mj.group(1))) != expected:
                break
            run.append(j)
            expected += 1
            j += 1
        numbers = [from_superscript(_NOTE_HEAD.match(out[k]).group(1)) for k in run]
        if len(run) >= 2 and sum(n in cited for n in numbers) >= 0.6 * len(run):
            if i > 0 and out[i - 1].startswith("#"):
                out[i - 1] = ""  # the heading of the notes ("Notes", "Endnotes"): it heads no text
            for k in run:
                mk = _NOTE_HEAD.match(out[k])
                note = visible(out[k][mk.end():]).lstrip(CONTINUES + CONTINUES_GLUED)  # no page marks in notes
                out[k] = from_superscript(mk.group(1)).translate(TO_SUPERSCRIPT) + " " + note
            i = j
        else:
            i += 1
    return out


def lines_to_markdown(pages: list[list[Line]], layout: Parsing, reading: PdfReading) -> str:
    """The document's lines (page by page, reading order) in the project's Markdown dialect."""
    all_text = [ln.text for lines in pages for ln in lines]
    joiner = Dehyphenator(all_text)
    reader = _Reader(pages, layout)
    cited: set[str] = set()
    split: list[_Page] = []
    note_open = False
    for lines in pages:
        for ln in lines:  # the markers cited so far, this page's included
            cited.update(_markers(ln.text))
        page = reader.split_page(lines, cited, note_open)
        if page.notes:
            note_open = not _ends_sentence(page.notes[-1][1][-1])
        elif not page.continued:
            note_open = False
        if page.stray:
            reading.stray_pages.append(lines[0].page)
        split.append(page)
    margins = _margins(split)
    tops = sorted(page.body[0].top for page in split if page.body)
    measure = _Measure(margins=margins, indents=_uses_indents(split, margins), spacing=_spacing(split),
                       justified=_justified(split, margins),
                       extra=layout.pdf_paragraph_gap, first_top=tops[len(tops) // 2] if tops else 0.0)
    writer = _Writer(joiner)
    last_note: list[str] | None = None
    for page in split:
        if page.body:
            writer.mark = page_mark(page.body[0].page, page.body[0].ocr)
        for ln in page.body:
            level = _is_heading(reader, ln)
            if level:
                writer.add_heading(level, ln)
                continue
            if ln.table:
                writer.add_row(ln)
                continue
            prev = writer.last_line if (writer.para is not None or writer.cut is not None) else None
            writer.add_line(ln, _new_paragraph(prev, ln, writer.open_text(), measure))
        notes: list[list[str]] = []
        if page.continued:
            if last_note is not None:
                last_note.extend(page.continued)  # a note continued from the page before
            else:  # small type under nothing: kept as text
                notes.append(["", *page.continued])
        for number, note_lines in page.notes:
            last_note = [number.translate(TO_SUPERSCRIPT), *note_lines]
            notes.append(last_note)
        writer.page_end(notes)
    writer.close_paragraph()
    if reader.dropped:
        log.debug("dropped %d lines of page furniture", len(reader.dropped))
    return "\n\n".join(_endnote_pass(_render(writer.out, joiner))).strip() + "\n"


def _render(items: list[str | list[str]], joiner: Dehyphenator) -> list[str]:
    """The writer's items as Markdown paragraphs (a note's lines joined)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, list):  # a note: number, then its lines
            number, *lines = item
            text = lines[0] if lines else ""
            for nxt in lines[1:]:
                text = joiner.join(text, nxt)
            out.append(f"{number} {text}".strip())
        else:
            out.append(item)
    return out


# ------------------------------------------------------------------------------------------- entry

def read_pdf(path: Path, layout: Parsing | None = None,
             on_page: Callable[[int, int], None] | None = None) -> PdfText:
    """The PDF's text in the project's Markdown dialect, and how it read; ``layout``: the parsing
    settings whose ``pdf_*`` thresholds tell superscripts, headings, notes and paragraphs apart;
    ``on_page(done, total)`` is called after each page."""
    from assistant.ingest import ocr, pdf_chars

    layout = layout or Parsing()
    reading = PdfReading()
    total = pdf_chars.page_count(path)  # (a PDF without pages is refused there)
    if total > layout.max_pdf_pages:
        raise SourceError(f"{total:,} pages, over the limit of {layout.max_pdf_pages:,} (setting parsing.max_pdf_pages, "
                          "env ASSISTANT_MAX_PDF_PAGES); split the report or raise the limit")
    reading.pages = total
    pages: list[list[Line]] = []
    undecoded: list[int] = []  # pages in a font that maps to no Unicode
    named: set[int] = set()  # pages with a warning of their own
    for page in pdf_chars.iter_pages(path, layout.max_page_chars):
        number = page.number
        if page.error is not None:
            reading.warnings.append(page.error)
            named.add(number)
            reading.blank_pages.append(number)
            pages.append([])
            if on_page is not None:
                on_page(number, total)
            continue
        undecodable = _undecodable(page.chars)
        if undecodable:  # a font without a Unicode map: the text layer says nothing; OCR reads the page
            undecoded.append(number)
            named.add(number)
            reading.warnings.append(f"page {number}: its text cannot be decoded (a font without a Unicode map); "
                                    + ("read by OCR" if ocr.available() else f"skipped; install Tesseract OCR ({ocr.INSTALL}) to read it"))
        lines = page_lines(page.chars, number, page.width, page.height, layout) if page.chars and not undecodable else []
        if sum(len(ln.text) for ln in lines) < 3 and (page.images or undecodable):  # a scan: OCR reads it
            lines = []
            if ocr.available():
                try:
                    lines = ocr.page_lines(path, number, layout)
                except SourceError as exc:
                    reading.warnings.append(f"page {number}: {exc}; skipped")
                    named.add(number)
                for ln in lines:
                    ln.ocr = True
            (reading.ocr_pages if lines else reading.blank_pages).append(number)
        pages.append(lines)
        if on_page is not None:
            on_page(number, total)
    if sum(len(ln.text) for lines in pages for ln in lines) < 20:
        if not reading.ocr_pages and not reading.blank_pages:
            raise SourceError("PDF has no text layer (a scanned image?); it has no page image to read "
                              "either, only drawings: check that the file holds the report")
        if undecoded and len(undecoded) >= len(reading.blank_pages) and not ocr.available():
            raise SourceError("the PDF's text cannot be decoded (its font maps its letters to no Unicode); "
                              f"install Tesseract OCR to read its pages ({ocr.INSTALL}), or export the report "
                              "again with its fonts embedded")
        if not ocr.available():
            raise SourceError("PDF has no text layer (a scanned image?); install Tesseract OCR to read it "
                              f"({ocr.INSTALL}), or run OCR on it (e.g. ocrmypdf) and add that")
        raise SourceError("PDF has no text layer (a scanned image?); OCR found no text in it either: check the scan")
    no_text = [n for n in reading.blank_pages if n not in named]
    if no_text and not ocr.available():
        reading.warnings.append(("page " if len(no_text) == 1 else "pages ") + _ranges(no_text)
                                + (" has" if len(no_text) == 1 else " have") + " no text layer and "
                                + ("was" if len(no_text) == 1 else "were") + f" skipped; install Tesseract OCR "
                                f"({ocr.INSTALL}) to read {'it' if len(no_text) == 1 else 'them'}")
    return PdfText(markdown=lines_to_markdown(pages, layout, reading), reading=reading)


def _undecodable(chars: list[dict]) -> bool:
    """Whether most of a page's characters have no known meaning (U+FFFD, control or private-use
    codes): the font maps its glyphs to nothing readable."""
    if len(chars) < 20:
        return False
    bad = sum(1 for c in chars if c["text"] == "\ufffd" or (c["text"] < " " and c["text"] not in "\t\n\r")
              or "\ue000" <= c["text"] <= "\uf8ff")
    return bad > 0.3 * len(chars)


def _endnote_pass(paragraphs: list[str]) -> list[str]:
    """The paragraphs with endnotes listed in body type written as notes (see ``_endnotes``)."""
    cited = [from_superscript(m) for p in paragraphs if not re.match(f"^[{SUPERSCRIPTS}]", p)
             for m in re.findall(f"[{SUPERSCRIPTS}]+", p)]
    return [p for p in _endnotes(paragraphs, cited) if p]


def _ranges(numbers: Iterable[int]) -> str:
    out: list[str] = []
    for n in sorted(numbers):
        if out and out[-1].split("-")[-1] == str(n - 1):
            out[-1] = out[-1].split("-")[0] + f"-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def pdf_to_markdown(path: Path, layout: Parsing | None = None) -> str:
    """The PDF's text in the project's Markdown dialect (see ``read_pdf``)."""
    return read_pdf(path, layout).markdown

