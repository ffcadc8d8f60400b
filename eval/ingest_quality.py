"""Ingestion quality against hand-checked expectations (eval/ingest_expectations.json).

    .venv/bin/python -m eval.ingest_quality [--corpus corpus] [--json]

For each report: notes parsed, markers resolved to the passage that holds the citing sentence,
wrapped notes read whole, sentences rejoined across page breaks and page-bottom notes, and markers
without a note left in place and reported. Uses the real model's tokenizer for the passage sizes.
Exits 1 when any expectation is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.embedding import Embedder
from assistant.ingest.pipeline import ingest_corpus, make_splitter
from assistant.models import DocumentInfo
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def measure(corpus: Path) -> list[dict]:
    expected = json.loads((ROOT / "eval" / "ingest_expectations.json").read_text(encoding="utf-8"))
    settings = Settings(corpus=corpus)
    ingested = ingest_corpus(settings, make_splitter(settings, Embedder(settings)))
    rows = []
    for report_id, want in expected.items():
        if report_id.startswith("_"):
            continue
        passages = [p for p in ingested.passages if p.source == report_id]
        doc = ingested.documents.get(report_id) or DocumentInfo()
        notes = {n.number: n.text for n in doc.notes}
        correct = sum(1 for number, phrase in want["markers"].items()
                      if any(phrase in p.text and number in [n.number for n in p.footnotes] for p in passages))
        found = {n.number for p in passages for n in p.footnotes}
        rejoined = sum(1 for s in want["rejoined"] if any(s in p.text for p in passages))
        wrapped = sum(1 for number, phrase in want["wrapped_notes"].items() if phrase in notes.get(number, ""))
        left = sum(1 for m in want["unresolved_markers"]
                   if any(m in p.text for p in passages) and any(m in w for w in doc.warnings))
        rows.append({
            "report": report_id,
            "notes": (len(notes), want["notes"]),
            "markers_found": (len(found & set(want["markers"])), len(want["markers"])),
            "notes_attached_correctly": (correct, len(want["markers"])),
            "wrapped_notes_whole": (wrapped, len(want["wrapped_notes"])),
            "sentences_rejoined": (rejoined, len(want["rejoined"])),
            "unresolved_kept_and_warned": (left, len(want["unresolved_markers"])),
            "passages": len(passages),
            "max_tokens": max((p.n_tokens for p in passages), default=0),
        })
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = measure(args.corpus)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        cols = ["notes", "markers_found", "notes_attached_correctly", "wrapped_notes_whole", "sentences_rejoined",
                "unresolved_kept_and_warned"]
        print("| report | " + " | ".join(c.replace("_", " ") for c in cols) + " | passages | max tokens |")
        print("|---" * (len(cols) + 3) + "|")
        totals = {c: [0, 0] for c in cols}
        for row in rows:
            cells = []
            for c in cols:
                got, want = row[c]
                totals[c][0] += got
                totals[c][1] += want
                cells.append(f"{got}/{want}")
            print(f"| {row['report']} | " + " | ".join(cells) + f" | {row['passages']} | {row['max_tokens']} |")
        print("| **all** | " + " | ".join(f"**{g}/{w}**" for g, w in totals.values()) + " | | |")
    missed = any(row[c][0] != row[c][1] for row in rows for c in row if isinstance(row[c], tuple))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
