"""Lexical search: BM25 over passages (bm25s), with English stop words and Snowball stemming.

A passage's BM25 document is its section, its text and its notes' text, so "which source reports
..." questions can match the cited source. The index is saved as bm25s's plain files (.npy, JSON).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.models import Passage

if TYPE_CHECKING:
    import bm25s
    import numpy as np


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def document(passage: Passage) -> str:
    return "\n".join([passage.section or "", passage.text, *(n.text for n in passage.footnotes)])


def tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)


def build(passages: list[Passage], folder: Path) -> None:
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(tokenize([document(p) for p in passages]), show_progress=False)
    retriever.save(str(folder))


def load(folder: Path) -> bm25s.BM25:
    import bm25s

    return bm25s.BM25.load(str(folder))


def scores(retriever: bm25s.BM25, query: str) -> np.ndarray:
    """BM25 score of every passage for the query (0 where no query term occurs)."""
    import numpy as np

    tokens = [t for t in tokenize([query])[0] if t in retriever.vocab_dict]
    if not tokens:
        return np.zeros(retriever.scores["num_docs"], dtype="float32")
    return retriever.get_scores(tokens)
