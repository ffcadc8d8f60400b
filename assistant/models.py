"""The records that cross module boundaries: reports, notes, passages and answers.

The answer models are the `--json` contract of `assistant ask`: extend them, never break them.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field


class Report(BaseModel):
    """One report of the corpus, as its manifest entry describes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    file: str
    title: str
    section: str | None = None
    publisher: str | None = None
    year: int | None = None
    period_start: int | None = None
    period_end: int | None = None
    url: str | None = None
    format: str
    seed_file: str | None = None
    inferred: list[str] = Field(default_factory=list)
    notes: str | None = None

    def period_years(self) -> list[int]:
        start = self.period_start or self.period_end
        end = self.period_end or self.period_start
        if start is None or end is None:
            return []
        return list(range(min(start, end), max(start, end) + 1))


class Note(BaseModel):
    """A footnote: its number as printed, its text, and the URLs in it."""

    model_config = ConfigDict(frozen=True)

    number: str
    text: str
    urls: list[str] = Field(default_factory=list)


class Passage(BaseModel):
    """A passage of a report: the unit that is embedded, searched and cited."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    source: str
    position: int
    heading_path: list[str]
    text: str
    footnotes: list[Note] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    lead_countries: list[str] = Field(default_factory=list)  # in its heading or first sentence: its subject
    years: list[int] = Field(default_factory=list)
    n_tokens: int = 0

    @property
    def section(self) -> str | None:
        return " > ".join(self.heading_path) if self.heading_path else None

    def embed_text(self) -> str:
        """What the model embeds: the section heading, then the text."""
        return f"{self.section}\n{self.text}" if self.heading_path else self.text

    @staticmethod
    def make_id(source: str, heading_path: list[str], text: str, repeat: int = 0) -> str:
        """Hashed from report, section and text; the n-th repeat of the same text in the same section
        (a "(Source: ...)" line, say) gets its own id."""
        parts = [source, *heading_path, text] + ([f"#{repeat}"] if repeat else [])
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
        return digest[:16]


class Skipped(BaseModel):
    """A source that was not indexed, and why."""

    path: str
    reason: str
    same_as: str | None = None  # a copy: the file name of the report with the same content, which is indexed


class SourceRef(BaseModel):
    id: str
    title: str
    year: int | None
    url: str | None
    section: str | None


class PassageHit(BaseModel):
    rank: int
    score: float
    chunk_id: str
    text: str
    source: SourceRef
    footnotes: list[Note]


class Filters(BaseModel):
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    years: list[int] = Field(default_factory=list)
    topic: str = Field("", description="the question without its countries, years and question words")


class Answer(BaseModel):
    """The answer to one question: `assistant ask --json` prints exactly this."""

    query: str
    resolved_query: str
    filters: Filters
    abstained: bool
    answer: str
    passages: list[PassageHit]
    index_version: str | None = None  # the index version that answered (added after the first release)
