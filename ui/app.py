"""The web chat: a Gradio Blocks app over the same library API as the CLI.

`create_app(settings)` builds the app (nothing loads at import); the named API endpoint ``ask``
returns the same JSON object as `assistant ask --json`, so `gradio_client` can call it. Report and
user text is always escaped: it renders as text, never as HTML or script.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import unquote
from typing import Any

import gradio as gr

from assistant.api import MAX_QUESTION_CHARS, Assistant
from assistant.errors import UserError
from assistant.geo import country_name
from assistant.models import Answer
from assistant.settings import Settings
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
.card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 12px 14px; }
.card h4 { margin: 0 0 4px 0; font-size: 1rem; }
.card .meta { color: var(--body-text-color-subdued); font-size: 0.85rem; margin-bottom: 8px; }
.card .text { white-space: pre-wrap; line-height: 1.45; }
.card ol.notes { font-size: 0.85rem; margin: 8px 0 0 0; padding-left: 2.4em; }
.card ol.notes li { margin-bottom: 4px; overflow-wrap: anywhere; }
.related { font-weight: 600; margin: 4px 0 8px 0; }
"""


def _link(url: str | None, label: str | None = None) -> str:
    if not url or not url.lower().startswith(("http://", "https://")):
        return html.escape(label or url or "")
    return (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(label or url)}</a>")


def _note_html(text: str, urls: list[str]) -> str:
    """A note's text with its URLs as links, labelled readably (percent-encoding decoded)."""
    out = html.escape(text)
    for url in urls:
        label = unquote(url)
        label = label if len(label) <= 90 else label[:87] + "..."
        out = out.replace(html.escape(url), _link(url, label), 1)
    return out


def cards_html(answer: Answer) -> str:
    """The cited passages as cards, in rank order; every piece of report text escaped."""
    if not answer.passages:
        return "<p>No passages.</p>"
    parts = ['<div class="cards">']
    if answer.abstained:
        parts.append('<div class="related">Possibly related</div>')
    for hit in answer.passages:
        src = hit.source
        meta = " · ".join(x for x in [html.escape(src.section or ""), str(src.year) if src.year else "",
                                      _link(src.url, "source") if src.url else ""] if x)
        notes = ""
        if hit.footnotes:
            items = "".join(f'<li value="{html.escape(n.number)}" data-note="{html.escape(n.number)}">'
                            f"{_note_html(n.text, n.urls)}</li>" for n in hit.footnotes if n.number.isdigit())
            notes = f'<details open><summary>Notes ({len(hit.footnotes)})</summary><ol class="notes">{items}</ol></details>'
        parts.append(
            f'<div class="card" id="card-{hit.rank}" data-chunk="{html.escape(hit.chunk_id)}">'
            f"<h4>[P{hit.rank}] {html.escape(src.title)}</h4><div class=\"meta\">{meta}</div>"
            f'<div class="text">{html.escape(hit.text)}</div>{notes}</div>'
        )
    parts.append("</div>")
    return "".join(parts)


def _reply_text(answer: Answer) -> str:
    understood = []
    if answer.filters.countries:
        understood.append(", ".join(country_name(c) for c in answer.filters.countries))
    if answer.filters.years:
        understood.append(", ".join(str(y) for y in answer.filters.years))
    searched = f"\n\nSearched: {answer.resolved_query}" + (f" ({'; '.join(understood)})" if understood else "")
    return answer.answer + searched


def status_text(assistant: Assistant) -> str:
    try:
        index = assistant.index
    except UserError as exc:
        return f"Index: {exc}"
    meta = index.meta
    return (f"Index {index.version}: {meta.get('reports')} reports, {meta.get('passages')} passages · model "
            f"{meta.get('model', {}).get('name')} · built {meta.get('built_at')}")


def create_app(settings: Settings, assistant: Assistant | None = None) -> gr.Blocks:
    assistant = assistant or Assistant(settings)

    def ask_api(question: str, history: list[str] | None = None, k: int = 5) -> dict[str, Any]:
        """Answer a question with cited passages; the same JSON object as `assistant ask --json`."""
        return assistant.ask(question, history or [], k=k).model_dump(mode="json")

    def respond(question: str, chat: list[dict], asked: list[str]):
        question = (question or "").strip()
        if not question:
            return gr.update(), gr.update(), asked, ""
        notice = ""
        if len(question) > MAX_QUESTION_CHARS:
            question = question[:MAX_QUESTION_CHARS]
            notice = f"(Your question was cut to {MAX_QUESTION_CHARS} characters.)\n\n"
        try:
            answer = assistant.ask(question, asked, k=settings.k)
        except UserError as exc:
            chat = chat + [{"role": "user", "content": question}, {"role": "assistant", "content": f"Error: {exc}"}]
            return chat, "", asked, "", status_text(assistant)
        chat = chat + [{"role": "user", "content": question},
                       {"role": "assistant", "content": notice + _reply_text(answer)}]
        return chat, cards_html(answer), asked + [question], "", status_text(assistant)

    def new_conversation():
        return [], "", [], ""

    with gr.Blocks(title="Policy reports assistant") as app:
        gr.Markdown("## Policy reports assistant\nAsk about asylum and integration policy in Europe; "
                    "every answer cites the report passages and the sources they rest on.")
        asked = gr.State([])
        with gr.Tab("Chat", id="chat-tab"), gr.Row():
            with gr.Column(scale=5):
                chat = gr.Chatbot(label="Conversation", height=420, render_markdown=False, elem_id="chat")
                question = gr.Textbox(label="Question", placeholder="e.g. What did Bulgaria do in 2023?",
                                      max_lines=4, elem_id="question")
                with gr.Row():
                    send = gr.Button("Ask", variant="primary", elem_id="ask")
                    clear = gr.Button("New conversation", elem_id="new-conversation")
                gr.Examples(EXAMPLES, inputs=question, label="Example questions")
            with gr.Column(scale=6):
                gr.Markdown("### Passages")
                cards = gr.HTML("<p>Ask a question to see the cited passages.</p>", elem_id="cards")
        status = gr.Markdown(elem_id="status", render=False)
        sources_tab(settings, assistant, status, status_text)
        status.render()
        for trigger in (question.submit, send.click):
            trigger(respond, [question, chat, asked], [chat, cards, asked, question, status], api_visibility="private")
        clear.click(new_conversation, None, [chat, cards, asked, question], api_visibility="private")
        app.load(lambda: status_text(assistant), None, status, api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return app


def launch(settings: Settings, **kwargs: Any) -> tuple[Any, str, str]:
    """Start the app on settings.host:settings.port (127.0.0.1:7860 by default)."""
    app = create_app(settings)
    return app.launch(server_name=settings.host, server_port=settings.port, css=CSS, footer_links=["api"],
                      **kwargs)
