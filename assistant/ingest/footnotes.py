"""Footnotes: read the notes first, then accept a number in the body as a marker only when it is in
the notes table and fits the notes' order.

Notes are read by the style of the whole document (``split_notes``): notes listed in lines of their
own, in any of these styles, at the end of the file, of a chapter or of each page, numbered from any
number and restarting or not: ``• 893text`` (glued bullets of PDF text), ``[1144](#) text`` (web
Markdown anchors, which may switch to bare numbers), ``[12] text``, ``12. text``, ``12) text``,
``(12) text``, ``12 text``, ``^12 text``, ``[^12]: text``; markers glued to a word or punctuation
(``Naples.893The``), bracketed (``[12]``), linked (``[12](#)``, ``[^12]``), ``<sup>12</sup>``, ``^12`` or
superscript digits. Without such notes, page-bottom superscript notes (``¹ text``, a paragraph of its
own anywhere, PDF text) are read; a superscript marker resolves to the nearest note below it.

A marker found in the body becomes a placeholder ``\\ue000<i>\\ue001`` (``i`` = the note's index in the
table) glued to the word before it, so a split never separates a marker from its sentence. Pure
functions: text in, text and records out.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.ingest.inline import clean_inline
from assistant.ingest.pages import visible
from assistant.models import Note

MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
PLACEHOLDER = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"  # the one table of superscript digits (html.py and pdf.py write markers with it)
_SUP_TO_DIGIT = str.maketrans(SUPERSCRIPTS, "0123456789")
TO_SUPERSCRIPT = str.maketrans("0123456789", SUPERSCRIPTS)


def from_superscript(text: str) -> str:
    """Superscript digits as plain digits ("¹²" -> "12")."""
    return text.translate(_SUP_TO_DIGIT)

# ---- note lines: how a note's first line starts, one pattern per style (order matters) -----------
_NOTE_STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("glued", re.compile(r"^\s*[•▪●]\s*(\d{1,4})\s*(\S.*)$")),  # • 893European ...
    ("anchor", re.compile(r"^\s*\[(\d{1,4})\]\(#[^)\s]*\)\s*(.*)$")),  # [1144](#) text
    ("mdfoot", re.compile(r"^\s*\[\^(\d{1,4})\]:?\s*(\S.*)$")),  # [^12]: text
    ("bracket", re.compile(r"^\s*\[(\d{1,4})\]\s*(\S.*)$")),  # [12] text
    ("parens", re.compile(r"^\s*\((\d{1,4})\)\s*(\S.*)$")),  # (12) text
    ("paren", re.compile(r"^\s*(\d{1,4})\)\s*(\S.*)$")),  # 12) text
    ("dot", re.compile(r"^\s*(\d{1,4})\.\s+(\S.*)$")),  # 12. text
    ("caret", re.compile(r"^\s*\^(\d{1,4})\s*(\S.*)$")),  # ^12 text
    ("bare", re.compile(r"^\s*(\d{1,4})\s+(\S.*)$")),  # 12 text
]
# Styles a numbered list in the body also has: their lines start a note only after a blank line (or
# inside a notes run), and a run introduced by a line ending with ":" is a list, not notes.
_LIST_STYLES = {"dot", "paren", "parens", "bare", "caret"}
_STYLE_PREFERENCE = [name for name, _ in _NOTE_STYLES]
_SUP_NOTE = re.compile(f"^\\s*\\**([{SUPERSCRIPTS}]+)\\**\\s*(\\S.*)$")
_RANGE_LINE = re.compile(r"^\s*\d{1,4}\s*[-–]\s*\d{1,4}\s*$")
_FURNITURE = re.compile(r"^\s*(©|\(c\)\s|copyright\b)", re.IGNORECASE)
_MD_HEADING_LINE = re.compile(r"^#{1,6}\s")
_TERMINAL = ".!?)]>”\"'’"
# A note shown where it is cited (a web page's expanded or pop-up note, copied as text): a line that is
# only a bracketed number, "(1)" or "[1]", right under the text it marks and right above the note's text.
_EXPANDED_MARK = re.compile(r"^\s*(?:\((\d{1,4})\)|\[(\d{1,4})\])\s*$")
# A run's next note may skip numbers (notes the reader of the file lost, a note without a marker left out)
# by up to this many: the next note line numbered from one to this many above the last note goes on.
_MAX_SKIP = 20

# ---- markers in the body, one pattern per kind; the number is the last group --------------------
_ANCHOR_MARKER = re.compile(r"\s*\[(\d{1,4})\]\(#[^)\s]*\)")  # [12](#) or [12](#fn12)
_MARKER_KINDS: dict[str, re.Pattern[str]] = {
    "anchor": _ANCHOR_MARKER,
    "mdfoot": re.compile(r"\[\^(\d{1,4})\](?!:)"),  # [^12]
    "bracket": re.compile(r"(?<=[^\s\[])\s?\[(\d{1,4})\](?![(:])"),  # word[12], word. [12]
    "html": re.compile(r"<sup>\s*\[?(\d{1,4})\]?\s*</sup>", re.IGNORECASE),  # <sup>12</sup>
    "caret": re.compile(r"(?<=\S)\^(\d{1,4})(?!\d)"),  # word^12
    "superscript": re.compile(f"(\\*\\*)?([{SUPERSCRIPTS}]+)(\\*\\*)?"),  # word¹² or **¹²**
    # a run of digits glued to a letter or to closing punctuation ("2021.1190", "Naples.893The")
    "glued": re.compile(r"(?<=[^\W\d_]|[.,;:!?)\]\"”’'»])(\d{1,4})(?!\d)"),
}
_UNAMBIGUOUS = ("anchor", "mdfoot", "bracket", "html", "caret", "superscript")  # a number that is only a marker
_KIND_PREFERENCE = [*_UNAMBIGUOUS, "glued"]
_STRAY_BRACKET = _MARKER_KINDS["bracket"]
_URL = re.compile(r"https?://[^\s<>\"\]\)]+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")
_UNIT_BEFORE = re.compile(r"(?<![A-Za-z])(m|km|cm|mm|ft|sq)$")  # m², km²: a power, not a marker
_NUMBER = re.compile(r"(?<!\d)(\d{1,4})(?!\d)")
_GLUED_BEFORE = re.compile(r"[^\W\d_]|[.,;:!?)\]\"”’'»]")  # what a glued marker follows (see "glued" above)


@dataclass
class NoteTable:
    """The notes of one document, in order, with where each note sat in the text.

    ``form`` is the style of the note lines (``glued`` for bullets, ``anchor``, ``superscript``,
    ``bracket``, ``dot``, ``paren``, ``parens``, ``bare``, ``caret``, ``mdfoot``); ``marker_kind`` the
    kind of the body's markers (a key of ``_MARKER_KINDS``); ``block_of`` the notes block (end of a page,
    a chapter or the file) of each note and ``block_lines`` the first line of each block, so that a
    marker resolves to a note of its own page or chapter when numbering restarts."""

    notes: list[Note] = field(default_factory=list)
    form: str | None = None
    line_of: list[int] = field(default_factory=list)  # line index of each note
    warnings: list[str] = field(default_factory=list)
    furniture: list[str] = field(default_factory=list)
    cited: set[int] = field(default_factory=set)
    marker_kind: str | None = None
    block_of: list[int] = field(default_factory=list)
    block_lines: list[int] = field(default_factory=list)
    unresolved: int = 0  # markers with no note of their number (left in the text or removed)
    placed: set[int] = field(default_factory=set)  # notes whose marker is already a placeholder (expanded notes)

    def add(self, number: str, text: str, line: int, block: int = 0) -> None:
        self.notes.append(clean_note(number, text))
        self.line_of.append(line)
        self.block_of.append(block)

    def orphans(self) -> list[Note]:
        return [n for i, n in enumerate(self.notes) if i not in self.cited]

    def no_note(self, marker: str, left: bool) -> None:
        """A marker with no note of its number: counted, and reported (``left`` in the text or removed)."""
        self.unresolved += 1
        self.warnings.append(f"marker {marker} has no note; {'left in' if left else 'removed from'} the text")


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


def _note_line(line: str) -> tuple[str, int, str] | None:
    """(style, number, rest) when the line is shaped like the first line of a note."""
    for style, pattern in _NOTE_STYLES:
        if m := pattern.match(line):
            return style, int(m.group(1)), m.group(2)
    return None


@dataclass
class _Run:
    """Note lines of one style numbered one after the other, with their text."""

    style: str
    numbers: list[int] = field(default_factory=list)
    first_lines: list[int] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)  # every line the notes occupy
    kind: str | None = None  # the marker kind that cites it best, once scored
    matched: int = 0

    @property
    def start(self) -> int:
        return self.first_lines[0]

    @property
    def end(self) -> int:
        return self.taken[-1] + 1


def _cites(text: str, first: int, last: int) -> bool:
    """Whether a marker of a note numbered ``first`` to ``last``, of any kind, stands in ``text``."""
    wanted = {str(n) for n in range(first, last + 1)}
    if not any(n in text or n.translate(TO_SUPERSCRIPT) in text for n in wanted):
        return False
    for kind, pattern in _MARKER_KINDS.items():
        for m in pattern.finditer(text):
            raw = m.group(2) if kind == "superscript" else m.group(1)
            if from_superscript(raw) in wanted:
                return True
    return False


def _ends_note(text: str) -> bool:
    return text.rstrip()[-1:] in _TERMINAL


def _build_runs(lines: list[str], starts: list[tuple[str, int, str] | None], style: str) -> list[_Run]:
    """The runs of one note style, in line order, each note with its lines (see ``split_notes``)."""
    runs: list[_Run] = []
    run: _Run | None = None
    last_line = -1  # the last line of the open run's last note so far

    def close() -> None:
        nonlocal run
        if run is None:
            return
        # the last note: its paragraph, then paragraphs that plainly continue it (it has no sentence
        # end yet and the next one starts in lower case or with a link)
        j = last_line + 1
        while j < len(lines) and lines[j].strip() and starts[j] is None:
            run.texts[-1].append(lines[j].strip())
            run.taken.append(j)
            j += 1
        while True:
            k = j
            while k < len(lines) and not lines[k].strip():
                k += 1
            if k >= len(lines) or starts[k] is not None or _ends_note(" ".join(run.texts[-1])):
                break
            head = lines[k].lstrip()
            if not (head[:1].islower() or head.startswith(("http", "<http", "[http"))):
                break
            while k < len(lines) and lines[k].strip() and starts[k] is None:
                run.texts[-1].append(lines[k].strip())
                run.taken.append(k)
                k += 1
            j = k
        runs.append(run)
        run = None

    def joins(s: str) -> bool:  # (a run of any style may switch to bare numbers: "[1166](#) ..." then "1167 ...")
        return s == style or (s == "bare" and style != "bare")

    # the next line shaped like a note of this run, after each line (to tell a skip from a wrapped line)
    following: list[int | None] = [None] * len(starts)
    nxt: int | None = None
    for i in range(len(starts) - 1, -1, -1):
        following[i] = nxt
        if starts[i] is not None and joins(starts[i][0]):
            nxt = i

    for i, start in enumerate(starts):
        if start is None:
            continue
        s, number, rest = start
        if not joins(s) or (s != style and run is None):
            continue
        blank_before = i == 0 or not lines[i - 1].strip()
        if run is not None:
            gap = lines[last_line + 1:i]
            last = run.numbers[-1]
            fits = number == last + 1
            if last + 1 < number <= last + _MAX_SKIP:
                # Numbers skipped: the run goes on when nothing but the previous note's own paragraph
                # stands between (no paragraph starts in the gap) or when the next note line goes on
                # from this one; not when the line may be a wrapped line of the previous note that
                # starts with a number (a list style, no blank line before, the next note line numbered
                # right after the last note).
                k = following[i]
                after = starts[k][1] if k is not None else None  # type: ignore[index]
                wrapped = s in _LIST_STYLES and not blank_before and after == last + 1
                own = not any(g.strip() and not gap[j - 1].strip() for j, g in enumerate(gap) if j)
                fits = not wrapped and (own or after == number + 1)
            body = any(_MD_HEADING_LINE.match(g) for g in gap) or (fits and _cites("\n".join(gap), last + 1, number))
            if fits and not body:  # the lines between are the previous note's continuation
                for k, g in enumerate(gap, start=last_line + 1):
                    if g.strip() and not _FURNITURE.match(g):
                        run.texts[-1].append(g.strip())
                    run.taken.append(k)
                run.numbers.append(number)
                run.first_lines.append(i)
                run.texts.append([rest])
                run.taken.append(i)
                last_line = i
                continue
            if s != style:
                continue
            if not blank_before and not body and all(g.strip() for g in gap):
                continue  # inside the previous note's paragraph: a line of its text that starts with a number
            close()
        if s != style or (style in _LIST_STYLES and not blank_before):
            continue
        run = _Run(style, [number], [i], [[rest]], [i])
        last_line = i
    close()
    return runs


def _marker_lines(lines: list[str]) -> dict[str, dict[int, list[int]]]:
    """For each marker kind: note number -> the lines it stands on as a marker, in order."""
    out: dict[str, dict[int, list[int]]] = {kind: {} for kind in _MARKER_KINDS}
    for kind, pattern in _MARKER_KINDS.items():
        at = out[kind]
        for i, line in enumerate(lines):
            if kind == "glued" and not any(c.isdigit() for c in line):
                continue
            for m in pattern.finditer(line):
                raw = m.group(2) if kind == "superscript" else m.group(1)
                if kind == "superscript":
                    if _UNIT_BEFORE.search(line, max(0, m.start() - 4), m.start()):
                        continue
                    raw = from_superscript(raw)
                at.setdefault(int(raw), []).append(i)
    return out


def _score(run: _Run, kind: str, at: dict[int, list[int]]) -> int:
    """How many of the run's notes a marker of this kind cites above the run (glued markers: in order)."""
    if kind != "glued":
        return sum(1 for n in run.numbers if (occ := at.get(n)) and occ[0] < run.start)
    matched, pos = 0, 0
    for n in run.numbers:
        occ = at.get(n, [])
        k = bisect_left(occ, pos)
        if k < len(occ) and occ[k] < run.start:
            matched += 1
            pos = occ[k]
    return matched


def _accept(run: _Run, kind: str, matched: int, lines: list[str]) -> bool | None:
    """A run is a notes block when markers cite at least half its notes and it is not a list introduced
    by a colon. A single note cited only by a glued number of three or four digits is uncertain (None):
    a paragraph that starts with a year is not a note because the same year is glued to a word above
    (``_accepted`` decides)."""
    if matched == 0 or 2 * matched < len(run.numbers):
        return False
    before = next((lines[j] for j in range(run.start - 1, -1, -1) if lines[j].strip()), "")
    if run.style in _LIST_STYLES and before.rstrip().endswith(":"):
        return False
    if len(run.numbers) == 1 and kind == "glued" and run.numbers[0] >= 100:
        return None
    return True


def _free_numbers(lines: list[str]) -> dict[int, list[int]]:
    """Number -> the lines where it stands on its own, not glued to a word or to closing punctuation
    the way a glued marker is ("in 2015", "2015-2020", "(2015)", a line "2015 saw ..."), in order."""
    out: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        if not any(c.isdigit() for c in line):
            continue
        for m in _NUMBER.finditer(line):
            if m.start() and _GLUED_BEFORE.match(line[m.start() - 1]):
                continue
            out.setdefault(int(m.group(1)), []).append(i)
    return out


def _goes_on(before: _Run, after: _Run) -> bool:
    """Whether ``after``'s numbering goes on from ``before``'s, a few numbers skipped or not (``_MAX_SKIP``)."""
    return before.numbers[-1] < after.numbers[0] <= before.numbers[-1] + _MAX_SKIP


def _accepted(runs: list[_Run], kind: str, at: dict[int, list[int]], lines: list[str],
              free: Callable[[], dict[int, list[int]]]) -> list[tuple[_Run, int]]:
    """The runs that are notes blocks. An uncertain one (see ``_accept``) is a notes block when another
    block restarts at the same number, when nothing but furniture follows it, when the document never
    writes its number on its own outside the note's lines (``free``, see ``_free_numbers``: a number
    that is only ever a marker and a note's number is no year), or when its numbering goes on from the
    notes block before it or into the one after it, a few numbers skipped or not (``_MAX_SKIP``: a
    page's lone note after a lost one); a chain of such lone notes, one per page, goes on from one
    accepted block (forward, then backward)."""
    verdicts = []
    for run in runs:
        matched = _score(run, kind, at)
        verdicts.append((run, matched, _accept(run, kind, matched, lines)))
    ok = [verdict is True for _, _, verdict in verdicts]
    if not all(verdict is not None for _, _, verdict in verdicts):
        first_numbers = {run.numbers[0] for run, _, verdict in verdicts if verdict}
        last_body = max((i for i, ln in enumerate(lines) if ln.strip() and not _FURNITURE.match(ln)), default=-1)
        for k, (run, _, verdict) in enumerate(verdicts):
            if verdict is None:
                n = run.numbers[0]
                taken = set(run.taken)
                ok[k] = (n in first_numbers  # numbering restarts at the same number
                         or run.end > last_body
                         or all(i in taken for i in free().get(n, ())))
        for order in (range(len(verdicts)), range(len(verdicts) - 1, -1, -1)):
            near: _Run | None = None  # the nearest accepted block on the side looked at
            for k in order:
                run, _, verdict = verdicts[k]
                if not ok[k] and verdict is None and near is not None:
                    ok[k] = _goes_on(near, run) if order.step == 1 else _goes_on(run, near)
                if ok[k]:
                    near = run
    return [(run, matched) for k, (run, matched, _) in enumerate(verdicts) if ok[k]]


def _split_runs(lines: list[str], body: list[str], table: NoteTable) -> None:
    """Notes listed in lines of their own (any style but page-bottom superscripts), see ``split_notes``."""
    starts = [_note_line(line) for line in lines]
    styles = {s[0] for s in starts if s is not None}
    if not styles:
        return
    at = _marker_lines(lines)
    memo: list[dict[int, list[int]]] = []

    def free() -> dict[int, list[int]]:  # read once, and only when a run is uncertain
        if not memo:
            memo.append(_free_numbers(lines))
        return memo[0]

    best: tuple[int, int, int, str, str, list[_Run]] | None = None  # (matched, -style pref, -kind pref, ...)
    for style in styles:
        runs = _build_runs(lines, starts, style)
        for kind in _KIND_PREFERENCE:
            accepted = _accepted(runs, kind, at[kind], lines, free)
            total = sum(m for _, m in accepted)
            if total and (best is None or (total, -_STYLE_PREFERENCE.index(style), -_KIND_PREFERENCE.index(kind))
                          > best[:3]):
                best = (total, -_STYLE_PREFERENCE.index(style), -_KIND_PREFERENCE.index(kind), style, kind,
                        [r for r, _ in accepted])
    if best is None:
        return
    _, _, _, table.form, table.marker_kind, runs = best
    for b, run in enumerate(runs):
        table.block_lines.append(run.start)
        for number, line, text in zip(run.numbers, run.first_lines, run.texts):
            table.add(str(number), " ".join(text), line, b)
        for i in run.taken:
            if _FURNITURE.match(lines[i]):
                table.furniture.append(lines[i].strip())
            body[i] = ""
        # A stray range line ("1163-1178") just before the notes is furniture.
        j = run.start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and _RANGE_LINE.match(lines[j]):
            table.furniture.append(lines[j].strip())
            body[j] = ""
        # What follows the last notes block to the end of the file, when it is only furniture, is taken.
    last = runs[-1].end
    if all(not ln.strip() or _FURNITURE.match(ln) for ln in lines[last:]):
        for i in range(last, len(lines)):
            if lines[i].strip():
                table.furniture.append(lines[i].strip())
            body[i] = ""


def _expanded_notes(body: list[str], table: NoteTable) -> None:
    """Notes shown where they are cited, taken out of ``body`` in place: a line that is only "(n)" or
    "[n]", with the cited text on the line right above it and the note's text from the line right below
    it to the end of that paragraph (a web page's expanded or pop-up note copied as text)::

        A. Draft resolution
        (1)
        Draft resolution adopted unanimously by the committee on 25 April 2017.

    The marker becomes a placeholder glued to the cited line, so the note travels with that passage.
    A numbered list has the same look, so the numbers of all such lines in the document must go up
    (from any number, a few skipped at most: ``_MAX_SKIP``), the line above may not end with a colon (a list's lead-in) nor be a marker
    itself, and the note's paragraph must end a sentence; else none of them is read as a note."""
    found: list[tuple[int, int, int]] = []  # (marker line, number, first line after the note)
    for i, line in enumerate(body):
        m = _EXPANDED_MARK.match(line)
        if not m or i == 0 or i + 1 >= len(body):
            continue
        above, below = body[i - 1], body[i + 1]
        if (not above.strip() or not below.strip() or above.rstrip().endswith(":")
                or _EXPANDED_MARK.match(above) or _EXPANDED_MARK.match(below) or _note_line(below)):
            return
        j = i + 1
        while j < len(body) and body[j].strip():
            if _EXPANDED_MARK.match(body[j]):
                return
            j += 1
        if not _ends_note(body[j - 1]):
            return
        found.append((i, int(m.group(1) or m.group(2)), j))
    if not found or not all(a[1] < b[1] <= a[1] + _MAX_SKIP for a, b in zip(found, found[1:])):
        return
    for i, number, j in found:
        index = len(table.notes)
        table.add(str(number), " ".join(ln.strip() for ln in body[i + 1:j]), i, len(table.block_lines))
        table.block_lines.append(i)
        table.placed.add(index)
        table.cited.add(index)
        body[i - 1] = body[i - 1].rstrip() + _placeholder(index)
        for k in range(i, j):
            body[k] = ""
    table.form = table.form or "expanded"


def split_notes(lines: list[str]) -> tuple[list[str], NoteTable]:
    """Take the notes out of a document's lines.

    Notes are found by the style of the whole document: every line shaped like a note's first line
    ("[12] text", "12. text", "12) text", "(12) text", "12 text", "^12 text", "• 12text", "[12](#) text",
    "[^12]: text") is grouped, style by style, into *runs* of notes numbered one after the other (a
    few numbers may be skipped, see ``_MAX_SKIP``: a note the file lost does not end its run); a run
    ends where the numbering does not go on (a restart: a new page or chapter) or where the text
    between two notes cites the next one (the body of the next page). A note keeps its wrapped lines and
    the paragraphs between it and the next note. A run is a notes block only when markers in the body
    above it cite its notes (see ``_accept``), and the document's style is the one (with its marker
    kind) that explains the most notes: so "[1] Introduction" or a list "1. Scope" in the body does not
    start a notes section. Without such notes, page-bottom superscript notes ("¹ text", a paragraph of
    its own, anywhere) are read.

    Returns the body lines (notes, note-range lines and furniture removed; a removed line leaves a
    blank line so paragraph structure survives) and the notes table.
    """
    table = NoteTable()
    body = list(lines)
    _split_runs(lines, body, table)
    # Page-bottom superscript notes anywhere in the body: a paragraph that starts with "¹ text".
    if table.form is None:
        i = 0
        while i < len(body):
            m = _SUP_NOTE.match(body[i])
            prev_blank = i == 0 or not body[i - 1].strip()  # (a note just read was blanked out)
            if m and prev_blank:
                j = i + 1  # the note's paragraph, up to the next note's line ("¹ ...", then "² ...", or
                number = int(from_superscript(m.group(1)))  # "⁴ ..." when notes were lost, see _MAX_SKIP)
                while j < len(body) and body[j].strip():
                    nxt = _SUP_NOTE.match(body[j])
                    if nxt and number < int(from_superscript(nxt.group(1))) <= number + _MAX_SKIP:
                        break
                    j += 1
                text = " ".join([m.group(2)] + [ln.strip() for ln in body[i + 1:j]])
                table.add(m.group(1).translate(_SUP_TO_DIGIT), text, i, len(table.block_lines))
                table.block_lines.append(i)
                table.form = "superscript"
                for k in range(i, j):
                    body[k] = ""
                i = j
            else:
                i += 1
    _expanded_notes(body, table)
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
    """Replace the body's note markers by placeholders.

    A marker that points to no note in the file is reported in ``table.warnings`` ("marker [n] has no
    note"). What becomes of it depends on its kind. A bracketed or linked number (``[1]``, ``[1](#)``,
    ``[^1]``, ``<sup>1</sup>``, ``^1``) is only ever a marker: it is not a word of the report, so taking
    it out loses no word, while leaving it puts a reference that leads nowhere into every passage, the
    search index and the quoted citation (a page saved from the web keeps its "[1]" but not its notes).
    It is removed, and the warning says so. A superscript or a number glued to a word stays: it may be a
    power (m², 10⁶) or data (2021.1190 could be a number), and a word or number is never dropped on a
    guess.
    """
    if table.form == "expanded":  # only notes shown where they are cited: their markers are placed
        pass
    elif table.form in (None, "superscript"):
        body = _mark_superscript(body, table)
    else:
        body = _mark_blocks(body, table)
    return _drop_stray_brackets(body, table)


def _drop_stray_brackets(body: str, table: NoteTable) -> str:
    """Bracketed numbers left (no note of theirs in the file) out of the text, each one reported."""
    if "[" not in body:
        return body

    def repl(m: re.Match[str]) -> str:
        table.no_note(f"[{m.group(1)}]", left=False)
        return _space_after(body, m.end()) if m.group(0)[:1].isspace() else ""

    body = _ANCHOR_MARKER.sub(repl, body)
    return _STRAY_BRACKET.sub(repl, body)


def _line_starts(body: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", body):
        starts.append(m.end())
    return starts


def _mark_blocks(body: str, table: NoteTable) -> str:
    """Markers of notes found in runs (``_split_runs``): each resolves to a note of its own block."""
    starts = _line_starts(body)
    block_at = [starts[line] if line < len(starts) else len(body) for line in table.block_lines]
    if table.marker_kind == "glued":
        return _mark_glued(body, table, block_at)
    pattern = _MARKER_KINDS[table.marker_kind or "bracket"]
    # per block: note number -> index
    blocks: list[dict[str, int]] = [{} for _ in table.block_lines]
    for i, note in enumerate(table.notes):
        if i not in table.placed:
            blocks[table.block_of[i]].setdefault(note.number, i)
    current = 0  # the block the text is citing now
    top = [0] * len(blocks)  # the highest number cited in each block so far

    def resolve(number: str, offset: int) -> int | None:
        nonlocal current
        first = bisect_left(block_at, offset + 1)  # the first block below the marker
        having = [b for b in range(max(first, current), len(blocks)) if number in blocks[b]]
        if not having:  # none below: the last block above that has it
            having = [b for b in range(len(blocks) - 1, -1, -1) if number in blocks[b]][:1]
            if not having:
                return None
        b = having[0]
        # numbering went back to an already cited note while a later block has it uncited: a restart
        if (blocks[b][number] in table.cited and int(number) <= top[b] and len(having) > 1
                and blocks[having[1]][number] not in table.cited):
            b = having[1]
        current = max(current, b) if b >= first else current
        top[b] = max(top[b], int(number))
        return blocks[b][number]

    def repl(m: re.Match[str]) -> str:
        raw = m.group(2) if table.marker_kind == "superscript" else m.group(1)
        number = from_superscript(raw)
        if table.marker_kind == "superscript" and _UNIT_BEFORE.search(body, max(0, m.start() - 4), m.start()):
            return m.group(0)
        i = resolve(number, m.start())
        if i is None:
            if table.marker_kind == "superscript":
                table.no_note(f"{raw} (note {number})", left=True)
                return m.group(0)
            table.no_note(f"[{number}]", left=False)
            return _space_after(body, m.end()) if m.group(0)[:1].isspace() else ""
        table.cited.add(i)
        return _placeholder(i) + _space_after(body, m.end())

    return pattern.sub(repl, body)


def _mark_glued(body: str, table: NoteTable, block_at: list[int]) -> str:
    # Each note, in table order (number order within a block), takes the first number after the
    # previous marker that is glued to text and not followed by a digit, and that stands above its own
    # notes block. The numbers are read in one pass (a marker is always a whole run of digits), not
    # searched for note by note over the rest of the text.
    at: dict[str, list[int]] = {}
    for m in _MARKER_KINDS["glued"].finditer(body):
        at.setdefault(m.group(1), []).append(m.start())
    out: list[str] = []
    pos = 0
    for i, note in enumerate(table.notes):
        if i in table.placed:
            continue
        number = note.number
        starts = at.get(number, ())
        k = bisect_left(starts, pos)
        if k == len(starts) or starts[k] >= block_at[table.block_of[i]]:
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
    line_starts = _line_starts(body)

    def line_at(offset: int) -> int:
        return bisect_right(line_starts, offset) - 1

    # note number -> its notes' lines and indexes, in line order (a number may restart)
    by_number: dict[str, tuple[list[int], list[int]]] = {}
    for i in sorted(range(len(table.notes)), key=lambda k: (table.line_of[k], k)):
        if i in table.placed:
            continue
        lines, indexes = by_number.setdefault(table.notes[i].number, ([], []))
        lines.append(table.line_of[i])
        indexes.append(i)

    def repl(m: re.Match[str]) -> str:
        number = m.group(2).translate(_SUP_TO_DIGIT)
        # the unit, if any, ends right before the marker: look at the few characters there only
        if _UNIT_BEFORE.search(body, max(0, m.start() - 4), m.start()):
            return m.group(0)  # m², km², cm³: a power, not a marker
        if number not in by_number:
            table.no_note(f"{m.group(2)} (note {number})", left=True)
            return m.group(0)
        lines, indexes = by_number[number]
        k = bisect_left(lines, line_at(m.start()))  # the nearest note below the marker, else the last one
        if k < len(lines):
            # numbering restarted within one page ("1" ... "8", then "1" for the next chapter): of the
            # notes of this number in the same run of notes (no text between them), the first one not
            # yet cited
            j = k
            while indexes[j] in table.cited and j + 1 < len(lines) and not visible(
                    body[line_starts[lines[j]]:line_starts[lines[j + 1]]]).strip():
                j += 1
            k = j if indexes[j] not in table.cited else k
        i = indexes[k] if k < len(lines) else max(indexes, key=lambda j: table.line_of[j])
        table.cited.add(i)
        return _placeholder(i) + _space_after(body, m.end())

    return _MARKER_KINDS["superscript"].sub(repl, body)


def take_placeholders(text: str) -> tuple[str, list[int]]:
    """Remove the placeholders and the page marks (``pages.visible``) from a passage's or a block's
    text; return the clean text and the cited note indexes, in order of first citation."""
    text = visible(text)
    cited: list[int] = []
    for m in PLACEHOLDER.finditer(text):
        i = int(m.group(1))
        if i not in cited:
            cited.append(i)
    clean = PLACEHOLDER.sub("", text)
    clean = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", clean))
    return clean.strip(), cited
