"""The characters of a PDF, page by page, read with pdfium (pypdfium2): what the layout reader needs.

``iter_pages(path)`` is a generator: it holds one page's characters at a time, so a 300-page report
is read in the memory of one page. Each page is a ``PdfPage`` with its ``width`` and ``height`` (in
points) and ``chars``: plain dicts with the keys and the meaning pdfplumber gives them, so code that
read ``pdfplumber``'s ``page.chars`` reads these unchanged:

* ``text``: the character (one Unicode code point);
* ``x0``, ``x1``: its left and right edge (the advance box), from the page's left edge;
* ``top``, ``bottom``: its upper and lower edge measured down from the page's top edge; as in
  pdfminer, the box of an upright character is one font size high and sits on the font's descent
  below the baseline (a superscript set with a text rise is raised with it);
* ``size``: the font size as it appears on the page (the size set by ``Tf`` times the vertical
  scale of the text and graphics matrices; pdfium's own ``FPDFText_GetFontSize`` is the ``Tf`` size
  alone, which is 1 in PDFs that scale text by their matrix);
* ``space``: a space comes before it, drawn by the PDF or inferred by pdfium between words (pdfium
  knows the glyphs' advances; a box's edges do not always tell a word gap, as with italic "f");
* ``space``: a space comes before it, drawn by the PDF or inferred by pdfium between words (pdfium
  knows the glyphs' advances, where a box's edges may not show a word gap: an italic "f" leans over
  it);
* ``fontname``: the font's PostScript name as the PDF names it, without the subset tag (pdfplumber
  gives ``ABCDEF+CMBX12`` where this gives ``CMBX12``);
* ``upright``: False for rotated or mirrored text (a margin label set sideways, say).

A hyphen at the end of a line, which pdfium marks with a control code, is given back as ``-``.
Characters pdfium invents (spaces and line breaks it infers between words and lines) are left out;
spaces the PDF itself draws are kept, as pdfplumber keeps them, except where pdfium drops them in
favour of its own (the space glyphs of Chromium's PDFs, for one): tell words apart by the gaps
between characters, not by space characters. For rotated text the box is pdfium's
loose box (the rotated box's bounds) and ``size`` the font's size along the rotated line, where
pdfplumber gives the box's height; readers of running text do not need rotated margins.

Errors are ``SourceError`` with a message a user can act on: an encrypted PDF, a file that is not
a readable PDF, a PDF with no pages, and a page that cannot be read (named by its number, from 1).
pdfium is not thread-safe: read one PDF at a time per process.
"""

from __future__ import annotations

import ctypes
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import SourceError

_ENCRYPTED = "encrypted PDF; save an unencrypted copy of the report"
# pdfium writes a hyphen that ends a line as U+0002 (U+FFFE in FPDFText_GetText), and a character
# without a Unicode mapping as U+0000 (also U+FFFE in FPDFText_GetText: FPDFText_GetUnicode tells them apart)
_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")  # pdfium keeps it for some fonts and not for others
_NO_PAGES = "the PDF has no pages; check that the file is a complete PDF"
_REPLACED = {"\ufffe": "-", "\x02": "-", "\x00": "\ufffd"}


@dataclass
class PdfPage:
    """One page: its number (from 1), size in points and characters (dicts, see the module doc)."""

    number: int
    width: float
    height: float
    chars: list[dict]
    error: str | None = None  # why the page could not be read (its characters are then empty)
    count: int = 0  # characters on the page, as pdfium counts them
    images: int = 0  # image objects drawn on a page with no characters (a scan), else 0 (not counted)


@dataclass
class _Run:
    """What the characters of one text object share: font name, size on the page, descent, upright."""

    fontname: str
    size: float
    upright: bool


def _open(path: Path):
    import pypdfium2 as pdfium
    from pypdfium2 import raw

    try:
        return pdfium.PdfDocument(str(path))
    except OSError as exc:
        raise SourceError(f"the PDF file cannot be opened ({exc.strerror or exc}); "
                          "check that it exists and can be read") from exc
    except pdfium.PdfiumError as exc:
        # first: pdfium refuses a PDF without pages without setting its (process-wide) last error, so
        # the code is then the one a file opened before left, "password" after an encrypted one
        if _has_no_pages(path):
            raise SourceError(_NO_PAGES) from exc
        code = getattr(exc, "err_code", None)
        if code in (raw.FPDF_ERR_PASSWORD, raw.FPDF_ERR_SECURITY):
            raise SourceError(_ENCRYPTED) from exc
        if code == raw.FPDF_ERR_FILE:
            raise SourceError("the PDF file cannot be opened; check that it exists and can be read") from exc
        raise SourceError(f"not a readable PDF ({exc}); check that the file is a complete PDF") from exc


def _has_no_pages(path: Path) -> bool:
    """Whether pdfminer reads the file as a well-formed PDF without pages (pdfium refuses those as it
    refuses a broken file; this tells the two apart for the message)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    try:
        with path.open("rb") as fh:
            return next(PDFPage.create_pages(PDFDocument(PDFParser(fh))), None) is None
    except Exception:  # noqa: BLE001 - any failure here means: not a page-less but otherwise sound PDF
        return False


def page_count(path: Path) -> int:
    """The number of pages of the PDF at ``path`` (never 0: pdfium refuses a PDF without pages, and
    so does this, with SourceError, as for any PDF that cannot be opened)."""
    doc = _open(path)
    try:
        return len(doc)
    finally:
        doc.close()


def _font_name(raw, font) -> str:
    size = raw.FPDFFont_GetBaseFontName(font, None, 0)
    if size <= 1:
        return ""
    buf = ctypes.create_string_buffer(size)
    raw.FPDFFont_GetBaseFontName(font, buf, size)
    return _SUBSET_TAG.sub("", buf.value.decode("utf-8", "replace"))


def _run(raw, obj) -> _Run:
    """The shared properties of the characters of text object ``obj`` (an address)."""
    obj = ctypes.cast(obj, raw.FPDF_PAGEOBJECT)
    tf_size = ctypes.c_float()
    raw.FPDFTextObj_GetFontSize(obj, tf_size)
    matrix = raw.FS_MATRIX()
    raw.FPDFPageObj_GetMatrix(obj, matrix)
    upright = abs(matrix.b) < 1e-6 and abs(matrix.c) < 1e-6 and matrix.a > 0 and matrix.d > 0
    size = tf_size.value * (matrix.d if upright else math.hypot(matrix.c, matrix.d))
    font = raw.FPDFTextObj_GetFont(obj)
    # to a tenth of a point: the sizes of one style compare equal however the matrix was rounded
    return _Run(fontname=_font_name(raw, font) if font else "", size=round(size, 1), upright=upright)


class _Calls:
    """The two pdfium functions called for every character, bound to take and return plain integers
    (an address for a handle), which saves a third of the time pypdfium2's typed wrappers take."""

    def __init__(self, raw) -> None:
        def address(fn) -> int:
            return ctypes.cast(fn, ctypes.c_void_p).value

        self.text_object = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
            address(raw.FPDFText_GetTextObject))
        self.loose_box = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)(
            address(raw.FPDFText_GetLooseCharBox))
        self._text: ctypes.Array | None = None  # one UTF-16 buffer for every page, grown by doubling

    def text_buffer(self, units: int) -> ctypes.Array:
        """A buffer of at least ``units`` UTF-16 units. Reused from page to page: a buffer made per page
        (and ctypes' array type for each size, which it keeps) would grow with the report."""
        if self._text is None or len(self._text) < units:
            size = 4096
            while size < units:
                size *= 2
            self._text = (ctypes.c_ushort * size)()
        return self._text


class _TooMany(Exception):
    def __init__(self, count: int) -> None:
        self.count = count


def _page_chars(raw, calls: _Calls, textpage, height: float, max_chars: int | None = None) -> list[dict]:
    """The characters of one loaded text page (see the module doc); _TooMany past ``max_chars``."""
    count = raw.FPDFText_CountChars(textpage)
    if count <= 0:
        return []
    if max_chars is not None and count > max_chars:
        raise _TooMany(count)
    buf = calls.text_buffer(count + 1)
    written = raw.FPDFText_GetText(textpage, 0, count, buf)
    text = ctypes.string_at(buf, max(written - 1, 0) * 2).decode("utf-16-le", "replace")
    if len(text) != count:  # characters beyond the BMP take two UTF-16 units: read them one by one
        text = "".join(chr(raw.FPDFText_GetUnicode(textpage, i) or 0xFFFD) for i in range(count))
    page = ctypes.c_void_p.from_buffer(textpage).value  # the handle's address (no ctypes.cast: it makes a cycle)
    box = raw.FS_RECTF()
    box_at = ctypes.addressof(box)
    text_object, loose_box, is_generated = calls.text_object, calls.loose_box, raw.FPDFText_IsGenerated
    runs: dict[int, _Run] = {}
    last_obj, run = None, None
    chars: list[dict] = []
    space = False  # a space (drawn, or inferred by pdfium) comes before the next character
    for i in range(count):
        obj = text_object(page, i)
        ch = text[i]
        if not obj:  # a space or line break pdfium inferred (it has no text object)
            space = ch == " "
            continue
        if ch == " ":
            space = True
            if is_generated(textpage, i):  # a space pdfium inferred between words
                continue
        if obj != last_obj:
            run = runs.get(obj)
            if run is None:
                run = runs[obj] = _run(raw, obj)
            last_obj = obj
        loose_box(page, i, box_at)
        if run.upright:  # pdfium's loose box stands on the font's descent below the baseline
            bottom = height - box.bottom
            top = bottom - run.size
        else:
            top, bottom = height - box.top, height - box.bottom
        if ch == "\ufffe" and raw.FPDFText_GetUnicode(textpage, i) == 0:
            ch = "\ufffd"  # GetText writes U+FFFE for a glyph with no Unicode mapping too; GetUnicode gives 0
        elif ch in _REPLACED:
            ch = _REPLACED[ch]
        chars.append({"text": ch, "x0": box.left, "x1": box.right, "top": top, "bottom": bottom,
                      "size": run.size, "fontname": run.fontname, "upright": run.upright, "space": space})
        space = ch == " "
    return chars


def iter_pages(path: Path, max_chars: int | None = None) -> Iterator[PdfPage]:
    """The PDF's pages in order, one at a time (see the module doc); raises SourceError for an
    encrypted or unreadable file or a PDF without pages. A page that cannot be read, or that holds
    more than ``max_chars`` characters, comes with no characters and its ``error`` (naming it), and
    the pages after it are read."""
    import pypdfium2 as pdfium
    from pypdfium2 import raw

    doc = _open(path)
    calls = _Calls(raw)
    try:
        total = len(doc)
        if total == 0:
            raise SourceError(_NO_PAGES)
        for index in range(total):
            page = textpage = None
            width = height = 0.0
            error = None
            images = 0
            chars: list[dict] = []
            try:
                page = doc[index]
                width, height = page.get_size()
                textpage = page.get_textpage()
                chars = _page_chars(raw, calls, textpage.raw, height, max_chars)
                if not chars:  # a page without text: a scan (images) or an empty page
                    images = sum(1 for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))
            except _TooMany as exc:
                error = (f"page {index + 1} holds {exc.count:,} characters, over the limit of {max_chars:,} "
                         "a page (setting parsing.max_page_chars); it was skipped")
            except pdfium.PdfiumError as exc:
                error = f"page {index + 1} of {total} cannot be read ({exc}); it was skipped"
            finally:
                if textpage is not None:
                    textpage.close()
                if page is not None:
                    page.close()
            yield PdfPage(number=index + 1, width=width, height=height, chars=chars, error=error,
                          count=len(chars), images=images)
    finally:
        doc.close()
