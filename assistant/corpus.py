"""The corpus folder: its manifest (sources.toml) and the report files it describes."""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import UserError
from assistant.models import Report, Skipped

log = logging.getLogger(__name__)

MANIFEST = "sources.toml"
FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}
IGNORED = {MANIFEST, "README.md", "SOURCES.md"}


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    report: Report | None  # None: not in the manifest; inferred from the text once it is read


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "report"


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


def infer_report(path: Path, text: str, taken: set[str], first_heading: str | None = None) -> Report:
    """Metadata for a file the manifest does not describe: title from its first heading (else its first
    line), period from the years its text mentions."""
    title = first_heading or next((ln.strip().lstrip("#").strip() for ln in text.splitlines() if ln.strip()),
                                  path.stem)
    years = [int(y) for y in re.findall(r"\b(19[5-9]\d|20[0-4]\d)\b", text)]
    rid = _slug(path.stem)
    while rid in taken:
        rid += "-x"
    return Report(
        id=rid,
        file=path.name,
        title=title[:200],
        period_start=min(years) if years else None,
        period_end=max(years) if years else None,
        format=FORMATS.get(path.suffix.lower(), "txt"),
        inferred=["title", "period_start", "period_end"],
        notes="Not in sources.toml: title and period were inferred; add an entry to correct them.",
    )


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
        if path.name.startswith(".") or path.name in IGNORED or not path.is_file():
            continue
        if path.suffix.lower() not in FORMATS:
            skipped.append(Skipped(
                path=str(path),
                reason=f"unsupported file type '{path.suffix or '(none)'}'; use .txt, .md, .html or .pdf",
            ))
            continue
        files.append(CorpusFile(path=path, report=manifest.get(path.name)))
    return files, skipped


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def safe_filename(name: str) -> str:
    """A file name that stays inside the corpus folder: no path, no NUL, no leading dot, known suffix."""
    base = name.replace("\x00", "").replace("\\", "/").split("/")[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _SAFE.sub("-", stem).strip("-._") or "report"
    suffix = suffix.lower()
    if f".{suffix}" not in FORMATS:
        raise UserError(f"'{name}': unsupported file type '.{suffix or '(none)'}'; use .txt, .md, .html or .pdf")
    return f"{stem[:80]}.{suffix}"


def _toml_value(value: object) -> str:
    import json

    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string / integer


def add_report(corpus: Path, source: Path, metadata: dict[str, object], name: str | None = None) -> Report:
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
    if source.stat().st_size > MAX_UPLOAD_BYTES:
        raise UserError(f"{source}: {source.stat().st_size / 2**20:.0f} MB is over the "
                        f"{MAX_UPLOAD_BYTES // 2**20} MB limit; split the report")
    corpus.mkdir(parents=True, exist_ok=True)
    given_name = name or source.name
    name = safe_filename(given_name)
    manifest = read_manifest(corpus)
    target = corpus / name
    n = 2
    while target.exists() or name in manifest:
        if target.exists() and target.read_bytes() == source.read_bytes():
            raise UserError(f"{source}: the corpus already holds this file as {target.name}")
        name = f"{Path(safe_filename(given_name)).stem}-{n}{Path(name).suffix}"
        target, n = corpus / name, n + 1
    fmt = FORMATS[target.suffix]
    from assistant.errors import SourceError

    try:
        text = load_text(source, fmt)  # refuse a broken file before it enters the corpus
    except SourceError as exc:
        raise UserError(f"{source}: {exc}") from exc
    doc = parse_text(text, parse_format(fmt))
    taken = {r.id for r in manifest.values()}
    body = "\n".join(block.text for block in doc.blocks)
    inferred = infer_report(target, body, taken, doc.headings[0] if doc.headings else None)
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
