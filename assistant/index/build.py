"""`assistant index`: corpus in, passages embedded, a new index version written. Incremental.

A report whose file and metadata are unchanged keeps its passages without being parsed again; a
passage whose text was embedded before (by this model) takes its vector from the cache, so a renamed
file costs nothing and a changed one costs only its new passages. A change of model or splitter
requires `--full`. Stages (parse, split, embed, write) each show a progress bar.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np
from pydantic import BaseModel, Field
from tqdm import tqdm

from assistant.corpus import FORMATS, infer_report
from assistant.embedding import Embedder
from assistant.errors import SourceError, UserError
from assistant.index import store
from assistant.index.cache import EmbeddingCache, text_key
from assistant.index.lock import BuildLock
from assistant.index.plan import PlannedFile, plan, read_skipped, skip_rules, write_skipped
from assistant.ingest.document import ParsedDocument, parse_text
from assistant.ingest.loaders import load_text, parse_format
from assistant.ingest.splitter import SPLITTER_VERSION, PassageSplitter, SplitterConfig, TokenCounter
from assistant.models import Passage, Report, Skipped
from assistant.settings import Settings

log = logging.getLogger(__name__)

# A progress callback: (stage, done, total). The web chat's rebuild button draws its bar from it.
Progress = Callable[[str, int, int], None]


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
    reused: bool = False  # unchanged since the last version: not parsed again


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


@dataclass
class Ingested:
    """The corpus parsed and split, before embedding."""

    reports: list[Report] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    details: list[ReportSummary] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)
    files: dict[str, dict] = field(default_factory=dict)  # report id -> manifest entry
    hashes: dict[str, str] = field(default_factory=dict)  # file name -> sha256, of every file considered


def _summary(report: Report, doc_info: dict, passages: int, reused: bool) -> ReportSummary:
    return ReportSummary(
        id=report.id, file=report.file, passages=passages, notes=len(doc_info["notes"]),
        note_form=doc_info["note_form"], inferred=report.inferred,
        inferred_values={f: getattr(report, f) for f in report.inferred}, orphans=doc_info["orphans"],
        warnings=doc_info["warnings"], reused=reused)


def _doc_info(doc: ParsedDocument) -> dict:
    return {"note_form": doc.note_form, "notes": [n.model_dump() for n in doc.notes],
            "orphans": [n.number for n in doc.orphans], "warnings": doc.warnings, "furniture": doc.furniture}


def _unexpected(exc: Exception) -> str:
    return (f"could not be parsed ({exc.__class__.__name__}: {str(exc)[:200]}); the other reports are indexed. "
            "This is a bug in the assistant: please report it with the file")


def _too_many(path: Path, n: int, settings: Settings, rate: Callable[[], float] | None) -> str:
    estimate = f"; embedding it would take about {_duration(n / max(rate(), 1e-6))} on this machine" if rate else ""
    return (f"splits into {n:,} passages, over the limit of {settings.max_report_passages:,} a report "
            f"(setting max_report_passages, env ASSISTANT_MAX_REPORT_PASSAGES){estimate}. Split the report into parts, or raise the limit and run "
            f"`assistant index` again; `assistant index remove` takes it out of the corpus")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def ingest_corpus(settings: Settings, splitter: PassageSplitter, progress: bool = False,
                  previous: store.IndexData | None = None, on_progress: Progress | None = None,
                  exclude: set[str] | None = None, rate: Callable[[], float] | None = None) -> Ingested:
    """Load, parse and split every report of the corpus; a broken source is skipped with its reason.

    What happens to each file is decided by `plan` (the rule `index status` follows too): one report
    per content, unchanged reports keep their passages, a content the last build could not use is
    skipped again with its reason. ``exclude`` leaves those report ids out."""
    known = read_skipped(settings.index, skip_rules(settings)) if previous is not None else {}
    corpus_plan = plan(settings.corpus, previous.manifest if previous else None, known, exclude)
    out = Ingested(skipped=list(corpus_plan.skipped) + list(corpus_plan.copies))
    out.hashes = {f.path.name: f.sha256 for f in corpus_plan.files}
    taken = set(corpus_plan.reserved)
    parsed: list[tuple[Report, ParsedDocument | None, PlannedFile]] = []
    files = corpus_plan.files
    for n, item in enumerate(tqdm(files, desc="parse", unit="report", disable=not progress), start=1):
        if on_progress:
            on_progress("parse", n - 1, len(files))
        if item.reuse is not None:
            parsed.append((item.reuse, None, item))  # unchanged: reuse its passages
            continue
        if item.known_skip is not None:
            out.skipped.append(Skipped(path=str(item.path), reason=item.known_skip))
            continue
        try:
            fmt = item.report.format if item.report else FORMATS[item.path.suffix.lower()]
            text = load_text(item.path, fmt)
            doc = parse_text(text, parse_format(fmt))
            del text
            report = item.report
            if report is None:
                body = "\n".join(block.text for block in doc.blocks)
                report = infer_report(item.path, body, taken, doc.headings[0] if doc.headings else None,
                                      report_id=item.reserved_id)
                taken.add(report.id)
                log.warning("%s is not in sources.toml; inferred title %r and period %s-%s", item.path,
                            report.title, report.period_start, report.period_end)
            parsed.append((report, doc, item))
        except SourceError as exc:
            out.skipped.append(Skipped(path=str(item.path), reason=str(exc)))
            log.warning("skipped %s: %s", item.path, exc)
        except Exception as exc:  # a parser bug on one odd file must not stop the others being indexed
            log.exception("could not parse %s", item.path)
            out.skipped.append(Skipped(path=str(item.path), reason=_unexpected(exc)))
    previous_by_source: dict[str, list[Passage]] = {}
    if previous is not None:
        for p in previous.passages:
            previous_by_source.setdefault(p.source, []).append(p)
    for report, doc, item in tqdm(parsed, desc="split", unit="report", disable=not progress):
        if on_progress:
            on_progress("split", len(out.reports), len(parsed))
        if doc is None:
            found = previous_by_source.get(report.id, [])
            info = previous.documents[report.id]
        else:
            try:
                found = splitter.split(doc, report.id)
            except Exception as exc:
                log.exception("could not split %s", report.file)
                out.skipped.append(Skipped(path=str(item.path), reason=_unexpected(exc)))
                continue
            info = _doc_info(doc)
            if not found:
                out.skipped.append(Skipped(path=str(item.path),
                                           reason="no passage of text found in it; check that it holds the report's text"))
                continue
            if len(found) > settings.max_report_passages:
                reason = _too_many(item.path, len(found), settings, rate)
                out.skipped.append(Skipped(path=str(item.path), reason=reason))
                log.warning("skipped %s: %s", item.path, reason)
                continue
            for warning in doc.warnings:
                log.info("%s: %s", report.file, warning)
        out.reports.append(report)
        out.passages.extend(found)
        out.documents[report.id] = info
        out.details.append(_summary(report, info, len(found), doc is None))
        out.files[report.id] = {"file": report.file, "sha256": item.sha256, "metadata": report.model_dump(),
                                "passages": [p.chunk_id for p in found],
                                "text_hashes": [text_key(p.embed_text()) for p in found]}
    return out


def make_splitter(settings: Settings, embedder: Embedder) -> PassageSplitter:
    """The splitter for this model: passages sized by its tokenizer, capped at its sequence length."""
    config = SplitterConfig(max_tokens=embedder.max_seq_length, chunk_tokens=settings.chunk_tokens)
    return PassageSplitter(config, TokenCounter(embedder.count_tokens, additive=embedder.counts_add_up))


def _previous(settings: Settings, embedder: Embedder, splitter: PassageSplitter, full: bool) -> store.IndexData | None:
    """The version being served, when a build may reuse it; a mismatch of model or splitter needs --full."""
    if full or not store.exists(settings.index):
        return None
    try:
        previous = store.read(settings.index)
    except UserError as exc:
        log.warning("the current index cannot be reused (%s); building from scratch", exc)
        return None
    model = previous.meta.get("model", {})
    if (model.get("name") != embedder.name or model.get("sha256") != embedder.weights_sha256
            or model.get("backend", "torch") != embedder.backend):
        raise UserError(f"the index in {settings.index} was built with model {model.get('name')} "
                        f"({str(model.get('sha256'))[:12]}...), this one is {embedder.name} "
                        f"({embedder.weights_sha256[:12]}...); run `assistant index --full` to rebuild with it")
    wanted = {"version": SPLITTER_VERSION, **asdict(splitter.config)}
    if previous.meta.get("splitter") != wanted:
        raise UserError(f"the index in {settings.index} was split with {previous.meta.get('splitter')}, this "
                        f"version splits with {wanted}; run `assistant index --full` to rebuild")
    ids = [p.chunk_id for p in previous.passages]
    if len(set(ids)) != len(ids):  # written before versions were checked for it: nothing of it is reused
        log.warning("index %s holds %d passages more than once; re-splitting every report (embeddings come "
                    "from the cache)", previous.version, len(ids) - len(set(ids)))
        return None
    return previous


class EmbedRate:
    """Passages embedded per second on this machine with this model: remembered from the last build
    (in the embedding cache's folder), else measured on a first batch when first needed."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache) -> None:
        self.embedder, self.path = embedder, cache.folder / "rate.json"
        self._rate: float | None = None
        self.sample: list[str] = []  # texts to time when nothing is remembered

    def __call__(self) -> float:
        if self._rate is None:
            try:
                self._rate = float(json.loads(self.path.read_text(encoding="utf-8"))["passages_per_second"])
            except (OSError, ValueError, KeyError, TypeError):
                texts = self.sample[: self.embedder.batch_size] or ["A passage of a report. " * 40] * 8
                started = time.perf_counter()
                self.embedder.encode(texts)
                self._rate = len(texts) / max(time.perf_counter() - started, 1e-6)
        return self._rate

    def remember(self, passages: int, seconds: float) -> None:
        if passages < 64 or seconds <= 0:
            return  # too few to say anything about the rate
        self._rate = passages / seconds
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"passages_per_second": round(self._rate, 2)}), encoding="utf-8")
        except OSError:
            pass


FLUSH_EVERY = 2048  # embedded passages saved to the cache at least this often: an interrupted build resumes


def _embed(ingested: Ingested, embedder: Embedder, cache: EmbeddingCache, progress: bool,
           on_progress: Progress | None, use_cache: bool = True, rate: EmbedRate | None = None
           ) -> tuple[np.ndarray, int]:
    """Vectors for every passage, from the cache where possible; returns them and how many were embedded.

    Says up front how many passages it embeds and about how long that takes; what it embedded is saved
    to the cache as it goes, so a build interrupted here (Ctrl-C) costs nothing the next time."""
    keys = [text_key(p.embed_text()) for p in ingested.passages]
    known = cache.get(keys) if use_cache else {}
    # longest first, as sentence-transformers orders a single call: batches of like lengths pad least
    missing = sorted({keys[i]: i for i, key in enumerate(keys) if key not in known}.values(),
                     key=lambda i: -len(ingested.passages[i].embed_text()))
    if missing and rate is not None:
        seconds = len(missing) / max(rate(), 1e-6)
        message = (f"embedding {len(missing):,} passages ({len(keys) - len(missing):,} from the cache): about "
                   f"{_duration(seconds)} on this machine")
        log.info(message)
        if progress:
            tqdm.write(message, file=sys.stderr)  # beside the progress bars, not in --json output
    new: dict[str, np.ndarray] = {}
    pending: list[str] = []
    batch = max(1, embedder.batch_size)
    started = time.perf_counter()
    try:
        with tqdm(total=len(missing), desc="embed", unit="passage", disable=not progress) as bar:
            for start in range(0, len(missing), batch):
                rows = missing[start:start + batch]
                if on_progress:
                    on_progress("embed", start, len(missing))
                vectors = embedder.encode([ingested.passages[i].embed_text() for i in rows])
                new.update((keys[i], v) for i, v in zip(rows, vectors))
                pending.extend(keys[i] for i in rows)
                bar.update(len(rows))
                if len(pending) >= FLUSH_EVERY:
                    cache.add(pending, np.vstack([new[k] for k in pending]))
                    pending = []
    finally:  # interrupted or not, what was embedded is kept
        if pending:
            cache.add(pending, np.vstack([new[k] for k in pending]))
    if rate is not None:
        rate.remember(len(missing), time.perf_counter() - started)
    dim = embedder.dimension
    matrix = np.vstack([known.get(k, new.get(k)) for k in keys]) if keys else np.zeros((0, dim), "float32")
    return np.ascontiguousarray(matrix, dtype="float32"), len(missing)


def build_index(settings: Settings, progress: bool = True, full: bool = False,
                on_progress: Progress | None = None, exclude: set[str] | None = None) -> BuildSummary:
    """Bring the index up to date with the corpus (or, with ``full``, parse and embed everything again).

    A broken source is skipped and reported; when nothing can be indexed, or anything fails or is
    interrupted, the version being served stays as it was. ``exclude``: report ids left out.
    """
    with BuildLock(settings.index):
        return build_locked(settings, progress, full, on_progress, exclude)


def build_locked(settings: Settings, progress: bool = True, full: bool = False,
                 on_progress: Progress | None = None, exclude: set[str] | None = None) -> BuildSummary:
    """`build_index` for a caller that holds the build lock already (`assistant index remove`)."""
    started = time.perf_counter()
    store.remove_staging(settings.index)  # left by a build that died
    embedder = Embedder(settings)
    embedder.verify()
    splitter = make_splitter(settings, embedder)
    previous = _previous(settings, embedder, splitter, full)
    cache = EmbeddingCache(settings.index, f"{embedder.weights_sha256[:16]}-{embedder.backend}", embedder.dimension)
    rate = EmbedRate(embedder, cache)
    ingested = ingest_corpus(settings, splitter, progress, previous, on_progress, exclude, rate)
    write_skipped(settings.index, ingested.skipped, ingested.hashes, skip_rules(settings))
    passages = ingested.passages
    if not passages:
        raise UserError(f"nothing to index in {settings.corpus}: "
                        + ("; ".join(f"{s.path}: {s.reason}" for s in ingested.skipped) or "no report files")
                        + ". The index being served, if any, is unchanged.")
    too_long = [p for p in passages if p.n_tokens > embedder.max_seq_length]
    if too_long:  # the splitter guarantees this never happens; refuse rather than embed truncated text
        raise RuntimeError(f"{len(too_long)} passages exceed {embedder.max_seq_length} tokens")
    old_ids = {p.chunk_id for p in previous.passages} if previous else set()
    new_ids = [p.chunk_id for p in passages]
    removed_reports = sorted(set(previous.reports) - {r.id for r in ingested.reports}) if previous else []
    unchanged = previous is not None and previous.manifest.get("reports") == ingested.files
    if unchanged:
        return BuildSummary(reports=len(ingested.reports), passages=len(passages), embedded=0,
                            reused=len(passages), removed=0, skipped=ingested.skipped,
                            seconds=round(time.perf_counter() - started, 2), index=str(settings.index),
                            version=previous.version, changed=False, details=ingested.details)
    rate.sample = [p.embed_text() for p in passages[:64]]
    vectors, embedded = _embed(ingested, embedder, cache, progress, on_progress, use_cache=not full, rate=rate)
    meta = {
        "model": embedder.identity(),
        "splitter": {"version": SPLITTER_VERSION, **asdict(splitter.config)},
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    with tqdm(total=1, desc="write", unit="version", disable=not progress) as bar:
        if on_progress:
            on_progress("write", 0, 1)
        version = store.write(settings.index, meta, ingested.reports, passages, vectors, ingested.documents,
                              {"reports": ingested.files}, approximate_above=settings.approximate_above,
                              approximate_index=settings.approximate_index)
        bar.update(1)
    if on_progress:
        on_progress("done", 1, 1)
    summary = BuildSummary(reports=len(ingested.reports), passages=len(passages), embedded=embedded,
                           reused=len(passages) - embedded, removed=len(old_ids - set(new_ids)),
                           removed_reports=removed_reports, skipped=ingested.skipped,
                           seconds=round(time.perf_counter() - started, 2), index=str(settings.index),
                           version=version, details=ingested.details)
    log.info("index %s: %d reports, %d passages (%d embedded, %d reused) in %.1f s", version, summary.reports,
             summary.passages, summary.embedded, summary.reused, summary.seconds)
    return summary
