"""Citations people can reuse: BibTeX and RIS of the cited reports, CSV of the cards."""

from __future__ import annotations

import csv
import io

from assistant.answer.exports import bibtex, cards_csv, export, ris
from assistant.models import Answer, Filters, Note, PassageHit, Report, SourceRef

REPORT = Report(id="euaa-ar-2024", file="ar.txt", title="Asylum Report 2024", publisher="EUAA", year=2024,
                url="https://euaa.europa.eu/asylum-report-2024", format="txt")


def _hit(rank: int, section: str, pages: list[int], source: str = "euaa-ar-2024", title: str = "Asylum Report 2024"):
    return PassageHit(rank=rank, score=0.5, chunk_id=f"c{rank}", text=f"Passage {rank}, with a comma.", match="both",
                      footnotes=[Note(number="898", text="State Agency for Refugees (2023).", urls=[])],
                      source=SourceRef(id=source, title=title, year=2024, url=REPORT.url if source == REPORT.id else None,
                                       section=section, pages=pages))


ANSWER = Answer(query="q", resolved_query="q", filters=Filters(), abstained=False, answer="a",
                passages=[_hit(1, "Housing & reception", [12, 13]), _hit(2, "Cooperation", []),
                          _hit(3, "Intro", [], source="other", title="Report_with {braces} 50%")])


def test_bibtex_has_one_entry_per_cited_report_with_sections_and_pages_and_escapes():
    text = bibtex(ANSWER, {REPORT.id: REPORT})
    assert text.count("@report{") == 2 and text.startswith("@report{euaa-ar-2024,\n")
    assert "  institution = {EUAA}" in text and "  year = {2024}" in text
    assert "  url = {https://euaa.europa.eu/asylum-report-2024}" in text
    assert "  note = {Cited: Housing \\& reception, pp. 12-13; Cooperation}" in text
    assert "title = {Report\\_with \\{braces\\} 50\\%}" in text  # LaTeX specials escaped


def test_ris_has_one_record_per_cited_report():
    text = ris(ANSWER, {REPORT.id: REPORT})
    assert text.count("TY  - RPRT") == 2 and text.count("ER  - ") == 2
    assert "PB  - EUAA\nPY  - 2024\nUR  - https://euaa.europa.eu/asylum-report-2024" in text
    assert "N1  - Cited: Housing & reception, pp. 12-13; Cooperation" in text


def test_cards_csv_has_a_row_per_passage_with_its_notes():
    rows = list(csv.DictReader(io.StringIO(cards_csv(ANSWER))))
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["pages"] == "pp. 12-13" and rows[0]["match"] == "both"
    assert rows[0]["text"] == "Passage 1, with a comma." and rows[0]["notes"] == "898. State Agency for Refugees (2023)."
    assert export(ANSWER, {}, "csv") == cards_csv(ANSWER)
