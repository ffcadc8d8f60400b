"""Embedding backends compared: torch, ONNX, ONNX int8 (exported locally from the same weights).

    .venv/bin/python -m eval.bench_backends

For each backend, in a process of its own: passages/s encoding the corpus's passages (the five reports' passages
three times over, timed three times: median and spread), query encoding p50/p95 over the gold
questions, and the gold set's hybrid+meta metrics on an index built with it.
"""

from __future__ import annotations

import json
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.embedding import Embedder
from assistant.evaluation import evaluate, load_gold
from assistant.index import store
from assistant.index.build import build_index
from assistant.ingest.pipeline import embedded_texts
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

BACKENDS = ("torch", "onnx", "onnx-int8")


def measure(backend: str, work: Path) -> dict:
    """One backend's row: build an index with it, time its encodes and questions, evaluate it."""
    questions = [q.question for q in load_gold(ROOT / "eval" / "gold.jsonl")]
    settings = Settings(index=work / backend, backend=backend)
    build_index(settings)
    data = store.read(settings.index)
    texts = embedded_texts(data.passages, data.reports, settings) * 3  # what the build embeds
    embedder = Embedder(settings)
    embedder.encode(texts[:8])
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        embedder.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    times = []
    for q in questions:
        t = time.perf_counter()
        embedder.encode([q])
        times.append(time.perf_counter() - t)
    times.sort()
    overall = evaluate(settings, ROOT / "eval" / "gold.jsonl", ("hybrid+meta",)).modes["hybrid+meta"].overall
    return {"backend": backend, "rate": statistics.median(rates), "low": min(rates), "high": max(rates),
            "p50": statistics.median(times) * 1000, "p95": times[int(0.95 * (len(times) - 1))] * 1000,
            "overall": dict(overall)}


def table(rows: list[dict]) -> list[str]:
    """The backends' rows as a Markdown table (torch the reference)."""
    base_rate, base_query = rows[0]["rate"], rows[0]["p50"]
    lines = ["| backend | passages/s (min-max) | vs torch | query encode p50/p95 ms | vs torch | Hit@1 | MRR@10 | "
             "Recall@5 | note acc. | abstention acc. | false abst. |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        o = r["overall"]
        lines.append(f"| {r['backend']} | {r['rate']:.1f} ({r['low']:.1f}-{r['high']:.1f}) | {r['rate'] / base_rate:.2f}x | "
                     f"{r['p50']:.1f}/{r['p95']:.1f} | {base_query / r['p50']:.2f}x | "
                     f"{o['Hit@1']:.3f} | {o['MRR@10']:.3f} | {o['Recall@5']:.3f} | {o['note_accuracy']:.3f} | "
                     f"{o['abstention_accuracy']:.3f} | {o['false_abstention']:.3f} |")
    return lines


def main() -> int:
    """Each backend in a process of its own (torch's threads, once started, compete with ONNX Runtime's
    in the same process), one after another; then the table (``--json``: the rows, for eval/bench.py)."""
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        with tempfile.TemporaryDirectory(prefix="bench-backends-") as work:
            print(json.dumps(measure(sys.argv[2], Path(work))))
        return 0
    rows = []
    for backend in BACKENDS:
        done = subprocess.run([sys.executable, "-m", "eval.bench_backends", "--one", backend], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps(rows) if "--json" in sys.argv else "\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
