"""The packages depend one way (docs/architecture.md): the import-linter contract in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_packages_depend_one_way():
    """ui -> api -> evaluation -> session -> results -> answer -> retrieval -> index -> ingest -> core:
    a module importing from a layer above its own (the library from ui/, index from retrieval, ...) fails."""
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 kept, 0 broken" in run.stdout


def test_the_contract_catches_an_upward_import(tmp_path: Path):
    """The same check on a contract turned upside down must fail, or the test above proves nothing."""
    config = tmp_path / "reversed.ini"
    config.write_text("[importlinter]\nroot_packages =\n    assistant\n    ui\n"
                      "[importlinter:contract:1]\nname = upside down\ntype = layers\nlayers =\n"
                      "    assistant.index\n    assistant.retrieval\n", encoding="utf-8")
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint), "--config", str(config)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode != 0 and "assistant.retrieval" in run.stdout
