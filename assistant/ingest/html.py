"""HTML reports: footnotes read from the markup, then the page written as the project's Markdown.

Footnotes are linked in the HTML itself, before any conversion loses them: a marker is a link to a
note's id (``<sup><a href="#fn:1">1</a></sup>``, ``<a class="footnote-ref" href="#fn1">``, Wikipedia's
``<sup class="reference"><a href="#cite_note-3">[3]</a></sup>``); a note is the element with that id
(``<li id="fn:1">``, ``<li id="cite_note-3">``). Markers become ``[N](#)`` and the notes become
``[N](#) text <url>`` lines at the end, which the Markdown footnote reader already knows. Scripts,
styles, navigation and forms are dropped: nothing in them is indexed or run.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from assistant.ingest.footnotes import TO_SUPERSCRIPT

_DROP = ["script", "style", "noscript", "template", "iframe", "nav", "form", "button", "svg", "canvas",
         "object", "embed", "select", "input", "textarea", "head"]
_NOTE_ID = re.compile(r"^(fn[:_-]?|footnote[:_-]?|cite_note-|endnote[:_-]?|note[:_-]?|ftn)(.+)$", re.IGNORECASE)
_BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "li", "dd", "dt", "figcaption",
           "caption", "address", "aside", "header", "footer", "ul", "ol", "dl", "figure", "body", "html"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BACKREF = re.compile(r"^(fnref|cite_ref|footnote-ref|ref)", re.IGNORECASE)
_FLUSH = object()  # on the walk's stack: end of a block element


def _text(node: Tag) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def _marker_numbers(soup: BeautifulSoup) -> dict[str, str]:
    """note id -> the number its marker shows in the body ("[3]" -> "3")."""
    shown: dict[str, str] = {}
    for link in soup.find_all("a", href=True):
        href = link["href"]
        digits = re.fullmatch(r"\[?(\d{1,4})\]?", link.get_text(strip=True))
        if href.startswith("#") and _NOTE_ID.match(href[1:]) and digits:
            shown.setdefault(href[1:], digits.group(1))
    return shown


def _notes(soup: BeautifulSoup) -> dict[str, tuple[str, str]]:
    """id -> (number, text) for every footnote element, numbered by its list position or its id."""
    found: dict[str, tuple[str, str]] = {}
    shown = _marker_numbers(soup)
    for node in soup.find_all(id=_NOTE_ID):
        if node.name in ("sup", "a", "span") and node.find_parent(["p", "td"]) is not None and not node.find("p"):
            continue  # a marker's own id (fnref), not a note
        note_id = node["id"]
        if _BACKREF.match(note_id):
            continue
        for back in node.find_all("a", href=True):
            if back["href"].startswith("#") and (_BACKREF.match(back["href"][1:]) or back.get_text(strip=True) in
                                                  ("↩", "↑", "^", "⤴", "↩︎")):
                back.decompose()
        number = shown.get(note_id)
        if number is None and node.name == "li" and node.parent is not None and node.parent.name == "ol":
            start = int(node.parent.get("start", 1) or 1)
            number = str(start + [li for li in node.parent.find_all("li", recursive=False)].index(node))
        if number is None:
            digits = re.findall(r"\d+", note_id)
            number = digits[-1] if digits else str(len(found) + 1)
        text = _text(node)
        text = re.sub(rf"^\[?{number}\]?[.)]?\s+", "", text)
        urls = [a["href"] for a in node.find_all("a", href=True) if a["href"].startswith(("http://", "https://"))]
        for url in urls:
            if url not in text:
                text += f" <{url}>"
        found[note_id] = (number, text)
    return found


def _mark(soup: BeautifulSoup, notes: dict[str, tuple[str, str]]) -> None:
    """Replace every marker link (and its <sup> wrapper) by "[N](#)"."""
    for link in soup.find_all("a", href=True):
        href = link["href"]
        if not href.startswith("#") or href[1:] not in notes:
            continue
        number = notes[href[1:]][0]
        target = link.parent if link.parent is not None and link.parent.name == "sup" and \
            _text(link.parent) == _text(link) else link
        target.replace_with(NavigableString(f"[{number}](#)"))


def _container(node: Tag) -> Tag:
    """The element holding a note list: the <ol>, or its footnotes section."""
    box = node.parent if node.parent is not None and node.parent.name in ("ol", "ul") else node
    parent = box.parent
    if parent is not None and parent.name in ("section", "div", "aside", "footer") and \
            re.search(r"foot|note|refer", " ".join(parent.get("class", [])) + " " + str(parent.get("id", "")), re.I):
        return parent
    return box


def _rows(table: Tag) -> list[str]:
    rows = []
    for tr in table.find_all("tr"):
        cells = [_text(c) for c in tr.find_all(["th", "td"])]
        if any(cells):
            rows.append(" | ".join(cells) + " |")
    return rows


def html_to_markdown(html: str) -> str:
    """The page as the project's Markdown: headings, paragraphs, tables, ``[N](#)`` markers, notes last."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": "navigation"}):
        tag.decompose()
    notes = _notes(soup)
    for note_id in list(notes):
        node = soup.find(id=note_id)
        if node is not None:
            _container(node).decompose()
    _mark(soup, notes)
    for sup in soup.find_all("sup"):
        text = sup.get_text()
        if text.isdigit():
            sup.replace_with(NavigableString(text.translate(TO_SUPERSCRIPT)))

    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        text = re.sub(r"[ \t]+", " ", "".join(buf)).strip()
        buf.clear()
        if text:
            out.append(text)

    # Walked with an explicit stack, not recursion: a page nested thousands of elements deep is read too.
    stack: list[object] = [iter(soup.children)]
    while stack:
        top = stack[-1]
        if top is _FLUSH:
            stack.pop()
            flush()
            continue
        child = next(top, None)
        if child is None:
            stack.pop()
        elif isinstance(child, NavigableString):
            if child.__class__.__name__ not in ("Comment", "Doctype", "ProcessingInstruction", "Declaration"):
                buf.append(str(child).replace("\n", " "))
        elif isinstance(child, Tag):
            if child.name in _HEADINGS:
                flush()
                heading = _text(child)
                if heading:
                    out.append("#" * _HEADINGS[child.name] + " " + heading)
            elif child.name == "table":
                flush()
                out.append("\n".join(_rows(child)))
            elif child.name == "br":
                buf.append("\n")
            elif child.name in _BLOCKS:
                flush()
                stack.extend([_FLUSH, iter(child.children)])
            else:
                stack.append(iter(child.children))

    flush()
    body = "\n\n".join(p for p in out if p.strip())
    ordered = sorted(notes.values(), key=lambda n: int(n[0]) if n[0].isdigit() else 0)
    tail = "\n\n".join(f"[{number}](#) {text}" for number, text in ordered)
    return body + ("\n\n" + tail if tail else "") + "\n"
