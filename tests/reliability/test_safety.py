"""Safe by default: where the server listens, what an upload may be and where it lands, who may run
admin actions, and that the admin password never reaches a log or the page."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from assistant.errors import UserError
from assistant.ingest.corpus import add_report, read_manifest
from assistant.settings import Parsing

MAX_UPLOAD_BYTES = Parsing().max_file_mb * 2**20
from assistant.settings import Settings
from tests.reliability.record import assert_documented
from ui.sources import upload

PASSWORD = "correct-horse-battery-staple-7"
HOSTILE_NAMES = ["../../escape.txt", "/etc/cron.d/evil.md", "..\\..\\windows.txt", "a\x00b.html", "....md",
                 "C:\\Users\\x\\report.txt", "~/.bashrc.md", "run.sh.txt", "%2e%2e%2fx.md", "-rf.txt", " .md"]


def test_server_listens_on_localhost_unless_told(monkeypatch: pytest.MonkeyPatch):
    import gradio as gr

    from ui.app import launch

    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: seen.update(kw))
    monkeypatch.delenv("ASSISTANT_HOST", raising=False)
    launch(Settings())
    assert seen["server_name"] == "127.0.0.1" and seen["max_file_size"] == MAX_UPLOAD_BYTES


def test_assistant_serve_listens_on_localhost_unless_told(monkeypatch: pytest.MonkeyPatch):
    import uvicorn

    from assistant.api import Assistant
    from ui.server import serve

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    monkeypatch.delenv("ASSISTANT_HOST", raising=False)
    serve(Settings(), Assistant(Settings()))
    assert seen["host"] == "127.0.0.1"
    monkeypatch.setenv("ASSISTANT_HOST", "0.0.0.0")
    serve(Settings(), Assistant(Settings()))
    assert seen["host"] == "0.0.0.0"


def test_uploads_land_inside_the_corpus_under_safe_names_and_are_never_executable(corpus_copy: Path,
                                                                                  tmp_path: Path):
    outside = {p for p in tmp_path.parent.rglob("*") if corpus_copy not in p.parents}
    before = {p.name for p in corpus_copy.iterdir()}
    outcomes = {"stored": 0, "refused by type": 0}
    for i, name in enumerate(HOSTILE_NAMES):
        source = tmp_path / f"upload-{i}"
        source.write_text(f"# Report {i}\n\nIn 2024, Lisbon opened shelter number {i} for refugees.\n")
        source.chmod(0o755)  # as if the upload were executable
        try:
            report = add_report(corpus_copy, source, {"title": f"Report {i}"}, name=name)
        except UserError as exc:
            assert "unsupported file type" in str(exc), (name, str(exc))
            outcomes["refused by type"] += 1
            continue
        stored = corpus_copy / report.file
        assert stored.resolve().parent == corpus_copy.resolve(), name
        assert not set(report.file) & set("/\\\x00") and not report.file.startswith("."), name
        assert not stored.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH), name
        assert report.file in {r.file for r in read_manifest(corpus_copy).values()}
        outcomes["stored"] += 1
    created = {p for p in tmp_path.parent.rglob("*") if corpus_copy not in p.parents} - outside
    assert created <= {tmp_path / f"upload-{i}" for i in range(len(HOSTILE_NAMES))}, "a file landed elsewhere"
    assert len({p.name for p in corpus_copy.iterdir()} - before) == outcomes["stored"] >= 8
    n = len(HOSTILE_NAMES)
    assert_documented("Upload names with `../`, absolute paths, backslashes, NUL, leading dots, `~`, URL-encoded "
                      "dots", f"{n}", f"{outcomes['stored']} stored inside the corpus under a sanitized name, "
                      f"without execute permission; {outcomes['refused by type']} refused by type; 0 escaped")


def test_upload_limits_type_and_size_and_needs_the_password_when_set(corpus_copy: Path, tmp_path: Path):
    settings = Settings(corpus=corpus_copy, index=tmp_path / "index", admin_password=PASSWORD)
    before = sorted(p.name for p in corpus_copy.iterdir())
    good = tmp_path / "report.md"
    good.write_text("# A report\n\nIn 2024 Lisbon opened a shelter.\n")
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(MAX_UPLOAD_BYTES + 1)
    refused = {}
    for label, path, password in [("no password", good, None), ("wrong password", good, "guess"),
                                  ("executable type", tmp_path / "x.exe", PASSWORD),
                                  ("script type", tmp_path / "x.js", PASSWORD), ("over 50 MB", big, PASSWORD)]:
        if not path.exists():
            path.write_bytes(b"MZ\x90\x00")
        with pytest.raises(UserError) as exc:
            upload(settings, str(path), {}, password)
        refused[label] = str(exc.value)
    assert "wrong admin password" in refused["no password"] and "wrong admin password" in refused["wrong password"]
    assert "unsupported file type" in refused["executable type"] and "MB limit" in refused["over 50 MB"]
    assert sorted(p.name for p in corpus_copy.iterdir()) == before  # nothing was stored
    exposed = Settings(corpus=corpus_copy, index=tmp_path / "index", host="0.0.0.0")
    with pytest.raises(UserError, match="Admin actions are off"):
        upload(exposed, str(good), {}, None)
    assert_documented("Uploads refused: no or wrong admin password, .exe and .js, over 50 MB; admin off when "
                      "exposed without a password", f"{len(refused) + 1}",
                      f"{len(refused) + 1}/{len(refused) + 1} refused with a message; the corpus unchanged")


@pytest.mark.slow
def test_the_admin_password_never_reaches_a_log_or_the_page(settings: Settings, corpus_copy: Path,
                                                             tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                             capsys: pytest.CaptureFixture):
    from ui.app import create_app
    from ui.sources import rebuild

    caplog.set_level(logging.DEBUG)
    exposed = Settings(corpus=corpus_copy, index=tmp_path / "index", host="0.0.0.0", admin_password=PASSWORD)
    app = create_app(exposed)
    rebuild(exposed, PASSWORD)
    for wrong in ("guess", PASSWORD[:-1]):
        with pytest.raises(UserError):
            rebuild(exposed, wrong)
    page_config = json.dumps(app.get_config_file(), default=str)
    out = capsys.readouterr()
    places = {"log records": caplog.text, "stdout": out.out, "stderr": out.err, "page config": page_config,
              "settings repr": repr(exposed) + str(exposed.model_dump())}
    leaked = [where for where, text in places.items() if PASSWORD in text]
    assert not leaked, leaked
    assert caplog.records, "the rebuild logged nothing: the check would prove nothing"
    assert_documented("Admin password looked for in log records, stdout, stderr, the page's config and the "
                      "settings' repr after a rebuild and two wrong passwords", f"{len(places)} places",
                      "never found")


@pytest.mark.slow
def test_the_app_makes_no_outbound_connection(settings: Settings, caplog: pytest.LogCaptureFixture):
    """No analytics, version check or hub call: a user's questions never leave the machine."""
    import re
    import socket

    import httpx

    from ui.app import create_app

    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(settings)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
        import time

        time.sleep(2)  # background checks, if any, start within this
    finally:
        app.close()
    hosts = set(re.findall(r"connect_tcp\.started host='([^']+)'", caplog.text))
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
    assert_documented("Outbound connections attempted by the web app at start and on a page load", "1 start",
                      "none (Gradio analytics and Hugging Face hub calls switched off)")
