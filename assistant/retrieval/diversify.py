"""Stage 4, diversify: a question spanning several years gets passages from several reports first,
since each report covers its own period ("What did Italy do in 2021-2023?")."""

from __future__ import annotations

from assistant.retrieval.ranking import Hit


def applies(constrained: bool, years: list[int]) -> bool:
    """Diversify after the metadata stage re-ranked (``constrained``) a question asking several years."""
    return constrained and len(years) > 1


def one_per_report(hits: list[Hit], k: int) -> list[Hit]:
    """The best hit of each report first (at most k of them, in their order), then the rest in order."""
    firsts, rest, seen = [], [], set()
    for hit in hits:
        (rest if hit.passage.source in seen else firsts).append(hit)
        seen.add(hit.passage.source)
    leading = firsts[:k]
    return sorted(leading, key=hits.index) + [h for h in hits if h not in leading]


def diversify(hits: list[Hit], k: int) -> list[Hit]:
    """The hits matching both country and year spread over reports (``one_per_report``), then the others
    in their order."""
    matching = [h for h in hits if h.country_match and h.year_match]
    return one_per_report(matching, k) + [h for h in hits if not (h.country_match and h.year_match)]
