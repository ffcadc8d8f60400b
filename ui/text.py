"""The wording both front ends share: a build summary as the CLI prints it and the web chat shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.models import pages_label  # noqa: F401  (the citation's page label; the exports use it too)


def build_line(summary: Any, where: bool = False) -> str:
    """One line: the version, its size, and what the build did (``where``: and the index folder)."""
    if not summary.changed:
        return (f"Index {summary.version} is current: {summary.reports} reports, {summary.passages} passages; "
                f"nothing to do ({summary.seconds:.2f} s)")
    return (f"Index {summary.version}: {summary.reports} reports, {summary.passages} passages "
            f"({summary.embedded} embedded, {summary.reused} from the cache, {summary.removed} removed) "
            f"in {summary.seconds:.1f} s" + (f" into {summary.index}" if where else ""))


def build_details(summary: Any) -> list[str]:
    """A line per report (notes found, parsed or unchanged, what was inferred; how it read when that
    was not good), then what was removed and what was skipped with its reason."""
    lines = []
    for detail in summary.details:
        inferred = ("; inferred (correct in sources.toml): " + ", ".join(
            f"{k}={v!r}" for k, v in detail.inferred_values.items())) if detail.inferred else ""
        state = "unchanged" if detail.reused else "parsed"
        lines.append(f"  {detail.id}: {detail.passages} passages, {detail.notes} notes "
                     f"({detail.note_form or 'none'}), {state}{inferred}")
        if detail.quality is not None and detail.quality.verdict != "good":
            lines.append(f"    read: {quality_line(detail.quality)}")
        lines += [f"    warning: {warning}" for warning in detail.warnings]
    lines += [f"  removed {report}" for report in summary.removed_reports]
    lines += skipped_lines(summary)
    return lines


def skipped_lines(summary: Any, prefix: str = "  ", names: bool = False) -> list[str]:
    """What the build skipped and why (``names``: file names, not paths)."""
    return [f"{prefix}skipped {Path(s.path).name if names else s.path}: {s.reason}" for s in summary.skipped]


def place(source: Any) -> str:
    """Section, page and OCR mark of a cited passage (a SourceRef), e.g. "Housing, p. 12 (OCR)"."""
    where = ", ".join(x for x in (source.section, pages_label(source.pages)) if x)
    return f"{where} (OCR)".strip() if source.ocr else where


def quality_line(quality: Any) -> str:
    """How a report read, in one phrase: "good (score 1.00)", or the verdict, the score and what went
    wrong ("poor (score 0.62): 12 marker(s) without a note; 3 page(s) read by OCR"); "not measured" for
    a report indexed before reading quality was measured."""
    if quality is None:
        return "not measured (indexed by an older version; `assistant index --full` measures it)"
    problems = quality.problems()
    return f"{quality.verdict} (score {quality.score:.2f})" + (f": {'; '.join(problems)}" if problems else "")


def asked_label(answer: Any) -> str:
    """What the question asked, as the answer understood it: "Bulgaria, 2023" (places, not origins)."""
    from assistant.geo import country_name

    places = [country_name(c) for c in answer.filters.asked_places()]
    return ", ".join(places + [str(y) for y in answer.filters.years])


_MATCH_WORDS = {"both": "matches {asked}", "country": "the country asked, another year",
                "year": "the year asked, another country", "neither": "another country and year"}


def match_label(hit: Any, answer: Any) -> str:
    """How a passage matches what was asked, in words ("matches Bulgaria, 2023", "the country asked,
    another year"); "" when the question asked no country and no year."""
    if hit.match == "any":
        return ""
    asks_both = bool(answer.filters.asked_places() and answer.filters.years)
    if hit.match in ("country", "year") and not asks_both:
        return f"matches {asked_label(answer)}"  # only one of the two asked, and it matches
    if hit.match == "neither" and not asks_both:
        return "another country" if answer.filters.asked_places() else "another year"
    return _MATCH_WORDS[hit.match].format(asked=asked_label(answer))


def apart(answer: Any) -> tuple[list[Any], list[Any]]:
    """The answer's passages that match everything asked, and the others (shown apart), in rank order.
    An abstained answer has none that match."""
    from assistant.answer.matching import wanted

    if answer.abstained:
        return [], list(answer.passages)
    kind = wanted(bool(answer.filters.asked_places()), bool(answer.filters.years))
    return [h for h in answer.passages if h.match == kind], [h for h in answer.passages if h.match != kind]
