"""The corpus folder: its manifest (sources.toml), the report files it describes, and adding a report
to it (`assistant index add`, the web upload)."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import UserError
from assistant.ingest.document import ParsedDocument
from assistant.ingest.loaders import too_large
from assistant.models import Report, Skipped
from assistant.settings import Parsing

log = logging.getLogger(__name__)

MANIFEST = "sources.toml"
FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
IGNORED = {MANIFEST, "README.md", "SOURCES.md"}


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    report: Report | None  # None: not in the manifest; inferred from the text once it is read


def _slug(name: str) -> str:
    """A report id: lower-case ASCII, transliterated ("Ελλάδα" -> "ellada", "Über" -> "uber")."""
    from slugify import slugify

    return slugify(name, max_length=80) or "report"


def read_manifest(corpus: Path) -> dict[str, Report]:
    """The manifest's reports by file name. A broken manifest is a user error naming the entry."""
    path = corpus / MANIFEST
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix the file or remove it to infer metadata") from exc
    reports: dict[str, Report] = {}
    ids: set[str] = set()
    for i, entry in enumerate(data.get("report", []), start=1):
        try:
            report = Report(**entry)
        except (ValidationError, TypeError) as exc:
            first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
            field = ".".join(str(p) for p in first["loc"]) or "entry"
            raise UserError(
                f"{path}: [[report]] #{i} ({entry.get('file', '?')}), field '{field}': {first['msg']}"
            ) from exc
        if report.id in ids:
            raise UserError(f"{path}: [[report]] #{i}: id '{report.id}' is used twice; ids must be unique")
        ids.add(report.id)
        reports[report.file] = report
    return reports


def infer_report(path: Path, doc: ParsedDocument, taken: set[str], report_id: str | None = None,
                 source: Path | None = None) -> Report:
    """Metadata for a file the manifest does not describe, read from the report itself
    (assistant/ingest/metadata.py): the title from the file's own metadata (PDF info, HTML title) or
    its first real heading, never page debris or a paragraph; the year published from the metadata,
    a dateline near the top, the title or the latest dated note; the period from the years its events
    are dated in. The id is ``report_id`` (the one it was indexed under before) or one made from its
    file name that is not in ``taken``. ``source``: where the file's bytes are when they are not at
    ``path`` yet (a report being added)."""
    from assistant.ingest import metadata as meta

    fmt = FORMATS.get(path.suffix.lower(), "txt")
    own = meta.file_metadata(source or path, fmt)
    lines = meta.outline(doc.blocks, doc.headings)
    title, _ = meta.choose_title(lines, own, fallback=path.stem)
    body = "\n".join(block.text for block in doc.blocks)
    year, _ = meta.publication_year([ln.text for ln in lines], title, own.year, [n.text for n in doc.notes], body)
    start, end = meta.period_covered(body, published=year)
    rid = report_id or _slug(path.stem)
    n = 2
    while rid in taken and rid != report_id:
        rid, n = f"{_slug(path.stem)}-{n}", n + 1
    return Report(
        id=rid,
        file=path.name,
        title=title[:200],
        year=year,
        period_start=start,
        period_end=end,
        format=fmt,
        inferred=["title", "year", "period_start", "period_end"],
        notes="Not in sources.toml: title, year and period were inferred; add an entry to correct them.",
    )


def _unusable(path: Path) -> str | None:
    """Why an entry of the corpus folder cannot be read as a report file, if it cannot."""
    try:
        if path.is_symlink():
            target = path.resolve(strict=True)  # raises on a loop or a missing target
            if not target.is_file():
                return "a link to something that is not a file; link to a report file instead"
        if path.is_dir():
            return "a folder: reports in folders are not read; move its files into the corpus folder itself"
        if not path.is_file():
            return "not a regular file (a device, socket or pipe); copy the report in as a file"
        with path.open("rb"):
            pass
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        return "a symbolic link that points back to itself (a loop); replace it with the file"
    except FileNotFoundError:
        return "a symbolic link to a file that does not exist; replace it with the file"
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return "a symbolic link that points back to itself (a loop); replace it with the file"
        return f"cannot be read ({exc.strerror or exc}); check the file's permissions"
    return None


def discover(corpus: Path) -> tuple[list[CorpusFile], list[Skipped]]:
    """The corpus's report files with their metadata, and the files that cannot be used."""
    if not corpus.is_dir():
        raise UserError(f"corpus folder {corpus} does not exist; pass --corpus DIR or set ASSISTANT_CORPUS")
    manifest = read_manifest(corpus)
    files: list[CorpusFile] = []
    skipped: list[Skipped] = []
    for name, report in sorted(manifest.items()):
        if not (corpus / name).is_file():
            skipped.append(Skipped(path=str(corpus / name), reason="listed in sources.toml but missing"))
    for path in sorted(corpus.iterdir()):
        if path.name.startswith(".") or path.name in IGNORED:
            continue
        problem = _unusable(path)
        if problem:
            skipped.append(Skipped(path=str(path), reason=problem))
            continue
        if path.suffix.lower() not in FORMATS:
            skipped.append(Skipped(
                path=str(path),
                reason=f"unsupported file type '{path.suffix or '(none)'}'; use .txt, .md, .html or .pdf",
            ))
            continue
        files.append(CorpusFile(path=path, report=manifest.get(path.name)))
    return files, skipped


def safe_filename(name: str) -> str:
    """A file name that stays inside the corpus folder: no path, no NUL, no leading dot, known suffix."""
    base = name.replace("\x00", "").replace("\\", "/").split("/")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    from slugify import slugify  # letters of every script are kept; anything else becomes "-"

    stem = slugify(stem.replace("\x00", ""), allow_unicode=True, lowercase=False, max_length=80,
                   regex_pattern=r"[^\w.-]+").strip("-._") or "report"
    suffix = suffix.lower()
    if f".{suffix}" not in FORMATS:
        raise UserError(f"'{name}': unsupported file type '.{suffix or '(none)'}'; use .txt, .md, .html or .pdf")
    return f"{stem[:80]}.{suffix}"


def _toml_value(value: object) -> str:
    import json

    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string / integer


def same_content(corpus: Path, source: Path) -> Path | None:
    """The report file of the corpus whose bytes are those of ``source``, if any (compared by sha256)."""
    from assistant.hashing import sha256_file

    wanted, size = sha256_file(source, remember=False), source.stat().st_size
    files, _ = discover(corpus)
    for f in files:
        try:
            if f.path.stat().st_size == size and sha256_file(f.path) == wanted:
                return f.path
        except OSError:
            continue
    return None


def add_report(corpus: Path, source: Path, metadata: dict[str, object], name: str | None = None,
               parsing: Parsing | None = None) -> Report:
    """Copy a report into the corpus under a safe name and describe it in sources.toml.

    ``name`` is the file name the user gave (an upload's), when it differs from ``source``'s: it is
    sanitized like any other, never used as a path. The copy is plain data: no execute permission.

    Fields not given are inferred from the text (title from its first heading, period from its years)
    and listed as inferred in the manifest, so the user can correct them there."""
    import shutil

    from assistant.ingest.document import parse_text
    from assistant.ingest.loaders import load_text, parse_format

    if not source.is_file():
        raise UserError(f"{source}: no such file")
    parsing = parsing or Parsing()
    if too_large(source.stat().st_size, parsing):
        raise UserError(f"{source}: {too_large(source.stat().st_size, parsing)}")
    corpus.mkdir(parents=True, exist_ok=True)
    given_name = name or source.name
    name = safe_filename(given_name)
    manifest = read_manifest(corpus)
    same = same_content(corpus, source)
    if same is not None:
        held = manifest.get(same.name)
        raise UserError(f"{source}: the corpus already holds this content as {same.name}"
                        + (f" (report {held.id})" if held else "") + "; it is indexed once, not added again")
    target = corpus / name
    n = 2
    while target.exists() or name in manifest:
        name = f"{Path(safe_filename(given_name)).stem}-{n}{Path(name).suffix}"
        target, n = corpus / name, n + 1
    fmt = FORMATS[target.suffix]
    from assistant.errors import SourceError

    try:
        text = load_text(source, fmt, parsing)  # refuse a broken file before it enters the corpus
    except SourceError as exc:
        raise UserError(f"{source}: {exc}") from exc
    doc = parse_text(text, parse_format(fmt))
    taken = {r.id for r in manifest.values()}
    inferred = infer_report(target, doc, taken, source=source)
    given = {k: v for k, v in metadata.items() if v is not None}
    if "id" in given:
        given["id"] = _slug(str(given["id"]))
        if given["id"] in taken:
            raise UserError(f"report id '{given['id']}' is already in {corpus / MANIFEST}; choose another --id")
    fields = {**inferred.model_dump(), **given}
    fields["inferred"] = [f for f in inferred.inferred if f not in given]
    fields["notes"] = "Added with `assistant index add`." + (
        " Inferred: " + ", ".join(fields["inferred"]) + "; correct them here." if fields["inferred"] else "")
    report = Report(**fields)
    shutil.copyfile(source, target)
    block = ["", "[[report]]"] + [f"{k} = {_toml_value(v)}" for k, v in report.model_dump().items() if v is not None]
    with (corpus / MANIFEST).open("a", encoding="utf-8") as fh:
        fh.write("\n".join(block) + "\n")
    read_manifest(corpus)  # the manifest still parses
    return report
