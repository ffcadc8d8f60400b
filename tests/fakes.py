"""A small in-memory index for fast tests: a handful of handmade passages of three reports, no model,
no disk. Each passage's vector is a unit basis vector (passage i is e_i), so a question vector made with
``vector`` gives passage i the cosine similarity of its weight i: the dense order is whatever a test
chooses. BM25 is the real lexical index over the passages' text.

``index_data`` is the one place that builds an ``IndexData``: when its fields change, only it changes.
"""

from __future__ import annotations

import numpy as np

from assistant.index import lexical
from assistant.index.store import IndexData
from assistant.models import IndexMeta, Note, Passage, Report
from assistant.retrieval.ranking import Hit

REPORTS = [
    Report(id="ar-2024", file="ar-2024.txt", title="Asylum Report 2024", year=2024, period_start=2023,
           period_end=2023, format="txt", url="https://example.org/ar-2024"),
    Report(id="ar-2023", file="ar-2023.txt", title="Asylum Report 2023", year=2023, period_start=2022,
           period_end=2022, format="txt"),
    Report(id="ar-2022", file="ar-2022.txt", title="Asylum Report 2022", year=2022, period_start=2021,
           period_end=2021, format="txt"),
]


def passage(chunk_id: str, source: str, text: str, countries: list[str] | None = None,
            lead: list[str] | None = None, years: list[int] | None = None, heading: list[str] | None = None,
            footnotes: list[Note] | None = None, position: int = 0) -> Passage:
    return Passage(chunk_id=chunk_id, source=source, position=position, heading_path=heading or ["Integration"],
                   text=text, countries=countries or [], lead_countries=lead or [], years=years or [],
                   footnotes=footnotes or [], n_tokens=len(text.split()))


# Rows, by chunk id. Reporting periods: ar-2024 covers 2023, ar-2023 covers 2022, ar-2022 covers 2021.
PASSAGES = [
    # about Bulgaria, only mentioned (Croatia is the subject); no year of its own; ar-2023 covers 2022
    passage("bg-mention", "ar-2023", "Projects in Croatia and Bulgaria trained volunteers to mentor refugees.",
            countries=["HR", "BG"], lead=["HR"]),
    # about Bulgaria, its subject; no year of its own; ar-2023 covers 2022
    passage("bg-forum", "ar-2023", "In Bulgaria, a forum on social adaptation of refugees brought municipalities "
            "together.", countries=["BG"], lead=["BG"], heading=["Bulgaria"]),
    # 2023 only: no country
    passage("year-2023", "ar-2024", "In 2023, several Member States opened housing programmes for refugees.",
            years=[2023]),
    # Bulgaria in 2023, in the report covering 2023 (own year and period)
    passage("bg-2023", "ar-2024", "Bulgaria adopted a new integration ordinance in 2023.", countries=["BG"],
            lead=["BG"], years=[2023]),
    # Bulgaria in 2023, in the report covering 2022 (own year only)
    passage("bg-2023-plan", "ar-2023", "In 2023 Bulgaria planned language courses for refugees.",
            countries=["BG"], lead=["BG"], years=[2023]),
    # Italy, one passage per year and report
    passage("it-2021", "ar-2022", "Italian cities welcomed refugees through the reception network in 2021.",
            countries=["IT"], lead=["IT"], years=[2021]),
    passage("it-2022", "ar-2023", "Italy funded regional integration plans in 2022.", countries=["IT"],
            lead=["IT"], years=[2022]),
    passage("it-2022-mediators", "ar-2023", "In 2022 Italy also trained cultural mediators for schools.",
            countries=["IT"], lead=["IT"], years=[2022]),
    # an acronym, matched case and all
    passage("hr-handbook", "ar-2022", "A handbook for local authorities in Croatia was drafted under the INCLuDE "
            "project.", countries=["HR"], lead=["HR"]),
]


def index_data(passages: list[Passage] | None = None, reports: list[Report] | None = None) -> IndexData:
    """The in-memory index of the passages (default PASSAGES): passage i's vector is e_i in a
    faiss.IndexFlatIP, BM25 from ``assistant.index.lexical.build``."""
    import faiss

    passages = PASSAGES if passages is None else passages
    reports = REPORTS if reports is None else reports
    vectors = np.eye(len(passages), dtype=np.float32)
    dense = faiss.IndexFlatIP(len(passages))
    dense.add(vectors)
    return IndexData(meta=IndexMeta(passages=len(passages), reports=len(reports), version="test"),
                     reports={r.id: r for r in reports}, passages=list(passages), dense=dense, documents={},
                     lexical=lexical.build(list(passages)), version="test")


def row(index: IndexData, chunk_id: str) -> int:
    return next(i for i, p in enumerate(index.passages) if p.chunk_id == chunk_id)


def vector(index: IndexData, weights: dict[str, float]) -> np.ndarray:
    """A question vector whose score with each named passage (by chunk id) is its weight, and 0 with the
    others: the inner product with e_i, which the index reports as cosine similarity."""
    out = np.zeros(index.dense.ntotal, dtype=np.float32)
    for chunk_id, weight in weights.items():
        out[row(index, chunk_id)] = weight
    return out


def hit(p: Passage, score: float = 0.5, country: bool = True, year: bool = True, own_year: bool = False,
        period: bool = False, prominent: bool = False) -> Hit:
    return Hit(passage=p, score=score, country_match=country, year_match=year, own_year_match=own_year,
               period_match=period, prominent=prominent, row=PASSAGES.index(p) if p in PASSAGES else -1)


def by_id(chunk_id: str) -> Passage:
    return next(p for p in PASSAGES if p.chunk_id == chunk_id)
