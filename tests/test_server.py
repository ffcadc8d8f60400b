"""`assistant serve` answers before Gradio is imported: ``/api/ask`` and a starting page at once, the
chat mounted on the same port once it is built (ui/server.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from assistant.api import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT, free_port
from ui.server import API_PATH, Gate

pytestmark = pytest.mark.slow
QUESTION = "What did Bulgaria do in 2023?"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class HeldGate(Gate):
    """The gate with the chat's build held until the test lets it go (or failing, when told)."""

    def __init__(self, *args, fail: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.release = threading.Event()
        self.fail = fail

    def _build(self):
        self.release.wait(120)
        if self.fail:
            raise RuntimeError("the chat's component failed")
        return super()._build()


def _start(gate: Gate):
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(gate, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return server, thread, base


def _wait_for_chat(client: httpx.Client, seconds: float = 120) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = client.get("/")
        if page.status_code == 200:
            return page
        time.sleep(0.1)
    raise AssertionError("the chat was not mounted")


@pytest.fixture()
def held(settings: Settings):
    assistant = Assistant(settings)
    gate = HeldGate(settings, assistant, assistant.load_in_background())
    server, thread, base = _start(gate)
    yield gate, base
    gate.release.set()
    server.should_exit = True
    thread.join(30)


def test_questions_are_answered_before_the_chat_exists_then_the_chat_takes_over(held, settings: Settings):
    gate, base = held
    expected = Assistant(settings).ask(QUESTION).model_dump(mode="json")
    with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
        answer = client.get(API_PATH, params={"q": QUESTION})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        data = answer.json()
        assert data.keys() == expected.keys()  # the `assistant ask --json` object
        assert [p["chunk_id"] for p in data["passages"]] == [p["chunk_id"] for p in expected["passages"]]
        assert (data["filters"]["countries"], data["filters"]["years"]) == (["BG"], [2023])
        assert [n["number"] for n in data["passages"][0]["footnotes"]] == ["898", "899"]
        assert len(client.get(API_PATH, params={"q": QUESTION, "k": 2}).json()["passages"]) == 2

        # a caller's mistakes: the CLI's own messages, as 400 (405 for another method)
        empty = client.get(API_PATH, params={"q": "  "})
        assert empty.status_code == 400 and "question" in empty.json()["error"].lower()
        assert client.get(API_PATH, params={"q": QUESTION, "k": "many"}).status_code == 400
        assert client.get(API_PATH, params={"q": QUESTION, "k": 0}).status_code == 400
        assert client.post(API_PATH, data={"q": QUESTION}).status_code == 405

        # the chat is still being built: the starting page, and a retry for anything else
        page = client.get("/")
        assert page.status_code == 503 and page.headers["retry-after"] == "1"
        assert "starting" in page.text and f'fetch("{API_PATH}?q="' in page.text
        assert client.get("/gradio_api/info").status_code == 503
        assert gate.ui is None

        gate.release.set()
        chat = _wait_for_chat(client)
        assert "gradio" in chat.text.lower()
        assert client.get(API_PATH, params={"q": QUESTION}).json()["passages"][0]["chunk_id"] == \
            expected["passages"][0]["chunk_id"]  # still served beside the chat
        assert client.get("/reports/not-indexed.pdf").status_code == 404  # the chat's own extra route
        blocks = next(r.app for r in gate.ui.routes if hasattr(getattr(r, "app", None), "get_blocks")).get_blocks()
        assert blocks.max_file_size == settings.parsing.max_file_mb * 2**20  # the upload limit, as `launch` sets it

    from gradio_client import Client

    via_chat = Client(base + "/", verbose=False).predict(QUESTION, [], 3, api_name="/ask")
    assert via_chat["passages"][0]["chunk_id"] == expected["passages"][0]["chunk_id"]


def test_a_chat_that_cannot_start_is_said_on_the_page_and_questions_still_answer(settings: Settings):
    assistant = Assistant(settings)
    gate = HeldGate(settings, assistant, assistant.load_in_background(), fail=True)
    gate.release.set()
    server, thread, base = _start(gate)
    try:
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
            deadline = time.monotonic() + 30
            while gate.failed is None and time.monotonic() < deadline:
                time.sleep(0.05)
            page = client.get("/")
            assert page.status_code == 500
            assert "could not start" in page.text and "the chat&#x27;s component failed" in page.text
            assert client.get(API_PATH, params={"q": QUESTION}).json()["filters"]["countries"] == ["BG"]
    finally:
        server.should_exit = True
        thread.join(30)


def test_the_starting_page_answers_in_a_browser_and_then_offers_the_chat(held):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    from tests.test_browser import FLAGS, ask

    gate, base = held
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(base + "/")
            assert "starting" in page.locator("#state").inner_text()
            page.fill("#q", QUESTION)
            page.click("button")
            page.wait_for_selector("#answer .card")
            assert page.locator("#answer .card").first.inner_text().count("In Bulgaria, a forum on") == 1
            assert "Bulgaria" in page.locator("#answer p").first.inner_text()
            gate.release.set()
            # a person who has asked keeps the answer: the page offers the chat instead of reloading
            page.wait_for_selector("#state a", timeout=120_000)
            assert page.locator("#answer .card").count() > 0
            page.click("#state a")
            page.wait_for_selector("#chat", timeout=60_000)
            ask(page, QUESTION)  # the mounted chat's own events run (its queue was started on this server)
            assert "In Bulgaria, a forum on" in page.locator("#card-1").inner_text()
        finally:
            browser.close()


def test_assistant_serve_answers_over_http_then_mounts_the_chat_and_stops_on_sigterm(index_dir: Path):
    port = free_port()
    env = {**os.environ, "ASSISTANT_INDEX": str(index_dir), "ASSISTANT_PORT": str(port)}
    env.pop("ASSISTANT_HOST", None)
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
            deadline = time.monotonic() + 120
            while True:
                assert time.monotonic() < deadline and server.poll() is None, "assistant serve did not answer"
                try:
                    answer = client.get(API_PATH, params={"q": QUESTION})
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert answer.status_code == 200
            cli = subprocess.run([sys.executable, "-m", "ui.cli", "ask", QUESTION, "--json"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True)
            assert [p["chunk_id"] for p in answer.json()["passages"]] == \
                [p["chunk_id"] for p in json.loads(cli.stdout)["passages"]]
            assert "gradio" in _wait_for_chat(client).text.lower()
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    errors = server.stderr.read()
    # stopped cleanly: uvicorn shuts down, then ends by the signal it caught (its exit status says so)
    assert code in (0, -signal.SIGTERM) and "Traceback" not in errors, errors


def test_faults_head_and_a_full_queue_are_answered_in_json(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    tight = settings.model_copy(update={"server": settings.server.model_copy(update={"concurrency": 1,
                                                                                      "queue_size": 1})})
    assistant = Assistant(tight)
    gate = HeldGate(tight, assistant, assistant.load_in_background())
    server, thread, base = _start(gate)
    try:
        with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
            head = client.head(API_PATH, params={"q": QUESTION})
            assert head.status_code == 405 and head.headers["allow"] == "GET"

            def broken(*args, **kwargs):
                raise RuntimeError("index file damaged")

            monkeypatch.setattr(assistant, "ask", broken)
            fault = client.get(API_PATH, params={"q": QUESTION})
            assert fault.status_code == 500 and "index file damaged" in fault.json()["error"]

            held = threading.Event()

            def slow(*args, **kwargs):  # held until the refusals are in: no race with a busy machine's timing
                held.wait(60)
                raise RuntimeError("slow")

            monkeypatch.setattr(assistant, "ask", slow)
            with ThreadPoolExecutor(4) as pool:
                asked = [pool.submit(lambda: client.get(API_PATH, params={"q": QUESTION}).status_code)
                         for _ in range(4)]
                deadline = time.monotonic() + 60  # only refusals can end while held: wait for both
                while sum(f.done() for f in asked) < 2 and time.monotonic() < deadline:
                    wait(asked, timeout=0.1, return_when=FIRST_COMPLETED)
                first = [f.result() for f in asked if f.done()]
                held.set()
                codes = sorted(f.result() for f in asked)
            assert first == [503, 503], first
            assert codes == [500, 500, 503, 503], codes  # one runs, one waits, the rest are told to retry
    finally:
        gate.release.set()
        server.should_exit = True
        thread.join(30)
