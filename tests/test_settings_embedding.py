"""Settings from env and flags; the model's weights checked; nothing heavy at import."""

from __future__ import annotations

import subprocess
import sys

import pytest

from assistant.embedding import Embedder
from assistant.errors import UserError
from assistant.settings import DEFAULT_MODEL_SHA256, Settings


def test_env_overrides_and_validation(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_INDEX", "/tmp/somewhere")
    monkeypatch.setenv("ASSISTANT_K", "7")
    s = Settings()
    assert str(s.index) == "/tmp/somewhere" and s.k == 7
    assert Settings(k=2).k == 2
    with pytest.raises(ValueError):
        Settings(k=0)


def test_default_model_weights_match_the_official_hash():
    embedder = Embedder(Settings())
    assert embedder.weights_sha256 == DEFAULT_MODEL_SHA256
    embedder.verify()


def test_wrong_weights_hash_is_refused_before_loading():
    embedder = Embedder(Settings(model_sha256="0" * 64))
    with pytest.raises(UserError, match="expected 0000"):
        embedder.verify()


def test_another_model_must_be_a_local_folder(tmp_path):
    with pytest.raises(UserError, match="not a local folder"):
        Embedder(Settings(model="sentence-transformers/all-mpnet-base-v2")).model_dir
    with pytest.raises(UserError, match="has no model.safetensors"):
        Embedder(Settings(model=str(tmp_path))).weights_file


def test_help_loads_no_model_or_torch():
    code = "import sys; from ui.cli import main; import ui; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_readme_configuration_table_lists_every_setting():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert documented == list(Settings.model_fields)
