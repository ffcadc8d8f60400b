"""The benchmark suite: build rates, question latency by stage at growing sizes, memory, disk, cold
start, and the usual alternative (LangChain's EnsembleRetriever) in the same run.

    .venv/bin/python -m eval.bench [--sizes 1000,10000,100000] [--real-max 10000] [--million] [--seed 1]

Passages up to --real-max are embedded by the real model; beyond, their vectors come from a cheap
deterministic stand-in (a unit vector seeded by the text's hash), as the output says. Prints one
table and writes eval/reports/bench-latest.json and bench-latest.png.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource  # noqa: F401
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer import compose
from assistant.api import Assistant
from assistant.embedding import Embedder
from assistant.evaluation import load_gold, relevant_ids
from assistant.index import dense as dense_part
from assistant.index import lexical as lexical_index
from assistant.index import store
from assistant.index.build import build_index
from assistant.ingest.pipeline import ingest_corpus, make_splitter
from assistant.models import IndexMeta, Manifest, Passage, Report
from assistant.retrieval import dense
from assistant.retrieval.candidates import bm25_candidates, dense_candidates
from assistant.retrieval.fusion import FusionWeights, fuse
from assistant.retrieval.pipeline import rank
from assistant.retrieval.query import understand
from assistant.settings import Indexing, Settings
from eval.generate import ACTIONS, ACTORS, CITIES, COUNTRIES, TOPICS, generate

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("understand", "bm25", "dense", "fusion", "retrieval", "answer")

DIM = 384


def stand_in(texts: list[str]) -> np.ndarray:
    """Deterministic unit vectors seeded by each text's hash: cheap, stable, clearly not semantic."""
    out = np.empty((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        rng = np.random.default_rng(int(hashlib.sha256(text.encode()).hexdigest()[:15], 16))
        out[i] = rng.standard_normal(DIM)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def synthetic_index(n: int, seed: int, approximate_above: int, kind: str = "pq") -> store.IndexData:
    """n report-like passages (countries, years, cities) with stand-in vectors, as an in-memory index."""
    rng = random.Random(seed)
    passages, reports = [], {}
    from assistant.geo import countries_in

    codes = {c: (countries_in(c) or ["XX"])[0] for c in COUNTRIES}
    for i in range(n):
        rid = f"synthetic-{i // 50:05d}"
        if rid not in reports:
            start = rng.randint(2014, 2023)
            reports[rid] = Report(id=rid, file=f"{rid}.txt", title=f"Synthetic report {i // 50}", format="txt",
                                  period_start=start, period_end=start + 1)
        country, year = rng.choice(COUNTRIES), rng.randint(2014, 2024)
        text = (f"In {year}, {rng.choice(ACTORS)} in {country} {rng.choice(ACTIONS)} on {rng.choice(TOPICS)}, "
                f"with activities in {rng.choice(CITIES)} and {rng.randint(2, 900)} participants.")
        passages.append(Passage(chunk_id=f"{i:08x}", source=rid, position=i, heading_path=["Section"], text=text,
                                countries=[codes[country]], lead_countries=[codes[country]], years=[year],
                                n_tokens=40))
    vectors = stand_in([p.text for p in passages])
    index, info = dense_part.build(vectors, Indexing(approximate_above=approximate_above, approximate_index=kind))
    return store.IndexData(meta=IndexMeta(dense=info, passages=n), reports=reports, passages=passages, dense=index,
                           documents={}, lexical=lexical_index.build(passages), version="bench")


def latency(data: store.IndexData, questions: list[Any], settings: Settings, embedder: Embedder,
            real: bool) -> dict[str, dict[str, float]]:
    """Per question, ms p50/p95: understanding; the pipeline's own stage timings (bm25, dense, fusion)
    and its whole ``rank`` (retrieval); and the session's answer end to end (``answer``: retrieve, the
    abstention rule, the answer text; the index served from memory)."""
    assistant = Assistant(settings.model_copy(update={"index": Path(tempfile.mkdtemp()) / "unused"}))
    weights = FusionWeights(settings.retrieval.fusion_dense_weight, settings.retrieval.fusion_bm25_weight, settings.retrieval.fusion_k)
    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    newest = data.newest_year()
    for q in questions:
        t0 = time.perf_counter()
        query = understand(q.question, q.history, newest)
        t1 = time.perf_counter()
        vector = embedder.encode([query.resolved])[0] if real else stand_in([query.resolved])[0]
        timings: dict[str, float] = {}
        t2 = time.perf_counter()
        rank(data, query, vector, k=settings.retrieval.k, candidates=settings.retrieval.candidates, mode=settings.retrieval.mode, weights=weights,
             timings=timings)
        t3 = time.perf_counter()
        asked, ranking = assistant.retrieve(q.question, q.history, index=data)
        compose(asked, ranking, assistant.abstains(ranking))
        t4 = time.perf_counter()
        for name, d in (("understand", t1 - t0), ("bm25", timings["bm25"]), ("dense", timings["dense"]),
                        ("fusion", timings["fusion"]), ("retrieval", t3 - t2), ("answer", t4 - t3)):
            stages[name].append(d)
    return {name: {"p50": round(pct(v, 0.5), 2), "p95": round(pct(v, 0.95), 2)} for name, v in stages.items()}


def approximate_recall(vectors_index: store.IndexData, queries: np.ndarray, kind: str, ef: int = 512,
                       candidates: int = 100) -> dict[str, float]:
    """recall@10 of an approximate index (built and searched as the product does) against exact search.

    Searched through retrieval.dense.search with the product's ``candidates``; the first 10 count.
    ``ids``: share of the exact top-10 ids found; ``ties``: share of the 10 found scoring at least the
    exact 10th score less 1e-3 (the ann-benchmarks definition: a near-duplicate tie is no miss).
    """
    import faiss

    vectors = vectors_index.dense.reconstruct_n(0, vectors_index.dense.ntotal)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    approx, info = dense_part.build(vectors, Indexing(approximate_above=1, approximate_index=kind, hnsw_ef_search=ef))
    exact_scores, exact = flat.search(queries, 10)
    ids, ties = [], []
    for q, e, es in zip(queries, exact, exact_scores):
        found = dense.search(approx, q, candidates, None, info.ef_search)[:10]
        ids.append(len({r for r, _ in found} & set(e.tolist())) / 10)
        ties.append(sum(score >= es[9] - 1e-3 for _, score in found) / 10)
    return {"ids": round(float(np.mean(ids)), 4), "ties": round(float(np.mean(ties)), 4)}


RECALL_SETTINGS = [("pq", 0), ("hnsw", 256), ("hnsw", 512), ("hnsw", 1024)]


def build_rates(corpus: Path, work: Path, embedder: Embedder) -> dict[str, float]:
    settings = Settings(corpus=corpus, index=work / "index")
    t = time.perf_counter()
    ingested = ingest_corpus(settings, make_splitter(settings, embedder))
    split_s = time.perf_counter() - t
    texts = ingested.texts  # what the build embeds
    t = time.perf_counter()
    embedder.encode(texts)
    encode_s = time.perf_counter() - t
    t = time.perf_counter()
    summary = build_index(settings, full=True)
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    same = build_index(settings)
    nochange_s = time.perf_counter() - t
    n = summary.passages
    return {"passages": n, "parse_split_per_s": round(n / split_s, 1), "encode_per_s": round(n / encode_s, 1),
            "build_per_s": round(n / build_s, 1), "build_vs_encode": round(encode_s / build_s, 3),
            "no_change_s": round(nochange_s, 3), "no_change_embedded": same.embedded,
            "disk_mb": round(sum(f.stat().st_size for f in (work / "index" / "versions").rglob("*") if f.is_file()) / 2**20, 2)}


def child_peak_rss(code: str) -> float:
    """Peak RSS (MB) of a fresh Python process running ``code``: its own VmHWM (getrusage's maximum
    survives exec on Linux, so it would report the parent's peak)."""
    tail = ("\nprint('RSS', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    out = subprocess.run([sys.executable, "-c", code + tail], check=True, cwd=ROOT, capture_output=True, text=True)
    kb = int(next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("RSS ")))
    return round(kb / 1024, 1)


def cold_start(index: Path) -> float:
    """Seconds from starting `assistant serve` to its first answer through the `ask` endpoint."""
    from gradio_client import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "assistant"), "serve", "--index", str(index),
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - started < 120:
            try:
                Client(f"http://127.0.0.1:{port}/", verbose=False).predict("What did Bulgaria do in 2023?", [], 3,
                                                                            api_name="/ask")
                return round(time.perf_counter() - started, 2)
            except Exception:
                time.sleep(0.25)
        return float("nan")
    finally:
        proc.terminate()
        proc.wait()


class _LCEmbeddings:
    """LangChain embeddings over the same model (or the stand-in), for the comparison."""

    def __init__(self, embedder: Embedder | None) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return (self.embedder.encode(texts) if self.embedder else stand_in(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def langchain_ensemble(passages: list[Passage], vectors: np.ndarray, embedder: Embedder | None):
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    class LCE(_LCEmbeddings, Embeddings):
        pass

    emb = LCE(embedder)
    docs = [Document(page_content=p.embed_text(), metadata={"chunk_id": p.chunk_id}) for p in passages]
    store_ = FAISS.from_embeddings([(d.page_content, v.tolist()) for d, v in zip(docs, vectors)], emb,
                                   metadatas=[d.metadata for d in docs])
    bm25 = BM25Retriever.from_documents(docs, k=10)
    return EnsembleRetriever(retrievers=[bm25, store_.as_retriever(search_kwargs={"k": 10})], weights=[0.5, 0.5])


def quality_vs_langchain(index_dir: Path, embedder: Embedder) -> dict[str, dict[str, float]]:
    import ir_measures

    data = store.read(index_dir)
    vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
    ensemble = langchain_ensemble(data.passages, vectors, embedder)
    gold = [q for q in load_gold(ROOT / "eval" / "gold.jsonl") if q.answerable]
    qrels = [ir_measures.Qrel(q.id, cid, 1) for q in gold for cid in relevant_ids(q, data.passages)]
    assistant = Assistant(Settings(index=index_dir))
    runs = {"ours": [], "langchain": []}
    for q in gold:
        for i, hit in enumerate(assistant.ask(q.question, q.history, k=10).passages):
            runs["ours"].append(ir_measures.ScoredDoc(q.id, hit.chunk_id, 10.0 - i))
        for i, doc in enumerate(ensemble.invoke(" ".join([*q.history, q.question]))[:10]):
            runs["langchain"].append(ir_measures.ScoredDoc(q.id, doc.metadata["chunk_id"], 10.0 - i))
    measures = [ir_measures.Success @ 1, ir_measures.RR @ 10]
    return {name: {str(m): round(v, 4) for m, v in ir_measures.calc_aggregate(measures, qrels, run).items()}
            for name, run in runs.items()}


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(int(s) for s in results["latency"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for stage in ("bm25", "dense", "retrieval", "answer"):
        axes[0].plot(sizes, [results["latency"][str(s)][stage]["p95"] for s in sizes], marker="o", label=stage)
    axes[0].set_xscale("log"), axes[0].set_yscale("log")
    axes[0].set_xlabel("passages"), axes[0].set_ylabel("p95 ms"), axes[0].set_title("Question latency (p95)")
    axes[0].legend()
    mem = results.get("memory", {})
    if mem:
        axes[1].bar(list(mem), list(mem.values()))
        axes[1].set_ylabel("MB"), axes[1].set_title("Peak RSS")
        axes[1].tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--real-max", type=int, default=10000)
    parser.add_argument("--million", action="store_true", help="also the search stages at 1,000,000 passages")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = Settings()
    embedder = Embedder(base)
    embedder.encode(["warm up"])
    questions = load_gold(ROOT / "eval" / "gold.jsonl")
    results: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                               "model": base.embedding.model, "backend": base.embedding.backend, "seed": args.seed,
                               "stand_in_above": args.real_max, "latency": {}, "build": {}, "memory": {}}
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        # Build rates on real text: the five reports plus generated documents, real embeddings.
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        real_build = min(args.real_max, max(sizes))
        generate(corpus, max(1, (real_build - 73) // 45), seed=args.seed)
        results["build"] = build_rates(corpus, work / "real", embedder)
        real_index = work / "real" / "index"
        real_data = store.read(real_index)
        queries = embedder.encode([q.question for q in questions])
        results["recall@10"] = {(kind if kind == "pq" else f"hnsw efSearch {ef}"):
                                approximate_recall(real_data, queries, kind, ef) for kind, ef in RECALL_SETTINGS}
        results["recall_passages"] = len(real_data.passages)
        del real_data

        for n in sizes:
            if n <= args.real_max:
                data = store.read(real_index) if n >= results["build"]["passages"] else None
                if data is None:  # a smaller real index: the first n passages' reports
                    small = work / f"corpus-{n}"
                    shutil.copytree(ROOT / "corpus", small)
                    generate(small, max(0, (n - 73) // 45), seed=args.seed)
                    build_index(Settings(corpus=small, index=work / f"index-{n}"))
                    data = store.read(work / f"index-{n}")
                real = True
            else:
                data, real = synthetic_index(n, args.seed, base.indexing.approximate_above, base.indexing.approximate_index), False
            key = str(len(data.passages))
            results["latency"][key] = latency(data, questions, base, embedder, real)
            results["latency"][key]["vectors"] = "model" if real else "stand-in"
            results["latency"][key]["dense_index"] = data.meta.dense.kind
            if n == max(sizes):
                vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
                ensemble = langchain_ensemble(data.passages, vectors, embedder if real else None)
                times = []
                for q in questions[:40]:
                    t = time.perf_counter()
                    ensemble.invoke(q.question)
                    times.append(time.perf_counter() - t)
                results["langchain"] = {"passages": int(key), "p50": round(pct(times, 0.5), 2),
                                        "p95": round(pct(times, 0.95), 2)}
                if not real:  # serving this size from disk: peak memory of a process that answers questions
                    index_dir = work / "big"
                    store.write(index_dir, IndexMeta(model=embedder.identity()), list(data.reports.values()),
                                data.passages, vectors, {}, Manifest(), indexing=base.indexing)
                    results["memory"][f"serve {key} passages"] = child_peak_rss(
                        "from assistant.api import Assistant; from assistant.settings import Settings\n"
                        f"a = Assistant(Settings(index={str(index_dir)!r}))\n"
                        "[a.ask(q) for q in ['What did Bulgaria do in 2023?', 'housing in Vienna', 'And in 2017?']]")
                    results["disk_mb"] = round(sum(f.stat().st_size for f in index_dir.rglob('*') if f.is_file()) / 2**20, 1)
            del data
        if args.million:
            data = synthetic_index(1_000_000, args.seed, base.indexing.approximate_above, base.indexing.approximate_index)
            stage = {"bm25": [], "dense": [], "fusion": []}
            for q in questions:
                query = understand(q.question, q.history, data.newest_year())
                vector = stand_in([query.resolved])[0]
                t = time.perf_counter()
                bm, _ = bm25_candidates(data, query.resolved, base.retrieval.candidates)
                t2 = time.perf_counter()
                dn = [r for r, _ in dense_candidates(data, vector, base.retrieval.candidates)]
                t3 = time.perf_counter()
                fuse("hybrid", dn, bm, FusionWeights())
                t4 = time.perf_counter()
                stage["bm25"].append(t2 - t), stage["dense"].append(t3 - t2), stage["fusion"].append(t4 - t3)
            results["million"] = {k: {"p50": round(pct(v, 0.5), 2), "p95": round(pct(v, 0.95), 2)} for k, v in stage.items()}
            results["million"]["dense_index"] = data.meta.dense.kind
            del data
        results["memory"]["build (real corpus)"] = child_peak_rss(
            "from assistant.index.build import build_index; from assistant.settings import Settings\n"
            f"build_index(Settings(corpus={str(corpus)!r}, index={str(work / 'rss')!r}))")
        results["cold_start_s"] = cold_start(real_index if results["build"]["passages"] < 200 else
                                             _five_reports(work))
        results["quality_vs_langchain"] = quality_vs_langchain(_five_reports(work), embedder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args.out)
    return 0


def _five_reports(work: Path) -> Path:
    index = work / "five"
    if not store.exists(index):
        build_index(Settings(index=index))
    return index


def report(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    b = results["build"]
    lines = [f"Benchmark on {results['machine']}; model {results['model']} ({results['backend']}); vectors beyond "
             f"{results['stand_in_above']} passages are a deterministic stand-in.", "",
             "| measure | value |", "|---|---|",
             f"| build, {b['passages']} passages: parse+split | {b['parse_split_per_s']} passages/s |",
             f"| build: raw encode (baseline) | {b['encode_per_s']} passages/s |",
             f"| build: end to end | {b['build_per_s']} passages/s = {b['build_vs_encode']:.2f} x raw encode |",
             f"| no-change rebuild of {b['passages']} passages | {b['no_change_s']} s ({b['no_change_embedded']} embedded) |",
             f"| index on disk, {b['passages']} passages | {b['disk_mb']} MB |"]
    for n, lat in sorted(results["latency"].items(), key=lambda kv: int(kv[0])):
        cells = ", ".join(f"{s} {lat[s]['p50']}/{lat[s]['p95']}" for s in STAGES)
        lines.append(f"| question at {int(n):,} passages ({lat['vectors']}, {lat['dense_index']}), ms p50/p95 | {cells} |")
    if "million" in results:
        m = results["million"]
        lines.append(f"| search stages at 1,000,000 passages ({m['dense_index']}), ms p50/p95 | " +
                     ", ".join(f"{s} {m[s]['p50']}/{m[s]['p95']}" for s in ("bm25", "dense", "fusion")) + " |")
    if "recall@10" in results:
        lines.append(f"| recall@10 vs flat, {results['recall_passages']:,} real passages, gold questions, searched "
                     "as the product searches (ids / ties) | " + ", ".join(
                         f"{k}: {r['ids']} / {r['ties']}" for k, r in results["recall@10"].items()) + " |")
    if "langchain" in results:
        lc = results["langchain"]
        ours = results["latency"][str(lc["passages"])]["retrieval"]
        lines.append(f"| LangChain EnsembleRetriever at {lc['passages']:,} passages, ms p50/p95 | {lc['p50']}/{lc['p95']} "
                     f"(ours {ours['p50']}/{ours['p95']}: {lc['p50'] / max(ours['p50'], 1e-6):.0f}x faster at p50) |")
    for name, mb in results["memory"].items():
        lines.append(f"| peak RSS, {name} | {mb} MB |")
    if "disk_mb" in results:
        lines.append(f"| index on disk, largest size | {results['disk_mb']} MB |")
    lines.append(f"| cold start of `assistant serve` to first answer (five reports) | {results['cold_start_s']} s |")
    q = results["quality_vs_langchain"]
    lines.append(f"| gold set, five reports: Hit@1 / MRR@10 | ours {q['ours']['Success@1']} / {q['ours']['RR@10']}; "
                 f"LangChain ensemble {q['langchain']['Success@1']} / {q['langchain']['RR@10']} |")
    text = "\n".join(lines)
    print(text)
    (out / "bench-latest.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (out / "bench-latest.md").write_text(text + "\n", encoding="utf-8")
    plot(results, out / "bench-latest.png")


if __name__ == "__main__":
    sys.exit(main())
