"""The library API: every verb returns a typed model, and the CLI and the web chat render those same
models (one wording, one contract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant import api
from assistant.models import Answer, Filters, Note, PassageHit, SourceRef
from tests.conftest import CORPUS
from ui.cli import main
from ui.render import answer_json
from ui.text import build_line


def _answer() -> Answer:
    hit = PassageHit(rank=1, score=0.61, chunk_id="abc", text="In Bulgaria, a forum on integration met in 2023.",
                     source=SourceRef(id="r", title="Report", year=2024, url=None, section="Bulgaria"),
                     footnotes=[Note(number="898", text="See https://example.org", urls=["https://example.org"])])
    return Answer(query="What did Bulgaria do in 2023?", resolved_query="What did Bulgaria do in 2023?",
                  filters=Filters(countries=["BG"], years=[2023], topic="do"), abstained=False,
                  answer="In Bulgaria, a forum met. [P1]", passages=[hit], index_version="v0001")


def test_the_web_export_of_an_answer_is_exactly_the_ask_contract():
    """A chat turn keeps the history it was asked after, but the "Answer as JSON" export is the answer
    alone, as `assistant ask --json` prints it (no private keys leak)."""
    answer = _answer()
    turn = api.ChatTurn(answer=answer, history=["What did Greece do?"])
    exported = json.loads(answer_json(turn.answer))
    assert exported == json.loads(answer.model_dump_json())
    assert set(exported) == set(Answer.model_fields) and "_history" not in exported


def test_one_wording_for_a_build_in_the_cli_and_the_web_chat():
    from assistant.models import BuildSummary

    changed = BuildSummary(reports=5, passages=74, embedded=6, reused=68, removed=1, skipped=[], seconds=3.21,
                           index="index", version="v0003", details=[])
    same = changed.model_copy(update={"changed": False, "embedded": 0, "reused": 74, "removed": 0})
    assert build_line(changed) == "Index v0003: 5 reports, 74 passages (6 embedded, 68 from the cache, 1 removed) in 3.2 s"
    assert build_line(changed, where=True).endswith(" into index")
    assert build_line(same).startswith("Index v0003 is current: 5 reports, 74 passages; nothing to do")


@pytest.mark.slow
def test_every_verb_returns_a_typed_model_that_the_cli_prints(settings, tmp_path: Path):
    status = api.status(settings)
    assert status.version == "v0001" and status.current and status.reports == 5
    cli = CliRunner().invoke(main, ["index", "status", "--json", "--index", str(settings.index),
                                    "--corpus", str(CORPUS)])
    assert json.loads(cli.stdout) == json.loads(status.model_dump_json())

    inspection = api.inspect(settings, "euaa-ar-2024")
    assert inspection.report.id == "euaa-ar-2024" and inspection.passages
    assert {p.source for p in inspection.passages} == {"euaa-ar-2024"}
    cli = CliRunner().invoke(main, ["inspect", "--json", "--report", "euaa-ar-2024", "--index", str(settings.index)])
    lines = [json.loads(line) for line in cli.stdout.splitlines()]
    assert lines == [json.loads(p.model_dump_json()) for p in inspection.passages]
    with pytest.raises(api.UserError, match="no report 'nope' in the index; known: "):
        api.inspect(settings, "nope")

    state = api.Assistant(settings).state()
    assert (state.version, state.reports, state.warning, state.error) == ("v0001", 5, None, None)
    answer = api.ask(settings, "What did Bulgaria do in 2023?", k=2)
    assert isinstance(answer, Answer) and len(answer.passages) == 2 and answer.index_version == "v0001"

    with pytest.raises(api.UserError, match="no earlier index version"):
        api.rollback(settings)


def test_the_evaluation_tab_renders_a_written_report(tmp_path: Path):
    """What `assistant eval` writes reads back as an EvalReport, and the web tab's tables come from it
    (the metric table per mode, the per-kind bars, the failed questions)."""
    from ui.evaluation import tables

    question = {"kind": "country_year", "question": "What did Bulgaria do in 2023?", "history": [],
                "answerable": True, "resolved_query": "What did Bulgaria do in 2023?", "abstained": False,
                "note_correct": True, "first_relevant_rank": 2, "top": ["r | s | text"], "best_score": 0.6,
                "metrics": {m: 0.5 for m in api.METRICS}}
    refused = {**question, "kind": "unanswerable", "answerable": False, "abstained": True, "note_correct": None,
               "first_relevant_rank": None}
    del refused["metrics"]  # an unanswerable question has none, as `assistant eval` writes it
    summary = {"n": 2, **{m: 0.5 for m in api.METRICS}, "note_accuracy": 1.0, "abstention_accuracy": 1.0,
               "false_abstention": 0.0}
    written = {"created": "2026-12-01T00:00:00+00:00", "gold": "eval/gold.jsonl", "questions": 2,
               "index": {"model": {"name": "all-MiniLM-L6-v2", "sha256": "53aa5117", "backend": "onnx"},
                         "splitter": {"version": "5"}, "built_at": "2026-12-01T00:00:00+00:00",
                         "dense": {"kind": "flat"}, "format": 5, "version": "v0001", "passages": 73, "reports": 5},
               "modes": {"hybrid+meta": {"overall": summary, "by_kind": {"country_year": summary},
                                         "questions": {"q1": question, "q2": refused}, "seconds": 1.0}},
               "settings": {"abstain_below": 0.327}, "targets": {"Hit@1": 0.9}, "max_false_abstention": 0.03}
    path = tmp_path / "latest.json"
    path.write_text(json.dumps(written), encoding="utf-8")
    report = api.EvalReport.read(path)
    assert report is not None and report.as_dict() == written, "read and written back unchanged"
    modes, kinds, failed, caption = tables(report)
    assert list(modes["mode"]) == ["hybrid+meta"] and "MRR@10" in modes.columns
    assert list(kinds["kind"]) == ["country_year"]
    assert list(failed["id"]) == ["q1"] and "first relevant at rank 2" in failed["why"][0]
    assert "73 passages" in caption and "hybrid+meta" in caption
    assert api.EvalReport.read(tmp_path / "missing.json") is None
    assert tables(None)[3].startswith("No evaluation report yet")


# --- Pages in citations and reading quality (issue 15, points 4 and 8), on the in-memory index -----------

def served_with_pdf(tmp_path: Path, quality=None) -> api.Assistant:
    """An Assistant serving the in-memory index of tests/fakes.py plus a PDF report (a real reportlab PDF
    in a temporary corpus, its name with a space) whose passage "graz-cafes" is on pages 12-13 and was
    partly read by OCR; questions are embedded as a vector that ranks that passage first."""
    import numpy as np

    from assistant.models import DocumentInfo, Report
    from assistant.settings import Settings
    from tests import fakes
    from tests.fixtures.pdfs import build_report_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    build_report_pdf(corpus / "Local practices.pdf")
    (corpus / "not-indexed.pdf").write_bytes((corpus / "Local practices.pdf").read_bytes())
    (corpus / "ar-2024.txt").write_text("A text report of the index: not a PDF, never served.", encoding="utf-8")
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4 outside the corpus")
    pdf = Report(id="local", file="Local practices.pdf", title="Local practices", year=2022, format="pdf",
                 publisher="City of Graz")
    cafes = fakes.passage("graz-cafes", "local", "In 2021 Graz opened language cafes for refugees.", countries=["AT"],
                          lead=["AT"], years=[2021]).model_copy(update={"pages": [12, 13], "ocr": True})
    index = fakes.index_data(fakes.PASSAGES + [cafes], fakes.REPORTS + [pdf])
    index.documents["local"] = DocumentInfo(quality=quality)
    assistant = api.Assistant(Settings(corpus=corpus, index=tmp_path / "no-index"))
    assistant._index = index  # served as if read from disk: no CURRENT in the index folder, so it is kept
    assistant.embedder.encode = lambda texts: np.stack([fakes.vector(index, {"graz-cafes": 0.9, "it-2021": 0.5})
                                                        for _ in texts])
    return assistant


def test_a_pdf_passage_carries_its_pages_into_json_cli_cards_and_citations(tmp_path: Path, capsys):
    from ui.cli import _print_answer
    from ui.render import cards_html, citation, conversation_markdown

    assistant = served_with_pdf(tmp_path)
    answer = assistant.ask("What did Graz do for refugees in 2021?", k=2)
    pdf_hit, text_hit = answer.passages
    assert (pdf_hit.chunk_id, text_hit.chunk_id) == ("graz-cafes", "it-2021")
    as_json = json.loads(answer.model_dump_json())["passages"]
    assert as_json[0]["source"]["pages"] == [12, 13] and as_json[0]["source"]["ocr"] is True
    assert as_json[1]["source"]["pages"] == [] and as_json[1]["source"]["ocr"] is False, "a text report has no page"

    reports = {r.report.id: r.report for r in assistant.reports()}
    assert citation(pdf_hit, reports["local"]) == ("City of Graz (2022) Local practices. Section: Integration, "
                                                   "pp. 12-13 (OCR).")
    assert citation(text_hit, reports["ar-2022"]) == "(2022) Asylum Report 2022. Section: Integration."
    single = pdf_hit.model_copy(update={"source": pdf_hit.source.model_copy(update={"pages": [7], "ocr": False,
                                                                                      "section": None})})
    assert citation(single, reports["local"]) == "City of Graz (2022) Local practices. p. 7."

    cards = cards_html(answer, reports)
    assert '<a class="page" href="reports/Local%20practices.pdf#page=12"' in cards, "opens the PDF at its first page"
    assert ">pp. 12-13</a>" in cards and '<span class="ocr"' in cards
    assert cards.count('class="page"') == 1, "no page link on a text report's card"
    assert "Section: Integration, pp. 12-13 (OCR)." in cards  # the copied citation
    markdown = conversation_markdown([answer], reports)
    assert "### [P1] Local practices — Integration, pp. 12-13 (OCR)" in markdown
    assert "Reference: City of Graz (2022) Local practices. Section: Integration, pp. 12-13 (OCR)." in markdown

    _print_answer(answer)
    out = capsys.readouterr().out
    assert "[P1] Local practices, 2022 — Integration, pp. 12-13 (OCR)   (score" in out
    assert "[P2] Asylum Report 2022, 2022 — Integration   (score" in out


def test_the_pdf_route_serves_only_the_pdfs_of_the_reports_served(tmp_path: Path):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from ui.app import report_routes

    assistant = served_with_pdf(tmp_path)
    assert assistant.report_file("Local practices.pdf") == (tmp_path / "corpus" / "Local practices.pdf").resolve()
    client = TestClient(Starlette(routes=report_routes(assistant)))
    ok = client.get("/reports/Local%20practices.pdf")
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    assert ok.headers["content-type"] == "application/pdf" and ok.headers["content-disposition"].startswith("inline")
    refused = ["/reports/not-indexed.pdf",  # in the corpus, not in the index
               "/reports/ar-2024.txt",  # a report of the index, but not a PDF
               "/reports/..%2Fsecret.pdf", "/reports/%2E%2E/secret.pdf", "/reports/../secret.pdf",
               "/reports/Local%20practices.pdf%2F..%2F..%2Fsecret.pdf", "/reports/%2Fetc%2Fpasswd",
               "/reports/", "/reports/unknown.pdf", "/reports/local"]
    for url in refused:
        assert client.get(url).status_code == 404, url
    for name in ("../secret.pdf", "/etc/passwd", "", ".", "Local practices.pdf/", "not-indexed.pdf"):
        assert assistant.report_file(name) is None, name
    (tmp_path / "corpus" / "Local practices.pdf").unlink()
    assert client.get("/reports/Local%20practices.pdf").status_code == 404, "gone from the corpus: not served"


def test_reading_quality_wording_for_status_inspect_and_build():
    from assistant.models import BuildSummary, IndexedReport, ReadingQuality, ReportSummary
    from ui.cli import _indexed_line
    from ui.text import build_details, quality_line

    good = ReadingQuality.measure(markers=40, pages=10)
    poor = ReadingQuality.measure(markers=10, markers_without_notes=6, notes_without_markers=2, pages=10,
                                  ocr_pages=[3], stray_pages=[4, 5])
    assert (good.verdict, poor.verdict) == ("good", "poor")
    assert quality_line(good) == "good (score 1.00)"
    assert quality_line(poor) == (f"poor (score {poor.score:.2f}): 6 marker(s) without a note; 2 note(s) cited "
                                  "nowhere; 2 page(s) with text outside the body and notes; 1 page(s) read by OCR")
    assert quality_line(None).startswith("not measured")
    assert _indexed_line(IndexedReport(id="r", file="r.pdf", passages=12, quality=poor)) == \
        f"12 passages, 10 pages; read: {quality_line(poor)}"
    assert _indexed_line(IndexedReport(id="r", file="r.txt", passages=3, quality=ReadingQuality.measure())) == \
        "3 passages; read: good (score 1.00)"
    details = [ReportSummary(id=i, file=f"{i}.pdf", passages=1, notes=0, note_form=None, inferred=[], warnings=[],
                             quality=q) for i, q in (("fine", good), ("bad", poor), ("old", None))]
    lines = build_details(BuildSummary(reports=3, passages=3, embedded=3, skipped=[], seconds=1.0, index="i",
                                       details=details))
    assert [line.split(":")[0] for line in lines] == ["  fine", "  bad", "    read", "  old"]
    assert lines[2] == f"    read: {quality_line(poor)}"
    assert sum("read:" in line for line in lines) == 1, "only a report that did not read well gets a line"


def test_inspect_report_prints_the_reading_quality_block(capsys):
    from assistant.models import DocumentInfo, ReadingQuality, Report
    from assistant.results import Inspection
    from ui.cli import _print_report

    quality = ReadingQuality.measure(markers=5, markers_without_notes=1, pages=4, ocr_pages=[2], blank_pages=[4])
    report = Report(id="r", file="r.pdf", title="R", format="pdf")
    _print_report(Inspection(version="v0001", report=report, document=DocumentInfo(quality=quality), passages=[]))
    out = capsys.readouterr().out
    assert f"  reading quality: {quality.verdict} (score {quality.score:.2f}): 1 marker(s) without a note" in out
    assert "    markers attached to a note: 5; markers without a note: 1; notes cited nowhere: 0" in out
    assert "    pages: 4\n    pages read by OCR: 2\n    pages with no text read: 4\n" in out
    _print_report(Inspection(version="v0001", report=report, document=DocumentInfo(), passages=[]))
    assert "  reading quality: not measured" in capsys.readouterr().out
