"""Enter-to-answer in a real browser: Debian's chromium, headless, driven by Playwright.

    .venv/bin/python -m eval.bench_browser --index index [--repeat 7]

Serves the web chat on a built index (the index and model loaded first, as `assistant serve` does in
the background), then asks "What did Bulgaria do in 2023?" ``--repeat`` times, each in a new
conversation: the time from pressing Enter to the answer's cards on the page, beside the time the
server spent in ``Assistant.ask`` for it, so what is left is Gradio's queue, the event's payload and
the page's rendering. Prints a table (median and spread); a benchmark, never a timed test.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import time
from pathlib import Path

from assistant.api import Assistant
from assistant.settings import Settings

QUESTION = "What did Bulgaria do in 2023?"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Timed(Assistant):
    """The assistant, noting how long each question took on the server."""

    spent: list[float]

    def ask(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return super().ask(*args, **kwargs)
        finally:
            self.spent.append(time.perf_counter() - started)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from ui.app import CSS, create_app

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    settings = Settings(index=args.index)
    assistant = Timed(settings)
    assistant.spent = []
    assistant.load()
    app = create_app(settings, assistant)
    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    waits: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#question textarea")
            for _ in range(args.repeat + 1):  # the first, a warm-up of the page, is not counted
                page.click("#new-conversation")
                page.wait_for_function("() => !document.querySelector('#card-1')")  # the cards are cleared
                page.fill("#question textarea", QUESTION)
                started = time.perf_counter()
                page.keyboard.press("Enter")
                page.wait_for_function("() => document.querySelector('#card-1') !== null", timeout=60_000)
                waits.append(time.perf_counter() - started)
            browser.close()
    finally:
        app.close()
    waits, spent = waits[1:], assistant.spent[-args.repeat:]
    rest = [w - s for w, s in zip(waits, spent)]

    def row(name: str, values: list[float]) -> str:
        ms = [v * 1000 for v in values]
        return f"| {name} | {statistics.median(ms):.0f} | {min(ms):.0f}-{max(ms):.0f} |"

    print(f"{args.repeat} questions, each in a new conversation; index {args.index}\n")
    print("| measure | median ms | min-max ms |")
    print("|---|---|---|")
    print(row("Enter to the answer's cards on the page", waits))
    print(row("of which the question on the server (Assistant.ask)", spent))
    print(row("the rest: queue, event, payload, rendering", rest))


if __name__ == "__main__":
    main()
