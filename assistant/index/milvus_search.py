"""The two searches of a Milvus version collection (milvus.py writes it), in the shapes the pipeline
reads from the embedded store's FAISS and bm25s parts: ``MilvusDense`` (cosine top n, optionally
among some rows; stored vectors) and ``MilvusLexical`` (BM25 top n with Milvus' full-text function;
the BM25 scores of given rows; whether a term occurs at all).

Constraints reach Milvus as filter expressions, in one of two forms (setting ``milvus_filters``).
The app process holds every passage's countries, years and report (the metadata arrays), so a
constraint arrives here as the rows that meet it, with the same constraint said over the
collection's metadata fields (index/metadata.Rows): ``rows`` (the default) sends ``row in [...]``,
``fields`` sends ``array_contains_any(countries, ["BG"]) and (...)``. Milvus Lite evaluates an
array filter row by row in Python, 0.85 s at 20,000 passages against 0.06 s for a list of 2,000
rows; a server indexes the array fields, and a list of millions of rows is no filter to send it
(past ROWS_MAX rows the expression goes whatever the setting).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from assistant.settings import Settings

TOP_MAX = 16_384  # the most hits one Milvus search returns
ROWS_MAX = 100_000  # a constraint meeting more rows goes as its expression whatever milvus_filters says


def rows_filter(rows: np.ndarray | None, expression: str | None = None, fields: bool = False) -> str:
    """The filter expression limiting a search to ``rows`` ("" for every row): their list, or with
    ``fields`` the constraint's ``expression`` over the metadata fields when it has one (past
    ROWS_MAX rows too: a list of a million rows is megabytes on every search)."""
    if rows is None:
        return ""
    if expression and (fields or len(rows) > ROWS_MAX):
        return expression
    return f"row in [{','.join(map(str, np.asarray(rows, dtype=np.int64).tolist()))}]"


class _Part:
    def __init__(self, settings: Settings, collection: str, ntotal: int) -> None:
        self.settings, self.collection, self.ntotal = settings, collection, ntotal

    def _search(self, what: str, data, field: str, n: int, rows: np.ndarray | None, metric: str,
                extra: dict | None = None, expression: str | None = None) -> list[dict]:
        from assistant.index.milvus import call_loaded, client

        if n <= 0 or (rows is not None and len(rows) == 0):
            return []
        where = rows_filter(rows, expression, self.settings.indexing.milvus_filters == "fields")
        found = call_loaded(self.settings, self.collection, what, client(self.settings).search, self.collection,
                            data=[data], anns_field=field, limit=min(n, TOP_MAX), filter=where,
                            output_fields=["row"], search_params={"metric_type": metric, "params": extra or {}})
        return list(found[0]) if found else []


class MilvusDense(_Part):
    """The dense part: cosine similarity (inner product of normalised vectors) in Milvus."""

    def __init__(self, settings: Settings, collection: str, ntotal: int, d: int = 0) -> None:
        super().__init__(settings, collection, ntotal)
        self.d = d

    def search(self, query_vector: np.ndarray, n: int, rows: np.ndarray | None = None,
               expression: str | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the n nearest (among ``rows``, also said by ``expression``), best first;
        equal scores by row."""
        vector = np.asarray(query_vector, dtype=np.float32).reshape(-1).tolist()
        extra = {"ef": max(64, min(n, TOP_MAX))} if self.settings.indexing.milvus_dense_index == "HNSW" else None
        hits = self._search("a dense search", vector, "dense", n, rows, "IP", extra, expression)
        pairs = [(int(h["row"]), float(h["distance"])) for h in hits]
        return sorted(pairs, key=lambda rs: (-rs[1], rs[0]))

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these rows, in their order."""
        from assistant.index.milvus import call_loaded, client

        ids = [int(i) for i in np.asarray(ids).reshape(-1)]
        if not ids:
            return np.zeros((0, self.d), dtype="float32")
        got = call_loaded(self.settings, self.collection, "reading vectors", client(self.settings).get,
                          self.collection, ids=ids, output_fields=["row", "dense"])
        by_row = {int(g["row"]): g["dense"] for g in got}
        lacking = [i for i in ids if i not in by_row]
        if lacking:
            from assistant.errors import UserError

            raise UserError(f"Milvus collection {self.collection} has no rows {lacking[:5]} that its catalog "
                            "lists; rebuild with `assistant index --full --store milvus`")
        return np.asarray([by_row[i] for i in ids], dtype="float32")

    def cosines(self, rows: list[int], query_vector: np.ndarray) -> dict[int, float]:
        if not rows:
            return {}
        vectors = self.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return dict(zip(rows, (vectors @ np.asarray(query_vector, dtype="float32")).tolist()))


class _Vocabulary:
    """``word in vocab``: whether any passage holds the (stemmed) word, asked of Milvus once per word."""

    def __init__(self, lexical: MilvusLexical) -> None:
        self.lexical = lexical
        self._known: OrderedDict[str, bool] = OrderedDict()
        self._lock = threading.Lock()

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not word:
            return False
        with self._lock:
            if word in self._known:
                return self._known[word]
        held = bool(self.lexical.search_terms(word, 1)[0])
        with self._lock:
            self._known[word] = held
            while len(self._known) > 4096:
                self._known.popitem(last=False)
        return held


class MilvusLexical(_Part):
    """The lexical part: BM25 over the ``terms`` field by Milvus' full-text function."""

    def __init__(self, settings: Settings, collection: str, ntotal: int) -> None:
        super().__init__(settings, collection, ntotal)
        self.vocab_dict = _Vocabulary(self)

    def search_terms(self, terms: str, n: int, rows: np.ndarray | None = None,
                     expression: str | None = None) -> tuple[list[int], list[float]]:
        """The n rows of highest BM25 score for these terms (among ``rows``, also said by
        ``expression``), best first, and their scores."""
        if not terms.strip():
            return [], []
        from assistant.index.milvus import BM25_K1

        hits = self._search("a BM25 search", terms, "sparse", n, rows, "BM25", None, expression)
        # Milvus Lite gives BM25 distances negated (smaller is nearer), a server the score itself; both
        # are bm25s' Lucene score times k1 + 1 (the numerator bm25s leaves out): divided, the same scores
        pairs = sorted(((int(h["row"]), abs(float(h["distance"])) / (BM25_K1 + 1)) for h in hits),
                       key=lambda rs: (-rs[1], rs[0]))
        pairs = [(r, s) for r, s in pairs if s > 0]
        return [r for r, _ in pairs], [s for _, s in pairs]

    def search(self, text: str, n: int, rows: np.ndarray | None = None,
               expression: str | None = None) -> tuple[list[int], list[float]]:
        from assistant.index.milvus import bm25_terms

        return self.search_terms(bm25_terms(text), n, rows, expression)

    def scores(self, text: str, n: int, rows: np.ndarray | None = None, expression: str | None = None) -> np.ndarray:
        """Every row's BM25 score as an array, filled for the n best (among ``rows``), 0 elsewhere."""
        found, scores = self.search(text, n, rows, expression)
        out = np.zeros(self.ntotal, dtype="float32")
        out[found] = scores
        return out

    def terms_of(self, rows: list[int]) -> list[set[str]]:
        """The BM25 terms each row holds (its ``terms`` field), in their order: one read, where
        tokenizing the passages again here took twice as long."""
        from assistant.index.milvus import call_loaded, client

        if not rows:
            return []
        got = call_loaded(self.settings, self.collection, "reading terms", client(self.settings).get, self.collection,
                          ids=sorted(set(int(r) for r in rows)), output_fields=["row", "terms"])
        by_row = {int(g["row"]): set(g["terms"].split()) for g in got}
        return [by_row.get(int(r), set()) for r in rows]

    def scores_of(self, text: str, rows: list[int]) -> np.ndarray:
        """The BM25 score of each of these rows, in their order (0 where none of the terms occurs)."""
        if not rows:
            return np.zeros(0, dtype="float32")
        at = np.asarray(sorted(set(rows)), dtype=np.int64)
        found, scores = self.search(text, len(at), at)
        by_row = dict(zip(found, scores))
        return np.fromiter((by_row.get(r, 0.0) for r in rows), dtype="float32", count=len(rows))
