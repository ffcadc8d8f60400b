"""The load script works and the promises it measures hold on a short run: concurrent users with
follow-ups get answers without errors while a rebuild runs, and answers switch to the new version.
(Latency is a benchmark figure, printed by `python -m eval.load`, not asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, ROOT
from tests.reliability.record import assert_documented

pytestmark = pytest.mark.slow
USERS, SECONDS = 20, 25


def test_concurrent_users_during_a_rebuild_get_answers_and_see_the_new_version(index_dir: Path, tmp_path: Path):
    out = tmp_path / "load.json"
    result = subprocess.run([sys.executable, "-m", "eval.load", "--users", str(USERS), "--duration", str(SECONDS),
                             "--rebuild", "--corpus", str(CORPUS), "--index", str(index_dir), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    print(result.stdout[-2000:])
    run = json.loads(out.read_text())["runs"][0]
    assert result.returncode == 0 and run["errors"] == 0, (run["error_examples"], result.stderr[-2000:])
    rebuild = run["rebuild"]
    assert rebuild["returncode"] == 0, rebuild
    assert run["versions"].get(rebuild["version"], 0) > 0, "no answer came from the new version"
    assert run["old_version_after_switch"] == 0, "an answer came from the old version after the switch"
    assert run["follow_ups"] > 0 and run["answers"] > 100
    assert_documented("Concurrent users (20, no think time, with follow-ups) while `assistant index add` "
                      "rebuilds in another process", "1 run of 25 s",
                      "0 errors; answers switched to the new version and none came from the old one after")


def test_two_app_servers_on_one_milvus_store_during_a_rebuild(index_dir: Path, tmp_path: Path):
    """Issue 19: two `assistant serve` processes share one Milvus store (a Milvus Lite server: Lite
    lets one process open a file) while `assistant index add --store milvus` rebuilds it in a third."""
    pytest.importorskip("pymilvus", reason="store = milvus needs pymilvus and milvus-lite (the test extra)")
    out = tmp_path / "load.json"
    result = subprocess.run([sys.executable, "-m", "eval.load", "--milvus", "--users", str(USERS), "--duration",
                             str(SECONDS), "--rebuild", "--corpus", str(CORPUS), "--index", str(index_dir), "--out",
                             str(out)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    print(result.stdout[-2000:])
    run = json.loads(out.read_text())["runs"][0]
    assert result.returncode == 0 and run["errors"] == 0, (run["error_examples"], result.stderr[-2000:])
    assert run["half_written_answers"] == 0
    rebuild = run["rebuild"]
    assert rebuild["returncode"] == 0 and rebuild["version"] == "v0002", rebuild
    assert len(run["servers"]) == 2
    for server, versions in run["servers"].items():  # each app server answered from both versions
        assert set(versions) == {"v0001", "v0002"}, (server, versions)
    assert_documented("Two app servers on one Milvus store (a Milvus Lite server) while `assistant index add "
                      "--store milvus` rebuilds it in another process", "1 run of 25 s, 20 users",
                      "0 errors; both servers switched to the new version; no answer named a passage its "
                      "version does not hold")
