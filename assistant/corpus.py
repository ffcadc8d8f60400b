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
