"""The approximate index and the ONNX backends give the same answers as the defaults."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from ui.cli import main
from assistant.embedding import Embedder
from assistant.index import store
from assistant.settings import Settings
from tests.conftest import CORPUS

pytestmark = pytest.mark.slow


def _ask(index: Path, question: str, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["ask", question, "--index", str(index), "--json", *extra])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("kind", ["pq", "hnsw"])
def test_approximate_indexes_answer_and_filter_like_flat(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_APPROXIMATE_ABOVE", "1")
    monkeypatch.setenv("ASSISTANT_APPROXIMATE_INDEX", kind)
    result = CliRunner().invoke(main, ["index", "--corpus", str(CORPUS), "--index", str(tmp_path / "i"), "--json"])
    assert result.exit_code == 0, result.stderr
    assert store.read(tmp_path / "i").meta.dense.kind == kind
    first = _ask(tmp_path / "i", "What did Bulgaria do in 2023?")["passages"][0]
    assert first["text"].startswith("In Bulgaria, a forum on") and [n["number"] for n in first["footnotes"]] == ["898", "899"]
    follow = _ask(tmp_path / "i", "And in 2017?", "--history", "What did Bulgaria do in 2023?")
    assert "In February 2017" in follow["passages"][0]["text"]
    if kind == "pq":  # the same dense ranking as exact search, filtered or not
        from assistant.retrieval import dense

        data = store.read(tmp_path / "i")
        vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
        import faiss

        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        rows = np.arange(0, len(vectors), 3)
        for probe in vectors[:20]:
            assert [r for r, _ in dense.search(data.dense, probe, 10)] == [r for r, _ in dense.search(flat, probe, 10)]
            assert [r for r, _ in dense.search(data.dense, probe, 10, rows)] == \
                [r for r, _ in dense.search(flat, probe, 10, rows)]


@pytest.mark.parametrize("backend, floor", [("onnx", 0.9999), ("onnx-int8", 0.9)])
def test_onnx_backends_match_torch(backend: str, floor: float, tmp_path: Path, settings: Settings):
    from assistant.ingest.pipeline import embedded_texts

    served = store.read(settings.index)  # every passage of the five reports, as the build embeds it
    texts = ["What did Bulgaria do in 2023?", *embedded_texts(served.passages, served.reports, settings)]
    torch_vectors = Embedder(Settings(backend="torch")).encode(texts)
    onnx = Embedder(Settings(backend=backend, model_cache=tmp_path / "models"))
    vectors = onnx.encode(texts)
    assert vectors.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float((vectors * torch_vectors).sum(axis=1).min()) >= floor
    folder = Path(onnx.onnx.path).parent  # the session may be one this process loaded before, from its cache
    exported = {f.name for f in folder.iterdir()}
    assert "model.fp32.onnx.data" in exported and "model.onnx" not in exported, \
        f"exported locally from the packaged weights, the weights beside the graph: {exported}"
    torch_counts = Embedder(Settings(backend="torch"))
    assert [onnx.count_tokens(t) for t in texts] == [torch_counts.count_tokens(t) for t in texts]
    long = " ".join(texts)  # past the model's 256 tokens: truncated alike
    assert float(onnx.encode([long])[0] @ torch_counts.encode([long])[0]) >= floor


def test_a_cache_from_before_is_converted_to_external_weights_without_exporting_again(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """A model cached by an earlier version (``model.onnx``, weights inside the protobuf) is saved again
    with its weights beside it; torch is not needed for that, and the vectors are the same."""
    import onnx

    from assistant import onnx_backend

    reference = Embedder(settings)
    current = reference.onnx_cache / reference.weights_sha256[:16]
    reference.onnx  # noqa: B018 - exported once, as after the first build
    folder = tmp_path / "models" / reference.weights_sha256[:16]
    folder.mkdir(parents=True)
    onnx.save_model(onnx.load(str(current / "model.fp32.onnx")), str(folder / "model.onnx"))  # the old layout
    assert (folder / "model.onnx").stat().st_size > 80e6

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_backend, "_torch_export", no_export)
    converted = onnx_backend.OnnxEncoder(reference.model_dir, folder, quantized=False,
                                         max_seq_length=reference.max_seq_length)
    texts = ["What did Bulgaria do in 2023?", "Language courses for refugees in Malta"]
    assert np.allclose(converted.encode(texts), reference.encode(texts), atol=1e-6)
    # the graph and its weights, no temporary file left (.lock: where processes take turns exporting)
    assert sorted(f.name for f in folder.iterdir()) == [".lock", "model.fp32.onnx", "model.fp32.onnx.data"]
    assert (folder / "model.fp32.onnx").stat().st_size < 1e6  # the graph alone


def test_index_built_with_another_backend_is_refused(tmp_path: Path, settings: Settings):
    result = CliRunner().invoke(main, ["ask", "anything", "--index", str(settings.index)],
                                env={"ASSISTANT_BACKEND": "onnx-int8", "ASSISTANT_MODEL_CACHE": str(tmp_path)})
    assert result.exit_code == 2 and "rebuild it" in result.stderr
