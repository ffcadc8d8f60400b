"""`assistant index status`: what is indexed, what changed on disk since, and whether it is current.

It reports the build's own plan (`ingest.plan.plan`) and has no rule of its own, so it says exactly
what the next `assistant index` would do: a renamed file is "renamed" (reused, not embedded again),
a copy of an indexed report is "same content as X; not indexed", a file the last build could not use
is "skipped" with its reason, a file that continues a served report without being reused is
"modified", one that continues none is "added", and a served report no file continues is "removed".
"""

from __future__ import annotations

from assistant.errors import UserError
from assistant.index import stores
from assistant.index.compat import parsed_alike
from assistant.ingest.splitter import SPLITTER_VERSION
from assistant.ingest.plan import plan, read_skipped, skip_rules
from assistant.models import CopyFile, IndexedReport, IndexStatus, Renamed, SkippedFile
from assistant.settings import Settings


def index_status(settings: Settings) -> IndexStatus:
    out = IndexStatus(index=str(settings.index) if not stores.in_milvus(settings) else stores.where(settings),
                      versions=stores.versions(settings))
    try:
        data = stores.read(settings) if stores.exists(settings) else None
    except UserError as exc:
        out.error = str(exc)
        data = None
    corpus_plan = plan(settings.corpus, data.manifest if data else None,
                       read_skipped(settings.index, skip_rules(settings)) if data else {})
    indexed = data.manifest.reports if data else {}
    if data:
        counts: dict[str, int] = {}
        for p in data.passages:
            counts[p.source] = counts.get(p.source, 0) + 1
        out.version, out.reports, out.passages = data.version, len(data.reports), len(data.passages)
        out.model, out.built_at = data.meta.model.name, data.meta.built_at
        out.indexed = [IndexedReport(id=rid, file=e.file, passages=counts.get(rid, 0),
                                     quality=doc.quality if (doc := data.documents.get(rid)) else None)
                       for rid, e in indexed.items()]
    known_skips = []
    for f in sorted(corpus_plan.files, key=lambda f: f.path.name):
        name = f.path.name
        if f.reuse is not None:
            if indexed[f.reuse.id].file != name:
                out.renamed.append(Renamed(from_=indexed[f.reuse.id].file, to=name))
        elif f.known_skip is not None:
            known_skips.append(SkippedFile(path=str(f.path), reason=f.known_skip))
        elif f.continues is not None:
            out.modified.append(name)
        else:
            out.added.append(name)
    out.removed = sorted(indexed[rid].file for rid in corpus_plan.dropped)
    out.unreadable = [s.path for s in corpus_plan.skipped]
    out.skipped = [SkippedFile(path=s.path, reason=s.reason) for s in corpus_plan.skipped] + known_skips
    out.copies = [CopyFile(path=s.path, same_as=s.same_as, reason=s.reason) for s in corpus_plan.copies]
    out.current = data is not None and not (out.added or out.modified or out.removed or out.renamed) \
        and parsed_alike(data.meta, settings.parsing) \
        and (data.meta.splitter or {}).get("version") == SPLITTER_VERSION  # else every report is parsed again
    return out
