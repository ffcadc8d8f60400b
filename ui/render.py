"""HTML and Markdown for the web chat, from an Answer. Every piece of report or user text is escaped
here: it renders as text, never as HTML or script, and only http(s) URLs become links."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, unquote, urlencode

from assistant.geo import country_name
from assistant.models import Answer, CountryPage, PassageHit, Report, SourceRef
from ui.text import apart, match_label, pages_label, place

REPORTS_PATH = "reports"  # the web chat serves the corpus's PDFs under /reports/<file> (ui/app.py)

_TERM_STOP = set("""what which when where does with from that this have were been into about their there these those
they them than then also only some such more most other over under between after before since during while
report reports passage passages question""".split())


def link(url: str | None, label: str | None = None) -> str:
    if not url or not url.lower().startswith(("http://", "https://")):
        return html.escape(label or url or "")
    return (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(label or url)}</a>")


def note_html(text: str, urls: list[str]) -> str:
    """A note's text with its URLs as links, labelled readably (percent-encoding decoded)."""
    pieces, pos = [], 0
    for url in sorted(urls, key=text.find):
        at = text.find(url, pos)
        if at < 0:
            continue
        label = unquote(url)
        label = label if len(label) <= 90 else label[:87] + "..."
        pieces += [html.escape(text[pos:at]), link(url, label)]
        pos = at + len(url)
    return "".join(pieces) + html.escape(text[pos:])


def terms(query: str) -> list[str]:
    """The query's words worth highlighting: four letters or more, not question words."""
    words = re.findall(r"[^\W\d_]{4,}", query)
    return list(dict.fromkeys(w for w in words if w.lower() not in _TERM_STOP))


def highlight(text: str, words: list[str]) -> str:
    """Escaped text with the query's words (and their inflections) marked."""
    if not words:
        return html.escape(text)
    stems = [re.escape(w[:-1] if len(w) > 5 else w) for w in words]
    pattern = re.compile(r"\b(" + "|".join(stems) + r")\w*", re.IGNORECASE)
    out, pos = [], 0
    for m in pattern.finditer(text):
        out += [html.escape(text[pos:m.start()]), f"<mark>{html.escape(m.group(0))}</mark>"]
        pos = m.end()
    return "".join(out) + html.escape(text[pos:])


def when(report: Report | None, year: int | None) -> str:
    if report is not None and (report.period_start or report.period_end):
        start, end = report.period_start or report.period_end, report.period_end or report.period_start
        period = str(start) if start == end else f"{start}-{end}"
        return f"{year}, covering {period}" if year else f"covering {period}"
    return str(year) if year else ""


def citation(hit: PassageHit, report: Report | None) -> str:
    """A reference a person can paste: publisher, year, title, section, page (a PDF's) and whether its
    text was read by OCR, e.g. "EUAA (2024) Asylum Report 2024. Section: Housing, pp. 12-13 (OCR). https://..."."""
    src = hit.source
    where = ", ".join(x for x in (f"Section: {src.section}" if src.section else "", pages_label(src.pages)) if x)
    where = f"{where} (OCR)".strip() if src.ocr else where
    parts = [report.publisher if report and report.publisher else None,
             f"({src.year})" if src.year else "(n.d.)", f"{src.title}.", f"{where}." if where else None, src.url]
    return " ".join(p for p in parts if p)


def pdf_link(src: SourceRef, report: Report | None) -> str:
    """The passage's page as a link to the report's PDF opened at that page (served by the web chat
    under /reports/, relative to the page so that it works behind a proxy's path prefix); the page as
    text when the report is not a PDF the chat serves; "" when there is no page to show."""
    label = pages_label(src.pages)
    if report is None or report.format != "pdf":
        return html.escape(label)
    href = f"{REPORTS_PATH}/{quote(report.file, safe='')}" + (f"#page={src.pages[0]}" if src.pages else "")
    return (f'<a class="page" href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer" '
            f'title="Open the PDF at this page">{html.escape(label or "PDF")}</a>')


def answer_html(answer: Answer) -> str:
    """The answer with its [P1] markers as links to the cards, what was searched, and the empty state."""
    text = html.escape(answer.answer)
    text = re.sub(r"\[P(\d+)\]", r'<a class="cite" href="#card-\1" data-card="\1">[P\1]</a>', text)
    empty = ""
    if answer.abstained:
        empty = ('<div class="empty" id="empty-state"><strong>No passage in the reports answers this.</strong> '
                 "The passages below are the nearest ones, shown as possibly related.</div>")
    understood = []
    if answer.filters.countries:
        understood.append(", ".join(country_name(c) for c in answer.filters.countries))
    if answer.filters.years:
        understood.append(", ".join(str(y) for y in answer.filters.years))
    searched = html.escape(answer.resolved_query) + (f" <span class='understood'>({html.escape('; '.join(understood))})</span>"
                                                      if understood else "")
    page = ""
    if answer.country_page is not None and answer.country_page.passages:
        page = (f'<details class="country-page" id="answer-country"><summary>Every passage on '
                f"{html.escape(answer.country_page.name)}, by year and theme ({answer.country_page.passages}; also in "
                f"the Countries tab, with Markdown and CSV downloads)</summary>{country_html(answer.country_page)}</details>")
    return (f'<div class="answer" id="answer">{empty}<p class="answer-text">{text}</p>{groups_html(answer)}{page}'
            f'<p class="searched">Searched: {searched} · <a id="share-link" href="{html.escape(share_query(answer), quote=True)}" '
            f'title="A link that reopens this answer with its filters">Link to this answer</a></p></div>')


def share_query(answer: Answer) -> str:
    """The page address's query for this answer: the question as searched (a follow-up written out) and
    its filters, ``?q=What+did+Bulgaria+do+in+2023%3F&country=BG&year=2023``."""
    params = [("q", answer.resolved_query)] + [("country", c) for c in answer.filters.countries]
    params += [("year", str(y)) for y in answer.filters.years]
    return "?" + urlencode(params)


def groups_html(answer: Answer) -> str:
    """A timeline's or comparison's groups as a table: a row per asked year or country, its passages as
    links to their cards, its extract, or an explicit empty cell; "" for an answer without groups."""
    if not answer.groups:
        return ""
    rows = []
    for group in answer.groups:
        cites = " ".join(f'<a class="cite" href="#card-{r}" data-card="{r}">[P{r}]</a>' for r in group.ranks)
        what = ('<span class="empty-cell">Nothing in these reports</span>' if group.empty else
                html.escape(group.extract.text) if group.extract else "")
        empty = ' class="empty"' if group.empty else ""
        rows.append(f'<tr data-group="{html.escape(group.label)}"{empty}>'
                    f"<th>{html.escape(group.label)}</th><td>{cites or '-'}</td><td>{what}</td></tr>")
    return (f'<table class="groups" id="groups" data-by="{html.escape(answer.grouped_by or "")}">'
            f"<thead><tr><th>{'Year' if answer.grouped_by == 'year' else 'Country'}</th><th>Passages</th>"
            f"<th>Extract</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def country_html(page: CountryPage, reports: dict[str, Report] | None = None) -> str:
    """A country page: its counts (passages per year and per theme), then each year's passages by
    theme, each with its report, section, page and notes; every piece of text escaped."""
    from assistant.answer.country import summary

    reports = reports or {}
    head = f'<p class="country-summary">{html.escape(summary(page))}</p>'
    if not page.passages:
        return f'<div class="country" id="country" data-country="{html.escape(page.country)}">{head}</div>'
    themes = list(page.themes)
    cells = "".join(f"<th>{html.escape(t)}</th>" for t in themes)
    rows = "".join(
        f'<tr data-year="{y.year or ""}"><th><a href="#year-{y.year or "undated"}">{y.year or "Undated"}</a></th>'
        f"<td>{len(y.passages)}</td>" + "".join(f"<td>{y.themes.get(t, '') or ''}</td>" for t in themes) + "</tr>"
        for y in page.years)
    totals = "".join(f"<td>{n}</td>" for n in page.themes.values())
    table = (f'<table class="groups country-counts" id="country-counts"><thead><tr><th>Year</th><th>Passages</th>{cells}'
             f"</tr></thead><tbody>{rows}</tbody><tfoot><tr><th>All</th><td>{page.passages}</td>{totals}</tr></tfoot>"
             "</table>")
    parts = [f'<div class="country" id="country" data-country="{html.escape(page.country)}">{head}{table}']
    for year in page.years:
        parts.append(f'<section class="country-year" id="year-{year.year or "undated"}"><h3>{year.year or "Undated"} '
                     f"({len(year.passages)})</h3>")
        theme = None
        for row in year.passages:
            if row.theme != theme:
                theme = row.theme
                parts.append(f'<h4 class="theme">{html.escape(theme)}</h4>')
            src, report = row.source, reports.get(row.source.id)
            meta = " · ".join(x for x in [html.escape(src.title), html.escape(src.section or ""), pdf_link(src, report),
                                          "" if row.subject else f"names {html.escape(page.name)} among others",
                                          link(src.url, "source") if src.url else ""] if x)
            notes = ""
            if row.footnotes:
                items = "".join(f'<li data-note="{html.escape(n.number)}"><span class="num">{html.escape(n.number)}.'
                                f"</span> {note_html(n.text, n.urls)}</li>" for n in row.footnotes)
                notes = f'<ol class="notes">{items}</ol>'
            parts.append(f'<div class="card" data-chunk="{html.escape(row.chunk_id)}" data-theme="{html.escape(theme)}">'
                         f'<div class="meta">{meta}</div><div class="text">{html.escape(row.text)}</div>{notes}</div>')
        parts.append("</section>")
    parts.append("</div>")
    return "".join(parts)


def cards_html(answer: Answer, reports: dict[str, Report] | None = None) -> str:
    """The cited passages as cards, in rank order."""
    reports = reports or {}
    if not answer.passages:
        return "<p>No passages.</p>"
    words = terms(answer.resolved_query)
    parts = ['<div class="cards">']
    if answer.abstained:
        parts.append('<div class="related" id="possibly-related">Possibly related</div>')
    matching, others = apart(answer)
    for n, hit in enumerate(matching + others):
        if n == len(matching) and matching and others:
            parts.append('<div class="related" id="not-matching">Not matching what was asked</div>')
        src, report = hit.source, reports.get(hit.source.id)
        label = match_label(hit, answer)
        badge = (f'<span class="match match-{html.escape(hit.match)}" data-match="{html.escape(hit.match)}">'
                 f"{html.escape(label)}</span>") if label else ""
        ocr = ('<span class="ocr" title="Text read from the page image by OCR: check it against the PDF">OCR</span>'
               if src.ocr else "")
        meta = " · ".join(x for x in [badge, html.escape(src.section or ""), pdf_link(src, report), ocr,
                                      html.escape(when(report, src.year)), link(src.url, "source") if src.url else ""]
                          if x)
        notes = ""
        if hit.footnotes:
            items = "".join(f'<li data-note="{html.escape(n.number)}"><span class="num">{html.escape(n.number)}.</span> '
                            f"{note_html(n.text, n.urls)}</li>" for n in hit.footnotes)
            notes = (f'<details class="notes" open><summary>Notes ({len(hit.footnotes)})</summary>'
                     f'<ol class="notes">{items}</ol></details>')
        cite = html.escape(citation(hit, report), quote=True)
        parts.append(
            f'<div class="card" id="card-{hit.rank}" data-chunk="{html.escape(hit.chunk_id)}" data-source="{html.escape(src.id)}"'
            f' data-pages="{html.escape(pages_label(src.pages))}">'
            f'<h4>[P{hit.rank}] {html.escape(src.title)}</h4><div class="meta">{meta}</div>'
            f'<div class="text">{highlight(hit.text, words)}</div>{notes}'
            f'<button class="copy" data-citation="{cite}" '
            f'onclick="navigator.clipboard && navigator.clipboard.writeText(this.dataset.citation);'
            f'this.textContent=\'Copied\'">Copy citation</button>'
            f'<div class="citation" hidden>{html.escape(citation(hit, report))}</div></div>'
        )
    parts.append("</div>")
    return "".join(parts)


def conversation_markdown(answers: list[Answer], reports: dict[str, Report] | None = None) -> str:
    """The whole conversation: each question, what was searched, the answer, every passage and its notes."""
    reports = reports or {}
    lines = ["# Conversation with the policy reports assistant", ""]
    for n, answer in enumerate(answers, start=1):
        lines += [f"## {n}. {answer.query}", "", f"Searched: {answer.resolved_query}", "", answer.answer, ""]
        for hit in answer.passages:
            where = place(hit.source)
            lines += [f"### [P{hit.rank}] {hit.source.title}" + (f" — {where}" if where else ""),
                      "", f"Reference: {citation(hit, reports.get(hit.source.id))}", "", hit.text, ""]
            for note in hit.footnotes:
                lines.append(f"- Note {note.number}: {note.text}")
            if hit.footnotes:
                lines.append("")
    return "\n".join(lines)


def answer_json(answer: Answer) -> str:
    """The "Answer as JSON" export: exactly what `assistant ask --json` prints, indented."""
    return json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=1)
