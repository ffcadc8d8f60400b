"""`assistant index status`: what is indexed, what changed on disk since, and whether it is current.

It follows the build's own rule (`plan.plan`), so it says exactly what the next `assistant index`
would do: a renamed file is "renamed" (reused, not embedded again), a copy of an indexed report is
"same content as X; not indexed", a file the last build could not use is "skipped" with its reason.
"""

from __future__ import annotations

from typing import Any

from assistant.errors import UserError
from assistant.index import store
from assistant.index.plan import plan, read_skipped, skip_rules
from assistant.settings import Settings


def index_status(settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {"index": str(settings.index), "version": None, "versions": store.versions(settings.index),
                           "added": [], "modified": [], "renamed": [], "removed": [], "unreadable": [],
                           "skipped": [], "copies": []}
    try:
        data = store.read(settings.index) if store.exists(settings.index) else None
    except UserError as exc:
        out["error"] = str(exc)
        data = None
    corpus_plan = plan(settings.corpus, data.manifest if data else None,
                       read_skipped(settings.index, skip_rules(settings)) if data else {})
    indexed = data.manifest.get("reports", {}) if data else {}
    if data:
        counts: dict[str, int] = {}
        for p in data.passages:
            counts[p.source] = counts.get(p.source, 0) + 1
        out.update(version=data.version, reports=len(data.reports), passages=len(data.passages),
                   model=data.meta.get("model", {}).get("name"), built_at=data.meta.get("built_at"),
                   indexed=[{"id": rid, "file": e["file"], "passages": counts.get(rid, 0)} for rid, e in indexed.items()])
    by_file = {e["file"]: rid for rid, e in indexed.items()}
    kept: set[str] = set()  # report ids the next build keeps as they are
    for f in sorted(corpus_plan.files, key=lambda f: f.path.name):
        name = f.path.name
        if f.reuse is not None:
            kept.add(f.reuse.id)
            if indexed.get(f.reuse.id, {}).get("file") != name:
                out["renamed"].append({"from": indexed[f.reuse.id]["file"], "to": name})
        elif f.known_skip is not None:
            out["skipped"].append({"path": str(f.path), "reason": f.known_skip})
        elif name in by_file or f.reserved_id is not None:
            kept.add(by_file.get(name) or f.reserved_id)
            out["modified"].append(name)
        else:
            out["added"].append(name)
    out["removed"] = sorted(e["file"] for rid, e in indexed.items() if rid not in kept)
    out["unreadable"] = [s.path for s in corpus_plan.skipped]
    out["skipped"] = [{"path": s.path, "reason": s.reason} for s in corpus_plan.skipped] + out["skipped"]
    out["copies"] = [{"path": s.path, "same_as": s.same_as, "reason": s.reason} for s in corpus_plan.copies]
    out["current"] = data is not None and not (out["added"] or out["modified"] or out["removed"] or out["renamed"])
    return out
