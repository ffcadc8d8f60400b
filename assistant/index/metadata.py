"""Passage metadata as arrays, so country and year constraints are set operations in NumPy, never a
Python loop over every passage: rows by country, by country in the lead (heading or first sentence),
by year named, and by report (whose reporting period gives the period match)."""

from __future__ import annotations

import json
import threading
from collections import defaultdict

import numpy as np

from assistant.models import Passage, Report


_KEPT_BYTES = 32 * 2**20  # the masks kept: at most 32, at most 32 MB


class Rows(np.ndarray):
    """A boolean row mask that also says which rows it holds as a Milvus filter expression over the
    metadata fields of a Milvus version collection (index/milvus.py writes them), kept through ``&``
    and ``|``: the Milvus store can send a constraint as the expression instead of the rows' list
    (setting ``milvus_filters``). None where it cannot be said (a mask made otherwise)."""

    expression: str | None

    def __new__(cls, mask: np.ndarray, expression: str | None) -> Rows:
        out = np.asarray(mask).view(cls)
        out.expression = expression
        return out

    def __array_finalize__(self, obj) -> None:
        self.expression = None  # a view, a negation, a slice...: no longer the rows the expression says

    def _combine(self, other, word: str, op):
        if not (isinstance(other, np.ndarray) and other.dtype == bool):
            return op(np.asarray(self), other)  # not a mask: what NumPy would do, without an expression
        mask = op(np.asarray(self), np.asarray(other))
        mine, theirs = self.expression, getattr(other, "expression", None)
        if theirs is None:
            if word == "and" and other.all():  # "every row" (no constraint asked)
                theirs = mine
            elif word == "or" and not other.any():
                theirs = mine
        both = f"({mine}) {word} ({theirs})" if mine is not None and theirs is not None else None
        if both is not None and theirs == mine:
            both = mine
        return Rows(mask, both)

    def __and__(self, other) -> Rows:
        return self._combine(other, "and", np.bitwise_and)

    def __rand__(self, other) -> Rows:
        return self._combine(other, "and", np.bitwise_and)

    def __or__(self, other) -> Rows:
        return self._combine(other, "or", np.bitwise_or)

    def __ror__(self, other) -> Rows:
        return self._combine(other, "or", np.bitwise_or)


def _listed(values) -> str:
    """A Milvus list literal: strings double-quoted (quotes and backslashes escaped, other characters
    as they are: Milvus reads no \\u escapes)."""
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in sorted(values, key=str)) + "]"


class MetadataIndex:
    def __init__(self, passages: list[Passage], reports: dict[str, Report]) -> None:
        self.n = len(passages)
        self._masks: dict[tuple, np.ndarray] = {}
        self._lock = threading.Lock()
        by_country, by_lead, by_year, by_report = (defaultdict(list) for _ in range(4))
        for row, p in enumerate(passages):
            for c in p.countries:
                by_country[c].append(row)
            for c in p.lead_countries:
                by_lead[c].append(row)
            for y in p.years:
                by_year[y].append(row)
            by_report[p.source].append(row)
        as_arrays = lambda d: {k: np.asarray(v, dtype=np.int64) for k, v in d.items()}  # noqa: E731
        self.by_country, self.by_lead = as_arrays(by_country), as_arrays(by_lead)
        self.by_year, self.by_report = as_arrays(by_year), as_arrays(by_report)
        self.periods = {rid: set(r.period_years()) for rid, r in reports.items()}
        by_period_year: dict[int, list[str]] = defaultdict(list)
        for rid, period in self.periods.items():
            for year in period:
                by_period_year[year].append(rid)
        self.by_period_year = dict(by_period_year)  # year -> the reports whose period holds it
        # per row, for the learned ranker's features: its report as a number, log of its length and place
        codes = {rid: i for i, rid in enumerate(dict.fromkeys(p.source for p in passages))}
        self.report_code = np.fromiter((codes[p.source] for p in passages), dtype=np.int64, count=self.n)
        self.log_tokens = np.log1p(np.fromiter((p.n_tokens for p in passages), dtype=np.float64, count=self.n))
        self.log_position = np.log1p(np.fromiter((p.position for p in passages), dtype=np.float64, count=self.n))
        # per row, which distinct heading, report title and note text it has (the ranker reads each once)
        titles = {rid: r.title for rid, r in reports.items()}
        self.field_texts: list[list[str]] = []
        self.field_keys: list[np.ndarray] = []
        for key in (lambda p: " ".join(p.heading_path), lambda p: titles.get(p.source, ""),
                    lambda p: " ".join(n.text for n in p.footnotes)):
            distinct: dict[str, int] = {}
            keys = np.fromiter((distinct.setdefault(key(p), len(distinct)) for p in passages), dtype=np.int64,
                               count=self.n)
            self.field_texts.append(list(distinct))
            self.field_keys.append(keys)
        from assistant.index.lexical import acronym_rows

        self.acronyms = acronym_rows(passages)

    def _mask(self, table: dict, keys) -> np.ndarray:
        """The rows of these keys as a read-only mask; the last few asked are kept (a question asks for
        the same ones several times, and a conversation asks for them again: at a million passages each
        costs milliseconds)."""
        key = (id(table), tuple(sorted(keys, key=str)))
        with self._lock:
            mask = self._masks.pop(key, None)
            if mask is not None:
                self._masks[key] = mask  # most recently used last
                return mask
        mask = np.zeros(self.n, dtype=bool)
        for name in keys:
            rows = table.get(name)
            if rows is not None:
                mask[rows] = True
        mask.flags.writeable = False
        with self._lock:
            self._masks[key] = mask
            while len(self._masks) > max(4, min(32, _KEPT_BYTES // max(self.n, 1))):
                self._masks.pop(next(iter(self._masks)))
        return mask

    def countries(self, codes: list[str]) -> Rows:
        return Rows(self._mask(self.by_country, codes), f"array_contains_any(countries, {_listed(codes)})")

    def lead(self, codes: list[str]) -> Rows:
        return Rows(self._mask(self.by_lead, codes), f"array_contains_any(lead, {_listed(codes)})")

    def own_years(self, years: list[int]) -> Rows:
        return Rows(self._mask(self.by_year, years), f"array_contains_any(years, {_listed(years)})")

    def period(self, years: list[int]) -> Rows:
        return Rows(self._mask(self.by_report, {rid for year in years for rid in self.by_period_year.get(year, ())}),
                    f"array_contains_any(period, {_listed(years)})")

    def reports(self, ids: set[str]) -> Rows:
        return Rows(self._mask(self.by_report, ids), f"report in {_listed(ids)}")

    def knows(self, code: str) -> bool:
        return code in self.by_country
