"""Keeps docs/reliability.md true: each fault or bad-input test states the row it proved, and the row
must be in the table word for word (trials counted by the test, not typed by hand)."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def row(what: str, tried: str, outcome: str) -> str:
    return f"| {what} | {tried} | {outcome} |"


def assert_documented(what: str, tried: str, outcome: str) -> None:
    line = row(what, tried, outcome)
    table = [ln.strip() for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("| ")]
    same_fault = [ln for ln in table if ln.startswith(f"| {what} |")]
    assert line in table, (f"docs/reliability.md is out of date for '{what}':\n  table: "
                           f"{same_fault[0] if same_fault else '(no row)'}\n  test:  {line}")
