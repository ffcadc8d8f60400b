"""The two stores side by side (issue 19): the same gold questions on the embedded store and on Milvus
at growing sizes, with the same passages and vectors: latency per stage (p50 and p95, the median and
range of ``--repeat`` rounds), peak memory of an app process that answers questions, build time
(writing the store from passages and vectors: nothing embedded), and recall@10 of each store's dense
search against exact search.

    .venv/bin/python -m eval.bench_milvus [--sizes 10000,100000] [--repeat 3] [--questions N] [--out eval/reports]

Milvus runs two ways: Milvus Lite in the app process (``milvus_uri`` a file: what the tests use) and
a Milvus Lite server in a process of its own (``milvus-lite server``, ``milvus_uri=http://...``: how
several app servers share one store here; Milvus standalone or a cluster is reached the same way).
Passages are report-like text generated with countries, years and cities; their vectors are the
stand-in of eval/bench.py (not semantic: above what can be embedded here), as the output says.
Writes eval/reports/bench-milvus.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.api import Assistant
from assistant.evaluation import load_gold
from assistant.index import milvus, store
from assistant.models import IndexMeta, Manifest
from assistant.settings import Settings
from eval.bench import ROOT, child_peak_rss, latency, stand_in, synthetic_index
from eval.load import milvus_server

STORES = ("embedded", "milvus lite, in process", "milvus lite server")
SHOWN = ("understand", "bm25", "dense", "retrieval", "question", "whole")


def _rss_of(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        return round(int(next(line.split()[1] for line in fh if line.startswith("VmHWM"))) / 1024, 1)


def _recall(data: store.IndexData, vectors: np.ndarray, queries: np.ndarray) -> float:
    """recall@10 of the store's dense search against exact inner-product search over ``vectors``."""
    from assistant.retrieval.candidates import dense_candidates

    hits = []
    for q in queries:
        exact = set(np.argsort(-(vectors @ q), kind="stable")[:10].tolist())
        found = {r for r, _ in dense_candidates(data, q, 10)}
        hits.append(len(exact & found) / 10)
    return round(float(np.mean(hits)), 4)


def run_size(n: int, seed: int, repeat: int, work: Path, questions: list[Any], assistant: Assistant,
             base: Settings) -> dict[str, Any]:
    data = synthetic_index(n, seed, base.indexing.approximate_above, base.indexing.approximate_index)
    vectors = stand_in([p.text for p in data.passages])
    queries = stand_in([q.question for q in questions])
    meta = IndexMeta(model=assistant.embedder.identity())
    out: dict[str, Any] = {"passages": n, "vectors": "stand-in", "dense_index": data.meta.dense.kind,
                           "latency": {}, "memory_mb": {}, "build_s": {}, "recall@10": {}}

    # embedded: written to disk as a build writes it, served from there
    folder = work / f"embedded-{n}"
    started = time.perf_counter()
    store.write(folder, meta, list(data.reports.values()), data.passages, vectors, {}, Manifest(),
                indexing=base.indexing)
    out["build_s"]["embedded"] = round(time.perf_counter() - started, 1)
    served = store.read(folder)
    out["latency"]["embedded"] = latency(served, questions, assistant, False, repeat)
    out["recall@10"]["embedded"] = _recall(served, vectors, queries)
    del served
    ask = ("from assistant.api import Assistant; from assistant.settings import Settings\n"
           "a = Assistant(Settings(**{kw}))\n"
           "[a.ask(q) for q in ['What did Bulgaria do in 2023?', 'housing in Vienna', 'And in 2017?']]")
    out["memory_mb"]["embedded"] = child_peak_rss(ask.format(kw=repr({"index": str(folder)})))

    # Milvus Lite in this process: the same write as `assistant index --store milvus`
    lite = Settings(index=work / f"unused-{n}", store="milvus", milvus_uri=str(work / f"milvus-{n}.db"))
    started = time.perf_counter()
    milvus.write(lite, meta, list(data.reports.values()), data.passages, vectors, {}, Manifest())
    out["build_s"]["milvus"] = round(time.perf_counter() - started, 1)
    served = milvus.read(lite)
    key = STORES[1]
    out["latency"][key] = latency(served, questions, assistant, False, repeat)
    out["recall@10"]["milvus"] = _recall(served, vectors, queries)
    del served
    milvus.close(lite)
    settings = {"index": str(lite.index), "store": "milvus", "milvus_uri": lite.milvus_target()}
    out["memory_mb"][key] = child_peak_rss(ask.format(kw=repr(settings)))

    # a Milvus Lite server on the same data: the app process holds no search engine
    proc, uri = milvus_server(Path(lite.milvus_target()))
    try:
        remote = Settings(index=lite.index, store="milvus", milvus_uri=uri)
        served = milvus.read(remote)
        out["latency"][STORES[2]] = latency(served, questions, assistant, False, repeat)
        del served
        milvus.close(remote)
        out["memory_mb"][STORES[2]] = child_peak_rss(ask.format(kw=repr({**settings, "milvus_uri": uri})))
        out["memory_mb"]["milvus lite server itself"] = _rss_of(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    out["disk_mb"] = {"embedded": _mb(folder), "milvus": _mb(Path(lite.milvus_target()))}
    return out


def _mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Machine: {results['machine']}; {results['questions']} gold questions, {results['repeat']} rounds; "
             "stand-in vectors (not semantic). Median of the rounds, range in brackets; ms.", ""]
    for size in results["sizes"]:
        lines += [f"**{size['passages']:,} passages** (embedded dense index: {size['dense_index']})", "",
                  "| store | " + " | ".join(f"{s} p50" for s in SHOWN) + " | whole p95 |",
                  "|---|" + "---|" * (len(SHOWN) + 1)]
        for name, stages in size["latency"].items():
            lines.append(f"| {name} | " + " | ".join(
                f"{stages[s]['p50']['median']} ({stages[s]['p50']['min']}-{stages[s]['p50']['max']})" for s in SHOWN)
                + f" | {stages['whole']['p95']['median']} |")
        lines += ["", "| | embedded | Milvus |", "|---|---|---|",
                  f"| build (write the store), s | {size['build_s']['embedded']} | {size['build_s']['milvus']} |",
                  f"| recall@10 against exact | {size['recall@10']['embedded']} | {size['recall@10']['milvus']} |",
                  f"| disk, MB | {size['disk_mb']['embedded']} | {size['disk_mb']['milvus']} |", "",
                  "| app process, peak MB | " + " | ".join(size["memory_mb"]) + " |",
                  "|---|" + "---|" * len(size["memory_mb"]),
                  "| | " + " | ".join(str(v) for v in size["memory_mb"].values()) + " |", ""]
    return "\n".join(lines)


def summary(files: list[Path]) -> str:
    """One table of every size in these result files (docs/scaling.md shows it)."""
    rows = ["| passages | store | whole question p50 / p95 ms | of which ranking p50 | write the store | "
            "app process peak | recall@10 |", "|---|---|---|---|---|---|---|"]
    sizes = sorted((size for f in files for size in json.loads(f.read_text())["sizes"]), key=lambda s: s["passages"])
    for size in sizes:
        for name, stages in size["latency"].items():
            store_key = "embedded" if name == "embedded" else "milvus"
            rows.append(f"| {size['passages']:,} | {name} | {stages['whole']['p50']['median']} / "
                        f"{stages['whole']['p95']['median']} | {stages['retrieval']['p50']['median']} | "
                        f"{size['build_s'][store_key]} s | {size['memory_mb'].get(name, '-')} MB | "
                        f"{size['recall@10'][store_key]} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--questions", type=int, default=0, help="N of the gold questions, spread evenly over the "
                        "set (its kinds are in runs), 0: all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports")
    parser.add_argument("--summary", action="store_true", help="print one table of every bench-milvus*.json in "
                        "--out and stop")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary(sorted(args.out.glob("bench-milvus*.json"))))
        return 0
    base = Settings()
    questions = load_gold(ROOT / "eval" / "gold.jsonl")
    if 0 < args.questions < len(questions):
        questions = [questions[i * len(questions) // args.questions] for i in range(args.questions)]
    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    assistant = Assistant(base.model_copy(update={"index": work / "unused"}))
    assistant.embedder.encode(["warm up"])
    results: dict[str, Any] = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                               f"{platform.python_version()}", "repeat": args.repeat, "questions": len(questions),
                               "sizes": []}
    try:
        for n in sorted(int(s) for s in args.sizes.split(",")):
            results["sizes"].append(run_size(n, args.seed, args.repeat, work, questions, assistant, base))
            print(markdown({**results, "sizes": results["sizes"][-1:]}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.sizes == parser.get_default("sizes") else "-" + args.sizes.replace(",", "-")
    (args.out / f"bench-milvus{suffix}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    (args.out / f"bench-milvus{suffix}.md").write_text(markdown(results) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
