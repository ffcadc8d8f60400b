"""The wording both front ends share: a build summary as the CLI prints it and the web chat shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def build_line(summary: Any, where: bool = False) -> str:
    """One line: the version, its size, and what the build did (``where``: and the index folder)."""
    if not summary.changed:
        return (f"Index {summary.version} is current: {summary.reports} reports, {summary.passages} passages; "
                f"nothing to do ({summary.seconds:.2f} s)")
    return (f"Index {summary.version}: {summary.reports} reports, {summary.passages} passages "
            f"({summary.embedded} embedded, {summary.reused} from the cache, {summary.removed} removed) "
            f"in {summary.seconds:.1f} s" + (f" into {summary.index}" if where else ""))


def build_details(summary: Any) -> list[str]:
    """A line per report (notes found, parsed or unchanged, what was inferred), then what was removed
    and what was skipped with its reason."""
    lines = []
    for detail in summary.details:
        inferred = ("; inferred (correct in sources.toml): " + ", ".join(
            f"{k}={v!r}" for k, v in detail.inferred_values.items())) if detail.inferred else ""
        state = "unchanged" if detail.reused else "parsed"
        lines.append(f"  {detail.id}: {detail.passages} passages, {detail.notes} notes "
                     f"({detail.note_form or 'none'}), {state}{inferred}")
        lines += [f"    warning: {warning}" for warning in detail.warnings]
    lines += [f"  removed {report}" for report in summary.removed_reports]
    lines += skipped_lines(summary)
    return lines


def skipped_lines(summary: Any, prefix: str = "  ", names: bool = False) -> list[str]:
    """What the build skipped and why (``names``: file names, not paths)."""
    return [f"{prefix}skipped {Path(s.path).name if names else s.path}: {s.reason}" for s in summary.skipped]
