"""The web chat's "Countries" tab: pick a country the reports name, see every passage about it by year
and theme with its counts and notes (assistant/answer/country.py), and download the page as Markdown
or its passages as CSV. A link ``?country_page=BG`` opens the tab on that country."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answer import country
from assistant.api import Assistant
from assistant.errors import UserError
from assistant.geo import country_name
from ui.render import country_html

_EMPTY = "<p>Pick a country to see every passage about it.</p>"


def choices(assistant: Assistant) -> list[tuple[str, str]]:
    """The countries the served reports name, most passages first: ("Bulgaria (21)", "BG")."""
    try:
        counts = assistant.countries()
    except UserError:  # no index served: the status line says why
        return []
    return [(f"{country_name(code)} ({n})", code) for code, n in counts.items()]


def countries_tab(assistant: Assistant) -> tuple[Any, list[Any]]:
    """Build the tab; returns its loader (fills the list on page load, opens ``?country_page=``) and outputs."""
    folder = Path(tempfile.mkdtemp(prefix="assistant-countries-"))

    with gr.Tab("Countries", id="countries"):
        pick = gr.Dropdown(choices=[], label="Country", elem_id="country-pick", allow_custom_value=False)
        with gr.Row():
            download_md = gr.DownloadButton("Page (.md)", visible=False, elem_id="country-md")
            download_csv = gr.DownloadButton("Passages (.csv)", visible=False, elem_id="country-csv")
        page_box = gr.HTML(_EMPTY, elem_id="country-page")

    def show(code: str | None) -> tuple:
        if not code:
            return _EMPTY, gr.update(visible=False), gr.update(visible=False)
        try:
            page = assistant.country_page(code)
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        reports = {served.report.id: served.report for served in assistant.reports()}
        safe = re.sub(r"[^A-Za-z]", "", page.country) or "country"
        md, table = folder / f"{safe}.md", folder / f"{safe}.csv"
        md.write_text(country.markdown(page), encoding="utf-8")
        table.write_text(country.csv_text(page), encoding="utf-8")
        return (country_html(page, reports), gr.update(value=str(md), visible=bool(page.passages)),
                gr.update(value=str(table), visible=bool(page.passages)))

    def load(request: gr.Request) -> tuple:
        options = choices(assistant)
        wanted = (request.query_params.get("country_page") or "").strip().upper() if request is not None else ""
        if wanted in {code for _, code in options}:
            return (gr.update(choices=options, value=wanted), *show(wanted))
        return gr.update(choices=options), gr.skip(), gr.skip(), gr.skip()

    pick.input(show, pick, [page_box, download_md, download_csv], api_visibility="private")
    return load, [pick, page_box, download_md, download_csv]
