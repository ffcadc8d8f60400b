"""Faults while building and serving: SIGKILL at random points, every index file damaged in turn, a
full disk. The index that serves is always complete, damage is refused by name with what to do, and
nothing that was serving is lost. Each test checks its row of docs/reliability.md."""

from __future__ import annotations

import json
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.errors import UserError
from assistant.hashing import text_key
from assistant.index import store
from assistant.index.build import build_index
from assistant.index.cache import EmbeddingCache
from assistant.settings import Settings
from tests.conftest import CORPUS, ROOT
from tests.reliability.record import assert_documented

pytestmark = pytest.mark.slow
QUESTION = "What did Bulgaria do in 2023?"
EDITED = "ec-action-plan-partnerships.txt"
KILL_TRIALS = 24
FSIZE_LIMITS_KB = (1, 20, 100)  # fails in: the cache and BM25, passages.jsonl, dense.faiss


def _append(corpus: Path, sentence: str) -> None:
    with (corpus / EDITED).open("a", encoding="utf-8") as fh:
        fh.write(f"\n\n{sentence}\n")


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _subprocess_build(corpus: Path, index: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ui.cli", "index", "--corpus", str(corpus), "--index",
                             str(index)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A corpus copy and its index with two versions: v0001, then v0002 after one paragraph was added."""
    root = tmp_path_factory.mktemp("faults")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    build_index(Settings(corpus=corpus, index=index))
    _append(corpus, "In 2024 the partnership opened a helpdesk for refugee entrepreneurs in Aarhus.")
    assert build_index(Settings(corpus=corpus, index=index)).version == "v0002"
    return corpus, index


def _damages(path: Path) -> dict[str, callable]:
    size = path.stat().st_size

    def truncate() -> None:
        with path.open("r+b") as fh:
            fh.truncate(size // 2)

    def flip() -> None:  # one byte in the middle, same size: only a checksum sees it
        with path.open("r+b") as fh:
            fh.seek(size // 2)
            byte = fh.read(1)
            fh.seek(size // 2)
            fh.write(bytes([byte[0] ^ 0x5A]))

    def empty() -> None:
        path.write_bytes(b"")

    return {"truncated to half": truncate, "one byte changed": flip, "emptied": empty}


def test_each_index_file_damaged_in_turn_is_refused_and_the_previous_version_serves(two_versions, tmp_path):
    _, index = two_versions
    files = sorted(p.relative_to(index / "versions" / "v0002").as_posix()
                   for p in (index / "versions" / "v0002").rglob("*") if p.is_file())
    assert {"meta.json", "passages.jsonl", "dense.faiss", "checksums.json"} <= set(files) and len(files) >= 10
    trials = 0
    for name in files:
        for damage in _damages(index / "versions" / "v0002" / name):
            copy = tmp_path / f"i{trials}"
            shutil.copytree(index, copy)
            _damages(copy / "versions" / "v0002" / name)[damage]()
            with pytest.raises(UserError) as refused:
                store.read(copy)
            message = str(refused.value)
            assert name.split("/")[0] in message or "checksums.json" in message, (name, damage, message)
            assert "assistant index rollback" in message and "assistant index --full" in message
            assistant = Assistant(Settings(index=copy))
            answer = assistant.ask(QUESTION)
            assert assistant.index.version == "v0001", (name, damage)
            assert answer.passages and answer.passages[0].source.id == "euaa-ar-2024"
            assert "v0002 cannot be served" in assistant.notice and "Serving v0001" in assistant.notice
            assert assistant.state().warning == assistant.notice and assistant.state().version == "v0001"
            if trials == 0:  # the CLI says so too, on stderr, beside its --json answer
                from click.testing import CliRunner

                from ui.cli import main

                run = CliRunner().invoke(main, ["ask", QUESTION, "--json", "--index", str(copy)])
                assert run.exit_code == 0 and json.loads(run.stdout)["index_version"] == "v0001"
                assert "warning: Index v0002 cannot be served" in run.stderr and "Serving v0001" in run.stderr
            trials += 1
    assert trials == 3 * len(files)
    assert_documented("An index file truncated, one byte changed, or emptied (each file of the served version "
                      "in turn)", f"{trials} ({len(files)} files x 3 kinds of damage)",
                      f"{trials}/{trials} refused naming the file, with `assistant index rollback` / `--full`; "
                      "the previous version served the next question")


def test_damaged_current_pointer_serves_the_newest_readable_version(two_versions, tmp_path):
    _, index = two_versions
    cases = {"garbage": b"\x00\xffnot a version", "a missing version": b"v0099\n", "empty": b""}
    for label, content in cases.items():
        copy = tmp_path / label.replace(" ", "-")
        shutil.copytree(index, copy)
        (copy / "CURRENT").write_bytes(content)
        assistant = Assistant(Settings(index=copy))
        assert assistant.ask(QUESTION).passages, label
        assert assistant.index.version == "v0002" and assistant.notice, label
    assert_documented("`index/CURRENT` garbage, empty, or naming a missing version", f"{len(cases)}",
                      f"{len(cases)}/{len(cases)} served the newest version that reads, with a warning")


def test_damaged_embedding_cache_costs_re_embedding_never_a_wrong_vector(two_versions, tmp_path):
    corpus, index = two_versions
    shards = sorted((index / "cache").rglob("shard-*"))
    assert shards
    trials = 0
    for shard in shards:
        for damage in ("truncated to half", "one byte changed", "emptied"):
            work = tmp_path / f"c{trials}"
            shutil.copytree(index, work / "index")
            shutil.copytree(corpus, work / "corpus")
            _damages(work / "index" / shard.relative_to(index))[damage]()
            _append(work / "corpus", f"Trial {trials}: a new paragraph about language courses in Tartu.")
            summary = build_index(Settings(corpus=work / "corpus", index=work / "index"))
            new, old = store.read(work / "index"), store.read(index)
            kept = set().union(*(json.loads(other.read_text())["keys"] for other in shards
                                 if other.suffix == ".json" and other.stem != shard.stem))  # shards left whole
            wanted = {text_key(p.embed_text(new.reports[p.source].title)) for p in new.passages}
            assert summary.version == "v0003" and summary.embedded == len(wanted - kept), (shard.name, damage)
            old_rows = {p.chunk_id: i for i, p in enumerate(old.passages)}
            for row, passage in enumerate(new.passages):  # every vector is the passage's own
                if passage.chunk_id in old_rows:
                    np.testing.assert_allclose(new.dense.reconstruct(row), old.dense.reconstruct(
                        old_rows[passage.chunk_id]), atol=1e-5)
            trials += 1
    served = store.read(index)  # the cache holds what was embedded: each passage with its report's title
    assert len(EmbeddingCache(index, next((index / "cache").iterdir()).name, 384).get(
        [text_key(p.embed_text(served.reports[p.source].title)) for p in served.passages])) == len(served.passages)
    assert_documented("An embedding-cache shard truncated, one byte changed, or emptied", f"{trials}",
                      f"{trials}/{trials} builds succeeded; the damaged shard was skipped and its passages "
                      "embedded again (vectors equal to the served ones)")


def test_builds_killed_at_random_points_leave_a_complete_index_and_the_next_build_succeeds(two_versions,
                                                                                          tmp_path):
    corpus0, index0 = two_versions
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus0, corpus)
    shutil.copytree(index0, index)
    # how long an unkilled build of one changed paragraph takes here, from process start
    _append(corpus, "Calibration: the city of Graz opened a welcome desk.")
    started = time.monotonic()
    proc = _subprocess_build(corpus, index)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()
    full = time.monotonic() - started
    outcomes = {"old": 0, "new": 0}
    for seed in range(KILL_TRIALS):
        rng = random.Random(seed)
        before = store.current_version(index)
        sentence = f"Seed {seed}: a mentoring scheme in Porto matched {rng.randint(10, 999)} refugees."
        _append(corpus, sentence)
        proc = _subprocess_build(corpus, index)
        if seed % 2 == 0:  # anywhere in the build, from process start to its end
            delay = rng.uniform(0.0, full)
            time.sleep(delay)
            where = f"{delay:.2f} s after start"
        else:  # inside the write stage: once the new version's staging folder exists
            deadline = time.monotonic() + 300
            while not list((index / "versions").glob(".tmp-*")) and proc.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.002)
            delay = rng.uniform(0.0, 0.25)
            time.sleep(delay)
            where = f"{delay:.3f} s into the write stage"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        print(f"seed {seed}: SIGKILL {where} (exit {proc.returncode})")
        served = store.read(index)  # complete: checksums, counts and the probe search all pass
        store.verify(index / "versions" / served.version)
        has_sentence = any(sentence in p.text for p in served.passages)
        assert served.version in (before, f"v{int(before[1:]) + 1:04d}"), (seed, served.version)
        assert has_sentence == (served.version != before), seed  # the new text only in the new version
        outcomes["new" if has_sentence else "old"] += 1
        assert Assistant(Settings(index=index)).ask(QUESTION).passages, seed
        summary = build_index(Settings(corpus=corpus, index=index))  # the next build succeeds
        assert any(sentence in p.text for p in store.read(index).passages), seed
        assert not list((index / "versions").glob(".tmp-*")), seed
        assert summary.version == store.current_version(index)
    print(f"{KILL_TRIALS} kills: {outcomes['old']} left the old version serving, {outcomes['new']} the new one")
    assert_documented("SIGKILL during `assistant index` at a random point (seeds 0-23 printed; half anywhere, "
                      "half inside the write stage)", f"{KILL_TRIALS}",
                      f"{KILL_TRIALS}/{KILL_TRIALS} left a complete version serving (old or new, never a mix); "
                      f"{KILL_TRIALS}/{KILL_TRIALS} next builds succeeded")


def _limit(kb: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (kb * 1024, kb * 1024))
    return apply


def test_disk_full_during_a_build_loses_nothing_that_was_serving(two_versions, tmp_path):
    corpus0, index0 = two_versions
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(corpus0, corpus)
    shutil.copytree(index0, index)
    serving = store.current_version(index)
    failed_in = []
    for trial, kb in enumerate(FSIZE_LIMITS_KB):
        before = _tree(index / "versions" / serving)
        _append(corpus, f"Limit {kb} KB: a job fair in Malmo drew {trial + 40} employers.")
        proc = _subprocess_build(corpus, index, preexec_fn=_limit(kb))
        stderr = proc.communicate(timeout=300)[1].decode()
        assert proc.returncode != 0, (kb, stderr)
        assert "free some disk space" in stderr and "The version being served is unchanged" in stderr, (kb, stderr)
        assert "Traceback" not in stderr, stderr
        failed_in.append(stderr.split("could not write ")[1].split(" in ")[0])
        assert store.current_version(index) == serving and _tree(index / "versions" / serving) == before
        assert not list((index / "versions").glob(".tmp-*"))
        assert Assistant(Settings(index=index)).ask(QUESTION).passages
    print("\n".join(failed_in))
    assert len(set(failed_in)) == len(FSIZE_LIMITS_KB)  # each limit stopped a different write
    summary = build_index(Settings(corpus=corpus, index=index))
    assert summary.changed and summary.version != serving
    n = len(FSIZE_LIMITS_KB)
    assert_documented("Disk full during a build (file-size limit of "
                      + ", ".join(f"{kb}" for kb in FSIZE_LIMITS_KB) + " KB on the build process)", f"{n}",
                      f"{n}/{n} stopped (writing {', '.join(failed_in)}) and refused with \"free some disk "
                      "space\"; the served version byte-identical, no half-written version left; the next build "
                      "succeeded")
