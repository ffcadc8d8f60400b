"""The records that cross module boundaries: reports, notes, passages and answers.

The answer models are the `--json` contract of `assistant ask`: extend them, never break them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer


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


TITLE_WORDS = 16  # of a report's title embedded with each passage: the passage itself keeps the room


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
    pages: list[int] = Field(default_factory=list)  # first (and last) page in the source file, for PDFs
    ocr: bool = False  # its text (or part of it) was read from a page image by OCR

    @property
    def section(self) -> str | None:
        return " > ".join(self.heading_path) if self.heading_path else None

    def embed_text(self, title: str | None = None) -> str:
        """What the model embeds: its report's title when given (its first TITLE_WORDS words: a passage
        embedded with its context, setting ``indexing.embed_title``), the section heading, then the text."""
        head = " ".join(title.split()[:TITLE_WORDS]) if title else ""
        body = f"{self.section}\n{self.text}" if self.heading_path else self.text
        return f"{head}\n{body}" if head else body

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


# --- The index on disk and the build -------------------------------------------------------------------
# meta.json, manifest.json and documents.json of an index version (written and read in assistant/index/
# store.py only; the files stay byte-compatible with what earlier versions wrote and read), the build's
# summary (`assistant index --json`) and the index status (`assistant index status --json`).


class _Compact(BaseModel):
    """Written without the fields that are None (what the file never held is not written as null)."""

    @model_serializer(mode="wrap")
    def _without_none(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


class ModelIdentity(_Compact):
    """The embedding model an index was built with (meta.json "model"): an index is only searched, or
    built upon, with the same name, weights and backend (assistant/index/compat.py)."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    sha256: str | None = None
    backend: str = "torch"  # not recorded before there were backends: those indexes are torch's
    dim: int | None = None
    max_seq_length: int | None = None


class DenseInfo(_Compact):
    """How the dense index searches (meta.json "dense"): flat (exact), pq or hnsw and their parameters."""

    model_config = ConfigDict(extra="allow")

    kind: str = "flat"
    m: int | None = None
    ef_construction: int | None = None
    ef_search: int | None = None
    codes: str | None = None
    k_factor: int | None = None


class IndexMeta(_Compact):
    """meta.json: what built an index version. ``model``, ``splitter`` and ``built_at`` come from the
    build; ``dense``, ``format``, ``version``, ``passages`` and ``reports`` are set when it is written."""

    model_config = ConfigDict(extra="allow")

    model: ModelIdentity = Field(default_factory=ModelIdentity)
    splitter: dict[str, Any] = Field(default_factory=dict)  # {"version": ..., **SplitterConfig}: compared whole
    parsing: dict[str, Any] | None = None  # settings.parsing it was parsed with (not recorded before: the defaults)
    built_at: str | None = None
    dense: DenseInfo = Field(default_factory=DenseInfo)
    format: int | None = None
    version: str | None = None
    passages: int | None = None
    reports: int | None = None


class ManifestEntry(BaseModel):
    """manifest.json, per report: the file and content it was indexed from, its metadata as recorded
    then (``Report.model_dump()``, compared as it is by the plan), its passage ids and text hashes."""

    file: str
    sha256: str
    metadata: dict[str, Any]
    passages: list[str] = Field(default_factory=list)
    text_hashes: list[str] = Field(default_factory=list)  # the embedding-cache keys of its passages


class Manifest(BaseModel):
    """manifest.json: the reports of an index version by id."""

    reports: dict[str, ManifestEntry] = Field(default_factory=dict)


class ReadingQuality(BaseModel):
    """How well a report read, so that a user knows when a PDF read poorly: `index status`, `inspect
    --report`, the Sources tab and the build's JSON show it."""

    markers: int = 0  # note markers attached to a note
    markers_without_notes: int = 0  # markers left in the text: no note with their number was found
    notes_without_markers: int = 0  # notes nothing in the text cites (kept as passages of their own)
    pages: int | None = None  # PDF: its pages
    ocr_pages: list[int] = Field(default_factory=list)  # read from the page image by OCR
    blank_pages: list[int] = Field(default_factory=list)  # no text layer and no OCR: not read
    stray_pages: list[int] = Field(default_factory=list)  # text below the notes, neither body nor note
    score: float = 1.0  # 0-1: the share of markers, notes and pages that read cleanly (OCR pages count half)
    verdict: str = "good"  # good (score >= 0.95), fair (>= 0.8) or poor

    @classmethod
    def measure(cls, **counts: object) -> ReadingQuality:
        """The figure and verdict from the counts: the notes' problems and the pages' problems, each as
        a share of what could have gone wrong, multiplied."""
        q = cls.model_validate(counts)
        notes_total = q.markers + q.markers_without_notes + q.notes_without_markers
        notes_ok = 1 - (q.markers_without_notes + q.notes_without_markers) / notes_total if notes_total else 1.0
        pages_bad = len(q.blank_pages) + len(q.stray_pages) + 0.5 * len(q.ocr_pages)
        pages_ok = 1 - min(1.0, pages_bad / q.pages) if q.pages else 1.0
        q.score = round(notes_ok * pages_ok, 3)
        q.verdict = "good" if q.score >= 0.95 else "fair" if q.score >= 0.8 else "poor"
        return q

    def problems(self) -> list[str]:
        """What went wrong, in words (empty when nothing did)."""
        out = []
        if self.markers_without_notes:
            out.append(f"{self.markers_without_notes} marker(s) without a note")
        if self.notes_without_markers:
            out.append(f"{self.notes_without_markers} note(s) cited nowhere")
        if self.blank_pages:
            out.append(f"{len(self.blank_pages)} page(s) with no text read")
        if self.stray_pages:
            out.append(f"{len(self.stray_pages)} page(s) with text outside the body and notes")
        if self.ocr_pages:
            out.append(f"{len(self.ocr_pages)} page(s) read by OCR")
        return out


class DocumentInfo(BaseModel):
    """documents.json, per report: what parsing found besides the passages."""

    note_form: str | None = None  # how its notes were marked: anchor, glued, superscript, ...; None: no notes
    notes: list[Note] = Field(default_factory=list)  # the note table
    orphans: list[str] = Field(default_factory=list)  # numbers of the notes cited nowhere in the text
    warnings: list[str] = Field(default_factory=list)
    furniture: list[str] = Field(default_factory=list)  # page headers and the like, dropped from the text
    quality: ReadingQuality | None = None  # None: written by a version that did not measure it


class ReportSummary(BaseModel):
    """One report of a build (`assistant index --json` "details")."""

    id: str
    file: str
    passages: int
    notes: int
    note_form: str | None
    inferred: list[str]
    inferred_values: dict[str, str | int | None] = Field(default_factory=dict)
    orphans: list[str] = Field(default_factory=list)
    warnings: list[str]
    reused: bool = False  # unchanged since the last version: not parsed again
    quality: ReadingQuality | None = None


class BuildSummary(BaseModel):
    """What `assistant index --json` prints."""

    reports: int
    passages: int
    embedded: int  # passages embedded in this run
    reused: int = 0  # passages whose embedding came from the cache
    removed: int = 0  # passages of the previous version that are gone
    removed_reports: list[str] = Field(default_factory=list)
    skipped: list[Skipped]
    seconds: float
    index: str
    version: str = ""
    changed: bool = True  # False: nothing changed on disk, no new version was written
    details: list[ReportSummary] = Field(default_factory=list)


class IndexedReport(BaseModel):
    id: str
    file: str
    passages: int
    quality: ReadingQuality | None = None


class Renamed(BaseModel):
    """A file renamed since the served version (reused, not embedded again); JSON {"from": ..., "to": ...}."""

    from_: str
    to: str

    @model_serializer
    def _as_json(self) -> dict[str, str]:
        return {"from": self.from_, "to": self.to}


class SkippedFile(BaseModel):
    path: str
    reason: str


class CopyFile(BaseModel):
    path: str
    same_as: str | None
    reason: str


_SERVED_ONLY = ("reports", "passages", "model", "built_at", "indexed")


class IndexStatus(BaseModel):
    """What `assistant index status --json` prints: what is indexed, what the next build would do with
    each file of the corpus (assistant/ingest/plan.py decides), and whether the index is current.
    ``error`` is only printed when the served version cannot be read; ``reports`` to ``indexed`` only
    when one is served."""

    index: str
    version: str | None = None
    versions: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    modified: list[str] = Field(default_factory=list)
    renamed: list[Renamed] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unreadable: list[str] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    copies: list[CopyFile] = Field(default_factory=list)
    error: str | None = None
    reports: int | None = None
    passages: int | None = None
    model: str | None = None
    built_at: str | None = None
    indexed: list[IndexedReport] | None = None
    current: bool = False

    @model_serializer(mode="wrap")
    def _present_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out = handler(self)
        if self.error is None:
            out.pop("error", None)
        if self.indexed is None:
            for key in _SERVED_ONLY:
                out.pop(key, None)
        return out


def pages_label(pages: list[int]) -> str:
    """A passage's place in its PDF as a citation writes it: "p. 12", "pp. 12-13", or "" (not a PDF)."""
    if not pages:
        return ""
    first, last = pages[0], pages[-1]
    return f"p. {first}" if first == last else f"pp. {first}-{last}"


class SourceRef(BaseModel):
    """Where a passage comes from: its report, section and, for a PDF, its page (or first and last page)."""

    id: str
    title: str
    year: int | None
    url: str | None
    section: str | None
    pages: list[int] = Field(default_factory=list)  # PDF: first (and last) page of the passage; else empty
    ocr: bool = False  # its text (or part of it) was read from a page image by OCR


class PassageHit(BaseModel):
    rank: int
    score: float
    chunk_id: str
    text: str
    source: SourceRef
    footnotes: list[Note]
    # how it matches what was asked: both (country and year), country, year, neither; any when the
    # question asks neither a country nor a year (added with answers built from matching passages)
    match: str = "any"


class AnswerSentence(BaseModel):
    """One sentence of the answer text: the passage it quotes (``rank``), the sentence before it when it
    leans on it (``context``: "A similar forum ..." comes with the forum it is similar to), and the
    passage's year when the sentence names none."""

    rank: int
    text: str
    context: str | None = None
    year: int | None = None


class AnswerGroup(BaseModel):
    """One group of a timeline (one asked year) or a comparison (one asked country): its best passages
    (their ``ranks`` among the answer's passages), a short extract from the first, or ``empty`` when no
    passage matches it ("Nothing on Greece for 2022 in these reports.")."""

    label: str
    country: str | None = None
    year: int | None = None
    ranks: list[int] = Field(default_factory=list)
    extract: AnswerSentence | None = None
    empty: bool = False


class Filters(BaseModel):
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes")
    years: list[int] = Field(default_factory=list)
    topic: str = Field("", description="the question without its countries, years and question words")
    # the countries a passage must be about: those named as places, not as origins (added later; an
    # answer written before has none here and reads ``countries``)
    places: list[str] | None = Field(None, description="countries named as places (ISO codes)")

    def asked_places(self) -> list[str]:
        return self.countries if self.places is None else self.places


class CountryPassage(BaseModel):
    """A passage of a country page: where it is from, its theme and the year it is filed under."""

    chunk_id: str
    text: str
    source: SourceRef
    theme: str
    year: int | None  # the year it is filed under (CountryPage says how); None: undated
    years: list[int] = Field(default_factory=list)  # every year it names
    subject: bool  # the country is its subject (heading, first sentence, or the only country named)
    footnotes: list[Note] = Field(default_factory=list)


class CountryYear(BaseModel):
    year: int | None  # None: passages naming no year whose report gives no period
    passages: list[CountryPassage]
    themes: dict[str, int]  # passages per theme, most first


class CountryPage(BaseModel):
    """Every passage about one country across the reports served, by year (newest first) and theme."""

    country: str  # ISO alpha-2 code
    name: str
    passages: int
    subject: int  # passages whose subject it is (the others name it among other countries)
    reports: int
    notes: int  # distinct notes the passages cite
    first_year: int | None = None
    last_year: int | None = None
    themes: dict[str, int]  # passages per theme, most first
    by_report: dict[str, int]  # passages per report id, most first
    years: list[CountryYear]


class Answer(BaseModel):
    """The answer to one question: `assistant ask --json` prints exactly this."""

    query: str
    resolved_query: str
    filters: Filters
    abstained: bool
    answer: str
    passages: list[PassageHit]
    index_version: str | None = None  # the index version that answered (added after the first release)
    # answered; partial: some asked country or year (or country-year cell, "Greece for 2022") has no
    # matching passage (``missing`` says which); none: abstained, or no passage matches what was asked
    # (``abstained`` stays: the decision that nothing in the reports answers the question)
    status: str = "answered"
    missing: list[str] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)  # the answer text's quoted sentences
    # a timeline ("year") or a comparison ("country"): the groups, in the order asked (added later)
    grouped_by: str | None = None
    groups: list[AnswerGroup] = Field(default_factory=list)
    # a question about a country alone ("Bulgaria", "Tell me about Bulgaria"): its page (added later)
    country_page: CountryPage | None = None
