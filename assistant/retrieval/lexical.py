"""Lexical search: BM25 over passages (bm25s), with English stop words and Snowball stemming.

A passage's BM25 document is its section, its text and its notes' text, so "which source reports
..." questions can match the cited source. The index is saved as bm25s's plain files (.npy, JSON).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.models import Passage

if TYPE_CHECKING:
    import bm25s
    import numpy as np


@lru_cache(maxsize=1)
def _bm25s():
    """bm25s, imported once; it sets its logger to DEBUG on import, which printed "DEBUG bm25s: Building
    index from tokens" on every build: its logger follows ours again (DEBUG only with -vv)."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def document(passage: Passage) -> str:
    return "\n".join([passage.section or "", passage.text, *(n.text for n in passage.footnotes)])


def tokenize(texts: list[str]) -> list[list[str]]:
    bm25s = _bm25s()
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def build(passages: list[Passage], folder: Path) -> None:
    bm25s = _bm25s()
    retriever = bm25s.BM25()
    retriever.index(tokenize([document(p) for p in passages]), show_progress=False)
    retriever.save(str(folder))


def load(folder: Path) -> bm25s.BM25:
    bm25s = _bm25s()
    return bm25s.BM25.load(str(folder))


_ACRONYM = re.compile(r"\b(?=\w*[A-Z]\w*[A-Z])[A-Za-z][\w-]*[A-Za-z]\b")


def acronyms(text: str) -> list[str]:
    """Names written with two or more capitals (INCLuDE, EIN, MIPEX-R, OXLO): matched case-sensitively,
    since lower-casing turns INCLuDE into the common word "include"."""
    return [a for a in dict.fromkeys(_ACRONYM.findall(text)) if len(a) >= 3]


def acronym_rows(passages: list[Passage]) -> dict[str, np.ndarray]:
    """Acronym -> rows of the passages that hold it (case and all): built once per index."""
    import numpy as np

    table: dict[str, list[int]] = {}
    for row, passage in enumerate(passages):
        for name in acronyms(document(passage)):
            table.setdefault(name, []).append(row)
    return {name: np.asarray(rows, dtype=np.int64) for name, rows in table.items()}


def scores(retriever: bm25s.BM25, query: str, acronym_index: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """BM25 score of every passage for the query (0 where no query term occurs); a passage that holds
    one of the query's acronyms, case and all, is lifted above those that do not."""
    import numpy as np

    tokens = [t for t in tokenize([query])[0] if t in retriever.vocab_dict]
    out = retriever.get_scores(tokens) if tokens else np.zeros(retriever.scores["num_docs"], dtype="float32")
    names = [a for a in acronyms(query) if acronym_index and a in acronym_index]
    if names:
        lift = float(out.max()) + 1.0
        for name in names:
            out[acronym_index[name]] += lift
    return out
