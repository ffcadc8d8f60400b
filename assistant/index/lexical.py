"""The lexical index: BM25 over passages (bm25s), with English stop words and Snowball stemming,
written and read here only (retrieval/lexical.py scores questions against it).

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


@lru_cache(maxsize=4096)
def terms(text: str) -> tuple[str, ...]:
    """The tokens of one short text (a question), cached: a question is tokenized for its BM25 search
    and again for the ranker's word features and the abstention signals."""
    return tuple(tokenize([text])[0])


_TERM_SETS: dict[str, frozenset[str]] = {}
TERM_SETS_MAX = 65536  # distinct texts kept; past it the cache starts again (bounded memory)


def term_sets(texts: list[str]) -> list[frozenset[str]]:
    """The tokens of each heading, title or note text, as a set: cached by the text (they repeat), the
    ones not seen yet tokenized together in one call."""
    found: dict[str, frozenset[str]] = {}
    missing = []
    for text in dict.fromkeys(texts):
        known = _TERM_SETS.get(text)
        if known is not None:
            found[text] = known
        elif text.strip():
            missing.append(text)
        else:
            found[text] = frozenset()
    if missing:
        new = {text: frozenset(tokens) for text, tokens in zip(missing, tokenize(missing))}
        if len(_TERM_SETS) + len(new) > TERM_SETS_MAX:
            _TERM_SETS.clear()
        _TERM_SETS.update(new)
        found.update(new)
    return [found[text] for text in texts]


def build(passages: list[Passage]) -> bm25s.BM25:
    """The BM25 index of the passages, in memory (row i = passage i)."""
    bm25s = _bm25s()
    retriever = bm25s.BM25()
    retriever.index(tokenize([document(p) for p in passages]), show_progress=False)
    return retriever


def save(retriever: bm25s.BM25, folder: Path) -> None:
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
