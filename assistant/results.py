"""What the library's verbs return (assistant.api), beside the index's own records: the front ends
render these and print them as JSON. Their JSON is a stable contract: extend it, never break it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.models import Answer, BuildSummary, DocumentInfo, Note, Passage, ReadingQuality, Report


class Added(BaseModel):
    """`assistant index add`: the reports added to the corpus, and the build that indexed them."""

    reports: list[Report]
    build: BuildSummary


class Removed(BaseModel):
    """`assistant index remove`: a report taken out, where its files went, and the build without it."""

    report: str  # the report id
    files: list[str] = Field(default_factory=list)  # file names taken out of the corpus
    moved_to: list[str] = Field(default_factory=list)  # where they are now (corpus/.removed/...)
    build: BuildSummary

    def as_json(self) -> dict[str, Any]:
        """`assistant index remove --json`: the build summary with a "removal" object."""
        return {**self.build.model_dump(mode="json"),
                "removal": {"report": self.report, "files": self.files, "moved_to": self.moved_to}}


class RolledBack(BaseModel):
    before: str
    after: str


class PassageRecord(BaseModel):
    """One passage as `assistant inspect --json` prints it (one JSON line each)."""

    chunk_id: str
    source: str
    section: str | None
    text: str
    footnotes: list[Note]
    countries: list[str]
    years: list[int]
    n_tokens: int
    heading_path: list[str]
    position: int
    period: list[int | None]
    pages: list[int] = Field(default_factory=list)  # PDF: first (and last) page in the file; else empty
    ocr: bool = False  # read from a page image by OCR

    @classmethod
    def of(cls, passage: Passage, report: Report) -> PassageRecord:
        return cls(chunk_id=passage.chunk_id, source=passage.source, section=passage.section, text=passage.text,
                   footnotes=passage.footnotes, countries=passage.countries, years=passage.years,
                   n_tokens=passage.n_tokens, heading_path=passage.heading_path, position=passage.position,
                   period=[report.period_start, report.period_end], pages=list(passage.pages), ocr=passage.ocr)


class Inspection(BaseModel):
    """`assistant inspect`: the passages of the index (or of one report, with its notes and warnings)."""

    version: str
    report: Report | None = None
    document: DocumentInfo | None = None  # the report's note table, orphans, warnings, furniture
    passages: list[PassageRecord]


class ServingState(BaseModel):
    """What a session serves: the version, its size and model, and a warning when it serves an older
    version than CURRENT names (a damaged or incompatible newer one), with how to repair it."""

    version: str | None = None
    reports: int = 0
    passages: int = 0
    model: str | None = None
    built_at: str | None = None
    error: str | None = None  # no index can be served: why, and what to do
    warning: str | None = None


class ServedReport(BaseModel):
    """A report of the version being served, with its passage and note counts (the Sources table)."""

    report: Report
    passages: int
    notes: int
    quality: ReadingQuality | None = None  # how well it read; None: indexed by a version that did not measure it


class ChatTurn(BaseModel):
    """One turn of a web conversation: the answer, and the earlier questions it was asked after (the
    history a refinement re-asks it with)."""

    answer: Answer
    history: list[str] = Field(default_factory=list)
