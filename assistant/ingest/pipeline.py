"""Ingestion: the corpus's files in, reports and passages out, before anything is embedded.

Each file of the corpus goes through these steps:

    decide           ingest/plan.py: reuse it (unchanged since the served version), skip it again (the
                     last build could not use this very content), or read it
    load and parse   its text (loaders.py), then its notes and layout (document.py)
    infer metadata   title and period, for a file sources.toml does not describe (corpus.py)
    split            into passages sized by the model's tokenizer (splitter.py)

A file that cannot be used (unreadable, empty, not text) is skipped with its reason; a parser or
splitter that fails on one odd file skips that file, naming the bug, and the others are indexed.
Anything else that fails (the plan, the manifest, our own bookkeeping) is a bug and raises.

Ingestion never reads the index: what it may reuse from the version being served comes as a
`Reusable` (its manifest, passages by report and documents), which the index build makes.

Progress is reported through one callback, ``on_progress(stage, done, total)`` (stages parse and
split here; the build adds embed, write and done). Notes meant for the user while a build runs (the
"embedding N passages (M from the cache): about T on this machine" estimate) are INFO records of the
logger named ``PROGRESS_LOG``: the CLI shows them beside its progress bars; elsewhere they are
ordinary INFO log records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.embedding import Embedder
from assistant.errors import SourceError
from assistant.hashing import text_key
from assistant.ingest.corpus import FORMATS, infer_report
from assistant.ingest.document import ParsedDocument, parse_text
from assistant.ingest.loaders import load, parse_format
from assistant.ingest.plan import CorpusPlan, PlannedFile, plan, read_skipped, skip_rules
from assistant.ingest.splitter import PassageSplitter, SplitterConfig, TokenCounter
from assistant.models import DocumentInfo, Manifest, ManifestEntry, Passage, Report, ReportSummary, Skipped
from assistant.settings import Parsing, Settings

log = logging.getLogger(__name__)

# A progress callback: (stage, done, total). The CLI draws tqdm bars from it, the web chat its bar.
Progress = Callable[[str, int, int], None]
PROGRESS_LOG = "assistant.progress"  # INFO records: notes for the user while a build runs (the estimate)


@dataclass(frozen=True)
class Reusable:
    """What ingestion may reuse from the version being served (index/build.py makes it from IndexData):
    its manifest, which the plan compares the corpus with, and for each report kept as it is, its
    passages and its document record."""

    manifest: Manifest
    passages: dict[str, list[Passage]]  # by report id, in index order
    documents: dict[str, DocumentInfo]


@dataclass
class Ingested:
    """The corpus parsed and split, before embedding."""

    reports: list[Report] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    details: list[ReportSummary] = field(default_factory=list)
    documents: dict[str, DocumentInfo] = field(default_factory=dict)
    files: dict[str, ManifestEntry] = field(default_factory=dict)  # report id -> manifest entry
    hashes: dict[str, str] = field(default_factory=dict)  # file name -> sha256, of every file considered
    texts: list[str] = field(default_factory=list)  # what the model embeds of each passage (embedded_texts)


@dataclass(frozen=True)
class _Read:
    """A file through the first steps: its report, and its parsed text (None: reused as it is)."""

    report: Report
    doc: ParsedDocument | None
    item: PlannedFile


def make_splitter(settings: Settings, embedder: Embedder) -> PassageSplitter:
    """The splitter for this model: passages sized by its tokenizer, capped at its sequence length."""
    config = SplitterConfig(max_tokens=embedder.max_seq_length, chunk_tokens=settings.parsing.chunk_tokens)
    return PassageSplitter(config, TokenCounter(embedder.count_tokens, additive=embedder.counts_add_up))


def duration(seconds: float) -> str:
    """A duration as a person reads it: "40 s", "12 min", "2.5 h"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _progress(on_progress: Progress | None, stage: str, done: int, total: int) -> None:
    if on_progress is not None:
        on_progress(stage, done, total)


def _unexpected(exc: Exception) -> str:
    return (f"could not be parsed ({exc.__class__.__name__}: {str(exc)[:200]}); the other reports are indexed. "
            "This is a bug in the assistant: please report it with the file")


def _too_many(path: Path, n: int, settings: Settings, rate: Callable[[], float] | None) -> str:
    estimate = f"; embedding it would take about {duration(n / max(rate(), 1e-6))} on this machine" if rate else ""
    return (f"splits into {n:,} passages, over the limit of {settings.parsing.max_report_passages:,} a report "
            f"(setting max_report_passages, env ASSISTANT_MAX_REPORT_PASSAGES){estimate}. Split the report into parts, or raise the limit and run "
            f"`assistant index` again; `assistant index remove` takes it out of the corpus")


def _doc_info(doc: ParsedDocument) -> DocumentInfo:
    return DocumentInfo(note_form=doc.note_form, notes=list(doc.notes), orphans=[n.number for n in doc.orphans],
                        warnings=list(doc.warnings), furniture=list(doc.furniture), quality=doc.quality())


def _summary(report: Report, info: DocumentInfo, passages: int, reused: bool) -> ReportSummary:
    return ReportSummary(
        id=report.id, file=report.file, passages=passages, notes=len(info.notes), note_form=info.note_form,
        inferred=report.inferred, inferred_values={f: getattr(report, f) for f in report.inferred},
        orphans=info.orphans, warnings=info.warnings, reused=reused, quality=info.quality)


def _load_and_parse(item: PlannedFile, parsing: Parsing, on_progress: Progress | None = None,
                    ) -> ParsedDocument | Skipped:
    """The file's text, parsed; a file that cannot be used, or that the parser fails on, is skipped.
    A PDF's pages are counted on ``on_progress`` as stage "page"."""
    fmt = item.report.format if item.report else FORMATS[item.path.suffix.lower()]
    on_page = (lambda done, total: on_progress("page", done, total)) if on_progress is not None else None
    try:
        loaded = load(item.path, fmt, parsing, on_page)
        doc = parse_text(loaded.text, parse_format(fmt))
        doc.reading = loaded.reading
        if loaded.reading is not None:
            doc.warnings.extend(loaded.reading.warnings)
        return doc
    except SourceError as exc:
        log.warning("skipped %s: %s", item.path, exc)
        return Skipped(path=str(item.path), reason=str(exc))
    except Exception as exc:  # a parser bug on one odd file must not stop the others being indexed
        log.exception("could not parse %s", item.path)
        return Skipped(path=str(item.path), reason=_unexpected(exc))


def _infer(item: PlannedFile, doc: ParsedDocument, taken: set[str]) -> Report:
    """Metadata for a file sources.toml does not describe, under an id no other report holds."""
    report = infer_report(item.path, doc, taken, report_id=item.reserved_id)
    taken.add(report.id)
    log.warning("%s is not in sources.toml; inferred title %r and period %s-%s", item.path, report.title,
                report.period_start, report.period_end)
    return report


def _read(corpus_plan: CorpusPlan, skipped: list[Skipped], on_progress: Progress | None,
          parsing: Parsing) -> list[_Read]:
    """Decide, load and parse, infer metadata: every file of the plan, in order."""
    taken = set(corpus_plan.reserved)
    files = corpus_plan.files
    read: list[_Read] = []
    for n, item in enumerate(files):
        _progress(on_progress, "parse", n, len(files))
        if item.reuse is not None:  # unchanged: its passages are kept, nothing is read
            read.append(_Read(item.reuse, None, item))
        elif item.known_skip is not None:  # the last build could not use this very content
            skipped.append(Skipped(path=str(item.path), reason=item.known_skip))
        else:
            doc = _load_and_parse(item, parsing, on_progress)
            if isinstance(doc, Skipped):
                skipped.append(doc)
                continue
            try:
                report = item.report or _infer(item, doc, taken)
            except Exception as exc:  # inference reads the text too: an odd text must not stop the others
                log.exception("could not infer the metadata of %s", item.path)
                skipped.append(Skipped(path=str(item.path), reason=_unexpected(exc)))
                continue
            read.append(_Read(report, doc, item))
    _progress(on_progress, "parse", len(files), len(files))
    return read


def _split(splitter: PassageSplitter, file: _Read, settings: Settings,
           rate: Callable[[], float] | None) -> list[Passage] | Skipped:
    """The report's passages; a report the splitter fails on, with no text, or over the limit is skipped."""
    assert file.doc is not None
    path = str(file.item.path)
    try:
        found = splitter.split(file.doc, file.report.id)
    except Exception as exc:  # a splitter bug on one odd file must not stop the others being indexed
        log.exception("could not split %s", file.report.file)
        return Skipped(path=path, reason=_unexpected(exc))
    if not found:
        return Skipped(path=path, reason="no passage of text found in it; check that it holds the report's text")
    if len(found) > settings.parsing.max_report_passages:
        reason = _too_many(file.item.path, len(found), settings, rate)
        log.warning("skipped %s: %s", path, reason)
        return Skipped(path=path, reason=reason)
    for warning in file.doc.warnings:
        log.info("%s: %s", file.report.file, warning)
    return found


def embedded_texts(passages: list[Passage], reports: dict[str, Report], settings: Settings) -> list[str]:
    """What the model embeds of each passage: its report's title too when ``indexing.embed_title``
    (``Passage.embed_text``). The build's embedding-cache keys and the manifest's text hashes both come
    from here."""
    titled = settings.indexing.embed_title
    return [p.embed_text(reports[p.source].title if titled and p.source in reports else None) for p in passages]


def _add(out: Ingested, file: _Read, passages: list[Passage], info: DocumentInfo, settings: Settings) -> None:
    report = file.report
    texts = embedded_texts(passages, {report.id: report}, settings)
    out.reports.append(report)
    out.passages.extend(passages)
    out.texts.extend(texts)
    out.documents[report.id] = info
    out.details.append(_summary(report, info, len(passages), reused=file.doc is None))
    out.files[report.id] = ManifestEntry(file=report.file, sha256=file.item.sha256, metadata=report.model_dump(),
                                         passages=[p.chunk_id for p in passages],
                                         text_hashes=[text_key(t) for t in texts])


def ingest_corpus(settings: Settings, splitter: PassageSplitter, previous: Reusable | None = None,
                  on_progress: Progress | None = None, exclude: set[str] | None = None,
                  rate: Callable[[], float] | None = None) -> Ingested:
    """Load, parse and split every report of the corpus; a broken source is skipped with its reason.

    What happens to each file is decided by `plan` (the rule `index status` follows too): one report
    per content, unchanged reports keep their passages (from ``previous``), a content the last build
    could not use is skipped again with its reason. ``exclude`` leaves those report ids out; ``rate``
    (passages embedded per second) puts an estimate in the reason a report over the limit is skipped."""
    known = read_skipped(settings.index, skip_rules(settings)) if previous is not None else {}
    corpus_plan = plan(settings.corpus, previous.manifest if previous is not None else None, known, exclude)
    out = Ingested(skipped=list(corpus_plan.skipped) + list(corpus_plan.copies),
                   hashes={f.path.name: f.sha256 for f in corpus_plan.files})
    read = _read(corpus_plan, out.skipped, on_progress, settings.parsing)
    for n, file in enumerate(read):
        _progress(on_progress, "split", n, len(read))
        if file.doc is None:  # reused: the served version's passages and document record
            assert previous is not None
            _add(out, file, previous.passages.get(file.report.id, []), previous.documents[file.report.id], settings)
            continue
        found = _split(splitter, file, settings, rate)
        if isinstance(found, Skipped):
            out.skipped.append(found)
        else:
            _add(out, file, found, _doc_info(file.doc), settings)
    _progress(on_progress, "split", len(read), len(read))
    return out
