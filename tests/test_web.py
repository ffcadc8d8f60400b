"""The web chat starts and its named `ask` endpoint answers through gradio_client."""

from __future__ import annotations

import pytest

from assistant.settings import Settings
from ui.app import cards_html

pytestmark = pytest.mark.slow


def test_ask_endpoint_returns_the_cli_json(server: str):
    from gradio_client import Client

    client = Client(server, verbose=False)
    answer = client.predict("What did Bulgaria do in 2023?", [], 3, api_name="/ask")
    assert (answer["filters"]["countries"], answer["filters"]["years"]) == (["BG"], [2023])
    first = answer["passages"][0]
    assert first["text"].startswith("In Bulgaria, a forum on")
    assert [n["number"] for n in first["footnotes"]] == ["898", "899"]
    follow = client.predict("And in 2017?", ["What did Bulgaria do in 2023?"], 3, api_name="/ask")
    assert follow["resolved_query"] == "What did Bulgaria do in 2017?"


def test_cards_escape_report_text(settings: Settings):
    from assistant.models import Answer, Filters, Note, PassageHit, SourceRef

    hit = PassageHit(rank=1, score=0.5, chunk_id="x", text='<script>alert(1)</script><img src=x onerror=alert(2)>',
                     source=SourceRef(id="r", title="<b>T</b>", year=2020, url="javascript:alert(3)", section="S"),
                     footnotes=[Note(number="1", text="<i>n</i> https://ok.example/a", urls=["https://ok.example/a"])])
    html = cards_html(Answer(query="q", resolved_query="q", filters=Filters(), abstained=False, answer="a",
                             passages=[hit]))
    assert "<script>" not in html and "<img" not in html and "<b>T</b>" not in html
    assert "javascript:" not in html.split("&lt;")[0] and 'href="javascript' not in html
    assert '<a href="https://ok.example/a"' in html
