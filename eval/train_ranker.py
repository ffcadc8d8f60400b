"""Train the bundled learned ranker (assistant/retrieval/ranker.json) and abstention model
(abstention.json) on every gold question we have.

    .venv/bin/python -m eval.train_ranker [--out DIR] [--dev ../shared/corpus-dev] [--model FILE]

Indexes the five reports of corpus/ with the development excerpts beside them (as eval/dev_corpus.py
does, outside the project), then trains on eval/gold.jsonl, ``gold-dev.jsonl`` and
eval/gold-regions-origins.jsonl with grouped cross-validation (assistant/learning.py), writes the
model and prints what it records: questions, reports, and the in-sample and out-of-sample Hit@1 and
MRR@10 of candidates ordered by the model; then the abstention model on those and
eval/gold-unanswerable.jsonl, ranked by the new ranker, with its in-sample and out-of-sample
abstention accuracy and false abstentions. Exits 2 when the development folder is absent.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    from eval.dev_corpus import DEV, in_folder, make_corpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the corpus copy and its index (default: temporary); "
                        "must be outside the project")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--model", type=Path, default=ROOT / "assistant" / "retrieval" / "ranker.json")
    parser.add_argument("--abstention", type=Path, default=ROOT / "assistant" / "retrieval" / "abstention.json")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    dev = args.dev.resolve()

    from assistant import api
    from assistant.settings import Settings

    def run(folder: Path) -> dict:
        settings = Settings(corpus=make_corpus(dev, folder), index=folder / "index")
        api.build(settings)
        golds = [ROOT / "eval" / "gold.jsonl", dev / "gold-dev.jsonl", ROOT / "eval" / "gold-regions-origins.jsonl"]
        ranker = api.train_ranker(settings, [g for g in golds if g.is_file()], args.model, args.folds)
        # abstention on the questions ranked by that ranker (the default mode), unanswerable ones included
        settings = Settings(corpus=settings.corpus, index=settings.index, retrieval={"ranker": args.model})
        abstention = api.train_abstention(settings, [g for g in golds + [ROOT / "eval" / "gold-unanswerable.jsonl"]
                                                     if g.is_file()], args.abstention, args.folds)
        return {"ranker": ranker, "abstention": abstention}

    about = in_folder(dev, args.out, "train-ranker-", run)
    if about is None:
        return 2
    print(json.dumps(about, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
