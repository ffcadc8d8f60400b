"""The ingestion quality figure of the README holds: every hand-checked expectation met."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).resolve().parent.parent / "eval" / "ingest_quality.py"


def test_hand_checked_expectations_all_met():
    spec = importlib.util.spec_from_file_location("ingest_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.measure(SCRIPT.parent.parent / "corpus")
    assert len(rows) == 5
    total_markers = sum(row["notes_attached_correctly"][1] for row in rows)
    assert total_markers == 42
    for row in rows:
        for key, value in row.items():
            if isinstance(value, tuple):
                assert value[0] == value[1], f"{row['report']}: {key} {value[0]}/{value[1]}"
        assert row["max_tokens"] <= 256
