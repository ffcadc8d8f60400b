"""`assistant index remove REPORT`: take a report out of the corpus and the index in one step.

Under the build lock, the report's file (and any file with the same content) is moved to
``corpus/.removed/`` and its manifest entry taken out of sources.toml, then the index is rebuilt
without it as one new version. If that build fails or is interrupted, the file and the manifest are
put back as they were and the served version is unchanged: nothing is half-removed. Nothing is
deleted either: the moved file stays in ``corpus/.removed/`` until the user deletes it.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import UserError
from assistant.hashing import sha256_file
from assistant.index import stores
from assistant.index.build import build_locked
from assistant.index.lock import BuildLock
from assistant.ingest.corpus import MANIFEST, discover, read_manifest
from assistant.ingest.pipeline import Progress
from assistant.models import BuildSummary, ManifestEntry
from assistant.settings import Settings

log = logging.getLogger(__name__)
TRASH = ".removed"


@dataclass
class Removal:
    report: str  # the report id
    files: list[str] = field(default_factory=list)  # file names taken out of the corpus
    moved_to: list[str] = field(default_factory=list)  # where they are now


def _find(settings: Settings, which: str) -> tuple[str, Path]:
    """The report id and file a user named by id or file name (manifest, served index, or the folder)."""
    corpus = settings.corpus
    manifest = read_manifest(corpus)
    for report in manifest.values():
        if which in (report.id, report.file):
            return report.id, corpus / report.file
    served: dict[str, ManifestEntry] = {}
    if stores.exists(settings):
        try:
            served = stores.read(settings).manifest.reports
        except UserError:
            served = {}
    for rid, entry in served.items():
        if which in (rid, entry.file):
            return rid, corpus / entry.file
    candidate = corpus / Path(which).name
    if candidate.is_file():
        return Path(which).stem, candidate
    known = sorted({r.id for r in manifest.values()} | set(served))
    raise UserError(f"no report '{which}' in {corpus} or the index; name it by id or file name "
                    f"(known: {', '.join(known) or 'none'}); `assistant index status` lists them")


def _without_entry(text: str, file_name: str) -> str:
    """sources.toml without the [[report]] block describing ``file_name`` (comments elsewhere kept)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[report]]"] + [len(lines)]
    for start, end in zip(starts, starts[1:]):
        block = "".join(lines[start:end])
        try:
            entry = tomllib.loads(block)["report"][0]
        except (tomllib.TOMLDecodeError, KeyError, IndexError):
            continue
        if entry.get("file") == file_name:
            return "".join(lines[:start] + lines[end:])
    return text


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def remove_report(settings: Settings, which: str, on_progress: Progress | None = None
                  ) -> tuple[Removal, BuildSummary]:
    """Take report ``which`` (id or file name) out: file, manifest entry and passages, in one new version."""
    corpus = settings.corpus
    with BuildLock(settings.index):
        rid, path = _find(settings, which)
        files, _ = discover(corpus)
        targets = [path] if path.is_file() else []
        if targets:  # the copies of its content go with it, or the next build would index one of them
            digest = sha256_file(path)
            targets += [f.path for f in files if f.path != path and sha256_file(f.path) == digest]
        manifest_path = corpus / MANIFEST
        manifest_before = manifest_path.read_text(encoding="utf-8") if manifest_path.exists() else None
        removal = Removal(report=rid)
        trash = corpus / TRASH / time.strftime("%Y%m%d-%H%M%S")
        moved: list[tuple[Path, Path]] = []
        try:
            if manifest_before is not None:
                after = manifest_before
                for target in targets + [path]:
                    after = _without_entry(after, target.name)
                if after != manifest_before:
                    _write_atomic(manifest_path, after)
                    read_manifest(corpus)  # still parses
            for target in targets:
                trash.mkdir(parents=True, exist_ok=True)
                moved.append((target, trash / target.name))
                shutil.move(target, trash / target.name)
                removal.files.append(target.name)
                removal.moved_to.append(str(trash / target.name))
            summary = build_locked(settings, on_progress=on_progress, exclude={rid})
        except BaseException as exc:  # put everything back: the served version was never changed
            for original, now in reversed(moved):
                shutil.move(now, original)
            if trash.is_dir() and not any(trash.iterdir()):
                trash.rmdir()
            if manifest_before is not None:
                _write_atomic(manifest_path, manifest_before)
            if isinstance(exc, UserError) and "nothing to index" in str(exc):
                raise UserError(f"'{which}' is the only report with text in {corpus}; an index needs at least "
                                "one: add another report first. Nothing was removed.") from exc
            if isinstance(exc, UserError):
                raise UserError(f"{exc} Nothing was removed: {', '.join(p.name for p in targets) or rid} "
                                "is still in the corpus.") from exc
            raise
    return removal, summary
