"""Rebuild costs on a corpus of >= 2,000 passages (the five reports + generated report-like documents).

    .venv/bin/python -m eval.bench_rebuild [--docs 50]

In one process, with the model loaded once: a full build; the model's raw `encode` of the same
passages (the baseline); adding one report; a rebuild with nothing changed. Prints a table of
seconds, passages embedded, and ratios against the full build and the raw encode rate.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from assistant.embedding import Embedder
from assistant.index import store
from assistant.index.build import build_index
from assistant.ingest.pipeline import embedded_texts
from assistant.settings import Settings
from eval.generate import generate

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50, help="generated documents (about 45 passages each)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rebuild-"))
    try:
        corpus, index = work / "corpus", work / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        generate(corpus, args.docs, seed=7)
        settings = Settings(corpus=corpus, index=index)
        embedder = Embedder(settings)
        embedder.encode(["warm up the model"])

        t = time.perf_counter()
        full = build_index(settings, full=True)
        full_s = time.perf_counter() - t

        data = store.read(index)
        texts = embedded_texts(data.passages, data.reports, settings)  # what the build embeds
        t = time.perf_counter()
        embedder.encode(texts)
        encode_s = time.perf_counter() - t

        new = generate(work / "new", 1, seed=99, first=9000)[0]
        shutil.copy(new, corpus / new.name)
        t = time.perf_counter()
        added = build_index(settings)
        add_s = time.perf_counter() - t
        new_passages = next(d.passages for d in added.details if d.file == new.name)

        t = time.perf_counter()
        same = build_index(settings)
        same_s = time.perf_counter() - t
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"corpus: {full.reports} reports, {full.passages} passages; {platform.machine()}, "
          f"{platform.python_version()}, model {settings.embedding.model}")
    print("| run | seconds | passages embedded | passages/s | vs full build | vs raw encode rate |")
    print("|---|---|---|---|---|---|")
    enc_rate = len(texts) / encode_s
    print(f"| raw encode (baseline) | {encode_s:.2f} | {len(texts)} | {enc_rate:.1f} | - | 1.00 |")
    print(f"| full build | {full_s:.2f} | {full.embedded} | {full.passages / full_s:.1f} | 1.00 | "
          f"{full.passages / full_s / enc_rate:.2f} |")
    print(f"| add one report ({new_passages} passages) | {add_s:.2f} | {added.embedded} | - | {add_s / full_s:.3f} | - |")
    print(f"| no change | {same_s:.2f} | {same.embedded} | - | {same_s / full_s:.4f} | - |")
    ok = (added.embedded == new_passages and add_s < 0.10 * full_s and same_s < 0.02 * full_s
          and full.passages / full_s >= 0.85 * enc_rate and full.passages >= 2000)
    print("targets: add = its passages and < 10% of full; no change < 2%; full >= 85% of raw encode rate: "
          + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
