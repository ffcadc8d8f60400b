"""What a build will do with each file of the corpus: the one rule that `assistant index` and
`assistant index status` both follow, so they never disagree (status only reports a plan).

Each report file is hashed. Files with identical content are one report: the copy kept is the one
the manifest describes, else the one the served version indexed, else the first by name; the others
are named as copies ("same content as X; not indexed"). A kept file is reused (its passages kept,
nothing parsed) when its content and metadata are unchanged since the served version, found by name
or, for a renamed file, by content. A file the last build could not use, unchanged since, is known
to be skipped (its reason kept in ``index/skipped.json``). Report ids never collide: a file the
manifest does not describe keeps the id it was indexed under, and a new one gets an id no other
report of the corpus or the served version holds. Each planned file names the served report it
continues, if any; the served reports no file continues are dropped by the next build.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from assistant.hashing import sha256_file
from assistant.ingest.corpus import CorpusFile, discover
from assistant.models import Manifest, ManifestEntry, Report, Skipped
from assistant.settings import Settings

log = logging.getLogger(__name__)

SKIPPED = "skipped.json"  # in the index folder: the files the last build could not use, by content


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    sha256: str
    report: Report | None  # from the manifest; None: inferred from the text when parsed
    reuse: Report | None = None  # unchanged since the served version: its passages are kept under this report
    reserved_id: str | None = None  # not in the manifest: the id it was indexed under before
    known_skip: str | None = None  # the last build could not use this very content, for this reason
    continues: str | None = None  # the served report this file is (kept, renamed or modified), if any


@dataclass
class CorpusPlan:
    files: list[PlannedFile] = field(default_factory=list)  # to index, one per distinct content
    copies: list[Skipped] = field(default_factory=list)  # same content as a kept file: not indexed
    skipped: list[Skipped] = field(default_factory=list)  # cannot be used (unreadable, unsupported, missing)
    reserved: set[str] = field(default_factory=set)  # report ids taken before anything is inferred
    dropped: list[str] = field(default_factory=list)  # served report ids no file continues: the build drops them

    def copy_reason(self, kept: PlannedFile, report_id: str | None) -> str:
        return f"same content as {kept.path.name}" + (f" (report {report_id})" if report_id else "") + "; not indexed"


def skip_rules(settings: Settings) -> str:
    """What decides whether a file is skipped: a file skipped under other rules is tried again."""
    from assistant import __version__
    from assistant.ingest.splitter import SPLITTER_VERSION

    return f"{__version__}/{SPLITTER_VERSION}/{settings.parsing.model_dump_json()}"  # every parsing setting


def read_skipped(index_dir: Path, rules: str | None = None) -> dict[str, dict[str, str]]:
    """File name -> {sha256, reason} of the files the last build skipped; with ``rules``, only when the
    last build used the same rules (assistant version, splitter, limits), else nothing is known."""
    try:
        data = json.loads((index_dir / SKIPPED).read_text(encoding="utf-8"))
        if rules is not None and data.get("rules") != rules:
            return {}
        return {k: v for k, v in data.get("files", {}).items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError):
        return {}


def write_skipped(index_dir: Path, skipped: list[Skipped], hashes: dict[str, str], rules: str) -> None:
    """Remember which contents could not be used and why (written atomically; a build record, not part
    of any version)."""
    files = {Path(s.path).name: {"sha256": hashes[Path(s.path).name], "reason": s.reason}
             for s in skipped if Path(s.path).name in hashes and s.same_as is None}
    tmp = index_dir / f".{SKIPPED}.{os.getpid()}"
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"rules": rules, "files": files}, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, index_dir / SKIPPED)
    except OSError as exc:  # only costs trying those files again next time
        tmp.unlink(missing_ok=True)
        log.warning("could not record the skipped files in %s (%s)", index_dir / SKIPPED, exc)


def plan(corpus: Path, previous_manifest: Manifest | None, known_skips: dict[str, dict[str, str]]
         | None = None, exclude: set[str] | None = None) -> CorpusPlan:
    """Decide, for every file of ``corpus``, what the next build does with it (see the module docstring).

    ``previous_manifest`` is the served version's manifest (None: build everything); ``exclude`` names
    report ids to leave out (`assistant index remove`)."""
    found, skipped = discover(corpus)
    out = CorpusPlan(skipped=skipped)
    hashed: list[tuple[CorpusFile, str]] = []
    for f in found:
        try:
            hashed.append((f, sha256_file(f.path)))
        except OSError as exc:
            out.skipped.append(Skipped(path=str(f.path), reason=f"cannot be read ({exc.strerror or exc}); "
                                       "check the file's permissions"))
    entries = previous_manifest.reports if previous_manifest is not None else {}
    by_name = {e.file: (rid, e) for rid, e in entries.items()}
    by_sha: dict[str, tuple[str, ManifestEntry]] = {}
    for rid, e in sorted(entries.items()):
        by_sha.setdefault(e.sha256, (rid, e))

    # one file per content: the manifest's, else the one indexed before, else the first by name
    groups: dict[str, list[tuple[CorpusFile, str]]] = {}
    for f, sha in hashed:
        groups.setdefault(sha, []).append((f, sha))
    kept: list[tuple[CorpusFile, str]] = []
    copies: list[tuple[CorpusFile, CorpusFile]] = []
    for sha, members in groups.items():
        members.sort(key=lambda m: (m[0].report is None, m[0].path.name not in by_name, m[0].path.name))
        kept.append(members[0])
        copies.extend((m[0], members[0][0]) for m in members[1:])
    kept.sort(key=lambda m: m[0].path.name)

    manifest_ids = {f.report.id for f, _ in kept if f.report}
    on_disk = {f.path.name for f, _ in hashed}
    planned: dict[str, PlannedFile] = {}
    claimed: set[str] = set()  # previous entries already matched to a file
    for f, sha in kept:
        if f.report is not None and f.report.id in (exclude or set()):
            continue
        old = by_name.get(f.path.name)
        if old is None or old[1].sha256 != sha:  # renamed? the entry of the same content, if its file is gone
            moved = by_sha.get(sha)
            if moved is not None and moved[0] not in claimed and moved[1].file not in on_disk:
                old = moved
        reuse = reserved = None
        if old is not None:
            rid, entry = old
            if rid in (exclude or set()):
                continue
            before = {**entry.metadata, "file": f.path.name}
            if previous_manifest is not None and entry.sha256 == sha and (
                    f.report is None and rid not in manifest_ids or f.report is not None
                    and before == f.report.model_dump()):
                reuse = Report(**before)
                claimed.add(rid)
            elif f.report is None and rid not in manifest_ids:
                reserved = rid
                claimed.add(rid)
        skip = (known_skips or {}).get(f.path.name)
        known = skip["reason"] if skip and skip.get("sha256") == sha and reuse is None else None
        continues = None if known is not None else reuse.id if reuse is not None else (
            by_name[f.path.name][0] if f.path.name in by_name else reserved)
        planned[f.path.name] = PlannedFile(path=f.path, sha256=sha, report=f.report, reuse=reuse,
                                           reserved_id=reserved, known_skip=known, continues=continues)
    out.files = list(planned.values())
    continued = {p.continues for p in out.files}
    out.dropped = [rid for rid in entries if rid not in continued]
    out.reserved = manifest_ids | {p.reuse.id for p in out.files if p.reuse} | {
        p.reserved_id for p in out.files if p.reserved_id}
    kept_by_name = {p.path.name: p for p in out.files}
    for copy, original in copies:
        keeper = kept_by_name.get(original.path.name)
        if keeper is None:  # the kept file is excluded: its copies go with it
            continue
        rid = keeper.reuse.id if keeper.reuse else (keeper.report.id if keeper.report else keeper.reserved_id)
        out.copies.append(Skipped(path=str(copy.path), reason=out.copy_reason(keeper, rid),
                                  same_as=original.path.name))
    return out
