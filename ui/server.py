"""`assistant serve`: listening within about two seconds, the web chat following when Gradio is imported.

Importing Gradio takes about five seconds on a 2-core machine, before any of the chat exists. So the
server starts first, on a small ASGI app of its own (uvicorn + Starlette, 0.2 s to import):

- ``GET /api/ask?q=...`` (optional ``k``) answers from the first second the index and the model are
  loaded, with the same JSON object as `assistant ask --json`; a question the CLI refuses comes back as
  400 with its message. It stays after the chat is up.
- Every other path, until the chat is ready: a small page that answers questions through
  ``/api/ask`` and opens the chat by itself once it is ready (503 with ``Retry-After`` for what is not a
  page, so a client retries).

Once the index and the model are loaded, Gradio is imported in a thread, the chat is built
(``ui.app.create_app``) and mounted with Gradio's own ``mount_gradio_app``; its start-up events (the
queue) run on the server's event loop, and from then on every path but ``/api/ask`` is the chat's.
The index loads first so that the first answer does not share the processor with Gradio's import.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import threading
from typing import Any

from assistant.api import Assistant, UserError
from assistant.settings import Settings

log = logging.getLogger(__name__)

API_PATH = "/api/ask"

STARTING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Policy reports assistant: starting</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
.note { color: #555; } form { display: flex; gap: .5rem; margin: 1rem 0; } input { flex: 1; padding: .4rem; }
.card { border: 1px solid #ccc; border-radius: 8px; padding: .6rem .8rem; margin: .6rem 0; white-space: pre-wrap; }
.card h4 { margin: 0 0 .3rem 0; }
</style></head><body>
<h1>Policy reports assistant</h1>
<p class="note" id="state">The web chat is starting (a few seconds); it opens here by itself. Questions are
answered already:</p>
<form id="ask"><input id="q" name="q" placeholder="What did Bulgaria do in 2023?" aria-label="Question">
<button>Ask</button></form>
<div id="answer"></div>
<script>
const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;","'":"&#39;"}[c]));
let asked = false;
document.getElementById("ask").addEventListener("submit", async e => {
  e.preventDefault(); asked = true;
  const out = document.getElementById("answer"); out.textContent = "…";
  let r, a;
  try {
    r = await fetch("API_PATH?q=" + encodeURIComponent(document.getElementById("q").value));
    a = (r.headers.get("content-type") || "").startsWith("application/json") ? await r.json() : {error: await r.text()};
  } catch (e) { out.textContent = "The server did not answer: " + e; return; }
  if (!r.ok) { out.textContent = a.error; return; }
  out.innerHTML = "<p>" + esc(a.answer) + "</p>" + a.passages.map((h, i) =>
    `<div class="card"><h4>[${i + 1}] ${esc(h.source.title)}${h.source.year ? " (" + h.source.year + ")" : ""}, ` +
    `${esc(h.source.section)}</h4>${esc(h.text)}</div>`).join("");
});
async function poll() {
  try {
    const r = await fetch(location.href, {cache: "no-store"});
    if (r.status === 500) { location.reload(); return; }  // the chat could not start: the page says why
    if (r.status === 200) {
      if (!asked) { location.reload(); return; }
      document.getElementById("state").innerHTML = 'The web chat is ready: <a href="">open it</a>.';
      return;
    }
  } catch (e) {}
  setTimeout(poll, 500);
}
setTimeout(poll, 500);
</script></body></html>
""".replace("API_PATH", API_PATH)


class Gate:
    """The ASGI app uvicorn serves: ``/api/ask`` always, the starting page until the chat is mounted,
    then the chat (Gradio's FastAPI app) for everything else."""

    def __init__(self, settings: Settings, assistant: Assistant, loading: threading.Thread | None = None) -> None:
        self.settings = settings
        self.assistant = assistant
        self.loading = loading
        self.ui: Any = None
        self.failed: str | None = None
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._limiter: Any = None
        self._admitted = 0  # questions answering or waiting now (counted here: see _ask)
        self._mounting = False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == API_PATH:
            await self._ask(scope, receive, send)
        elif self.ui is not None:
            await self.ui(scope, receive, send)
        elif scope["type"] == "http":
            await self._starting(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._stop = asyncio.Event()
                self._task = asyncio.create_task(self._open())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._stop is not None:
                    self._stop.set()
                if self._task is not None:
                    if not self._mounting:  # still importing Gradio: nothing of the chat to stop yet
                        self._task.cancel()
                    await asyncio.gather(self._task, return_exceptions=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _open(self) -> None:
        """Build the chat in a thread, then run its start-up events here and hand it every path."""
        try:
            app = await _in_daemon_thread(self._build)
            self._mounting = True  # from here the chat's start-up events run: a shutdown waits for them
            async with app.router.lifespan_context(app):
                self.ui = app
                log.info("the web chat is ready on http://%s:%s", self.settings.server.host, self.settings.server.port)
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the chat could not start: say so on the page, keep /api/ask answering
            log.exception("the web chat could not start")
            self.failed = f"{type(exc).__name__}: {exc}"

    def _build(self) -> Any:
        if self.loading is not None:
            self.loading.join()  # the first answers first: Gradio's import would halve their processor
        import gradio as gr
        from fastapi import FastAPI

        from ui.app import create_app, launch_options

        blocks = create_app(self.settings, self.assistant)
        return gr.mount_gradio_app(FastAPI(), blocks, path="", server_name=self.settings.server.host,
                                   server_port=self.settings.server.port, **launch_options(self.settings),
                                   app_kwargs={"routes": blocks.extra_routes})

    async def _ask(self, scope: dict, receive: Any, send: Any) -> None:
        from urllib.parse import parse_qs

        import anyio.to_thread

        if scope["method"] != "GET":
            return await _respond(send, 405, {"error": f"use GET {API_PATH}?q=your+question"}, [(b"allow", b"GET")])
        query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
        question = (query.get("q") or [""])[0]
        k = query["k"][0] if "k" in query else None  # checked by ask (check_k): the CLI's own message
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.server.concurrency)
        # Admitted and counted before any await: the limiter's own count of waiting tasks lags (run_sync
        # yields before it queues), so questions arriving together all passed a check on it (CI saw three
        # answered with concurrency 1 and queue_size 1).
        if self._admitted >= self.settings.server.concurrency + self.settings.server.queue_size:
            return await _respond(send, 503, {"error": "too many questions are waiting; retry in a few seconds"},
                                  [(b"retry-after", b"2")])
        self._admitted += 1
        try:
            answer = await anyio.to_thread.run_sync(lambda: self.assistant.ask(question, k=k), limiter=self._limiter)
        except UserError as exc:
            return await _respond(send, 400, {"error": str(exc)})
        except Exception as exc:  # a fault of ours (a damaged index, say): said, logged, never a bare 500
            log.exception("GET %s failed", API_PATH)
            return await _respond(send, 500, {"error": f"the question could not be answered ({type(exc).__name__}: "
                                                       f"{exc}); see the server's log"})
        finally:
            self._admitted -= 1
        await _respond(send, 200, answer.model_dump(mode="json"))

    async def _starting(self, scope: dict, receive: Any, send: Any) -> None:
        if self.failed:
            body = (f"<!doctype html><title>Policy reports assistant</title><p>The web chat could not start: "
                    f"{html.escape(self.failed)}. See the server's log; questions are still answered at "
                    f"<code>{API_PATH}?q=</code>.</p>").encode()
            return await _send(send, 500, body, "text/html; charset=utf-8")
        page = scope["path"] in ("", "/") and scope["method"] in ("GET", "HEAD")
        body = STARTING_PAGE.encode() if page else b"The web chat is starting; retry in a second.\n"
        await _send(send, 503, body if scope["method"] != "HEAD" else b"",
                    "text/html; charset=utf-8" if page else "text/plain; charset=utf-8",
                    [(b"retry-after", b"1"), (b"cache-control", b"no-store")])


async def _in_daemon_thread(function: Any) -> Any:
    """``function()`` in a daemon thread (a server stopped while Gradio is being imported exits at once)."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(method: str, value: Any) -> None:
        if not future.done():
            getattr(future, method)(value)

    def run() -> None:
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            outcome = ("set_exception", exc)
        else:
            outcome = ("set_result", result)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the server stopped meanwhile: nobody waits for it
            pass

    threading.Thread(target=run, name="web-chat", daemon=True).start()
    return await future


async def _respond(send: Any, status: int, data: dict, headers: list | None = None) -> None:
    await _send(send, status, json.dumps(data, ensure_ascii=False).encode(), "application/json", headers)


async def _send(send: Any, status: int, body: bytes, kind: str, headers: list | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode()),
                            (b"x-content-type-options", b"nosniff"), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def serve(settings: Settings, assistant: Assistant) -> None:
    """Listen on settings.server.host:port (127.0.0.1:7860 by default) until interrupted."""
    import uvicorn

    loading = assistant.load_in_background()
    log.info("listening on http://%s:%s (the web chat follows in a few seconds)", settings.server.host,
             settings.server.port)
    uvicorn.run(Gate(settings, assistant, loading), host=settings.server.host, port=settings.server.port,
                log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
