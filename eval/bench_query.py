"""Question latency on this corpus, after the model is loaded.

    .venv/bin/python -m eval.bench_query [--index index] [--repeat 3]

Times `Assistant.ask` (understanding, query embedding, dense and BM25 search, fusion with metadata,
answer text) on every gold question, and each step on its own (the ranking pipeline's stages as
`pipeline.rank` reports them), against a baseline measured in the same process: the model's raw
`encode` of the same questions. Prints a table. ``--compare MODE`` also times the whole question in
another mode (hybrid+meta, say), question by question in turn with the default one, so the learned
ranker's cost is read as a difference measured in the same run. Development-format gold files
(``../shared/corpus-dev/gold-dev.jsonl``) work with an index that holds their files.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

from assistant.answer import compose
from assistant.api import Assistant
from assistant.evaluation import load_gold
from assistant.retrieval.pipeline import STAGES, FusionWeights, rank
from assistant.retrieval.query import understand
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=ROOT / "index")
    parser.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold.jsonl")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare", default=None, help="another retrieval mode to time the whole question in")
    args = parser.parse_args()
    settings = Settings(index=args.index)
    assistant = Assistant(settings)
    index = assistant.index
    questions = load_gold(args.gold, index)
    weights = FusionWeights(settings.retrieval.fusion_dense_weight, settings.retrieval.fusion_bm25_weight, settings.retrieval.fusion_k)
    for q in questions[:5]:  # warm-up: model, gazetteer, BM25 caches
        assistant.ask(q.question, q.history)
    stages: dict[str, list[float]] = {k: [] for k in ("encode (baseline)", "understand", "rank",
                                                      *(f"rank: {s}" for s in STAGES), "answer", "ask")}
    if args.compare:
        stages[f"ask ({args.compare})"] = []
    for _ in range(args.repeat):
        for q in questions:
            t0 = time.perf_counter()
            query = understand(q.question, q.history, index.newest_year())
            t1 = time.perf_counter()
            vector = assistant.embedder.encode([query.resolved])[0]
            t2 = time.perf_counter()
            timings: dict[str, float] = {}
            ranking = rank(index, query, vector, k=settings.retrieval.k, candidates=settings.retrieval.candidates, mode=settings.retrieval.mode,
                           weights=weights, timings=timings)
            t3 = time.perf_counter()
            compose(query, ranking, assistant.abstains(ranking))
            t4 = time.perf_counter()
            assistant.ask(q.question, q.history)
            t5 = time.perf_counter()
            if args.compare:
                assistant.ask(q.question, q.history, mode=args.compare)
                stages[f"ask ({args.compare})"].append(time.perf_counter() - t5)
            stages["understand"].append(t1 - t0)
            stages["encode (baseline)"].append(t2 - t1)
            stages["rank"].append(t3 - t2)
            for name, seconds in timings.items():
                stages[f"rank: {name}"].append(seconds)
            stages["answer"].append(t4 - t3)
            stages["ask"].append(t5 - t4)
    base = statistics.median(stages["encode (baseline)"])
    print(f"mode {settings.retrieval.mode}; {len(questions)} questions x {args.repeat}, {len(index.passages)} passages; "
          f"{platform.processor() or platform.machine()}, {platform.python_version()}")
    print("| stage | median ms | p95 ms | median / encode |")
    print("|---|---|---|---|")
    for name, samples in stages.items():
        med, p95 = _ms(samples)
        print(f"| {name} | {med:.1f} | {p95:.1f} | {statistics.median(samples) / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
