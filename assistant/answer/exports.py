"""Citations people can reuse: the reports an answer cites as BibTeX and RIS, its cards as CSV. Pure
functions of the answer and the reports' manifest entries (publisher, year, title, URL); the CLI
(`assistant ask --export bibtex|ris|csv`) and the web chat's downloads write the same text."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

from assistant.models import Answer, PassageHit, Report, pages_label

_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")


def _cited(answer: Answer) -> dict[str, list[PassageHit]]:
    """The answer's reports in order of first citation, each with its passages."""
    out: dict[str, list[PassageHit]] = {}
    for hit in answer.passages:
        out.setdefault(hit.source.id, []).append(hit)
    return out


def _where(hits: list[PassageHit]) -> str:
    places = []
    for hit in hits:
        place = ", ".join(x for x in (hit.source.section, pages_label(hit.source.pages)) if x)
        if place and place not in places:
            places.append(place)
    return "; ".join(places)


def _bib(text: str) -> str:
    text = text.replace("\\", "\\textbackslash{}")
    return _BIBTEX_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def bibtex(answer: Answer, reports: Mapping[str, Report]) -> str:
    """One ``@report`` entry per cited report (key: its id), the passages' sections and pages in ``note``."""
    entries = []
    for rid, hits in _cited(answer).items():
        report = reports.get(rid)
        src, where = hits[0].source, _where(hits)
        fields = [("title", src.title), ("institution", report.publisher if report else None),
                  ("year", str(src.year) if src.year else None), ("url", src.url),
                  ("note", f"Cited: {where}" if where else None)]
        key = re.sub(r"[^A-Za-z0-9_:-]", "-", rid)
        body = ",\n".join(f"  {name} = {{{_bib(value) if name != 'url' else value}}}"
                          for name, value in fields if value)
        entries.append(f"@report{{{key},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def ris(answer: Answer, reports: Mapping[str, Report]) -> str:
    """One ``TY  - RPRT`` record per cited report."""
    records = []
    for rid, hits in _cited(answer).items():
        report = reports.get(rid)
        src, where = hits[0].source, _where(hits)
        lines = ["TY  - RPRT", f"ID  - {rid}", f"TI  - {' '.join(src.title.split())}"]
        if report and report.publisher:
            lines.append(f"PB  - {report.publisher}")
        if src.year:
            lines.append(f"PY  - {src.year}")
        if src.url:
            lines.append(f"UR  - {src.url}")
        if where:
            lines.append(f"N1  - Cited: {where}")
        lines.append("ER  - ")
        records.append("\n".join(lines))
    return "\n\n".join(records) + ("\n" if records else "")


CSV_COLUMNS = ["rank", "match", "report", "title", "year", "section", "pages", "url", "text", "notes", "score",
               "chunk_id"]


def cards_csv(answer: Answer) -> str:
    """The answer's cards, a row each, notes joined by " | " as "number. text"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for hit in answer.passages:
        src = hit.source
        writer.writerow([hit.rank, hit.match, src.id, src.title, src.year or "", src.section or "", pages_label(src.pages),
                         src.url or "", hit.text, " | ".join(f"{n.number}. {n.text}" for n in hit.footnotes),
                         hit.score, hit.chunk_id])
    return out.getvalue()


EXPORTS = {"bibtex": (bibtex, "bib"), "ris": (ris, "ris"), "csv": (lambda a, _r: cards_csv(a), "csv")}


def export(answer: Answer, reports: Mapping[str, Report], kind: str) -> str:
    """The answer in one of EXPORTS' formats."""
    return EXPORTS[kind][0](answer, reports)
