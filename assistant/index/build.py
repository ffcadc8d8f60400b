"""`assistant index`: corpus in, passages embedded, index written."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from pydantic import BaseModel, Field
from tqdm import tqdm

from assistant.corpus import FORMATS, discover, infer_report
from assistant.embedding import Embedder
from assistant.errors import SourceError, UserError
from assistant.index import store
from assistant.ingest.document import parse_text
from assistant.ingest.loaders import load_text, parse_format
from assistant.ingest.splitter import SPLITTER_VERSION, PassageSplitter, SplitterConfig, TokenCounter
from assistant.models import Passage, Report, Skipped
from assistant.settings import Settings

log = logging.getLogger(__name__)


class ReportSummary(BaseModel):
    id: str
    file: str
    passages: int
    notes: int
    note_form: str | None
    inferred: list[str]
    inferred_values: dict[str, str | int | None] = Field(default_factory=dict)
    orphans: list[str] = Field(default_factory=list)
    warnings: list[str]


class BuildSummary(BaseModel):
    """What `assistant index --json` prints."""

    reports: int
    passages: int
    embedded: int
    skipped: list[Skipped]
    seconds: float
    index: str
    details: list[ReportSummary] = Field(default_factory=list)


@dataclass
class Ingested:
    """The corpus parsed and split, before embedding."""

    reports: list[Report] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    details: list[ReportSummary] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)


def ingest_corpus(settings: Settings, splitter: PassageSplitter, progress: bool = False) -> Ingested:
    """Load, parse and split every report of the corpus; a broken source is skipped with its reason."""
    files, skipped = discover(settings.corpus)
    out = Ingested(skipped=skipped)
    taken = {f.report.id for f in files if f.report}
    for file in tqdm(files, desc="parse+split", unit="report", disable=not progress):
        try:
            fmt = file.report.format if file.report else FORMATS[file.path.suffix.lower()]
            text = load_text(file.path, fmt)
            doc = parse_text(text, parse_format(fmt))
            report = file.report
            if report is None:
                body = "\n".join(block.text for block in doc.blocks)
                report = infer_report(file.path, body, taken, doc.headings[0] if doc.headings else None)
                taken.add(report.id)
                log.warning("%s is not in sources.toml; inferred title %r and period %s-%s", file.path,
                            report.title, report.period_start, report.period_end)
            found = splitter.split(doc, report.id)
            if not found:
                raise SourceError("no passage of text found in it; check that it holds the report's text")
        except SourceError as exc:
            out.skipped.append(Skipped(path=str(file.path), reason=str(exc)))
            log.warning("skipped %s: %s", file.path, exc)
            continue
        for warning in doc.warnings:
            log.info("%s: %s", file.path.name, warning)
        out.reports.append(report)
        out.passages.extend(found)
        out.details.append(ReportSummary(
            id=report.id, file=report.file, passages=len(found), notes=len(doc.notes), note_form=doc.note_form,
            inferred=report.inferred, inferred_values={f: getattr(report, f) for f in report.inferred},
            orphans=[n.number for n in doc.orphans], warnings=doc.warnings))
        out.documents[report.id] = {
            "note_form": doc.note_form, "notes": [n.model_dump() for n in doc.notes],
            "orphans": [n.number for n in doc.orphans], "warnings": doc.warnings, "furniture": doc.furniture,
        }
    return out


def make_splitter(settings: Settings, embedder: Embedder) -> PassageSplitter:
    """The splitter for this model: passages sized by its tokenizer, capped at its sequence length."""
    config = SplitterConfig(max_tokens=embedder.max_seq_length, chunk_tokens=settings.chunk_tokens)
    return PassageSplitter(config, TokenCounter(embedder.count_tokens))


def build_index(settings: Settings, progress: bool = True) -> BuildSummary:
    """Parse, split and embed every report of the corpus and write the index.

    A broken source is skipped and reported; when nothing can be indexed, the index already there
    stays as it was.
    """
    started = time.perf_counter()
    embedder = Embedder(settings)
    embedder.verify()
    splitter = make_splitter(settings, embedder)
    ingested = ingest_corpus(settings, splitter, progress)
    passages, skipped = ingested.passages, ingested.skipped
    if not passages:
        raise UserError(f"nothing to index in {settings.corpus}: "
                        + ("; ".join(f"{s.path}: {s.reason}" for s in skipped) or "no report files")
                        + ". The existing index, if any, is unchanged.")
    too_long = [p for p in passages if p.n_tokens > embedder.max_seq_length]
    if too_long:  # the splitter guarantees this never happens; refuse rather than embed truncated text
        raise RuntimeError(f"{len(too_long)} passages exceed {embedder.max_seq_length} tokens")
    vectors = embedder.encode([p.embed_text() for p in passages], progress=progress)
    meta = {
        "model": embedder.identity(),
        "splitter": {"version": SPLITTER_VERSION, **asdict(splitter.config)},
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    store.write(settings.index, meta, ingested.reports, passages, vectors, ingested.documents)
    summary = BuildSummary(reports=len(ingested.reports), passages=len(passages), embedded=len(passages),
                           skipped=skipped, seconds=round(time.perf_counter() - started, 2),
                           index=str(settings.index), details=ingested.details)
    log.info("indexed %d reports, %d passages in %.1f s", summary.reports, summary.passages, summary.seconds)
    return summary
