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
