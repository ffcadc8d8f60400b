"""`assistant index`: corpus in, passages embedded, a new index version written. Incremental.

A report whose file and metadata are unchanged keeps its passages without being parsed again; a
passage whose text was embedded before (by this model) takes its vector from the cache, so a renamed
file costs nothing and a changed one costs only its new passages. A change of model or splitter
requires `--full`. Parsing and splitting are ingestion's (assistant/ingest/pipeline.py); this module
embeds what the cache lacks and writes the version (store.py).

Progress: one callback, ``on_progress(stage, done, total)``, stages parse, split, embed, write and
done. Before embedding, the estimate "embedding N passages (M from the cache): about T on this
machine" is an INFO record of the ``assistant.progress`` logger (``PROGRESS_LOG``), which the CLI
shows beside its progress bars.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

import numpy as np

from assistant.embedding import Embedder
from assistant.errors import UserError
from assistant.hashing import text_key
from assistant.index import store, stores
from assistant.index.cache import EmbeddingCache
from assistant.index.compat import BUILD_ADVICE, check_model, parsed_alike
from assistant.index.lock import BuildLock
from assistant.ingest.pipeline import (PROGRESS_LOG, Ingested, Progress, Reusable, duration, ingest_corpus,
                                       make_splitter)
from assistant.ingest.plan import skip_rules, write_skipped
from assistant.ingest.splitter import PassageSplitter
from assistant.models import BuildSummary, IndexMeta, Manifest, ModelIdentity, Passage, ReportSummary
from assistant.settings import Settings

__all__ = ["BuildSummary", "Progress", "ReportSummary", "build_index", "build_locked"]

log = logging.getLogger(__name__)
notices = logging.getLogger(PROGRESS_LOG)


def _previous(settings: Settings, embedder: Embedder, splitter: PassageSplitter, full: bool) -> store.IndexData | None:
    """The version being served, when a build may reuse it; a mismatch of model or splitter needs --full."""
    if full or not stores.exists(settings):
        return None
    try:
        previous = stores.read(settings)
    except UserError as exc:
        log.warning("the current index cannot be reused (%s); building from scratch", exc)
        return None
    check_model(previous.meta, embedder, stores.where(settings), BUILD_ADVICE)
    if previous.meta.splitter != splitter.identity():
        log.warning("index %s was split another way (%s; this version splits with %s); splitting every report "
                    "again (embeddings come from the cache)", previous.version, previous.meta.splitter,
                    splitter.identity())
        return None
    if not parsed_alike(previous.meta, settings.parsing):
        log.warning("the parsing settings changed since index %s was built; parsing every report again "
                    "(embeddings come from the cache)", previous.version)
        return None
    ids = [p.chunk_id for p in previous.passages]
    if len(set(ids)) != len(ids):  # written before versions were checked for it: nothing of it is reused
        log.warning("index %s holds %d passages more than once; re-splitting every report (embeddings come "
                    "from the cache)", previous.version, len(ids) - len(set(ids)))
        return None
    return previous


def _reusable(data: store.IndexData) -> Reusable:
    """What ingestion may reuse from a served version."""
    by_report: dict[str, list[Passage]] = {}
    for p in data.passages:
        by_report.setdefault(p.source, []).append(p)
    return Reusable(manifest=data.manifest, passages=by_report, documents=data.documents)


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


def _embed(texts: list[str], embedder: Embedder, cache: EmbeddingCache,
           on_progress: Progress | None, use_cache: bool = True, rate: EmbedRate | None = None,
           flush_every: int = 2048) -> tuple[np.ndarray, int]:
    """Vectors for every passage, from the cache where possible; returns them and how many were embedded.

    Says up front how many passages it embeds and about how long that takes (an INFO record of the
    ``assistant.progress`` logger); what it embedded is saved to the cache as it goes, so a build
    interrupted here (Ctrl-C) costs nothing the next time."""
    keys = [text_key(t) for t in texts]
    known = cache.get(keys) if use_cache else {}
    # longest first, as sentence-transformers orders a single call: batches of like lengths pad least
    missing = sorted({keys[i]: i for i, key in enumerate(keys) if key not in known}.values(),
                     key=lambda i: -len(texts[i]))
    if missing and rate is not None:
        seconds = len(missing) / max(rate(), 1e-6)
        notices.info("embedding %s passages (%s from the cache): about %s on this machine", f"{len(missing):,}",
                     f"{len(keys) - len(missing):,}", duration(seconds))
    new: dict[str, np.ndarray] = {}
    pending: list[str] = []
    batch = max(1, embedder.batch_size)
    started = time.perf_counter()
    try:
        for start in range(0, len(missing), batch):
            rows = missing[start:start + batch]
            if on_progress:
                on_progress("embed", start, len(missing))
            vectors = embedder.encode([texts[i] for i in rows])
            new.update((keys[i], v) for i, v in zip(rows, vectors))
            pending.extend(keys[i] for i in rows)
            if len(pending) >= flush_every:  # settings.indexing.flush_every: an interrupted build resumes
                cache.add(pending, np.vstack([new[k] for k in pending]))
                pending = []
        if on_progress:
            on_progress("embed", len(missing), len(missing))
    finally:  # interrupted or not, what was embedded is kept
        if pending:
            cache.add(pending, np.vstack([new[k] for k in pending]))
    if rate is not None:
        rate.remember(len(missing), time.perf_counter() - started)
    dim = embedder.dimension
    matrix = np.vstack([known.get(k, new.get(k)) for k in keys]) if keys else np.zeros((0, dim), "float32")
    return np.ascontiguousarray(matrix, dtype="float32"), len(missing)


def build_index(settings: Settings, full: bool = False, on_progress: Progress | None = None,
                exclude: set[str] | None = None) -> BuildSummary:
    """Bring the index up to date with the corpus (or, with ``full``, parse and embed everything again).

    A broken source is skipped and reported; when nothing can be indexed, or anything fails or is
    interrupted, the version being served stays as it was. ``on_progress(stage, done, total)``: see
    the module docstring. ``exclude``: report ids left out.
    """
    with BuildLock(settings.index):
        return build_locked(settings, full, on_progress, exclude)


def _summary(settings: Settings, ingested: Ingested, started: float, **fields) -> BuildSummary:
    return BuildSummary(reports=len(ingested.reports), passages=len(ingested.passages), skipped=ingested.skipped,
                        seconds=round(time.perf_counter() - started, 2), index=str(settings.index),
                        details=ingested.details, **fields)


def build_locked(settings: Settings, full: bool = False, on_progress: Progress | None = None,
                 exclude: set[str] | None = None) -> BuildSummary:
    """`build_index` for a caller that holds the build lock already (`assistant index remove`)."""
    started = time.perf_counter()
    stores.remove_staging(settings)  # left by a build that died
    embedder = Embedder(settings)
    embedder.verify()
    splitter = make_splitter(settings, embedder)
    previous = _previous(settings, embedder, splitter, full)
    cache = EmbeddingCache(settings.index, f"{embedder.weights_sha256[:16]}-{embedder.backend}", embedder.dimension)
    rate = EmbedRate(embedder, cache)
    ingested = ingest_corpus(settings, splitter, _reusable(previous) if previous is not None else None,
                             on_progress, exclude, rate)
    write_skipped(settings.index, ingested.skipped, ingested.hashes, skip_rules(settings))
    passages = ingested.passages
    if not passages:
        raise UserError(f"nothing to index in {settings.corpus}: "
                        + ("; ".join(f"{s.path}: {s.reason}" for s in ingested.skipped) or "no report files")
                        + ". The index being served, if any, is unchanged.")
    too_long = [p for p in passages if p.n_tokens > embedder.max_seq_length]
    if too_long:  # the splitter guarantees this never happens; refuse rather than embed truncated text
        raise RuntimeError(f"{len(too_long)} passages exceed {embedder.max_seq_length} tokens")
    if previous is not None and previous.manifest.reports == ingested.files:  # nothing changed
        return _summary(settings, ingested, started, embedded=0, reused=len(passages), removed=0,
                        version=previous.version, changed=False)
    texts = ingested.texts
    rate.sample = texts[:64]
    vectors, embedded = _embed(texts, embedder, cache, on_progress, use_cache=not full, rate=rate,
                               flush_every=settings.indexing.flush_every)
    meta = IndexMeta(model=ModelIdentity(**embedder.identity()), splitter=splitter.identity(),
                     parsing=settings.parsing.model_dump(mode="json"),
                     built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    if on_progress:
        on_progress("write", 0, 1)
    version = stores.write(settings, meta, ingested.reports, passages, vectors, ingested.documents,
                           Manifest(reports=ingested.files))
    if on_progress:
        on_progress("write", 1, 1)
        on_progress("done", 1, 1)
    old_ids = {p.chunk_id for p in previous.passages} if previous else set()
    summary = _summary(settings, ingested, started, embedded=embedded, reused=len(passages) - embedded,
                       removed=len(old_ids - {p.chunk_id for p in passages}),
                       removed_reports=sorted(set(previous.reports) - {r.id for r in ingested.reports})
                       if previous else [], version=version)
    log.info("index %s: %d reports, %d passages (%d embedded, %d reused) in %.1f s", version, summary.reports,
             summary.passages, summary.embedded, summary.reused, summary.seconds)
    return summary
