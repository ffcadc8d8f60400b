"""What a person waits before the first answer, measured as whole processes on a built index.

    .venv/bin/python -m eval.bench_startup --index index [--repeat 3]

Three measures, each repeated (median and spread printed, never one run):

- the baseline: a bare Python process importing the libraries a served question runs on (ONNX
  Runtime, tokenizers, FAISS, NumPy, bm25s, pydantic);
- a one-shot `assistant ask "What did Bulgaria do in 2023?" --json`: wall time and peak memory, and
  its ratio to the baseline;
- `assistant serve`: from the process's start to the first answer of a plain HTTP GET of ``/api/ask``
  (served from the start, before Gradio is imported), to the chat page answering 200, and to the first
  answer of the chat's Gradio `ask` API (POST /gradio_api/call/ask, then its event stream).

Peak memory is each child's own maximum resident set (``os.wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

QUESTION = "What did Bulgaria do in 2023?"
BARE = "import onnxruntime, tokenizers, faiss, numpy, bm25s, pydantic"


def _assistant() -> str:
    return str(Path(sys.executable).parent / "assistant")


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process run to its end."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit code {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(env: dict[str, str], index: Path, timeout: float = 120.0) -> tuple[float, float, float]:
    """Seconds from starting `assistant serve` to its first answer to a plain HTTP GET of ``/api/ask``, to
    its chat page answering 200, and to the first answer of Gradio's own ``ask`` API."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    started = time.perf_counter()
    server = subprocess.Popen([_assistant(), "serve", "--port", str(port), "--index", str(index)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    def until(url: str) -> float:
        while True:
            if time.perf_counter() - started > timeout or server.poll() is not None:
                raise SystemExit(f"assistant serve did not answer {url}")
            try:
                with opener.open(url, timeout=timeout) as reply:
                    if reply.status == 200:
                        json.loads(reply.read()) if "/api/" in url else reply.read()
                        return time.perf_counter() - started
            except OSError:  # not listening yet, or 503 while the chat starts
                time.sleep(0.05)

    try:
        first = until(f"{base}/api/ask?" + urllib.parse.urlencode({"q": QUESTION}))
        page = until(base + "/")
        request = urllib.request.Request(base + "/gradio_api/call/ask", method="POST",
                                         data=json.dumps({"data": [QUESTION, [], 5]}).encode(),
                                         headers={"Content-Type": "application/json"})
        with opener.open(request, timeout=timeout) as posted:
            event = json.loads(posted.read())["event_id"]
        with opener.open(f"{base}/gradio_api/call/ask/{event}", timeout=timeout) as stream:
            for line in stream:
                if line.startswith(b"event: complete"):
                    break
                if line.startswith(b"event: error"):
                    raise SystemExit("the ask API answered with an error")
        return first, page, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def _summary(values: list[float], unit: str) -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-serve", action="store_true", help="skip the web server's measure")
    args = parser.parse_args(argv)
    env = {**os.environ, "ASSISTANT_INDEX": str(args.index)}
    bare, ask, first, page, chat = [], [], [], [], []
    for _ in range(args.repeat):  # interleaved, so a slow moment of the machine touches every measure
        bare.append(_run([sys.executable, "-c", BARE], env))
        ask.append(_run([_assistant(), "ask", QUESTION, "--json", "--index", str(args.index)], env))
        if not args.no_serve:
            for values, seconds in zip((first, page, chat), _serve(env, args.index)):
                values.append(seconds)
    ratios = [a[0] / b[0] for a, b in zip(ask, bare)]
    print(f"{args.repeat} runs each, interleaved; {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; index {args.index}\n")
    print("| measure | median (min-max) |")
    print("|---|---|")
    print(f"| bare import of the runtime libraries: wall | {_summary([b[0] for b in bare], 's')} |")
    print(f"| bare import: peak memory | {_summary([b[1] for b in bare], 'MB')} |")
    print(f"| one-shot `assistant ask --json`: wall | {_summary([a[0] for a in ask], 's')} |")
    print(f"| one-shot ask / bare import | {_summary(ratios, 'x')} |")
    print(f"| one-shot ask: peak memory | {_summary([a[1] for a in ask], 'MB')} |")
    if first:
        print(f"| `assistant serve`: first answer to a plain HTTP GET of /api/ask | {_summary(first, 's')} |")
        print(f"| `assistant serve`: the chat page answers 200 | {_summary(page, 's')} |")
        print(f"| `assistant serve`: first answer of the chat's Gradio `ask` API | {_summary(chat, 's')} |")


if __name__ == "__main__":
    main()
