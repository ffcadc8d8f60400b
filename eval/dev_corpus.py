"""The evaluation on the development corpus: the five reports of corpus/ with the real excerpts of
``../shared/corpus-dev`` beside them, scored on its ``gold-dev.jsonl`` in every retrieval mode.

    .venv/bin/python -m eval.dev_corpus [--out DIR] [--dev ../shared/corpus-dev] [--json FILE]

Copies corpus/ (its reports and sources.toml) and the excerpts (``*.txt``) into a corpus folder in a
temporary directory, or in ``--out DIR`` (which must lie outside the project: the excerpts are never
copied into it), builds the index there with the project's API, and prints the evaluation as
`assistant eval` does (Markdown: per mode, per question kind, targets, failed questions). The excerpts
have no entry in sources.toml: their metadata is inferred, as for any report a user drops in. Exits 2
when the development folder is absent.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from assistant.evaluation import EvalReport

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
DEV = ROOT.parent / "shared" / "corpus-dev"


def in_folder(dev: Path, out: Path | None, prefix: str, work: Callable[[Path], T]) -> T | None:
    """``work(folder)`` in ``out`` (outside the project) or in a temporary folder; None, with the reason
    on stderr, when ``dev`` has no gold-dev.jsonl or ``out`` lies inside the project (the excerpts are
    never copied into it)."""
    if not (dev / "gold-dev.jsonl").is_file():
        print(f"the development corpus is absent: {dev} (with gold-dev.jsonl) not found", file=sys.stderr)
        return None
    if out is not None:
        out = out.resolve()
        if out == ROOT or ROOT in out.parents:
            print(f"--out {out} is inside the project; the excerpts must not be copied into it", file=sys.stderr)
            return None
        return work(out)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        return work(Path(tmp))


def make_corpus(dev: Path, folder: Path) -> Path:
    """``folder``/corpus holding corpus/'s files (sources.toml included) and the excerpts of ``dev``."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "corpus").iterdir()):
        if path.is_file():
            shutil.copy2(path, corpus / path.name)
    for path in sorted(dev.glob("*.txt")):
        shutil.copy2(path, corpus / path.name)
    return corpus


def run(dev: Path, folder: Path) -> tuple[str, EvalReport]:
    """Build the index of the five reports and the excerpts in ``folder`` and evaluate gold-dev.jsonl
    on it: the evaluation report as Markdown, and the report itself."""
    from assistant import api
    from assistant.settings import Settings

    settings = Settings(corpus=make_corpus(dev, folder), index=folder / "index")
    summary = api.build(settings)
    logging.getLogger(__name__).info("built %s", summary)
    report = api.evaluate(settings, dev / "gold-dev.jsonl")
    return api.markdown(report), report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="folder for the corpus copy and its index (default: a temporary "
                        "one, removed afterwards); must be outside the project")
    parser.add_argument("--dev", type=Path, default=DEV, help="the development corpus folder (default %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the evaluation report as JSON to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    dev = args.dev.resolve()
    done = in_folder(dev, args.out, "dev-corpus-", lambda folder: run(dev, folder))
    if done is None:
        return 2
    text, report = done
    if args.json is not None:
        args.json.write_text(report.as_json(indent=1), encoding="utf-8")
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
