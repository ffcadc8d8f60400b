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
* ``text``: share of them in the passage itself;
* ``length``: log of the passage's length in tokens;
* ``position``: log of its place in its report;
* ``report_best_dense``, ``report_best_bm25``, ``report_share``, ``best_of_report``: evidence of its
  report as a whole among the candidates: the best cosine and relative BM25 of its passages, the share
  of the top 20 of either search that are its passages, and whether it is its report's best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.candidates import bm25_candidates, cosines, dense_candidates, report_mask

if TYPE_CHECKING:
    from assistant.index.store import IndexData
    from assistant.retrieval.metadata import Matches
    from assistant.retrieval.query import Query

NAMES = ("dense", "dense_gap", "bm25", "bm25_rel", "dense_rank", "bm25_rank", "rrf", "country", "country_lead",
         "year_own", "year_period", "heading", "title", "notes", "text", "length",
         "position", "report_best_dense", "report_best_bm25", "report_share", "best_of_report")


@dataclass
class Candidates:
    """A question's candidate rows, their feature matrix (one row per candidate, columns ``NAMES``)
    and how every passage matches the question's countries and years (``metadata.matches``)."""

    rows: list[int]
    X: np.ndarray
    found: Matches


def _share(words: set[str], tokens: set[str]) -> float:
    return len(words & tokens) / len(words) if words else 0.0


def word_set(text: str) -> set[str]:
    """The words of a text as BM25 reads them (stemmed, stop words out)."""
    from assistant.index.lexical import tokenize

    return set(tokenize([text])[0]) if text.strip() else set()


def passage_terms(index: IndexData, rows: list[int]) -> list[tuple[frozenset[str], ...]]:
    """The words of each row's heading, report title, notes and text (cached on the index)."""
    from assistant.index.lexical import tokenize

    cache = index.term_cache
    missing = [r for r in rows if r not in cache]
    if missing:
        texts = []
        for r in missing:
            p = index.passages[r]
            report = index.reports.get(p.source)
            texts += [" ".join(p.heading_path), (report.title or "") if report is not None else "",
                      " ".join(n.text for n in p.footnotes), p.text]
        tokens = tokenize(texts)
        for i, r in enumerate(missing):
            cache[r] = tuple(frozenset(t) for t in tokens[4 * i:4 * i + 4])
    return [cache[r] for r in rows]


def candidates(index: IndexData, query: Query, query_vector: np.ndarray, depth: int,
               sources: set[str] | None = None) -> Candidates:
    """The union of both searches' ``depth`` best (and the best matches of the question's countries
    and years) with their features."""
    from assistant.retrieval import metadata

    mask = report_mask(index, sources)
    dense_hits = dense_candidates(index, query_vector, depth, mask)
    bm25_rows, bm25_all = bm25_candidates(index, query.resolved, depth, mask)
    dense_rows = [r for r, _ in dense_hits]
    order = list(dict.fromkeys(dense_rows + bm25_rows))
    found = metadata.matches(index.metadata, query, index.dense.ntotal)
    if query.constraint_countries or query.years:
        order = metadata.expand(index, query, query_vector, order, found, bm25_all, max(10, depth // 5), mask)
    cos = cosines(index, order, dense_hits, query_vector)
    dense_rank = {r: i for i, r in enumerate(dense_rows, start=1)}
    bm25_rank = {r: i for i, r in enumerate(bm25_rows, start=1)}
    best_cos = max(cos.values(), default=0.0)
    best_bm25 = max((float(bm25_all[r]) for r in order), default=0.0)
    words = word_set(query.resolved)
    terms = passage_terms(index, order)
    X = np.zeros((len(order), 16), dtype="float32")  # the passage's own evidence; its report's after

    def sign(asked: bool, match: bool) -> float:
        return (1.0 if match else -1.0) if asked else 0.0

    for i, r in enumerate(order):
        p = index.passages[r]
        heading, title, notes, text = terms[i]
        b = float(bm25_all[r])
        dr, br = dense_rank.get(r, depth + 1), bm25_rank.get(r, depth + 1)
        X[i] = (
            cos[r], best_cos - cos[r], math.log1p(max(b, 0.0)), b / best_bm25 if best_bm25 > 0 else 0.0,
            math.log(dr), math.log(br), 1 / (60 + dr) + 1 / (60 + br),
            sign(bool(query.constraint_countries), bool(found.country[r])),
            sign(bool(query.constraint_countries), bool(found.lead[r])),
            sign(bool(query.years), bool(found.own_year[r])), sign(bool(query.years), bool(found.period[r])),
            _share(words, heading), _share(words, title), _share(words, notes), _share(words, text),
            math.log1p(p.n_tokens),
        )
    return Candidates(rows=order, X=np.hstack([X, _report_evidence(index, order, X)]), found=found)


def _report_evidence(index: IndexData, order: list[int], X: np.ndarray) -> np.ndarray:
    """The last five features (see the module's list): how well each candidate's report as a whole
    matches, from the passage features ``X`` of all the candidates."""
    by_report: dict[str, list[int]] = {}
    for i, r in enumerate(order):
        by_report.setdefault(index.passages[r].source, []).append(i)
    extra = np.zeros((len(order), 5), dtype="float32")
    for idx in by_report.values():
        best_d = max(X[i, 0] for i in idx)
        best_b = max(X[i, 3] for i in idx)
        share = sum(1 for i in idx if min(X[i, 4], X[i, 5]) <= math.log(20)) / 20
        for i in idx:
            extra[i] = (math.log1p(index.passages[order[i]].position), best_d, best_b, share,
                        float(X[i, 0] >= best_d or X[i, 3] >= best_b))
    return extra
