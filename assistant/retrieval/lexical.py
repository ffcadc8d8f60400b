"""Lexical scoring: a question's BM25 score against every passage of the lexical index
(index/lexical.py builds it), with acronyms matched case and all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.index.lexical import acronyms, terms

if TYPE_CHECKING:
    import bm25s
    import numpy as np


def scores(retriever: bm25s.BM25, query: str, acronym_index: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """BM25 score of every passage for the query (0 where no query term occurs); a passage that holds
    one of the query's acronyms, case and all, is lifted above those that do not."""
    import numpy as np

    tokens = [t for t in terms(query) if t in retriever.vocab_dict]
    out = retriever.get_scores(tokens) if tokens else np.zeros(retriever.scores["num_docs"], dtype="float32")
    held = acronyms_held(query, acronym_index, len(out))
    return lift(out, held) if held is not None else out


def acronyms_held(query: str, acronym_index: dict[str, np.ndarray] | None, n: int) -> np.ndarray | None:
    """How many of the query's acronyms (case and all) each of the n passages holds; None when the
    query names none that the index knows."""
    import numpy as np

    names = [a for a in acronyms(query) if acronym_index and a in acronym_index]
    if not names:
        return None
    held = np.zeros(n, dtype=np.int64)
    for name in names:
        held[acronym_index[name]] += 1
    return held


def lift(scores: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Scores with each acronym a passage holds lifting it by more than the best score."""
    return scores + held * (float(scores.max()) + 1.0)
