"""The index on disk: versions side by side, readable files, no pickle.

    index/CURRENT              the version being served (one line), switched by an atomic rename
    index/versions/v0007/      one complete index:
        meta.json              what built it (model and weights hash, splitter version and settings)
        manifest.json          per report: file name, content hash, metadata, passage ids and text hashes
        reports.json           report metadata
        passages.jsonl         one passage a line
        dense.faiss            FAISS inner-product index, row i = passage line i
        bm25/                  the bm25s index, same rows
        documents.json         each report's note table, orphans, warnings
        checksums.json         sha256 of every file above, checked whenever the version is read
    index/cache/<model>/       embeddings by text hash (see cache.py)
    index/.lock                held while a build runs

A build writes a new version in a temporary folder, reads it back and checks it (counts agree, a
probe search finds its own passage), renames it into place and only then points CURRENT at it. A
build killed at any moment leaves the previous version serving. A version whose files were damaged
afterwards (truncated, overwritten, bit rot) fails its checksums when read and is refused by name;
the assistant then serves the newest version that still reads (see session.Assistant.index). The previous version is kept for
`assistant index rollback`; older ones are pruned.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import UserError
from assistant.hashing import sha256_file
from assistant.index import dense as dense_part, lexical
from assistant.index.metadata import MetadataIndex
from assistant.models import DocumentInfo, IndexMeta, Manifest, Passage, Report
from assistant.settings import Indexing

if TYPE_CHECKING:
    import faiss
    import numpy as np

CURRENT, VERSIONS = "CURRENT", "versions"
META, MANIFEST, REPORTS, PASSAGES, DENSE, DOCUMENTS, LEXICAL, CHECKSUMS = (
    "meta.json", "manifest.json", "reports.json", "passages.jsonl", "dense.faiss", "documents.json", "bm25",
    "checksums.json")
FORMAT_VERSION = 5
_READABLE_FORMATS = (4, 5)  # 4: the same files without checksums.json
log = logging.getLogger(__name__)
_VERSION = re.compile(r"^v(\d{4,})$")


@dataclass
class IndexData:
    meta: IndexMeta
    reports: dict[str, Report]
    passages: list[Passage]
    dense: faiss.Index
    documents: dict[str, DocumentInfo]  # per report: note table, orphans, warnings, furniture
    lexical: Any  # the bm25s index
    manifest: Manifest = field(default_factory=Manifest)
    version: str = ""

    @property
    def stamp(self) -> str:
        return self.version

    @cached_property
    def metadata(self) -> MetadataIndex:
        return MetadataIndex(self.passages, self.reports)

    def newest_year(self) -> int | None:
        """The newest publication year of the reports ("last year" is the year before it)."""
        return self._newest_year

    @cached_property
    def _newest_year(self) -> int | None:  # once per index: every question asks (thousands of reports: ms)
        years = [r.year for r in self.reports.values() if r.year] or \
            [r.period_end for r in self.reports.values() if r.period_end]
        return max(years) if years else None


def versions(index_dir: Path) -> list[str]:
    folder = index_dir / VERSIONS
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if p.is_dir() and _VERSION.match(p.name)),
                  key=lambda v: int(v[1:]))


def current_version(index_dir: Path) -> str | None:
    try:
        version = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return version if _VERSION.match(version) else None


def exists(index_dir: Path) -> bool:
    version = current_version(index_dir)
    return version is not None and (index_dir / VERSIONS / version / META).is_file()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _point_current(index_dir: Path, version: str) -> None:
    tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    _write_file(tmp, version + "\n")
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


def write(index_dir: Path, meta: IndexMeta, reports: list[Report], passages: list[Passage],
          vectors: np.ndarray, documents: dict[str, DocumentInfo], manifest: Manifest,
          indexing: Indexing | None = None) -> str:
    """Write a new version, check it, switch to it, prune old ones; returns the new version's name.

    ``meta`` says what built it (model, splitter, built_at); its dense info, format, version and
    counts are set here."""
    if len(passages) != vectors.shape[0]:
        raise ValueError("one vector per passage is required")
    _check_unique(reports, passages)
    root = index_dir / VERSIONS
    root.mkdir(parents=True, exist_ok=True)
    remove_staging(index_dir)
    existing = versions(index_dir)
    version = f"v{(int(existing[-1][1:]) + 1 if existing else 1):04d}"
    staging = root / f".tmp-{version}-{os.getpid()}"
    staging.mkdir()
    writing = ""
    try:
        writing = LEXICAL + "/"
        lexical.save(lexical.build(passages), staging / LEXICAL)
        for writing, text in ((PASSAGES, lambda: "".join(p.model_dump_json() + "\n" for p in passages)),
                              (REPORTS, lambda: _json([r.model_dump() for r in reports])),
                              (DOCUMENTS, lambda: _json({rid: d.model_dump(mode="json")
                                                         for rid, d in documents.items()})),
                              (MANIFEST, lambda: _json(manifest.model_dump(mode="json")))):
            _write_file(staging / writing, text())
        writing = DENSE
        dense, dense_info = dense_part.build(vectors, indexing)
        dense_part.save(dense, staging / DENSE)
        meta = meta.model_copy(update={"dense": dense_info, "format": FORMAT_VERSION, "version": version,
                                       "passages": len(passages), "reports": len(reports)})
        writing = META
        _write_file(staging / META, _json(meta.model_dump(mode="json")))
        writing = CHECKSUMS
        _write_file(staging / CHECKSUMS, json.dumps(checksums(staging), indent=1))
        _fsync_dir(staging)
        writing = ""
        verify(staging, vectors)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)  # a half-written version is never left behind
        io_error = isinstance(exc, OSError) or (  # FAISS reports a failed write as a RuntimeError
            isinstance(exc, RuntimeError) and ("write" in str(exc) or any(
                os.strerror(e) in str(exc) for e in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT))))
        if io_error:
            raise UserError(f"could not write {writing or 'the new index version'} in {staging} ({exc}); the disk may be full: "
                            "free some disk space and run `assistant index` again. The version being served "
                            "is unchanged.") from exc
        raise
    os.rename(staging, root / version)
    _fsync_dir(root)
    _point_current(index_dir, version)
    keep = {version, _newest_sound(index_dir, below=version)}  # and the newest older one that reads, for rollback
    for old in versions(index_dir):
        if old not in keep:
            shutil.rmtree(root / old, ignore_errors=True)
    return version


def remove_staging(index_dir: Path) -> list[str]:
    """Remove the half-written versions a killed build left (call it holding the build lock)."""
    removed = []
    for stale in (index_dir / VERSIONS).glob(".tmp-*") if (index_dir / VERSIONS).is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)
        removed.append(stale.name)
    if removed:
        log.info("removed %s, left by a build that did not finish", ", ".join(removed))
    return removed


def _check_unique(reports: list[Report], passages: list[Passage]) -> None:
    """A version holds each report once and each passage once: refused at write time otherwise."""
    seen: set[str] = set()
    twice = [p.chunk_id for p in passages if p.chunk_id in seen or seen.add(p.chunk_id)]
    if twice:
        raise ValueError(f"refusing to write an index holding {len(twice)} passage ids twice (first: {twice[0]}); "
                         "this is a bug in the assistant: please report it")
    ids = [r.id for r in reports]
    if len(set(ids)) != len(ids):
        raise ValueError(f"refusing to write an index holding a report id twice ({sorted(ids)})")
    unknown = {p.source for p in passages} - set(ids)
    if unknown:
        raise ValueError(f"refusing to write passages of reports not in the index: {sorted(unknown)[:5]}")


def _newest_sound(index_dir: Path, below: str) -> str | None:
    for old in reversed(versions(index_dir)):
        if int(old[1:]) < int(below[1:]):
            try:
                check_files(index_dir / VERSIONS / old)
                return old
            except UserError:
                continue
    return None


def verify(folder: Path, vectors: np.ndarray | None = None) -> IndexData:
    """Read a version folder back and check it: counts agree and a probe search finds its passage."""
    data = _read_folder(folder, check=False)  # its checksums were computed from these very files
    if data.passages:
        probe = data.dense.reconstruct(0) if vectors is None else vectors[0]
        scores, _ = data.dense.search(probe.reshape(1, -1), 1)  # HNSW finds an exact duplicate too
        if abs(float(scores[0][0]) - float(probe @ probe)) > 1e-3:
            raise UserError(f"new index in {folder} failed its probe search; the previous version stays")
    return data


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS)


def checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file of a version folder, by path relative to it."""
    return {p.relative_to(folder).as_posix(): sha256_file(p, remember=False) for p in _files(folder)}


def check_files(folder: Path) -> None:
    """Refuse a version whose files are missing, extra or changed since it was written (names the file)."""
    how = ("roll back with `assistant index rollback` or rebuild with `assistant index --full`")
    listed = folder / CHECKSUMS
    if not listed.is_file():
        try:
            legacy = json.loads((folder / META).read_text(encoding="utf-8")).get("format") == 4
        except (OSError, ValueError, AttributeError):
            legacy = False
        if legacy:
            log.warning("index in %s predates checksums; rebuild it with `assistant index --full` to have "
                        "damaged files detected", folder)
            return
        raise UserError(f"index in {folder} is damaged: {CHECKSUMS} is missing; {how}")
    try:
        expected = json.loads(listed.read_text(encoding="utf-8"))
        if not isinstance(expected, dict):
            raise ValueError("not a table of files")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"index in {folder} is damaged: {CHECKSUMS} cannot be read ({exc}); {how}") from exc
    found = {p.relative_to(folder).as_posix(): p for p in _files(folder)}
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            raise UserError(f"index in {folder} is damaged: {name} is missing (per {CHECKSUMS}); {how}")
        if name not in expected:
            raise UserError(f"index in {folder} is damaged: {name} is not one of its files (per {CHECKSUMS}); "
                            f"{how}")
        if sha256_file(found[name], remember=False) != expected[name]:
            raise UserError(f"index in {folder} is damaged: {name} was changed or truncated after it was "
                            f"written (its sha256 differs from {CHECKSUMS}); {how}")


def _read_folder(folder: Path, check: bool = True) -> IndexData:
    if check:
        check_files(folder)
    try:
        raw = json.loads((folder / META).read_text(encoding="utf-8"))
        found = raw.get("format") if isinstance(raw, dict) else None
        if found not in _READABLE_FORMATS:
            raise UserError(f"index in {folder} has format {found}, this version reads "
                            f"{FORMAT_VERSION}; rebuild it with `assistant index --full`")
        meta = IndexMeta.model_validate(raw)
        reports = [Report(**r) for r in json.loads((folder / REPORTS).read_text(encoding="utf-8"))]
        with (folder / PASSAGES).open(encoding="utf-8") as fh:
            passages = [Passage.model_validate_json(line) for line in fh if line.strip()]
        dense = dense_part.load(folder / DENSE)
        documents = {rid: DocumentInfo.model_validate(d)
                     for rid, d in json.loads((folder / DOCUMENTS).read_text(encoding="utf-8")).items()}
        manifest = Manifest.model_validate_json((folder / MANIFEST).read_bytes())
        bm25 = lexical.load(folder / LEXICAL)
    except UserError:
        raise
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(f"index in {folder} cannot be read ({exc.__class__.__name__}: {exc}); "
                        "roll back with `assistant index rollback` or rebuild with `assistant index --full`") from exc
    counts = (meta.passages, len(passages), dense.ntotal, bm25.scores["num_docs"])
    if len(set(counts)) != 1 or meta.reports != len(reports):
        raise UserError(f"index in {folder} is incomplete (meta {counts[0]}, passages {counts[1]}, vectors "
                        f"{counts[2]}, bm25 {counts[3]}); roll back with `assistant index rollback` or rebuild "
                        "with `assistant index --full`")
    return IndexData(meta=meta, reports={r.id: r for r in reports}, passages=passages, dense=dense,
                     documents=documents, lexical=bm25, manifest=manifest, version=meta.version or folder.name)


def read(index_dir: Path, version: str | None = None) -> IndexData:
    """Read the version being served (or the one named); a missing or broken one is a user error."""
    version = version or current_version(index_dir)
    if version is None:
        if (index_dir / META).is_file():
            raise UserError(f"index in {index_dir} has the old single-folder layout; rebuild it with "
                            "`assistant index --full`")
        raise UserError(f"no index in {index_dir}; build it with `assistant index` (or pass --index DIR)")
    folder = index_dir / VERSIONS / version
    if not folder.is_dir():
        raise UserError(f"index version {version} named in {index_dir / CURRENT} is missing; roll back with "
                        "`assistant index rollback` or rebuild with `assistant index --full`")
    return _read_folder(folder)


def rollback(index_dir: Path) -> tuple[str, str]:
    """Serve the version before the current one again; returns (from, to)."""
    current = current_version(index_dir)
    older = [v for v in versions(index_dir) if current is None or int(v[1:]) < int(current[1:])]
    if not older:
        raise UserError(f"no earlier index version in {index_dir} to roll back to")
    target = older[-1]
    _read_folder(index_dir / VERSIONS / target)  # refuse to switch to a broken version
    _point_current(index_dir, target)
    return current or "-", target
