"""Load test: many simulated users asking the running web chat at once, through its `ask` endpoint.

    python -m eval.load                      # starts its own server on a copy of the index, 50 users, 60 s
    python -m eval.load --rebuild            # ... and rebuilds the index (a report added) halfway through
    python -m eval.load --url http://127.0.0.1:7860/ --users 20 --duration 30   # an app already running
    python -m eval.load --sweep 1,2,4,8      # the same load at several Gradio concurrency limits
    python -m eval.load --milvus --rebuild   # two `assistant serve` on one Milvus store, rebuilt midway

With --milvus the store is Milvus (issue 19): a Milvus Lite server (`milvus-lite server`, a process of
its own: Milvus Lite lets one process open a file, so several app servers share it through its
server, as they would share Milvus standalone or a cluster) is started on a fresh data folder, the
copied index's passages are written to it (`assistant index --store milvus`: its embeddings come from
the copied cache), and --servers app processes (2 by default) serve it; users are spread over them
as a load balancer would. The rebuild runs in a process of its own against the same Milvus. Every
answer is checked against the version it names: each of its passages must be in that version as
the version reads once the run is over (an answer from a half-written version would fail this).

Each user asks a first question from the gold set, then one or two follow-ups with the history, then
starts again (no think time: the harshest case). The run stops by itself: after --duration seconds
(at most 600; with --rebuild, not before the rebuild has finished and 5 s more, so that a slow
rebuild is still seen to switch the answers) or --max-requests answers (at most 100,000). It prints a table (throughput, p50/p95/p99,
errors, index versions seen) and writes JSON to eval/reports/load-latest.json.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
import asyncio
import json
import logging
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAX_DURATION, MAX_REQUESTS = 600, 100_000
FOLLOW_UPS = ["And in 2022?", "What about Ireland?", "And in 2023?", "Which organisations took part?",
              "What about Italy?", "And before that?"]
log = logging.getLogger("eval.load")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else float("nan")


async def ask(client, url: str, question: str, history: list[str]) -> dict[str, Any]:
    """One call of the named endpoint `ask` over Gradio's HTTP API (POST, then the event stream)."""
    posted = await client.post(f"{url}gradio_api/call/ask", json={"data": [question, history, 5]})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    event = None
    async with client.stream("GET", f"{url}gradio_api/call/ask/{event_id}") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                data = line.split(":", 1)[1].strip()
                if event == "error":
                    raise RuntimeError(f"endpoint error: {data[:200]}")
                return json.loads(data)[0]
    raise RuntimeError(f"stream ended without a result (last event {event})")


async def user(n: int, url: str, questions: list[str], stop: Callable[[], float], budget: list[int], out: dict,
               seed: int, client) -> None:
    rng = random.Random(seed * 1000 + n)
    while time.monotonic() < stop() and budget[0] > 0:
        history: list[str] = []
        for turn in range(rng.randint(1, 3)):  # a first question, then follow-ups
            if time.monotonic() >= stop() or budget[0] <= 0:
                return
            budget[0] -= 1
            question = rng.choice(questions) if turn == 0 else rng.choice(FOLLOW_UPS)
            started = time.monotonic()
            try:
                answer = await ask(client, url, question, history)
            except Exception as exc:  # every failure counts: HTTP, queue full, endpoint error, timeout
                out["errors"].append(f"{type(exc).__name__}: {str(exc)[:160]}")
                continue
            out["latency"].append(time.monotonic() - started)
            out["kind"]["follow-up" if history else "first"] += 1
            version = answer.get("index_version") or "?"
            out["answers"].append((url, version, [p["chunk_id"] for p in answer.get("passages", [])]))
            out["versions"][version] = out["versions"].get(version, 0) + 1
            out["timeline"].append((round(time.monotonic() - out["t0"], 2), version))
            if not answer.get("passages") and not answer.get("abstained"):
                out["errors"].append(f"empty answer to {question!r}")
            history.append(question)


AFTER_REBUILD = 5.0  # seconds a run goes on after the rebuild it waits for, to see the switch


async def drive(urls: str | list[str], users: int, duration: float, max_requests: int, seed: int,
                questions: list[str], rebuild: dict | None = None) -> dict[str, Any]:
    """Run the users for ``duration`` seconds; with ``rebuild`` (rebuild_during's info), for as long
    as the rebuild takes and AFTER_REBUILD seconds more, so that a slow machine's rebuild is still seen
    to switch the answers (at most MAX_DURATION in all). Several ``urls``: user n asks the n-th (round
    robin), as behind a load balancer."""
    import httpx

    urls = [urls] if isinstance(urls, str) else urls
    out: dict[str, Any] = {"latency": [], "errors": [], "versions": {}, "timeline": [], "answers": [],
                           "kind": {"first": 0, "follow-up": 0}, "t0": time.monotonic()}
    t0 = out["t0"]

    def stop() -> float:
        if rebuild is None:
            return t0 + duration
        done = rebuild.get("done_at")
        wait = done + AFTER_REBUILD if done is not None else time.monotonic() + 1.0
        return min(max(t0 + duration, wait), t0 + MAX_DURATION)

    limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users * 2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0), limits=limits) as client:
        budget = [max_requests]
        await asyncio.gather(*(user(n, urls[n % len(urls)], questions, stop, budget, out, seed, client)
                               for n in range(users)))
    out["seconds"] = time.monotonic() - out.pop("t0")
    return out


def summary(out: dict[str, Any], users: int, label: str) -> dict[str, Any]:
    ok, lat = len(out["latency"]), out["latency"]
    return {"label": label, "users": users, "seconds": round(out["seconds"], 1), "answers": ok,
            "first": out["kind"]["first"], "follow_ups": out["kind"]["follow-up"],
            "throughput_per_s": round(ok / out["seconds"], 1) if out["seconds"] else 0.0,
            "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95), "p99_ms": pct(lat, 0.99),
            "max_ms": round(max(lat) * 1000, 1) if lat else None,
            "errors": len(out["errors"]), "error_examples": sorted(set(out["errors"]))[:5],
            "versions": out["versions"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(corpus: Path, index: Path, concurrency: int | None,
                 store: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`assistant serve` in its own process (as users run it), on a free port; waits for the first answer.
    ``store``: ASSISTANT_* variables of the store it serves (Milvus)."""
    import httpx

    port = _free_port()
    env = {**os.environ, "ASSISTANT_CORPUS": str(corpus), "ASSISTANT_INDEX": str(index),
           "ASSISTANT_PORT": str(port), "ASSISTANT_HOST": "127.0.0.1", **(store or {})}
    if concurrency:
        env["ASSISTANT_CONCURRENCY"] = str(concurrency)
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; run `assistant serve` to see why")
        try:
            if asyncio.run(_probe(url)):
                return proc, url
        except (httpx.HTTPError, OSError, RuntimeError, KeyError):
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not answer within 180 s")


async def _probe(url: str) -> bool:
    import httpx

    async with httpx.AsyncClient(timeout=30) as client:
        return bool(await ask(client, url, "What did Bulgaria do in 2023?", []))


def milvus_server(data_dir: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """A Milvus Lite server on ``data_dir``, in a process of its own, on ``port`` (default: a free one);
    its address once it listens."""
    port = port or _free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(data_dir),
                             "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, uri
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"milvus-lite server exited with {proc.returncode}")
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("milvus-lite server did not listen within 120 s")


def _half_written(out: dict[str, Any], corpus: Path, index: Path, uri: str) -> int:
    """Answers naming a passage that the version they name does not hold (read once the run is over)."""
    from assistant.index import milvus
    from assistant.settings import Settings

    settings = Settings(corpus=corpus, index=index, store="milvus", milvus_uri=uri)
    held = {v: {p.chunk_id for p in milvus.read(settings, v).passages} for v in milvus.versions(settings)}
    return sum(1 for _, version, ids in out["answers"] if version not in held or not set(ids) <= held[version])


def rebuild_during(corpus: Path, index: Path, after: float,
                   flags: tuple[str, ...] = ()) -> tuple[subprocess.Popen | None, dict]:
    """Add a report to the corpus and run `assistant index` in its own process, ``after`` seconds in
    (``flags``: the store's, e.g. --store milvus --milvus-uri URI)."""
    info: dict[str, Any] = {}

    def run() -> None:
        time.sleep(after)
        source = ROOT / "tests" / "fixtures" / "footnotes.html"
        info["started_s"] = after
        t = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "ui.cli", "index", "add", str(source), "--title",
                                 "Lisbon news", "--year", "2024", "--corpus", str(corpus), "--index", str(index),
                                 "--json", *flags], cwd=ROOT, capture_output=True, text=True)
        info["seconds"] = round(time.monotonic() - t, 1)
        info["done_at"] = time.monotonic()
        info["returncode"] = result.returncode
        info["version"] = json.loads(result.stdout).get("version") if result.returncode == 0 else None
        info["stderr"] = result.stderr[-300:] if result.returncode else ""

    import threading

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    info["thread"] = thread
    return None, info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an app already running (default: start one on a copy of the index)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help=f"seconds (at most {MAX_DURATION})")
    parser.add_argument("--max-requests", type=int, default=20_000, help=f"answers (at most {MAX_REQUESTS})")
    parser.add_argument("--rebuild", action="store_true", help="add a report and rebuild halfway through")
    parser.add_argument("--sweep", help="comma-separated Gradio concurrency limits to compare")
    parser.add_argument("--corpus", type=Path, help="reports to copy for the server (default: the setting)")
    parser.add_argument("--index", type=Path, help="index to copy for the server (default: the setting)")
    parser.add_argument("--milvus", action="store_true", help="serve a Milvus store through a Milvus Lite server")
    parser.add_argument("--servers", type=int, help="app processes (default 1; 2 with --milvus)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "load-latest.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    duration = min(max(args.duration, 1.0), MAX_DURATION)
    max_requests = min(max(args.max_requests, 1), MAX_REQUESTS)
    gold = [json.loads(line)["question"] for line in (ROOT / "eval" / "gold.jsonl").read_text().splitlines()
            if line.strip() and not json.loads(line).get("history")]

    from assistant.settings import Settings

    runs = []
    limits = [int(c) for c in args.sweep.split(",")] if args.sweep else [None]
    for concurrency in limits:
        work = Path(tempfile.mkdtemp(prefix="load-"))
        proc, info, procs, milvus_uri = None, {}, [], None
        try:
            if args.url:
                url = args.url if args.url.endswith("/") else args.url + "/"
            else:
                base = Settings()
                source_corpus, source_index = args.corpus or base.corpus, args.index or base.index
                corpus, index = work / "corpus", work / "index"
                shutil.copytree(source_corpus, corpus)
                if not (Path(source_index) / "CURRENT").exists():
                    raise SystemExit(f"no index in {source_index}; build it first with `assistant index`")
                shutil.copytree(source_index, index, ignore=shutil.ignore_patterns(".lock"))
                flags: tuple[str, ...] = ()
                store: dict[str, str] = {}
                if args.milvus:
                    engine, milvus_uri = milvus_server(work / "milvus")
                    procs.append(engine)
                    flags = ("--store", "milvus", "--milvus-uri", milvus_uri)
                    store = {"ASSISTANT_STORE": "milvus", "ASSISTANT_MILVUS_URI": milvus_uri}
                    built = subprocess.run([sys.executable, "-m", "ui.cli", "index", "--corpus", str(corpus), "--index",
                                            str(index), "--json", *flags], cwd=ROOT, capture_output=True, text=True)
                    if built.returncode:
                        raise SystemExit(f"building the Milvus store failed: {built.stderr[-500:]}")
                servers = [start_server(corpus, index, concurrency, store)
                           for _ in range(args.servers or (2 if args.milvus else 1))]
                procs += [p for p, _ in servers]
                proc, url = None, [u for _, u in servers]
                if args.rebuild:
                    _, info = rebuild_during(corpus, index, duration / 3, flags)
            label = f"{args.users} users" + (f", concurrency {concurrency}" if concurrency else "") + (
                f", {len(url)} app servers on one Milvus" if args.milvus else "") + (
                ", rebuild during the run" if args.rebuild else "")
            log.info("%s: %s for %.0f s ...", label, url, duration)
            out = asyncio.run(drive(url, args.users, duration, max_requests, args.seed, gold,
                                    info if args.rebuild else None))
            if info.get("thread"):
                info.pop("thread").join(timeout=600)
            info.pop("done_at", None)
            result = summary(out, args.users, label)
            if milvus_uri:
                result["half_written_answers"] = _half_written(out, corpus, index, milvus_uri)
                result["servers"] = {u: {v: sum(1 for a in out["answers"] if a[0] == u and a[1] == v)
                                         for v in sorted({a[1] for a in out["answers"] if a[0] == u})} for u in url}
            if args.rebuild:
                result["rebuild"] = info
                switched = [t for t, v in out["timeline"] if v == info.get("version")]
                result["first_answer_from_new_version_s"] = min(switched) if switched else None
                result["old_version_after_switch"] = sum(1 for t, v in out["timeline"]
                                                         if switched and t > min(switched) + 1.0
                                                         and v != info.get("version"))
            result["concurrency"] = concurrency
            runs.append(result)
        finally:
            for each in reversed([*procs, *([proc] if proc is not None else [])]):
                each.terminate()
                try:
                    each.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    each.kill()
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nLoad on {platform.machine()}, {os.cpu_count()} cores; no think time; first questions from the "
          "gold set, follow-ups with history\n")
    print("| run | answers | throughput /s | p50 ms | p95 ms | p99 ms | errors | versions answered |")
    print("|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r['label']} | {r['answers']} ({r['follow_ups']} follow-ups) | {r['throughput_per_s']} | "
              f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['errors']} | "
              + ", ".join(f"{v}: {n}" for v, n in sorted(r["versions"].items())) + " |")
    for r in runs:
        if r.get("rebuild"):
            print(f"\nrebuild: {r['rebuild']}; first answer from the new version at "
                  f"{r['first_answer_from_new_version_s']} s; answers from the old version more than 1 s after "
                  f"that: {r['old_version_after_switch']}")
        if "half_written_answers" in r:
            print(f"\nanswers by app server and version: {r['servers']}; answers naming a passage their version does not "
                  f"hold: {r['half_written_answers']}")
        if r["error_examples"]:
            print(f"\nerrors in '{r['label']}': {r['error_examples']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                                    "runs": runs}, indent=1) + "\n")
    return 1 if any(r["errors"] or r.get("half_written_answers") for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
