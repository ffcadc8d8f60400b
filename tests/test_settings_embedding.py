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
    assert str(s.index) == "/tmp/somewhere" and s.retrieval.k == 7
    assert Settings(k=2).retrieval.k == 2, "a setting given by its own name wins over the environment"
    with pytest.raises(ValueError):
        Settings(k=0)


def test_settings_are_nested_by_stage_and_every_form_of_name_works(monkeypatch: pytest.MonkeyPatch):
    from assistant.settings import LEAVES, STAGES

    monkeypatch.setenv("ASSISTANT_RETRIEVAL__MODE", "bm25")  # the nested form
    monkeypatch.setenv("ASSISTANT_CANDIDATES", "40")  # the flat form, as before the nesting
    monkeypatch.setenv("ASSISTANT_ADMIN_PASSWORD", "s3cret")
    s = Settings(retrieval={"k": 3}, chunk_tokens=120)
    assert (s.retrieval.mode, s.retrieval.candidates, s.retrieval.k) == ("bm25", 40, 3)
    assert s.parsing.chunk_tokens == 120 and s.server.admin_password.get_secret_value() == "s3cret"
    assert set(STAGES) == {"parsing", "embedding", "indexing", "retrieval", "answer", "server"}
    assert len(LEAVES) == sum(len(m.model_fields) for m in STAGES.values()), "no two stages share a name"
    with pytest.raises(ValueError, match="retrieval.k"):
        Settings(retrieval={"k": 500})
    with pytest.raises(ValueError, match="Extra inputs"):
        Settings(retrieval={"kk": 5})


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


def test_readme_configuration_table_is_the_settings_themselves():
    """The README's table is `settings_table()`'s output: every setting, its variable, default and meaning."""
    from pathlib import Path

    from assistant.settings import LEAVES, settings_table

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    table = settings_table()
    assert table in section, "regenerate the README table: python -c 'from assistant.settings import settings_table; print(settings_table())'"
    for name, stage in LEAVES.items():
        assert f"| `{stage}.{name}` | `ASSISTANT_{name.upper()}` |" in table
