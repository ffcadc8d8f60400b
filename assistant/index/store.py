"""The index on disk: readable files, no pickle.

``meta.json`` (what built it), ``reports.json`` (report metadata), ``passages.jsonl`` (one passage a
line), ``dense.faiss`` (FAISS inner-product index, row i = passage line i), ``bm25/`` (the bm25s
index, same rows) and ``documents.json`` (each report's note table, orphans and warnings). A build writes the new
files beside the old ones and renames them into place, ``meta.json`` last; a reader checks that the
counts agree, so a half-written index is refused with a message instead of serving wrong passages.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import UserError
from assistant.models import Passage, Report
from assistant.retrieval import lexical

if TYPE_CHECKING:
    import faiss
    import numpy as np

META, REPORTS, PASSAGES, DENSE, DOCUMENTS, LEXICAL = "meta.json", "reports.json", "passages.jsonl", \
    "dense.faiss", "documents.json", "bm25"
FORMAT_VERSION = 3


@dataclass
class IndexData:
    meta: dict[str, Any]
    reports: dict[str, Report]
    passages: list[Passage]
    dense: faiss.Index
    documents: dict[str, dict[str, Any]]  # per report: note table, orphans, warnings, furniture
    lexical: Any  # the bm25s index
    stamp: float

    def newest_year(self) -> int | None:
        """The newest publication year of the reports ("last year" is the year before it)."""
        years = [r.year for r in self.reports.values() if r.year] or \
            [r.period_end for r in self.reports.values() if r.period_end]
        return max(years) if years else None  # modification time of meta.json: changes when a new index is written


def exists(index_dir: Path) -> bool:
    return (index_dir / META).is_file()


def write(index_dir: Path, meta: dict[str, Any], reports: list[Report], passages: list[Passage],
          vectors: np.ndarray, documents: dict[str, dict[str, Any]]) -> None:
    import faiss

    if len(passages) != vectors.shape[0]:
        raise ValueError("one vector per passage is required")
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = index_dir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    faiss.write_index(dense, str(staging / DENSE))
    with (staging / PASSAGES).open("w", encoding="utf-8") as fh:
        for passage in passages:
            fh.write(passage.model_dump_json() + "\n")
    (staging / REPORTS).write_text(
        json.dumps([r.model_dump() for r in reports], ensure_ascii=False, indent=1), encoding="utf-8")
    lexical.build(passages, staging / LEXICAL)
    (staging / DOCUMENTS).write_text(json.dumps(documents, ensure_ascii=False, indent=1), encoding="utf-8")
    meta = {**meta, "format": FORMAT_VERSION, "passages": len(passages), "reports": len(reports)}
    (staging / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    shutil.rmtree(index_dir / f"{LEXICAL}.old", ignore_errors=True)
    if (index_dir / LEXICAL).exists():
        os.replace(index_dir / LEXICAL, index_dir / f"{LEXICAL}.old")
    for name in (DENSE, PASSAGES, REPORTS, DOCUMENTS, LEXICAL, META):
        os.replace(staging / name, index_dir / name)
    shutil.rmtree(index_dir / f"{LEXICAL}.old", ignore_errors=True)
    staging.rmdir()


def read(index_dir: Path) -> IndexData:
    """Read and check an index; a missing or inconsistent one is a user error saying how to rebuild."""
    import faiss

    if not exists(index_dir):
        raise UserError(f"no index in {index_dir}; build it with `assistant index` (or pass --index DIR)")
    try:
        stamp = (index_dir / META).stat().st_mtime
        meta = json.loads((index_dir / META).read_text(encoding="utf-8"))
        reports = [Report(**r) for r in json.loads((index_dir / REPORTS).read_text(encoding="utf-8"))]
        with (index_dir / PASSAGES).open(encoding="utf-8") as fh:
            passages = [Passage.model_validate_json(line) for line in fh if line.strip()]
        dense = faiss.read_index(str(index_dir / DENSE))
        documents = json.loads((index_dir / DOCUMENTS).read_text(encoding="utf-8"))
        bm25 = lexical.load(index_dir / LEXICAL)
    except (OSError, ValueError, RuntimeError) as exc:
        raise UserError(f"index in {index_dir} cannot be read ({exc}); rebuild it with `assistant index`") from exc
    if meta.get("format") != FORMAT_VERSION:
        raise UserError(f"index in {index_dir} has format {meta.get('format')}, this version reads "
                        f"{FORMAT_VERSION}; rebuild it with `assistant index`")
    if not (meta.get("passages") == len(passages) == dense.ntotal == bm25.scores["num_docs"]):
        raise UserError(f"index in {index_dir} is incomplete (meta {meta.get('passages')}, passages "
                        f"{len(passages)}, vectors {dense.ntotal}, bm25 {bm25.scores['num_docs']}); rebuild it "
                        "with `assistant index`")
    return IndexData(meta=meta, reports={r.id: r for r in reports}, passages=passages, dense=dense,
                     documents=documents, lexical=bm25, stamp=stamp)
