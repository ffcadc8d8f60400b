"""The web chat: a Gradio Blocks app over the same library API as the CLI.

`create_app(settings)` builds the app (nothing loads at import). Tabs: Chat (conversation, answer
with citation markers that scroll to their cards, filter chips, report and year refinement, exports),
Countries (every passage on a country by year and theme, as Markdown or CSV), Sources (reports,
upload, rebuild) and Evaluation (the latest `assistant eval` report). The named API
endpoint ``ask`` returns the same JSON object as `assistant ask --json`; /reports/<file> serves the
PDFs of the reports served, so that a card's page opens the PDF at that page. Report and user text is
always escaped (see render.py).
"""

from __future__ import annotations

import html
import logging
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from assistant.answer.exports import export
from assistant.api import Assistant, ChatTurn, normalize_text
from assistant.errors import UserError
from assistant.geo import country_name
from assistant.models import Answer
from assistant.settings import Settings
from ui.countries import countries_tab
from ui.evaluation import evaluation_tab
from ui.render import REPORTS_PATH, answer_html, answer_json, cards_html, conversation_markdown
from ui.sources import sources_tab

log = logging.getLogger(__name__)

EXAMPLES = [
    "What did Bulgaria do in 2023?",
    "Which handbook was drafted for local authorities in Croatia?",
    "What is the status of the action on mentoring and buddy programmes?",
    "How did Ireland fund community integration projects in 2022?",
]

CSS = """
.cards { display: flex; flex-direction: column; gap: 12px; }
.card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px; scroll-margin-top: 12px; }
.card:target { outline: 3px solid var(--color-accent); }
.card h4 { margin: 0 0 4px 0; font-size: 1rem; }
.card .meta { color: var(--body-text-color-subdued); font-size: 0.85rem; margin-bottom: 8px; }
.card .text { white-space: pre-wrap; line-height: 1.45; }
.card .meta .ocr { border: 1px solid var(--border-color-primary); border-radius: 4px; padding: 0 4px; font-size: 0.75rem; }
.card mark { background: #fff3a8; padding: 0 1px; }
.card ol.notes { font-size: 0.85rem; margin: 8px 0 0 0; padding-left: 0.4em; list-style: none; }
.card ol.notes li { margin-bottom: 4px; overflow-wrap: anywhere; }
.card .copy { margin-top: 8px; font-size: 0.8rem; padding: 2px 8px; border-radius: 4px;
  border: 1px solid var(--border-color-primary); cursor: pointer; }
.answer .searched { color: var(--body-text-color-subdued); font-size: 0.9rem; }
.answer a.cite { font-weight: 600; text-decoration: none; }
.empty { background: #fff4e5; border: 1px solid #f0b36b; border-radius: 6px; padding: 10px 12px; margin-bottom: 8px; }
.related { font-weight: 600; margin: 4px 0 8px 0; }
.card .meta .match { border-radius: 4px; padding: 0 4px; font-size: 0.75rem; border: 1px solid var(--border-color-primary); }
.card .meta .match-both { font-weight: 600; }
table.groups { border-collapse: collapse; margin: 8px 0; font-size: 0.9rem; }
table.groups th, table.groups td { border: 1px solid var(--border-color-primary); padding: 4px 8px; text-align: left; vertical-align: top; }
table.groups tr.empty td { font-style: italic; }
.country-year h3 { margin: 16px 0 4px 0; }
.country-year h4.theme { margin: 10px 0 6px 0; font-size: 0.95rem; color: var(--body-text-color-subdued); }
.country .card { margin-bottom: 8px; }
"""


def report_routes(assistant: Assistant) -> list[BaseRoute]:
    """GET /reports/<file>: the PDF of a report of the version served, read-only and shown in the
    browser (a card's page link adds #page=N); 404 for every other name (``Assistant.report_file``
    decides: only PDF files of that version's reports, never a path out of the corpus folder)."""

    def serve(request: Request) -> Response:
        path = assistant.report_file(request.path_params["name"])
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        return FileResponse(path, media_type="application/pdf", filename=path.name, content_disposition_type="inline",
                            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"})

    return [Route(f"/{REPORTS_PATH}/{{name:path}}", serve, methods=["GET", "HEAD"])]


class ChatBlocks(gr.Blocks):
    """The web chat's Blocks: ``launch`` puts ``extra_routes`` (the PDF route) in front of Gradio's own
    routes, through the FastAPI app's ``routes`` argument (``launch(app_kwargs=...)``), so that every
    launch of the app serves them."""

    extra_routes: list[BaseRoute]

    def launch(self, *args: Any, app_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        app_kwargs = dict(app_kwargs or {})
        app_kwargs["routes"] = [*getattr(self, "extra_routes", []), *app_kwargs.get("routes", [])]
        return super().launch(*args, app_kwargs=app_kwargs, **kwargs)


def status_text(assistant: Assistant) -> str:
    state = assistant.state()
    if state.error:
        return f"Index: {state.error}"
    line = (f"Index {state.version}: {state.reports} reports, {state.passages} passages · model "
            f"{state.model} · built {state.built_at}")
    return line + (f"\n\n**Warning:** {html.escape(state.warning)}" if state.warning else "")


def chips(answer: Answer) -> Any:
    """The countries and years understood, as ticked boxes the user can untick."""
    choices = [(country_name(c), f"country:{c}") for c in answer.filters.countries]
    choices += [(str(y), f"year:{y}") for y in answer.filters.years]
    return gr.update(choices=choices, value=[v for _, v in choices], visible=bool(choices))


def _reply_text(answer: Answer, notice: str = "") -> str:
    return _message(f"{notice}{answer.answer}\n\nSearched: {answer.resolved_query}")


def _message(text: str) -> str:
    """Chat text shown as text: the chat component interprets HTML, so it gets it escaped."""
    return html.escape(text, quote=False)


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def create_app(settings: Settings, assistant: Assistant | None = None) -> gr.Blocks:
    assistant = assistant or Assistant(settings)
    exports = Path(tempfile.mkdtemp(prefix="assistant-exports-"))

    def reports() -> dict:
        return {served.report.id: served.report for served in assistant.reports()}

    def ask_api(question: str, history: list[str] | None = None, k: int = settings.retrieval.k) -> dict[str, Any]:
        """Answer a question with cited passages; the same JSON object as `assistant ask --json`.

        k is from 1 to 100. A caller's mistake (an empty question, a bad k or history) comes back as an
        error with the CLI's message, and logs no traceback."""
        try:
            return assistant.ask(question, history, k=k).model_dump(mode="json")
        except UserError as exc:
            log.info("ask API refused a request: %s", exc)
            raise gr.Error(str(exc), print_exception=False) from None

    def show(answer: Answer, turns: list[ChatTurn], session: str) -> tuple:
        folder = exports / session
        folder.mkdir(exist_ok=True)
        md = _write(folder, "conversation.md", conversation_markdown([t.answer for t in turns], reports()))
        js = _write(folder, "answer.json", answer_json(turns[-1].answer))
        cited = [_write(folder, f"{name}.{suffix}", export(answer, reports(), kind))
                 for kind, name, suffix in (("bibtex", "cited-reports", "bib"), ("ris", "cited-reports", "ris"),
                                            ("csv", "passages", "csv"))]
        return (answer_html(answer), chips(answer), cards_html(answer, reports()),
                gr.update(value=md, visible=True), gr.update(value=js, visible=True),
                *(gr.update(value=path, visible=True) for path in cited), status_text(assistant))

    def respond(question: str, chat: list[dict], asked: list[str], turns: list[ChatTurn], session: str,
                request: gr.Request):
        return answered(question, chat, asked, turns, session, request)

    def answered(question: str, chat: list[dict], asked: list[str], turns: list[ChatTurn], session: str,
                 request: gr.Request | None, countries: list[str] | None = None, years: list[int] | None = None):
        question = normalize_text(question or "").strip()  # what the library searches, shown as asked
        if not question:
            return (gr.update(),) * 4 + (asked, turns, session) + (gr.update(),) * 9
        notice = ""
        limit = settings.retrieval.max_question_chars
        if len(question) > limit:
            question = question[:limit]
            notice = f"(Your question was cut to {limit} characters.)\n\n"
        session = session or (request.session_hash if request else None) or "default"
        try:
            answer = assistant.ask(question, asked, k=settings.retrieval.k, countries=countries, years=years)
        except UserError as exc:
            chat = chat + [{"role": "user", "content": _message(question)},
                           {"role": "assistant", "content": _message(f"Error: {exc}")}]
            return (chat, "", gr.update(), "", asked, turns, session, "", gr.update(), gr.update(), gr.update(),
                    gr.update(), gr.update(), gr.update(), gr.update(), status_text(assistant))
        turns = turns + [ChatTurn(answer=answer, history=list(asked))]
        chat = chat + [{"role": "user", "content": _message(question)},
                       {"role": "assistant", "content": _reply_text(answer, notice)}]
        html_answer, chip_update, cards, *files, line = show(answer, turns, session)
        return (chat, html_answer, chip_update, "", asked + [question], turns, session, cards, *files,
                gr.update(value=[]), gr.update(value=None), line)

    def open_link(chat: list[dict], asked: list[str], turns: list[ChatTurn], session: str, request: gr.Request):
        """A shared link (``?q=...&country=BG&year=2023``) opens with its question asked, its filters set."""
        params = request.query_params if request is not None else {}
        question = params.get("q") or ""
        if not question.strip():  # (nothing changed: a question asked while the page loaded keeps its state)
            return (gr.skip(),) * 16
        countries = [c.strip().upper() for value in params.getlist("country") for c in value.split(",") if c.strip()]
        years = [int(y) for value in params.getlist("year") for y in value.split(",") if y.strip().isdigit()]
        return answered(question, chat, asked, turns, session, request, countries or None, years or None)

    def refine(selected: list[str], picked_reports: list[str], year_from: Any, year_to: Any, chat: list[dict],
               turns: list[ChatTurn], session: str):
        """Ask the last question again with the chips the user kept and the report or years picked."""
        if not turns:
            return (gr.update(),) * 9 + (turns, chat, gr.update())
        last = turns[-1]
        countries = [v.split(":", 1)[1] for v in selected or [] if v.startswith("country:")]
        years = [int(v.split(":", 1)[1]) for v in selected or [] if v.startswith("year:")]
        try:
            lo, hi = (int(year_from) if year_from not in (None, "") else None,
                      int(year_to) if year_to not in (None, "") else None)
        except (TypeError, ValueError):
            raise gr.Error("years must be numbers such as 2021") from None
        if lo or hi:
            lo, hi = lo or hi, hi or lo
            years = list(range(min(lo, hi), max(lo, hi) + 1))
        try:
            answer = assistant.ask(last.answer.query, last.history, k=settings.retrieval.k, countries=countries,
                                   years=years, reports=picked_reports or None)
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        turns = turns[:-1] + [ChatTurn(answer=answer, history=last.history)]
        chat = chat[:-1] + [{"role": "assistant", "content": _reply_text(answer, "(Filters changed.) ")}]
        html_answer, chip_update, cards, *files, line = show(answer, turns, session)
        return html_answer, chip_update, cards, *files, line, turns, chat, gr.update()

    def new_conversation():
        return ([], "", gr.update(choices=[], value=[], visible=False), "", [], [], "<p>Ask a question to see the "
                "cited passages.</p>", *(gr.update(visible=False),) * 5, gr.update(value=[]), gr.update(value=None))

    with ChatBlocks(title="Policy reports assistant") as app:
        gr.Markdown("## Policy reports assistant\nAsk about asylum and integration policy in Europe; "
                    "every answer cites the report passages and the sources they rest on.")
        asked, turns, session = gr.State([]), gr.State([]), gr.State("")
        status = gr.Markdown(elem_id="status", render=False)
        with gr.Tab("Chat", id="chat-tab"), gr.Row():
            with gr.Column(scale=4):
                chat = gr.Chatbot(label="Conversation", height=380, render_markdown=False, elem_id="chat")
                question = gr.Textbox(label="Question", placeholder="e.g. What did Bulgaria do in 2023?",
                                      max_lines=4, elem_id="question")
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation", elem_id="new-conversation")
                gr.Examples(EXAMPLES, inputs=question, label="Example questions")
                with gr.Row():
                    export_md = gr.DownloadButton("Export conversation (.md)", visible=False, elem_id="export-md")
                    export_json = gr.DownloadButton("Answer as JSON", visible=False, elem_id="export-json")
                with gr.Row():
                    export_bib = gr.DownloadButton("Cited reports (.bib)", visible=False, elem_id="export-bib")
                    export_ris = gr.DownloadButton("Cited reports (.ris)", visible=False, elem_id="export-ris")
                    export_csv = gr.DownloadButton("Passages (.csv)", visible=False, elem_id="export-csv")
                with gr.Accordion("Refine: reports and years", open=False, elem_id="refine"):
                    picked = gr.Dropdown(choices=[(r.title, r.id) for r in reports().values()], multiselect=True,
                                         label="Only these reports", elem_id="pick-reports")
                    with gr.Row():
                        year_from = gr.Number(label="From year", precision=0, elem_id="year-from")
                        year_to = gr.Number(label="To year", precision=0, elem_id="year-to")
                    apply = gr.Button("Apply", elem_id="apply-refine")
            with gr.Column(scale=6):
                answer_box = gr.HTML("", elem_id="answer-panel")
                chip_box = gr.CheckboxGroup(label="Understood (untick to remove)", choices=[], visible=False,
                                            elem_id="chips")
                cards = gr.HTML("<p>Ask a question to see the cited passages.</p>", elem_id="cards")
        load_countries, countries_outputs = countries_tab(assistant)
        sources_tab(settings, assistant, status, status_text)
        load_evaluation, evaluation_outputs = evaluation_tab(settings)
        status.render()

        downloads = [export_md, export_json, export_bib, export_ris, export_csv]
        outputs = [chat, answer_box, chip_box, question, asked, turns, session, cards, *downloads,
                   picked, year_from, status]
        for trigger in (question.submit, send.click):
            trigger(respond, [question, chat, asked, turns, session], outputs, api_visibility="private")
        refine_outputs = [answer_box, chip_box, cards, *downloads, status, turns, chat, question]
        chip_box.input(refine, [chip_box, picked, year_from, year_to, chat, turns, session], refine_outputs,
                       api_visibility="private")
        apply.click(refine, [chip_box, picked, year_from, year_to, chat, turns, session], refine_outputs,
                    api_visibility="private")
        clear.click(new_conversation, None, [chat, answer_box, chip_box, question, asked, turns, cards, *downloads,
                                             picked, year_from], api_visibility="private")
        # a shared link opens on its answer; the address bar itself is not rewritten after each answer
        # (tried: Gradio's client reads the page address, and a conversation then lost its history)
        app.load(open_link, [chat, asked, turns, session], outputs, api_visibility="private")
        app.load(lambda: status_text(assistant), None, status, api_visibility="private")
        app.load(load_evaluation, None, evaluation_outputs, api_visibility="private")
        app.load(load_countries, None, countries_outputs, api_visibility="private")
        gr.api(ask_api, api_name="ask")
    app.queue(default_concurrency_limit=settings.server.concurrency, max_size=settings.server.queue_size)
    app.extra_routes = report_routes(assistant)
    return app


def launch(settings: Settings, assistant: Assistant | None = None, **kwargs: Any) -> tuple[Any, str, str]:
    """Start the app on settings.server.host:settings.server.port (127.0.0.1:7860 by default). The index
    and the model load in the background (``Assistant.load_in_background``; `assistant serve` starts
    that before importing Gradio, so the two overlap), and the first question is answered at once."""
    if assistant is None:
        assistant = Assistant(settings)
        assistant.load_in_background()
    app = create_app(settings, assistant)
    return app.launch(server_name=settings.server.host, server_port=settings.server.port,
                      **launch_options(settings), **kwargs)


def launch_options(settings: Settings) -> dict[str, Any]:
    """What the chat is served with, launched (``launch``) or mounted (`assistant serve`, ui/server.py)."""
    return {"css": CSS, "footer_links": ["api"], "max_file_size": settings.parsing.max_file_mb * 2**20}
