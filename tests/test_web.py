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


def test_the_launched_chat_serves_the_pdfs_of_its_reports_and_nothing_else(tmp_path):
    """/reports/<file> answers in front of Gradio's own routes on every launch of the app: the PDF of a
    served report, inline; 404 for a PDF the index does not hold, a text report, and any path out."""
    import httpx

    from tests.conftest import free_port
    from tests.test_api import served_with_pdf
    from ui.app import create_app

    assistant = served_with_pdf(tmp_path)
    app = create_app(assistant.settings, assistant)
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base) as client:
            pdf = client.get("/reports/Local%20practices.pdf")
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
            assert pdf.headers["content-type"] == "application/pdf"
            assert client.head("/reports/Local%20practices.pdf").status_code == 200
            for url in ("/reports/not-indexed.pdf", "/reports/ar-2024.txt", "/reports/..%2Fsecret.pdf",
                        "/reports/%2E%2E%2Fsecret.pdf", "/reports/%2e%2e/%2e%2e/etc/passwd", "/reports/unknown.pdf"):
                assert client.get(url).status_code == 404, url
            raw = httpx.Request("GET", base + "/reports/x")  # a path sent as it is, "../" not folded by the client
            raw.url = raw.url.copy_with(raw_path=b"/reports/../secret.pdf")
            assert client.send(raw).status_code == 404
            assert client.post("/reports/Local%20practices.pdf").status_code == 405, "read-only"
            assert client.get("/").status_code == 200, "the chat itself is still served"
    finally:
        app.close()
