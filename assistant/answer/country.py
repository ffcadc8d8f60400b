"""A country page: every passage about one country across the reports served, by year and theme, with
counts and the notes the passages cite (the web chat's Countries tab, `assistant country`, and the
answer to a question about a country alone: "Bulgaria", "Tell me about Bulgaria").

Which passages: every one naming the country (``Passage.countries``); ``subject`` says whether it is
the passage's subject (in its heading or first sentence, or the only country it names) or one of several.

The year a passage is filed under: the latest year it names up to its report's publication year (a
strategy "for 2021-2025" in a 2024 report is filed under 2021, when it was adopted, not 2025); a passage
naming no such year goes under the last year of its report's period, and, with neither, under
"undated". Every year it names is kept beside (``years``).

Themes are a fixed list drawn from EU policy, not from the reports: the four sectors of the EU Action
Plan on Integration and Inclusion 2021-2027 (education, employment, health, housing) and the stages of
the asylum system the EUAA's Asylum Report follows (procedure, reception, children and vulnerable
people, resettlement, temporary protection, return), the content of protection as AIDA's country
reports divide it (residence and family, social welfare), with language learning, integration
strategies and civil society. A passage's theme is the one whose description the embedding of its own text is
nearest to (cosine, the served model; not the stored vector, which carries the report's title and
section; beyond EMBED_PER_PAGE new passages for one page, the stored vector after all, so that a country
with thousands of passages opens in seconds); nothing is tuned, no passage is left without one, and the themes were not measured against
a gold labelling. Pure functions here; the session supplies the vectors.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from assistant.models import CountryPage, CountryPassage, CountryYear, Passage, Report, pages_label, SourceRef

if TYPE_CHECKING:
    import numpy as np

THEMES: dict[str, str] = {
    "Asylum procedure": "asylum applications, registration, interviews, first-instance decisions, appeals and "
                        "recognition rates of the asylum procedure",
    "Reception": "reception centres, accommodation, material reception conditions and daily allowances for "
                 "asylum seekers",
    "Housing": "housing and homes for refugees and beneficiaries of international protection after recognition",
    "Employment and skills": "access to the labour market, jobs, employment services, vocational training and "
                             "recognition of qualifications for refugees",
    "Education and language": "schools, language courses, learning the language, adult education and "
                              "universities for refugees and their children",
    "Social welfare": "social assistance, welfare benefits and allowances for refugees and beneficiaries of "
                      "international protection",
    "Residence and family": "residence permits, status, family reunification and naturalisation of refugees",
    "Health": "health care, mental health and psychosocial support for asylum seekers and refugees",
    "Children and vulnerable people": "unaccompanied minors, children, families, victims of trafficking and "
                                      "other vulnerable applicants",
    "Integration strategies and funding": "national integration strategies, plans and programmes, their "
                                          "governance, funding, evaluation and the role of local authorities",
    "Resettlement and humanitarian admission": "resettlement quotas, humanitarian admission programmes and "
                                               "relocation of refugees",
    "Temporary protection (Ukraine)": "temporary protection and support for people displaced from Ukraine",
    "Return and detention": "return of rejected applicants, detention, deportation and border procedures",
    "Civil society and inclusion": "volunteers, mentoring, NGOs, community initiatives, participation and the "
                                   "fight against discrimination",
}

EMBED_PER_PAGE = 128  # new passages whose own text is embedded for one page (the rest: their stored vector)

# a question naming one country and, beside it, only these words asks for the country page
_OVERVIEW = frozenset("me us about everything anything all overview summary profile page country show "
                      "tell give list".split())
_WORD = re.compile(r"[^\W\d_]+")

CSV_COLUMNS = ["year", "theme", "report", "report_title", "section", "pages", "subject", "years", "text", "notes"]


def asks_country_alone(countries: Sequence[str], years: Sequence[int], topic: str) -> bool:
    """Whether a question names one country, no year, and nothing else to search for ("Bulgaria",
    "Tell me about Bulgaria", "What did Bulgaria do?")."""
    return len(countries) == 1 and not years and all(w.lower() in _OVERVIEW for w in _WORD.findall(topic))


def theme_texts() -> list[str]:
    """What is embedded for each theme: its name and description."""
    return [f"{name}: {description}" for name, description in THEMES.items()]


def nearest_themes(vectors: np.ndarray, theme_vectors: np.ndarray) -> list[str]:
    """Each passage's theme: the one whose (unit) vector is nearest its own (inner product)."""
    names = list(THEMES)
    return [names[i] for i in (vectors @ theme_vectors.T).argmax(axis=1)] if len(vectors) else []


def filed_year(passage: Passage, report: Report) -> int | None:
    """The year a passage is filed under (see the module's docstring)."""
    named = [y for y in passage.years if report.year is None or y <= report.year]
    if named:
        return max(named)
    period = report.period_years()
    return period[-1] if period else None


def is_subject(passage: Passage, country: str) -> bool:
    return country in passage.lead_countries or passage.countries == [country]


def _most_first(counts: Counter) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def build_page(country: str, name: str, passages: Sequence[Passage], themes: Sequence[str],
               reports: Mapping[str, Report]) -> CountryPage:
    """The page of ``country`` from its passages (in index order) and their themes: years newest first,
    undated last; within a year, by theme (most frequent first), then report and place in the report."""
    rows = []
    for p, theme in zip(passages, themes, strict=True):
        report = reports[p.source]
        rows.append(CountryPassage(
            chunk_id=p.chunk_id, text=p.text, theme=theme, year=filed_year(p, report), years=list(p.years),
            subject=is_subject(p, country), footnotes=list(p.footnotes),
            source=SourceRef(id=report.id, title=report.title, year=report.year, url=report.url, section=p.section,
                             pages=list(p.pages), ocr=p.ocr)))
    theme_counts = Counter(r.theme for r in rows)
    order = {t: i for i, t in enumerate(_most_first(theme_counts))}
    position = {p.chunk_id: (p.source, p.position) for p in passages}
    years: list[CountryYear] = []
    for year in sorted({r.year for r in rows}, key=lambda y: (y is None, -(y or 0))):
        these = sorted((r for r in rows if r.year == year), key=lambda r: (order[r.theme], position[r.chunk_id]))
        years.append(CountryYear(year=year, passages=these, themes=_most_first(Counter(r.theme for r in these))))
    dated = [r.year for r in rows if r.year is not None]
    notes = {(r.source.id, n.number, n.text) for r in rows for n in r.footnotes}
    return CountryPage(country=country, name=name, passages=len(rows), subject=sum(r.subject for r in rows),
                       reports=len({r.source.id for r in rows}), notes=len(notes),
                       first_year=min(dated) if dated else None, last_year=max(dated) if dated else None,
                       themes=_most_first(theme_counts), by_report=_most_first(Counter(r.source.id for r in rows)),
                       years=years)


def summary(page: CountryPage) -> str:
    """The page in a few sentences: the answer text of a question about the country alone."""
    if not page.passages:
        return f"Nothing on {page.name} in these reports."
    span = ("" if page.first_year is None else f", {page.first_year}" if page.first_year == page.last_year
            else f", {page.first_year}-{page.last_year}")
    years = ", ".join(f"{y.year or 'undated'} ({len(y.passages)})" for y in page.years)
    themes = ", ".join(f"{t} ({n})" for t, n in list(page.themes.items())[:5])
    return (f"{page.name} in these reports: {page.passages} passages in {page.reports} "
            f"report{'s' if page.reports != 1 else ''}{span}, {page.subject} of them about {page.name} itself, "
            f"citing {page.notes} note{'s' if page.notes != 1 else ''}. By year: {years}. Themes: {themes}.")


def _pages(row: CountryPassage) -> str:
    return pages_label(row.source.pages) or ""


def markdown(page: CountryPage) -> str:
    """The page as Markdown: counts, then each year's passages by theme, each cited with its notes."""
    out = [f"# {page.name}", "", summary(page), ""]
    if page.passages:
        out += ["| theme | passages |", "|---|---|", *(f"| {t} | {n} |" for t, n in page.themes.items()), ""]
    for year in page.years:
        out += [f"## {year.year or 'Undated'} ({len(year.passages)} passage{'s' if len(year.passages) != 1 else ''})",
                ""]
        theme = None
        for row in year.passages:
            if row.theme != theme:
                theme = row.theme
                out += [f"### {theme}", ""]
            where = " · ".join(x for x in (row.source.title, row.source.section, _pages(row)) if x)
            out += [f"> {row.text}".replace("\n", "\n> "), "", f"— {where}" + ("" if row.subject else
                                                                                f" (names {page.name} among others)"), ""]
            out += [f"[^{row.chunk_id[:8]}-{n.number}]: {n.text}" for n in row.footnotes]
            if row.footnotes:
                out.append("")
    return "\n".join(out).rstrip() + "\n"


def csv_text(page: CountryPage) -> str:
    """One row per passage (CSV_COLUMNS), in the page's order; notes joined as "[n] text"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for year in page.years:
        for row in year.passages:
            writer.writerow([year.year or "", row.theme, row.source.id, row.source.title, row.source.section or "",
                             _pages(row), "yes" if row.subject else "no", " ".join(map(str, row.years)), row.text,
                             " ".join(f"[{n.number}] {n.text}" for n in row.footnotes)])
    return buffer.getvalue()
