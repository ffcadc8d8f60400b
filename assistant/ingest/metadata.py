"""A report's title, publication year and covered period, read from the report itself.

Used for files that ``sources.toml`` does not describe. Three questions, each answered from general
signals rather than from any one publisher's layout:

* **Title.** The document's own metadata first (a PDF's info dictionary, an HTML page's
  ``og:title``/``citation_title``/``<title>``), else its first real heading: a short line set apart
  near the top that names what the text below is about. Page debris is never a title: captions and
  image labels ("Flag of Bulgaria", "Photo: ...", "Figure 3"), lone numbers ("06"), date lines,
  labels ("Author", "Published:"), bylines, breadcrumbs ("News - Global"), link texts ("click here",
  "Visit Website"), truncated teasers ("... in the..."), and paragraphs (long lines, several
  sentences). Among the lines that remain, the one whose words the text below repeats wins: a title
  names the subject, a site name or caption does not. With no such line, the file name is the title.
* **Year published.** A date in the metadata; else a dateline near the top ("20 June 2024",
  "Published: 21.02.2023", "Last updated: 06/04/23"); else a year in the title ("Asylum Report
  2024"); else the latest year the notes or events are dated in.
* **Period covered.** The years the report's own events are dated in: "In 2022, ...", "on 5 May
  2023", "since 2018", "the year 2023", "at the end of 2021". Not years that name something
  ("Programme for Government 2025", "Strategy 2021-2027"), cite a source ("(OECD, 2016)"), or set a
  target ("by 2027", "for the period 2021-2025"). Only when no year dates an event are the other
  mentioned years used.

The functions on text are pure; ``pdf_info`` and ``html_info`` read a file's own metadata.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_YEAR_RE = r"(19[5-9]\d|20[0-4]\d)"
_YEAR = re.compile(rf"(?<![\d/.,\-–]){_YEAR_RE}(?![\d/])")
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:[0-3]?\d(?:st|nd|rd|th)?)"
# A full or month date with a four-digit year, or a numeric one (dd.mm.yyyy, dd/mm/yy, yyyy-mm-dd).
_DATE = re.compile(
    rf"\b(?:{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR_RE}|{_MONTH}\s+(?:{_DAY},?\s+)?{_YEAR_RE}"
    rf"|[0-3]?\d[./][01]?\d[./]({_YEAR_RE}|\d\d)|{_YEAR_RE}-[01]\d-[0-3]\d)(?![\d])",
    re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Lines that are page furniture whatever the page: captions and image labels, labels, link texts,
# navigation and document-site chrome. Matched at the start of a line (case-insensitive).
_FURNITURE_START = re.compile(
    r"^(flag of|photo\b|photograph|picture\b|image\b|img\b|figure\s*\d|fig\.\s*\d|table\s*\d|chart\s*\d"
    r"|map\s*\d|graph\s*\d|source\s*:|sources\s*:|credit|caption|logo\b|icon\b|©|\(c\)|copyright"
    r"|citation preview|transcript of|author|authors|by\s+[A-Z]|written by|posted|published|updated"
    r"|last updated|date\b|read more|more info|click here|visit website|download|upload|share\b|print\b"
    r"|embed\b|home\s*[>»/|]|you are here|skip to|main section|menu\b|search\b|contact\b|tags?\s*:"
    r"|related\b|next article|previous article|back to|page \d|see also)", re.IGNORECASE)
_FURNITURE_ANY = re.compile(r"\b(logo|icon for|icon on|alt text)\b|\bhere\s*$", re.IGNORECASE)
_NAV_SEPARATORS = re.compile(r"\s(?:[>»|/•·]|-)\s|\s[-–]$|^[-–]\s")
_LABEL_DATE = re.compile(r"^\W*(?:[^\W\d_]+\W{0,2}\s*){0,3}[:\-–]?\s*$")


@dataclass(frozen=True)
class Line:
    """One line of the start of a document, as the title finder sees it."""

    text: str
    heading: bool = False  # the parser read it as a heading (Markdown "#", or set apart like one)
    alone: bool = True  # a block of its own (blank lines around it), not one line of a paragraph
    depth: int = 0  # heading depth in the document's outline (1: top level), 0 for text


@dataclass(frozen=True)
class FileMetadata:
    """What a file says about itself outside its text: a title and a date, when it has them."""

    title: str | None = None
    year: int | None = None
    heading: str | None = None  # an HTML page's first <h1>


# --- titles -----------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _strip_date(text: str) -> str:
    """A heading line with a dateline run into it, without the date ("... Last updated: 06/04/23")."""
    m = _DATE.search(text)
    if not m or m.start() < 8:
        return text
    head = text[:m.start()]
    head = re.sub(r"(?i)\b(last\s+updated|updated|published|posted|submitted|date[d]?|as of|on)\s*:?\s*$", "",
                  head.rstrip(" ,;:|-–("))
    return head.rstrip(" ,;:|-–(") if len(_words(head)) >= 2 else text


def is_date_line(text: str) -> bool:
    """A dateline: a date with at most a short label around it ("20 June 2024", "Published: 21.02.2023",
    "News Stories, 8 July 2009", "Report | Doc. 14329 | 24 May 2017")."""
    m = _DATE.search(text)
    if not m:
        return bool(re.fullmatch(r"\W*" + _YEAR_RE + r"\W*", text.strip()))
    rest = (text[:m.start()] + " " + text[m.end():]).strip()
    return len(_words(rest)) <= 4 and not rest.rstrip().endswith(".")


def _name_like(text: str) -> bool:
    """A byline: two to eight capitalised words joined by "and", "&" or commas, nothing else."""
    words = text.replace("&", " and ").replace(",", " ").split()
    names = [w for w in words if w != "and"]
    return (2 <= len(names) <= 8 and all(w[:1].isupper() and w[1:].replace(".", "").replace("-", "").isalpha()
                                         and not w.isupper() for w in names)
            and not any(c in text for c in ":;=?!()\"“”'’"))


def debris_reason(text: str) -> str | None:
    """Why a line cannot be a report's title (page debris, a label, a paragraph), or None."""
    t = text.strip()
    words = _words(t)
    letters = sum(c.isalpha() for c in t)
    if letters < 3 or not words:
        return "no words"
    if all(w.isdigit() for w in words) or re.fullmatch(r"[\d.\s]+", t):
        return "a number"
    if is_date_line(t):
        return "a date line"
    if _FURNITURE_START.match(t) or _FURNITURE_ANY.search(t):
        return "page furniture (caption, label, link or navigation)"
    if t[0].islower():
        return "a fragment (starts in lower case)"
    if t.endswith(("...", "…")):
        return "a truncated teaser"
    if t[-1] in ",;:" or t.endswith((" -", " –", "-", "|", "/")):
        return "a label or an unfinished line"
    if t.startswith(("•", "- ", "* ", "–", "[", "(")):
        return "a list item or bracketed note"
    if t.startswith("http") or "www." in t or "@" in t:
        return "a link"
    if len(t) > 200 or len(words) > 28:
        return "a paragraph (too long)"
    sentences = [p for p in re.split(r"(?<=[a-z\d][.!?])\s+(?=[A-Z])", t) if len(_words(p)) >= 3
                 and not re.fullmatch(r"(?i)\W*(chapter|section|part|annex|doc)?\W*[\d.]+\W*\w*\W*", p)]
    if len(sentences) > 1:
        return "a paragraph (several sentences)"
    if t.endswith((".", "!")) and len(words) > 14:
        return "a sentence"
    if "|" in t and all(len(_words(seg)) <= 3 for seg in t.split("|")):
        return "navigation"
    if _NAV_SEPARATORS.search(t) and all(len(_words(seg)) <= 2 for seg in re.split(r"\s[>»/•·-]\s", t)):
        return "navigation"
    if _name_like(t):
        return "a byline (names)"
    return None


def _clean_title(text: str) -> str:
    """A title as shown: no Markdown "#", no trailing full stop, a date run into it dropped."""
    t = re.sub(r"\s+", " ", text.strip().lstrip("#").strip())
    t = _strip_date(t)
    if t.endswith(".") and not t.endswith(("..", "etc.", "Inc.", "Ltd.")):
        t = t[:-1]
    return t.strip()


def _content(words: list[str]) -> set[str]:
    """Words that carry meaning in any language: four letters or more (no stop-word list needed)."""
    return {w.lower() for w in words if len(w) >= 4 and not w.isdigit()}


def _is_body(line: Line) -> bool:
    """A line of running text: long, or a sentence of some length."""
    words = _words(line.text)
    return len(words) >= 25 or (len(words) >= 12 and line.text.rstrip()[-1:] in ".!?:;") or \
        (not line.alone and not line.heading and len(words) >= 15)


def title_candidates(lines: list[Line], limit: int = 14) -> list[tuple[float, str]]:
    """Scored title candidates from the start of a document, best first.

    Candidates are the lines before the first run of body text (at most ``limit`` of them) that are
    not debris. A line scores for being a heading, standing alone, having a title's length (3 to 15
    words), and above all for sharing its words with the text that follows it; it loses a little
    for each line it comes after."""
    start: list[tuple[int, Line]] = []
    first_body = None
    for i, line in enumerate(lines):
        if _is_body(line):
            first_body = i
            break
        start.append((i, line))
    if first_body is None:
        first_body = len(lines)
    following = " ".join(ln.text for ln in lines[first_body:first_body + 12])
    after = _content(_words(following))
    scored: list[tuple[float, str]] = []
    for pos, (i, line) in enumerate(start[:limit]):
        text = _clean_title(line.text)
        if debris_reason(text) is not None:
            continue
        words = _words(text)
        content = _content(words)
        shared = len(content & after) / len(content) if content else 0.0
        score = 2.0 * shared
        score += 0.5 if line.heading else 0.0
        score += 0.5 if line.depth == 1 else 0.0
        score += 0.5 if line.alone else 0.0
        score += 0.5 if 3 <= len(words) <= 20 else (0.0 if len(words) > 20 else -0.5 * (3 - len(words)))
        score -= 0.25 * pos
        scored.append((round(score, 3), text))
    scored.sort(key=lambda s: -s[0])
    return scored


def plausible_metadata_title(title: str | None) -> str | None:
    """A metadata title worth showing, or None: not empty, not a file name, not a tool's placeholder
    ("Microsoft Word - report.docx", "untitled", "Slide 1"), not page debris."""
    if not title:
        return None
    t = re.sub(r"\s+", " ", title).strip()
    t = re.sub(r"^(microsoft\s+\w+\s*-\s*|untitled\s*-\s*)", "", t, flags=re.IGNORECASE)
    if re.search(r"\.(docx?|odt|pdf|rtf|pptx?|xlsx?|tex|indd|html?|txt|md)$", t, re.IGNORECASE):
        return None
    if re.fullmatch(r"(?i)(untitled|document\d*|title|slide\s*\d*|presentation\d*|none|null|unknown|"
                    r"new document|doc\d+|\W*)", t):
        return None
    if "_" in t and " " not in t:
        return None  # a file name without its extension
    if len(_words(t)) < 2 or debris_reason(t) is not None:
        return None
    return t[:200]


def site_stripped(title: str, heading: str | None = None) -> str:
    """An HTML <title> without the site name: the part that agrees with the page's first heading, else
    the longest part ("Bulgaria: a decade ... | European Website on Integration" -> the first part)."""
    parts = [p.strip() for p in re.split(r"\s+[|–—·•»]\s+|\s+-\s+|\s+::\s+", title) if p.strip()]
    if len(parts) <= 1:
        return title.strip()
    if heading:
        h = _content(_words(heading))
        best = max(parts, key=lambda p: len(_content(_words(p)) & h))
        if _content(_words(best)) & h:
            return best
    return max(parts, key=lambda p: len(_words(p)))


def choose_title(lines: list[Line], metadata: FileMetadata | None = None, fallback: str = "") -> tuple[str, str]:
    """The report's title and where it came from: "metadata", "heading" or "file name"."""
    if metadata is not None:
        meta = plausible_metadata_title(metadata.title)
        if meta:
            return site_stripped(meta, metadata.heading), "metadata"
        if metadata.heading and debris_reason(metadata.heading) is None:
            return _clean_title(metadata.heading), "heading"
    candidates = title_candidates(lines)
    if candidates:
        return candidates[0][1], "heading"
    name = re.sub(r"[_\s]+", " ", re.sub(r"(?<=[^\W\d_])-(?=[^\W\d_])|--", " ", fallback)).strip(" -")
    return (name[:1].upper() + name[1:]) if name else "Untitled report", "file name"


# --- years --------------------------------------------------------------------------------------------


def _year_of(match: re.Match[str]) -> int | None:
    """The year of a matched date: its four-digit year, or a two-digit one (dd/mm/yy) read as 20yy
    unless that is in the future."""
    found = re.search(_YEAR_RE + r"(?!\d)", match.group(0))
    if found:
        return int(found.group(1))
    tail = re.search(r"[./](\d\d)$", match.group(0))
    if tail:
        from datetime import date

        yy = int(tail.group(1))
        return 2000 + yy if 2000 + yy <= date.today().year + 1 else 1900 + yy
    return None


def dateline_year(lines: list[str], within: int = 12) -> int | None:
    """The year of the first dateline among the first ``within`` lines (a cover or page date)."""
    for line in lines[:within]:
        text = line.strip()
        if not text or len(_words(text)) > 16:
            continue
        m = _DATE.search(text)
        if not m:
            continue
        labelled = re.search(r"(?i)\b(updated|published|posted|date[d]?|submitted|issued|released|modified)\W*$",
                             text[:m.start()])
        if is_date_line(text) or labelled:
            year = _year_of(m)
            if year:
                return year
    return None


_TARGET_BEFORE = re.compile(r"(?i)(\bby|\buntil|\btill|\bup to|\bbefore|\btarget(?:ed|s)? for|\bhorizon|\bvision"
                            r"|\bfor the (?:period|years?)|\bprogramming period)\s*(?:the\s+)?(?:end of\s+)?$")
_EVENT_BEFORE = re.compile(
    rf"(?i)(\bin|\bduring|\bsince|\bfrom|\bthroughout|\bas of|\bas at|\bat|\bon|\bof|\bend of|\bbeginning of"
    rf"|\bstart of|\bhalf(?:-year)? of|\bquarter of|\bearly|\bmid-?|\blate|\bthe year|\bin the year|\byear"
    rf"|\bperiod|\bbetween|\bto|\band|\bafter|\bwhen|\bsummer|\bwinter|\bspring|\bautumn|\bfall"
    rf"|{_MONTH}|{_DAY})\s*$")
_CITATION = re.compile(r"^\s*(?:[a-z]\b)?\s*[\[\)]|^\s*[a-z]?\)")


def year_mentions(text: str) -> list[tuple[int, str]]:
    """Every year the text mentions, with its kind: "event" (it dates something that happened),
    "name" (part of a title: "Report 2023", "Strategy 2021-2027"), "citation" ("(OECD, 2016)"),
    "target" ("by 2027", "for the period 2021-2025") or "other"."""
    out: list[tuple[int, str]] = []
    for m in _YEAR.finditer(text):
        year = int(m.group(1))
        before = text[max(0, m.start() - 40):m.start()]
        after = text[m.end():m.end() + 12]
        # A range "2021-2027" / "2008 – 2013": the second year shares the first one's kind.
        range_first = re.search(rf"{_YEAR_RE}\s*[-–/]\s*$", before)
        if range_first:
            before = text[max(0, m.start() - 40 - len(range_first.group(0))):m.start() - len(range_first.group(0))]
        prev = re.search(r"(\S+)\s*$", before)
        prev_word = prev.group(1) if prev else ""
        if re.search(r"[,;]\s*$", before) and re.match(r"\s*(?:[a-z]\b)?\s*[\)\[]", after):
            kind = "citation"  # "(EU/OECD, 2016[1])", "(Smith, 2019)"
        elif re.match(r"\s*\)", after) and re.search(r"\(\s*$", before) and not range_first:
            kind = "citation"  # "(2019)"
        elif _TARGET_BEFORE.search(before):
            kind = "target"
        elif _EVENT_BEFORE.search(before) or re.search(r"[./-]\s*$", before[-3:]) or _DATE.search(
                text[max(0, m.start() - 20):m.end()]):
            kind = "event"
        elif prev_word[:1].isupper() and prev_word.strip("“\"'(").isalpha() and not re.search(r"[.!?:]\s+\S+\s*$", before) \
                and prev_word.lower() not in _MONTHS:
            kind = "name"  # "Programme for Government 2025", "Fundamental Rights Report 2023"
        elif re.match(r"\s+[A-Z][a-z]", after) and re.search(r"(^|[.!?]\s+|\n)\s*$", before):
            kind = "event"  # "2014 marked the ..." at the start of a sentence
        elif re.match(r"\s*(?:was|were|saw|marked|has|had|is)\b", after):
            kind = "event"
        else:
            kind = "other"
        out.append((year, kind))
    return out


def period_covered(text: str, published: int | None = None) -> tuple[int | None, int | None]:
    """The first and last year the report's own events are dated in (see ``year_mentions``): the years
    it mentions less those that name, cite or target something, those of a dateline, and those after
    ``published`` (when known: plans, not events); (None, None) when none is left."""
    # A dateline ("20 June 2024", "Last updated: 06/04/23") dates the page, not what it reports.
    lines = text.split("\n")
    datelines = [line for line in lines if len(_words(line)) <= 12 and is_date_line(line)]
    mentions = year_mentions("\n".join(line for line in lines if line not in datelines))
    events = [y for y, kind in mentions if kind in ("event", "other") and (published is None or y <= published)]
    if not events:  # the page's own date is all that dates it
        events = [y for line in datelines for y, _ in year_mentions(line)]
    if not events:
        return None, None
    return min(events), max(events)


def publication_year(head_lines: list[str], title: str | None = None, metadata_year: int | None = None,
                     note_texts: list[str] | None = None, body: str = "") -> tuple[int | None, str]:
    """The year the report was published, and where it was read from: "metadata", "cover", "title",
    "notes" or "events". A metadata date later than two years after the latest dated event (a
    print-to-PDF date, say) is not believed."""
    events = [y for y, kind in year_mentions(body) if kind == "event"] if body else []
    latest_event = max(events) if events else None
    if metadata_year and (latest_event is None or latest_event <= metadata_year <= latest_event + 2):
        return metadata_year, "metadata"
    cover = dateline_year(head_lines)
    if cover:
        return cover, "cover"
    if title:
        in_title = sorted({int(y) for y in re.findall(rf"(?<!\d){_YEAR_RE}(?!\d)", title)})
        if len(in_title) == 1:  # "Asylum Report 2024"; a range ("2021-2022") is a period, not a date
            return in_title[0], "title"
    note_years = [int(y) for n in (note_texts or []) for y in _YEAR.findall(n)]
    candidates = [y for y in (max(note_years) if note_years else None, latest_event) if y]
    if candidates:
        return max(candidates), "notes" if note_years and max(note_years) >= (latest_event or 0) else "events"
    return None, ""


# --- the file's own metadata --------------------------------------------------------------------------


def _pdf_date_year(value: str | None) -> int | None:
    m = re.match(r"^(?:D:)?(\d{4})", (value or "").strip())
    return int(m.group(1)) if m and 1950 <= int(m.group(1)) <= 2049 else None


def pdf_info(path: Path) -> FileMetadata:
    """A PDF's info dictionary: its Title and the year of its CreationDate (or ModDate)."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception:  # an unreadable PDF is reported by the loader, not here
        log.debug("no PDF info for %s", path, exc_info=True)
        return FileMetadata()
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    year = _pdf_date_year(info.get("CreationDate")) or _pdf_date_year(info.get("ModDate"))
    return FileMetadata(title=info.get("Title") or None, year=year)


_HTML_TITLE_META = ("citation_title", "dc.title", "og:title", "twitter:title")
_HTML_DATE_META = ("citation_publication_date", "citation_date", "dc.date", "dc.date.issued", "dcterms.issued",
                   "article:published_time", "datepublished", "date", "pubdate", "publication_date")


def html_info(html: str) -> FileMetadata:
    """An HTML page's title (a citation/Dublin Core/Open Graph title, else <title>), its first <h1>,
    and the year of its publication date (a meta date, else the first <time datetime>)."""
    from bs4 import BeautifulSoup, SoupStrainer

    soup = BeautifulSoup(html, "html.parser", parse_only=SoupStrainer(["title", "meta", "h1", "time"]))
    metas = {}
    for meta in soup.find_all("meta"):
        key = (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").strip().lower()
        if key and meta.get("content") and key not in metas:
            metas[key] = meta["content"].strip()
    title = next((metas[k] for k in _HTML_TITLE_META if metas.get(k)), None)
    if not title and soup.title is not None:
        title = soup.title.get_text(" ", strip=True) or None
    h1 = soup.find("h1")
    heading = re.sub(r"\s+", " ", h1.get_text(" ", strip=True)) if h1 is not None else None
    year = None
    for key in _HTML_DATE_META:
        if metas.get(key):
            found = _YEAR.search(metas[key]) or re.match(_YEAR_RE, metas[key])
            if found:
                year = int(found.group(1))
                break
    if year is None:
        time = soup.find("time", attrs={"datetime": True})
        found = re.match(_YEAR_RE, time["datetime"]) if time is not None else None
        year = int(found.group(1)) if found else None
    return FileMetadata(title=title, year=year, heading=heading or None)


def file_metadata(path: Path, fmt: str) -> FileMetadata:
    """The metadata a file carries outside its text (PDF info, HTML head); empty for text files or when
    it cannot be read."""
    try:
        if fmt == "pdf":
            return pdf_info(path)
        if fmt == "html":
            return html_info(path.read_text(encoding="utf-8-sig", errors="replace"))
    except Exception:  # metadata is a hint: a file it cannot be read from is still indexed
        log.warning("could not read the metadata of %s; inferring it from the text", path, exc_info=True)
    return FileMetadata()


def outline(blocks: list, headings: list[str], lines: int = 40) -> list[Line]:
    """The start of a parsed document as lines in reading order: each heading (where its section
    starts) and each line of the first blocks, marked as heading or text, alone or in a paragraph."""
    out: list[Line] = []
    prev: tuple[str, ...] = ()
    for block in blocks:
        path = tuple(block.heading_path)
        common = 0
        while common < min(len(prev), len(path)) and prev[common] == path[common]:
            common += 1
        for depth, title in enumerate(path[common:], start=common + 1):
            out.append(Line(title, heading=True, alone=True, depth=depth))
        prev = path
        parts = [p for p in block.text.split("\n") if p.strip()]
        for part in parts:
            out.append(Line(part.strip(), alone=len(parts) == 1))
        if len(out) >= lines:
            break
    if not out:
        out = [Line(h, heading=True, depth=1) for h in headings[:lines]]
    return out[:lines]
