"""Ingestion's steps without the model: a parser or splitter failing on one file skips that file,
a bug in our own bookkeeping raises; progress comes through the one callback; the process-wide
memo of file hashes and the model registry are bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import pipeline
from assistant.ingest.pipeline import Reusable, ingest_corpus
from assistant.ingest.splitter import PassageSplitter, SplitterConfig, TokenCounter
from assistant.models import Manifest
from assistant.settings import Settings

REPORTS = {
    "alpha.md": "# Alpha report\n\nIn 2023 Malta opened a reception centre for families with children.\n",
    "beta.txt": "Beta report\n\nIn 2022 Greece funded language courses for adults in Athens and Thessaloniki.\n",
    "gamma.md": "# Gamma report\n\nIn 2021 Spain trained forty mentors for young refugees in Valencia.\n",
}


def _splitter() -> PassageSplitter:
    return PassageSplitter(SplitterConfig(max_tokens=256, chunk_tokens=200), TokenCounter(lambda t: len(t.split())))


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in REPORTS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return Settings(corpus=corpus, index=tmp_path / "index")


def test_a_parser_failing_on_one_file_skips_it_by_name_and_the_others_are_ingested(settings, monkeypatch):
    real = pipeline.parse_text

    def parse(text: str, fmt: str):
        if "Beta" in text:
            raise ValueError("odd table")
        return real(text, fmt)

    monkeypatch.setattr(pipeline, "parse_text", parse)
    out = ingest_corpus(settings, _splitter())
    assert sorted(r.id for r in out.reports) == ["alpha", "gamma"]
    [skipped] = out.skipped
    assert Path(skipped.path).name == "beta.txt"
    assert "could not be parsed (ValueError: odd table)" in skipped.reason and "bug" in skipped.reason


def test_a_splitter_failing_on_one_file_skips_it_by_name(settings, monkeypatch):
    splitter = _splitter()
    real = splitter.split

    def split(doc, source, on_block=None):
        if source == "gamma":
            raise IndexError("no block")
        return real(doc, source, on_block)

    monkeypatch.setattr(splitter, "split", split)
    out = ingest_corpus(settings, splitter)
    assert sorted(r.id for r in out.reports) == ["alpha", "beta"]
    assert [Path(s.path).name for s in out.skipped] == ["gamma.md"]
    assert "could not be parsed (IndexError: no block)" in out.skipped[0].reason


def test_a_bug_in_our_own_bookkeeping_raises_instead_of_skipping_a_file(settings, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("manifest entry")

    monkeypatch.setattr(pipeline, "text_key", broken)  # the manifest entry is ours, whatever the file holds
    with pytest.raises(KeyError, match="manifest entry"):
        ingest_corpus(settings, _splitter())


def test_metadata_inference_failing_on_one_text_skips_only_that_file(settings, monkeypatch):
    """Inferring a title and period reads the report's text, like the parser: a bug it hits on one odd
    text skips that file with a reason, and the others are indexed."""
    real = pipeline.infer_report

    def infer(path, *args, **kwargs):
        if path.name == "gamma.md":
            raise IndexError("no heading")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "infer_report", infer)
    out = ingest_corpus(settings, _splitter())
    assert [Path(s.path).name for s in out.skipped] == ["gamma.md"]
    assert "could not be parsed (IndexError: no heading)" in out.skipped[0].reason
    assert len(out.reports) == len(REPORTS) - 1


def test_progress_comes_through_one_callback_and_reused_reports_are_not_read(settings, monkeypatch):
    events: list[tuple[str, int, int]] = []
    first = ingest_corpus(settings, _splitter(), on_progress=lambda *e: events.append(e))
    assert [e for e in events if e[0] == "parse"] == [("parse", n, 3) for n in range(4)]
    assert [e for e in events if e[0] == "split"] == [("split", n, 3) for n in range(4)]
    assert {f.file for f in first.files.values()} == set(REPORTS)
    by_report: dict[str, list] = {}
    for p in first.passages:
        by_report.setdefault(p.source, []).append(p)
    served = Reusable(manifest=Manifest(reports=first.files), passages=by_report, documents=first.documents)
    monkeypatch.setattr(pipeline, "load", lambda *a: pytest.fail("a reused report was read again"))
    again = ingest_corpus(settings, _splitter(), previous=served)
    assert again.files == first.files and again.passages == first.passages and again.documents == first.documents
    assert all(d.reused for d in again.details)


def test_file_hashes_are_remembered_up_to_a_limit(tmp_path: Path, monkeypatch):
    from assistant import hashing

    memo = hashing._HashMemo(limit=3)
    monkeypatch.setattr(hashing, "_memo", memo)
    files = []
    for i in range(5):
        files.append(tmp_path / f"f{i}.txt")
        files[-1].write_text(f"file {i}")
    digests = [hashing.sha256_file(f) for f in files]
    assert len(memo) == 3 and len(set(digests)) == 5
    assert hashing.sha256_file(files[-1]) == digests[-1]
    memo.clear()
    assert len(memo) == 0


def test_the_model_registry_shares_loads_and_is_bounded():
    from assistant.embedding import ModelRegistry

    registry = ModelRegistry(limit=2)
    loads: list[str] = []

    def load(name: str):
        return lambda: loads.append(name) or object()

    a = registry.get(("torch", "a", "cpu"), load("a"))
    assert registry.get(("torch", "a", "cpu"), load("a")) is a and loads == ["a"]
    registry.get(("onnx", "a", "onnx"), load("b"))
    registry.get(("torch", "a", "cpu"), load("a"))  # used again: the newest
    registry.get(("torch", "c", "cpu"), load("c"))  # over the limit: the least recently used goes
    assert len(registry) == 2 and ("onnx", "a", "onnx") not in registry and ("torch", "a", "cpu") in registry
    registry.clear()
    assert len(registry) == 0
