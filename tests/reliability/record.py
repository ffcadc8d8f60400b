"""Keeps docs/reliability.md true: each fault or bad-input test states the row it proved, and the row
must be in the table word for word (trials, failures, crashes and data loss counted by the test, not
typed by hand).

Columns: the probe, how many tries, failures (a try that did not end as the row says: a wrong answer,
a missing message, a served index changed), crashes (a traceback or a dead process where a message
was due), data loss (a report, passage, note or served version lost), and what happened."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def row(what: str, tried: str, outcome: str, failures: int = 0, crashes: int = 0, data_loss: int = 0) -> str:
    return f"| {what} | {tried} | {failures} | {crashes} | {data_loss} | {outcome} |"


def assert_documented(what: str, tried: str, outcome: str, failures: int = 0, crashes: int = 0,
                      data_loss: int = 0) -> None:
    """The row this run produced is in the table (call it after the test's own assertions)."""
    line = row(what, tried, outcome, failures, crashes, data_loss)
    table = [ln.strip() for ln in DOC.read_text(encoding="utf-8").splitlines() if ln.startswith("| ")]
    same_fault = [ln for ln in table if ln.startswith(f"| {what} |")]
    assert line in table, (f"docs/reliability.md is out of date for '{what}':\n  table: "
                           f"{same_fault[0] if same_fault else '(no row)'}\n  test:  {line}")
