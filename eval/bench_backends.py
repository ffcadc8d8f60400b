"""Embedding backends compared: torch, ONNX, ONNX int8 (exported locally from the same weights).

    .venv/bin/python -m eval.bench_backends

For each backend, in one process: passages/s encoding the corpus's passages (the five reports' passages
three times over, timed three times: median and spread), query encoding p50/p95 over the gold
questions, and the gold set's hybrid+meta metrics on an index built with it.
"""

from __future__ import annotations

import shutil
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


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-backends-"))
    questions = [q.question for q in load_gold(ROOT / "eval" / "gold.jsonl")]
    rows = []
    try:
        for backend in BACKENDS:
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
            rate = statistics.median(rates)
            times = []
            for q in questions:
                t = time.perf_counter()
                embedder.encode([q])
                times.append(time.perf_counter() - t)
            times.sort()
            overall = evaluate(settings, ROOT / "eval" / "gold.jsonl", ("hybrid+meta",)).modes["hybrid+meta"].overall
            rows.append((backend, rate, min(rates), max(rates), statistics.median(times) * 1000,
                         times[int(0.95 * (len(times) - 1))] * 1000, overall))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base_rate, base_query = rows[0][1], rows[0][4]
    print("| backend | passages/s (min-max) | vs torch | query encode p50/p95 ms | vs torch | Hit@1 | MRR@10 | Recall@5 | "
          "note acc. | abstention acc. | false abst. |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for backend, rate, low, high, p50, p95, o in rows:
        print(f"| {backend} | {rate:.1f} ({low:.1f}-{high:.1f}) | {rate / base_rate:.2f}x | {p50:.1f}/{p95:.1f} | {base_query / p50:.2f}x | "
              f"{o['Hit@1']:.3f} | {o['MRR@10']:.3f} | {o['Recall@5']:.3f} | {o['note_accuracy']:.3f} | "
              f"{o['abstention_accuracy']:.3f} | {o['false_abstention']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
