"""What a learned ranker weighs: for a question and each candidate passage, a row of evidence of
relevance, read from both searches and the index's metadata. Pure functions over the index arrays;
the candidates are the union of both searches' lists (and, when the question names countries or
years, the best passages that match them), so the ranker may promote what either search found.

Features (one column each, ``NAMES``):

* ``dense``, ``dense_gap``: cosine similarity of question and passage, and its distance below the best
  candidate's (a question that matches nothing well scores every passage low);
* ``bm25``, ``bm25_rel``: the passage's BM25 score, log-scaled, and as a share of the best candidate's;
* ``dense_rank``, ``bm25_rank``: log of the rank in each search's list (its depth + 1 when absent);
* ``rrf``: reciprocal rank fusion of the two lists (k = 60, equal weights);
* ``country``, ``country_lead``, ``year_own``, ``year_period``: the passage is about an asked country,
  has it in its heading or first sentence, names an asked year, lies in a report whose period holds
  one (+1 match, -1 no match, 0 when the question asks none);
* ``heading``: share of the question's words (stemmed, stop words out) in the section path;
* ``title``: share of them in the report's title;
* ``notes``: share of them in the passage's notes;
* ``document``: share of them in the passage as BM25 indexes it (text, section path and notes), read
  from the lexical index's postings;
* ``acronym``: the passage holds a name the question writes with two or more capitals (INCLuDE,
  HELIOS), case and all (BM25's own features leave that lift out);
* ``length``: log of the passage's length in tokens;
* ``position``: log of its place in its report;
* ``report_best_dense``, ``report_best_bm25``, ``report_share``, ``best_of_report``: evidence of its
  report as a whole among the candidates: the best cosine and relative BM25 of its passages, the share
  of the top 20 of either search that are its passages, and whether it is its report's best.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.candidates import bm25_at, bm25_evidence, cosines, dense_candidates, in_milvus, report_mask

if TYPE_CHECKING:
    from assistant.index.store import IndexData
    from assistant.retrieval.metadata import Matches
    from assistant.retrieval.query import Query

NAMES = ("dense", "dense_gap", "bm25", "bm25_rel", "dense_rank", "bm25_rank", "rrf", "country", "country_lead",
         "year_own", "year_period", "heading", "title", "notes", "document", "acronym", "length",
         "position", "report_best_dense", "report_best_bm25", "report_share", "best_of_report")


@dataclass
class Candidates:
    """A question's candidate rows, their feature matrix (one row per candidate, columns ``NAMES``)
    and how every passage matches the question's countries and years (``metadata.matches``)."""

    rows: list[int]
    X: np.ndarray
    found: Matches


def word_set(text: str) -> set[str]:
    """The words of a text as BM25 reads them (stemmed, stop words out)."""
    from assistant.index.lexical import terms

    return set(terms(text)) if text.strip() else set()


FIELDS = ("heading", "title", "notes", "document")


def words_held(index: IndexData, rows: list[int], words: list[str]) -> np.ndarray:
    """Whether each row's passage (axis 0) holds each word (axis 1, stemmed as BM25 reads them) in each
    of FIELDS (axis 2): its section path, its report's title, its notes, and anywhere in it as the
    lexical index holds it. Headings, titles and notes are tokenized once each (cached by their text);
    the passage itself is looked up in the BM25 postings, so nothing is kept per passage."""
    from assistant.index.lexical import term_sets

    out = np.zeros((len(rows), len(words), len(FIELDS)), dtype=bool)
    if not rows or not words:
        return out
    at = np.asarray(rows, dtype=np.int64)
    out[:, :, 3] = _in_documents(index, rows, words) if in_milvus(index) else _in_postings(index.lexical, at, words)
    meta = index.metadata
    for f, (texts, keys) in enumerate(zip(meta.field_texts, meta.field_keys)):  # each distinct text read once
        distinct, inverse = np.unique(keys[at], return_inverse=True)
        table = np.array([[w in held for w in words] for held in term_sets([texts[k] for k in distinct])],
                         dtype=bool)
        out[:, :, f] = table[inverse]
    return out


def _in_postings(lexical, at: np.ndarray, words: list[str]) -> np.ndarray:
    """Whether each row (axis 0) holds each word (axis 1), read from the BM25 postings."""
    out = np.zeros((len(at), len(words)), dtype=bool)
    indptr, indices = lexical.scores["indptr"], lexical.scores["indices"]
    for j, word in enumerate(words):
        token = lexical.vocab_dict.get(word)
        if token is None:
            continue
        posting = indices[indptr[token]:indptr[token + 1]]
        if len(posting) and np.all(posting[1:] >= posting[:-1]):  # sorted, as bm25s writes them
            found = np.searchsorted(posting, at)
            out[:, j] = posting[np.minimum(found, len(posting) - 1)] == at
        else:
            out[:, j] = np.isin(at, posting)
    return out


def _in_documents(index: IndexData, rows: list[int], words: list[str]) -> np.ndarray:
    """As _in_postings, from the terms the Milvus store's BM25 field holds for each row (no postings
    are kept in this process)."""
    held = index.lexical.terms_of(rows)
    return np.array([[w in h for w in words] for h in held], dtype=bool).reshape(len(rows), len(words))


def candidates(index: IndexData, query: Query, query_vector: np.ndarray, depth: int,
               sources: set[str] | None = None) -> Candidates:
    """The union of both searches' ``depth`` best (and the best matches of the question's countries
    and years) with their features."""
    from assistant.retrieval import metadata

    mask = report_mask(index, sources)
    dense_hits = dense_candidates(index, query_vector, depth, mask)
    bm25_rows, bm25_all, acronyms = bm25_evidence(index, query.resolved, depth, mask)
    dense_rows = [r for r, _ in dense_hits]
    order = list(dict.fromkeys(dense_rows + bm25_rows))
    found = metadata.matches(index.metadata, query, index.dense.ntotal)
    if query.constraint_countries or query.years:
        order = metadata.expand(index, query, query_vector, order, found, bm25_all, max(10, depth // 5), mask)
    cos = cosines(index, order, dense_hits, query_vector)
    rows = np.asarray(order, dtype=np.int64)
    n = len(order)
    cosine = np.fromiter((cos[r] for r in order), dtype=np.float64, count=n)
    bm25 = bm25_at(index, query.resolved, order, bm25_all).astype(np.float64) if n else np.zeros(0)
    # the dense list comes first in ``order``, in its own order
    dense_rank = np.full(n, depth + 1, dtype=np.float64)
    dense_rank[:len(dense_rows)] = np.arange(1, len(dense_rows) + 1)
    bm25_place = {r: i for i, r in enumerate(bm25_rows, start=1)}
    bm25_rank = np.fromiter((bm25_place.get(r, depth + 1) for r in order), dtype=np.float64, count=n)
    best_cos = cosine.max() if n else 0.0
    best_bm25 = bm25.max() if n else 0.0
    words = sorted(word_set(query.resolved))
    shares = words_held(index, order, words).sum(axis=1) / len(words) if words else np.zeros((n, len(FIELDS)))

    def sign(asked: bool, match: np.ndarray) -> np.ndarray:
        return np.where(match[rows], 1.0, -1.0) if asked else np.zeros(n)

    asks_country, asks_year = bool(query.constraint_countries), bool(query.years)
    meta = index.metadata
    X = np.column_stack([
        cosine, best_cos - cosine, np.log1p(np.maximum(bm25, 0.0)),
        bm25 / best_bm25 if best_bm25 > 0 else np.zeros(n),
        np.log(dense_rank), np.log(bm25_rank), 1 / (60 + dense_rank) + 1 / (60 + bm25_rank),
        sign(asks_country, found.country), sign(asks_country, found.lead),
        sign(asks_year, found.own_year), sign(asks_year, found.period),
        shares, (acronyms[rows] > 0).astype(np.float64), meta.log_tokens[rows], meta.log_position[rows],
        *_report_evidence(meta.report_code[rows], cosine, bm25 / best_bm25 if best_bm25 > 0 else np.zeros(n),
                          np.minimum(dense_rank, bm25_rank) <= 20),
    ]).astype("float32") if n else np.zeros((0, len(NAMES)), dtype="float32")
    return Candidates(rows=order, X=X, found=found)


def _report_evidence(report: np.ndarray, cosine: np.ndarray, bm25_rel: np.ndarray,
                     top20: np.ndarray) -> list[np.ndarray]:
    """The last four features (see the module's list): how well each candidate's report as a whole
    matches among the candidates (``report``: each candidate's report as a number)."""
    codes, inverse = np.unique(report, return_inverse=True)
    best_d = np.full(len(codes), -np.inf)
    best_b = np.full(len(codes), -np.inf)
    np.maximum.at(best_d, inverse, cosine)
    np.maximum.at(best_b, inverse, bm25_rel)
    share = np.bincount(inverse, weights=top20.astype(np.float64), minlength=len(codes)) / 20
    d, b = best_d[inverse], best_b[inverse]
    return [d, b, share[inverse], ((cosine >= d) | (bm25_rel >= b)).astype(np.float64)]
