"""Page marks: where a report's pages begin, carried through parsing to the passages.

A reader that knows pages (the PDF reader) glues a mark to the first word of each page's body:
``\\ue100`` + the page number written in private-use digits + ``\\ue101`` (``\\ue102`` instead of
``\\ue100`` for a page read by OCR). The digits are not ASCII digits, so no note or year pattern ever
reads a page number as a marker or a year, and the mark is not a word. Layout and splitting keep the
marks with the text; the splitter takes them out of each passage and records the pages it spans.
A paragraph that a page break and the page's notes cut in two is written as two paragraphs, the notes
between them, the second led by ``CONTINUES`` (or ``CONTINUES_GLUED``), so that the notes stay with
their page and the layout joins the paragraph again. Pure functions.
"""

from __future__ import annotations

import re

PAGE_OPEN, PAGE_OPEN_OCR, PAGE_CLOSE = "\ue100", "\ue102", "\ue101"
# A paragraph that goes on after the notes at the bottom of its page starts with one of these: joined to
# the paragraph before it with a space, or glued to it (a word split at the page's end).
CONTINUES, CONTINUES_GLUED = "\ue103", "\ue104"
_DIGIT_BASE = 0xE110
_TO_MARK = str.maketrans("0123456789", "".join(chr(_DIGIT_BASE + i) for i in range(10)))
_FROM_MARK = str.maketrans("".join(chr(_DIGIT_BASE + i) for i in range(10)), "0123456789")
PAGE_MARK = re.compile(f"([{PAGE_OPEN}{PAGE_OPEN_OCR}])([{chr(_DIGIT_BASE)}-{chr(_DIGIT_BASE + 9)}]+){PAGE_CLOSE}")


def page_mark(page: int, ocr: bool = False) -> str:
    """The mark for the start of page ``page`` (1-based)."""
    return (PAGE_OPEN_OCR if ocr else PAGE_OPEN) + str(page).translate(_TO_MARK) + PAGE_CLOSE


def has_marks(text: str) -> bool:
    return PAGE_OPEN in text or PAGE_OPEN_OCR in text


def visible(text: str) -> str:
    """The text without its page marks (what a reader of the page sees)."""
    return PAGE_MARK.sub("", text) if has_marks(text) else text


def marks_in(text: str) -> list[tuple[int, int, bool]]:
    """(offset, page, read by OCR) of each page mark in the text."""
    return [(m.start(), int(m.group(2).translate(_FROM_MARK)), m.group(1) == PAGE_OPEN_OCR)
            for m in PAGE_MARK.finditer(text)]


def take_marks(text: str) -> str:
    """Only the page marks of the text, in order (to carry them to the text that follows a heading)."""
    return "".join(m.group(0) for m in PAGE_MARK.finditer(text))


class PageTracker:
    """Follows the page a reader is on through a report's passages, in reading order.

    ``span(text)`` gives the pages a passage's text covers (first and last; empty when the report has
    no page marks) and whether any of them was read by OCR, then moves on to the passage's last page."""

    def __init__(self) -> None:
        self.page: int | None = None
        self._ocr_pages: set[int] = set()

    def span(self, text: str) -> tuple[list[int], bool]:
        marks = marks_in(text)
        for _, page, ocr in marks:
            if ocr:
                self._ocr_pages.add(page)
        if not marks and self.page is None:
            return [], False
        # a mark is glued after the first word of its page: a text that holds no more than that word
        # before its first mark starts on that page
        lead = visible(text[:marks[0][0]]).strip() if marks else ""
        starts_there = bool(marks) and (self.page is None or not any(c.isspace() for c in lead))
        start = marks[0][1] if starts_there else self.page
        end = marks[-1][1] if marks else start
        self.page = end
        pages = [start] if end == start else [start, end]
        return pages, any(p in self._ocr_pages for p in range(start, end + 1))
