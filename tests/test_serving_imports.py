"""What a served question and an incremental build import with the default ONNX backend: neither
torch, transformers nor sentence-transformers (each process checked from outside, in a subprocess
of its own, once the model's ONNX file exists)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.embedding import Embedder
from assistant.settings import Settings
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow
HEAVY = ("torch", "transformers", "sentence_transformers")
REPORT = """# Integration in Malta

In 2023, Malta opened a new language course for beneficiaries of international protection.[1]

[1] Ministry for Home Affairs (2023). Language course.
"""


def _heavy_modules(code: str, env_index: Path, corpus: Path) -> list[str]:
    """Run ``code`` in a fresh interpreter (the settings at ``settings``), then list the heavy modules
    it imported."""
    script = (f"import json, sys\nfrom pathlib import Path\nfrom assistant.settings import Settings\n"
              f"settings = Settings(index=Path({str(env_index)!r}), corpus=Path({str(corpus)!r}))\n{code}\n"
              f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_served_question_imports_no_torch_nor_transformers(settings: Settings):
    Embedder(settings).onnx  # noqa: B018 - the ONNX file exists, as after the first build
    asked = _heavy_modules("from assistant.api import Assistant\n"
                           "answer = Assistant(settings).ask('What did Bulgaria do in 2023?')\n"
                           "assert answer.passages", settings.index, settings.corpus)
    assert asked == []
    served = _heavy_modules("from ui.server import Gate\nfrom assistant.api import Assistant\n"
                            "a = Assistant(settings)\nGate(settings, a)._build()\na.load()\n"
                            "assert a.ask('What did Croatia do?').passages", settings.index, settings.corpus)
    assert served == []


def test_an_incremental_build_imports_no_torch_nor_transformers(settings: Settings, tmp_path: Path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    index = tmp_path / "index"
    shutil.copytree(settings.index, index)  # the built index, as a user has it
    (corpus / "malta-language.md").write_text(REPORT, encoding="utf-8")
    built = _heavy_modules("from assistant.index.build import build_index\n"
                           "summary = build_index(settings)\nassert summary.embedded >= 1, summary",
                           index, corpus)
    assert built == []
