"""Which fusion of the two lists measures better on the Milvus store: Milvus' own hybrid search (its
RRF or weighted ranker over the dense and BM25 requests) or the project's (the fusion of mode
``hybrid``, the learned ranker of the default mode), on the same collection and the same questions.

    python -m eval.milvus_fusion --index IDX --milvus-uri URI --gold eval/gold.jsonl [--corpus C]

Prints MRR@10 and Hit@1 per way (answerable questions; a question's history is joined into it as
the pipeline resolves follow-ups). Milvus' hybrid search sees neither the question's countries and
years nor the passages' metadata, so it is compared with the project's fusion without them (mode
``hybrid``) and with the default (``learned``)."""

from __future__ import annotations

import argparse
import json
import logging

from assistant.evaluation import load_gold, relevant_ids
from assistant.index import milvus
from assistant.session import Assistant
from assistant.settings import Settings


def _mrr(ranked: list[list[str]], relevant: list[set[str]]) -> tuple[float, float]:
    rr = []
    for ids, rel in zip(ranked, relevant):
        first = next((i for i, c in enumerate(ids[:10], start=1) if c in rel), None)
        rr.append(1 / first if first else 0.0)
    return round(sum(rr) / len(rr), 4), round(sum(r == 1.0 for r in rr) / len(rr), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--milvus-uri", required=True)
    parser.add_argument("--gold", required=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from pymilvus import AnnSearchRequest, RRFRanker, WeightedRanker

    settings = Settings(index=args.index, corpus=args.corpus, store="milvus", milvus_uri=args.milvus_uri)
    assistant = Assistant(settings)
    index = assistant.index
    questions = [q for q in load_gold(__import__("pathlib").Path(args.gold), index) if q.answerable]
    relevant = [relevant_ids(q, index.passages) for q in questions]
    c = milvus.client(settings)
    name = milvus.collection_name(settings, index.version)
    ways: dict[str, list[list[str]]] = {}
    for q in questions:
        query = assistant.understand(q.question, q.history, index)
        vector = assistant.embedder.encode([query.resolved])[0].tolist()
        terms = milvus.bm25_terms(query.resolved)
        requests = [AnnSearchRequest(data=[vector], anns_field="dense", param={"metric_type": "IP"}, limit=100)]
        if terms:
            requests.append(AnnSearchRequest(data=[terms], anns_field="sparse", param={"metric_type": "BM25"},
                                             limit=100))
        for label, ranker in (("milvus hybrid_search, RRF k=60", RRFRanker(60)),
                              ("milvus hybrid_search, weighted 0.5/0.5", WeightedRanker(0.5, 0.5))):
            if label.endswith("0.5/0.5") and len(requests) == 1:
                ranker = WeightedRanker(1.0)
            got = c.hybrid_search(name, requests, ranker=ranker, limit=10, output_fields=["chunk_id"])
            ways.setdefault(label, []).append([h["entity"]["chunk_id"] for h in got[0]])
        for mode in ("hybrid", "learned"):
            _, ranking = assistant.retrieve(q.question, q.history, k=10, mode=mode)
            ways.setdefault(f"project, mode {mode}", []).append([h.passage.chunk_id for h in ranking.hits])
    out = {way: dict(zip(("MRR@10", "Hit@1"), _mrr(ranked, relevant))) for way, ranked in ways.items()}
    if args.json:
        print(json.dumps({"gold": args.gold, "questions": len(questions), "ways": out}))
        return
    print(f"{args.gold}: {len(questions)} answerable questions")
    print("| fusion | MRR@10 | Hit@1 |\n|---|---|---|")
    for way, figures in out.items():
        print(f"| {way} | {figures['MRR@10']} | {figures['Hit@1']} |")


if __name__ == "__main__":
    main()
