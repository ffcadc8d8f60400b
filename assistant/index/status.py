"""`assistant index status`: what is indexed, what changed on disk since, and whether it is current."""

from __future__ import annotations

from typing import Any

from assistant.corpus import discover
from assistant.errors import UserError
from assistant.hashing import sha256_file
from assistant.index import store
from assistant.settings import Settings


def index_status(settings: Settings) -> dict[str, Any]:
    files, skipped = discover(settings.corpus)
    on_disk = {f.path.name: f for f in files}
    out: dict[str, Any] = {"index": str(settings.index), "version": None, "versions": store.versions(settings.index),
                           "added": [], "modified": [], "removed": [], "unreadable": [s.path for s in skipped]}
    try:
        data = store.read(settings.index) if store.exists(settings.index) else None
    except UserError as exc:
        out["error"] = str(exc)
        data = None
    indexed = data.manifest.get("reports", {}) if data else {}
    by_file = {entry["file"]: entry for entry in indexed.values()}
    if data:
        counts: dict[str, int] = {}
        for p in data.passages:
            counts[p.source] = counts.get(p.source, 0) + 1
        out.update(version=data.version, reports=len(data.reports), passages=len(data.passages),
                   model=data.meta.get("model", {}).get("name"), built_at=data.meta.get("built_at"),
                   indexed=[{"id": rid, "file": e["file"], "passages": counts.get(rid, 0)} for rid, e in indexed.items()])
    for name, f in sorted(on_disk.items()):
        entry = by_file.get(name)
        if entry is None:
            out["added"].append(name)
        elif entry["sha256"] != sha256_file(f.path) or (f.report is not None and
                                                        entry["metadata"] != f.report.model_dump()):
            out["modified"].append(name)
    out["removed"] = sorted(set(by_file) - set(on_disk))
    out["current"] = data is not None and not (out["added"] or out["modified"] or out["removed"])
    return out
