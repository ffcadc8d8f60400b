"""The benchmark suite (`make bench`), on the default embedding backend: build rates, question latency
by stage at growing sizes, memory, disk, start-up, the backends compared, and the usual alternative
(LangChain's EnsembleRetriever) in the same run. Every timing is repeated (``--repeat``, 3 by default):
the tables give the median of the repetitions and their spread (min-max), never one run.

    .venv/bin/python -m eval.bench [--sizes 1000,10000,100000] [--real-max 2000] [--million] [--repeat 3]
                                   [--recall] [--no-backends] [--seed 1]

Passages up to --real-max are embedded by the real model (the five reports and generated reports);
beyond, their vectors come from a cheap deterministic stand-in (a unit vector seeded by the text's
hash), as the output says. Writes eval/reports/bench-latest.{json,md,png}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
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
from assistant.settings import Indexing, Settings
from eval.generate import ACTIONS, ACTORS, CITIES, COUNTRIES, TOPICS, generate

ROOT = Path(__file__).resolve().parent.parent
# understand .. answer_text: each step; question: all of them but the question's encode (what the issue's
# "whole question" names); whole: the question as `ask` runs it, encode included.
STAGES = ("understand", "encode", "bm25", "dense", "fusion", "retrieval", "answer_text", "question", "whole")
LANGCHAIN_QUESTIONS = 40

DIM = 384


def spread(values: list[float], digits: int = 2) -> dict[str, float]:
    """The median of repeated measures and their range."""
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": len(values)}


def cell(figure: dict[str, float], unit: str = "") -> str:
    return f"{figure['median']}{unit} ({figure['min']}-{figure['max']})"


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


def latency(data: store.IndexData, questions: list[Any], assistant: Assistant, real: bool,
            repeat: int) -> dict[str, dict[str, dict[str, float]]]:
    """Per stage, ms p50 and p95 over the gold questions, each a ``spread`` over ``repeat`` rounds.

    One question: the session's understanding, the model's encode of the resolved question, the
    session's ranking (its default mode and ranker; the pipeline's own stage timings: in the learned
    mode "bm25" holds both searches and "fusion" the model's scoring), the abstention rule and answer
    text. With stand-in vectors the question is still encoded by the model (its cost is real), but the
    ranking gets the stand-in vector, so that the dense search finds the stand-in neighbours."""
    rounds: list[dict[str, list[float]]] = []
    for _ in range(repeat):
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        for q in questions:
            t0 = time.perf_counter()
            query = assistant.understand(q.question, q.history, data)
            t1 = time.perf_counter()
            vector = assistant.embedder.encode([query.resolved])[0]
            t2 = time.perf_counter()
            if not real:
                vector = stand_in([query.resolved])[0]
            timings: dict[str, float] = {}
            t3 = time.perf_counter()
            ranking = assistant._rank(data, query, vector, assistant.settings.retrieval.k, None, None, None, None,
                                      timings=timings)
            t4 = time.perf_counter()
            compose(query, ranking, assistant.abstains(ranking))
            t5 = time.perf_counter()
            for name, seconds in (("understand", t1 - t0), ("encode", t2 - t1), ("bm25", timings.get("bm25", 0.0)),
                                  ("dense", timings.get("dense", 0.0)), ("fusion", timings.get("fusion", 0.0)),
                                  ("retrieval", t4 - t3), ("answer_text", t5 - t4),
                                  ("question", (t1 - t0) + (t5 - t3)), ("whole", (t2 - t0) + (t5 - t3))):
                stages[name].append(seconds)
        rounds.append(stages)
    return {name: {"p50": spread([pct(r[name], 0.5) for r in rounds]),
                   "p95": spread([pct(r[name], 0.95) for r in rounds])} for name in STAGES}


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


def build_rates(corpus: Path, work: Path, embedder: Embedder, repeat: int) -> dict[str, Any]:
    """Parse+split, the model's raw encode of what the build embeds (the baseline), a full build end to
    end and a no-change rebuild, each ``repeat`` times, interleaved (encode, build, encode, build...)."""
    settings = Settings(corpus=corpus, index=work / "index")
    split, encode, build, nochange = [], [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        ingested = ingest_corpus(settings, make_splitter(settings, embedder))
        split.append(time.perf_counter() - t)
    texts = ingested.texts  # what the build embeds
    for _ in range(repeat):
        t = time.perf_counter()
        embedder.encode(texts)
        encode.append(time.perf_counter() - t)
        t = time.perf_counter()
        summary = build_index(settings, full=True)
        build.append(time.perf_counter() - t)
    for _ in range(repeat):
        t = time.perf_counter()
        same = build_index(settings)
        nochange.append(time.perf_counter() - t)
    n = summary.passages
    version = store.current_version(settings.index)
    return {"passages": n,
            "parse_split_per_s": spread([n / s for s in split], 1), "encode_per_s": spread([n / s for s in encode], 1),
            "build_per_s": spread([n / s for s in build], 1),
            "build_vs_encode": spread([e / b for e, b in zip(encode, build)], 3),
            "no_change_s": spread(nochange, 3), "no_change_embedded": same.embedded,
            "disk_mb": round(sum(f.stat().st_size for f in (work / "index" / "versions" / version).rglob("*")
                                 if f.is_file()) / 2**20, 2)}


def child_peak_rss(code: str) -> float:
    """Peak RSS (MB) of a fresh Python process running ``code``: its own VmHWM (getrusage's maximum
    survives exec on Linux, so it would report the parent's peak)."""
    tail = ("\nprint('RSS', next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    out = subprocess.run([sys.executable, "-c", code + tail], check=True, cwd=ROOT, capture_output=True, text=True)
    kb = int(next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("RSS ")))
    return round(kb / 1024, 1)


def start_up(index: Path, repeat: int) -> dict[str, Any]:
    """`assistant serve` as a user starts it (eval/bench_startup.py's measure, ``repeat`` times): seconds
    to the first answer of a plain HTTP GET of /api/ask, to the chat page, to the chat's own ask API."""
    from eval.bench_startup import _serve

    env = {**os.environ, "ASSISTANT_INDEX": str(index)}
    runs = [_serve(env, index) for _ in range(repeat)]
    return {"first_answer_s": spread([r[0] for r in runs]), "chat_page_s": spread([r[1] for r in runs]),
            "chat_answer_s": spread([r[2] for r in runs])}


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
    for stage in ("encode", "bm25", "dense", "retrieval", "question", "whole"):
        p95 = [results["latency"][str(s)][stage]["p95"] for s in sizes]
        axes[0].errorbar(sizes, [f["median"] for f in p95], marker="o", label=stage, capsize=3,
                         yerr=[[f["median"] - f["min"] for f in p95], [f["max"] - f["median"] for f in p95]])
    axes[0].set_xscale("log"), axes[0].set_yscale("log")
    axes[0].set_xlabel("passages"), axes[0].set_ylabel("p95 ms (median of runs, range)")
    axes[0].set_title(f"Question latency, {results['backend']} backend"), axes[0].legend(fontsize=8)
    mem = results.get("memory", {})
    if mem:
        axes[1].bar(list(mem), list(mem.values()))
        axes[1].set_ylabel("MB"), axes[1].set_title("Peak RSS")
        axes[1].tick_params(axis="x", labelrotation=20)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--real-max", type=int, default=2000, help="passages embedded by the real model; beyond, "
                        "stand-in vectors")
    parser.add_argument("--million", action="store_true", help="also the whole question at 1,000,000 passages")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every timing")
    parser.add_argument("--recall", action="store_true", help="also recall@10 of the approximate indexes against "
                        "flat, on the real passages built")
    parser.add_argument("--no-backends", action="store_true", help="skip the embedding backends' table")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    base = Settings()
    embedder = Embedder(base)
    embedder.encode(["warm up"])
    questions = load_gold(ROOT / "eval" / "gold.jsonl")
    results: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                               "model": base.embedding.model, "backend": base.embedding.backend, "seed": args.seed,
                               "repeat": args.repeat, "stand_in_above": args.real_max, "latency": {}, "build": {},
                               "memory": {}, "questions": len(questions)}
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        # Build rates on real text: the five reports plus generated reports, real embeddings.
        corpus = work / "corpus"
        shutil.copytree(ROOT / "corpus", corpus)
        generate(corpus, max(1, (args.real_max - 73) // 45), seed=args.seed)
        results["build"] = build_rates(corpus, work / "real", embedder, args.repeat)
        real_index = work / "real" / "index"
        if args.recall:
            real_data = store.read(real_index)
            queries = embedder.encode([q.question for q in questions])
            results["recall@10"] = {(kind if kind == "pq" else f"hnsw efSearch {ef}"):
                                    approximate_recall(real_data, queries, kind, ef) for kind, ef in RECALL_SETTINGS}
            results["recall_passages"] = len(real_data.passages)
            del real_data

        assistant = Assistant(base.model_copy(update={"index": work / "unused"}))
        for n in sizes:
            if n <= args.real_max:
                small = work / f"corpus-{n}"
                shutil.copytree(ROOT / "corpus", small)
                generate(small, max(0, (n - 73) // 45), seed=args.seed)
                build_index(Settings(corpus=small, index=work / f"index-{n}"))
                data, real = store.read(work / f"index-{n}"), True
            else:
                data, real = synthetic_index(n, args.seed, base.indexing.approximate_above,
                                             base.indexing.approximate_index), False
            key = str(len(data.passages))
            results["latency"][key] = latency(data, questions, assistant, real, args.repeat)
            results["latency"][key]["vectors"] = "model" if real else "stand-in"
            results["latency"][key]["dense_index"] = data.meta.dense.kind
            if n == sizes[-1]:
                results["langchain"] = _langchain(data, questions, embedder if real else None, args.repeat, key)
                if not real:  # serving this size from disk: peak memory of a process that answers questions
                    results["memory"][f"serve {key} passages"], results["disk_mb"] = _serving_memory(data, work, base,
                                                                                                    embedder)
            del data
        if args.million:
            data = synthetic_index(1_000_000, args.seed, base.indexing.approximate_above, base.indexing.approximate_index)
            results["latency"][str(len(data.passages))] = {
                **latency(data, questions, assistant, False, args.repeat), "vectors": "stand-in",
                "dense_index": data.meta.dense.kind}
            del data
        results["memory"]["build (real corpus)"] = child_peak_rss(
            "from assistant.index.build import build_index; from assistant.settings import Settings\n"
            f"build_index(Settings(corpus={str(corpus)!r}, index={str(work / 'rss')!r}))")
        five = _five_reports(work)
        results["start_up"] = start_up(five, args.repeat)
        results["quality_vs_langchain"] = quality_vs_langchain(five, embedder)
        if not args.no_backends:
            done = subprocess.run([sys.executable, "-m", "eval.bench_backends", "--json"], cwd=ROOT, check=True,
                                  capture_output=True, text=True)
            results["backends"] = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(results, args.out)
    return 0


def _langchain(data: store.IndexData, questions: list[Any], embedder: Embedder | None, repeat: int,
               key: str) -> dict[str, Any]:
    """LangChain's EnsembleRetriever (BM25Retriever + a FAISS store, the same vectors; its query vector from
    the same model, or the same stand-in) over the first questions, ``repeat`` rounds: ms p50 and p95."""
    vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
    ensemble = langchain_ensemble(data.passages, vectors, embedder)
    rounds = []
    for _ in range(repeat):
        times = []
        for q in questions[:LANGCHAIN_QUESTIONS]:
            t = time.perf_counter()
            ensemble.invoke(q.question)
            times.append(time.perf_counter() - t)
        rounds.append(times)
    return {"passages": int(key), "questions": LANGCHAIN_QUESTIONS, "p50": spread([pct(r, 0.5) for r in rounds]),
            "p95": spread([pct(r, 0.95) for r in rounds])}


def _serving_memory(data: store.IndexData, work: Path, base: Settings, embedder: Embedder) -> tuple[float, float]:
    index_dir = work / "big"
    vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
    store.write(index_dir, IndexMeta(model=embedder.identity()), list(data.reports.values()), data.passages, vectors,
                {}, Manifest(), indexing=base.indexing)
    peak = child_peak_rss(
        "from assistant.api import Assistant; from assistant.settings import Settings\n"
        f"a = Assistant(Settings(index={str(index_dir)!r}))\n"
        "[a.ask(q) for q in ['What did Bulgaria do in 2023?', 'housing in Vienna', 'And in 2017?']]")
    return peak, round(sum(f.stat().st_size for f in index_dir.rglob('*') if f.is_file()) / 2**20, 1)


def _five_reports(work: Path) -> Path:
    index = work / "five"
    if not store.exists(index):
        build_index(Settings(index=index))
    return index


def ratios(results: dict[str, Any]) -> dict[str, float]:
    """How many times faster than LangChain's ensemble our question is at its size (p50, p95), each
    repetition's median against the other's; the question without its encode, as LangChain's stand-in
    query vector costs nothing (with real vectors both encode: the whole question is compared)."""
    lc = results["langchain"]
    ours = results["latency"][str(lc["passages"])]
    stage = "question" if ours["vectors"] == "stand-in" else "whole"
    return {"stage": stage, "p50": round(lc["p50"]["median"] / ours[stage]["p50"]["median"], 1),
            "p95": round(lc["p95"]["median"] / ours[stage]["p95"]["median"], 1)}


def report(results: dict[str, Any], out: Path) -> None:
    """Print the table and write bench-latest.json, .md (the table) and .png (the curves) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    print(text)
    (out / "bench-latest.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (out / "bench-latest.md").write_text(text + "\n", encoding="utf-8")
    plot(results, out / "bench-latest.png")


def markdown(results: dict[str, Any]) -> str:
    """The run as a Markdown table (what the README's Performance section shows)."""
    b = results["build"]
    lines = [f"Benchmark on {results['machine']}; model {results['model']}, **{results['backend']}** backend; every "
             f"timing repeated {results['repeat']} times: median (min-max); p50/p95 over the {results['questions']} gold "
             f"questions; vectors beyond {results['stand_in_above']:,} passages are a deterministic stand-in.", "",
             "| measure | value |", "|---|---|",
             f"| build, {b['passages']:,} passages: parse+split | {cell(b['parse_split_per_s'])} passages/s |",
             f"| build: raw encode (the baseline) | {cell(b['encode_per_s'])} passages/s |",
             f"| build: end to end | {cell(b['build_per_s'])} passages/s = {cell(b['build_vs_encode'], 'x')} raw encode |",
             f"| no-change rebuild of {b['passages']:,} passages | {cell(b['no_change_s'], ' s')} "
             f"({b['no_change_embedded']} embedded) |",
             f"| index on disk, {b['passages']:,} passages | {b['disk_mb']} MB |"]
    for n, lat in sorted(results["latency"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"| question at {int(n):,} passages ({lat['vectors']} vectors, {lat['dense_index']}), ms p50 / p95 | "
                     + "; ".join(f"{s} {lat[s]['p50']['median']} / {lat[s]['p95']['median']} "
                                 f"({lat[s]['p95']['min']}-{lat[s]['p95']['max']})" for s in STAGES) + " |")
    if "recall@10" in results:
        lines.append(f"| recall@10 vs flat, {results['recall_passages']:,} real passages, gold questions (ids / ties) | "
                     + ", ".join(f"{k}: {r['ids']} / {r['ties']}" for k, r in results["recall@10"].items()) + " |")
    if "langchain" in results:
        lc, r = results["langchain"], ratios(results)
        lines.append(f"| LangChain EnsembleRetriever at {lc['passages']:,} passages, ms p50 / p95 | {cell(lc['p50'])} / "
                     f"{cell(lc['p95'])}: ours ({r['stage']}) {r['p50']}x faster at p50, {r['p95']}x at p95 |")
    for name, mb in results["memory"].items():
        lines.append(f"| peak RSS, {name} | {mb} MB |")
    if "disk_mb" in results:
        lines.append(f"| index on disk, largest size | {results['disk_mb']} MB |")
    if "start_up" in results:
        su = results["start_up"]
        lines.append(f"| `assistant serve` (five reports): first answer to GET /api/ask / chat page / chat's ask API | "
                     f"{cell(su['first_answer_s'], ' s')} / {cell(su['chat_page_s'], ' s')} / "
                     f"{cell(su['chat_answer_s'], ' s')} |")
    q = results["quality_vs_langchain"]
    lines.append(f"| gold set, five reports: Hit@1 / MRR@10 | ours {q['ours']['Success@1']} / {q['ours']['RR@10']}; "
                 f"LangChain ensemble {q['langchain']['Success@1']} / {q['langchain']['RR@10']} |")
    if "backends" in results:
        from eval.bench_backends import table

        lines += ["", "Embedding backends (eval/bench_backends.py, each in a process of its own):", "",
                  *table(results["backends"])]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
