"""The CLI end to end with the real model, FAISS and corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ui.cli import main
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_bulgaria_2023_first_passage_is_the_forums_with_notes_898_899(index_dir: Path):
    code, out, _ = run("ask", "What did Bulgaria do in 2023?", "--index", str(index_dir), "--json")
    assert code == 0
    answer = json.loads(out)
    assert set(answer) >= {"query", "resolved_query", "filters", "abstained", "answer", "passages"}
    assert (answer["filters"]["countries"], answer["filters"]["years"]) == (["BG"], [2023])
    assert answer["abstained"] is False
    first = answer["passages"][0]
    assert first["rank"] == 1 and first["source"]["id"] == "euaa-ar-2024"
    assert first["text"].startswith("In Bulgaria, a forum on")
    assert [n["number"] for n in first["footnotes"]] == ["898", "899"]
    assert first["footnotes"][1]["urls"][0].startswith("https://aref.government.bg/")
    assert set(first["source"]) == {"id", "title", "year", "url", "section", "pages", "ocr"}
    assert (first["source"]["pages"], first["source"]["ocr"]) == ([], False), "a text report has no pages"
    assert "[P1]" in answer["answer"]
    # the older Bulgarian practices come after it
    assert any(p["source"]["id"] == "integra-good-practices" for p in answer["passages"][1:])


def test_k_and_history(index_dir: Path):
    code, out, _ = run("ask", "And in 2017?", "--history", "What did Bulgaria do in 2023?", "--k", "3",
                       "--index", str(index_dir), "--json")
    answer = json.loads(out)
    assert code == 0 and len(answer["passages"]) == 3
    assert answer["resolved_query"] == "What did Bulgaria do in 2017?"
    assert "In February 2017" in answer["passages"][0]["text"]


def test_question_about_a_country_absent_from_the_corpus_abstains(index_dir: Path):
    code, out, _ = run("ask", "What did Latvia do in 2023?", "--index", str(index_dir), "--json")
    answer = json.loads(out)
    assert answer["abstained"] is True
    assert "nothing about Latvia" in answer["answer"]
    assert answer["passages"], "the nearest passages are still shown as possibly related"


def test_human_output_names_report_section_year_and_notes(index_dir: Path):
    code, out, _ = run("ask", "What did Bulgaria do in 2023?", "--index", str(index_dir), "-k", "2")
    assert code == 0
    assert "[P1] Asylum Report 2024, 2024 — Fostering cooperation among stakeholders" in out
    assert "898. State Agency for Refugees" in out


def test_inspect_json_every_passage_with_tokens_under_the_model_limit(index_dir: Path):
    code, out, _ = run("inspect", "--json", "--index", str(index_dir))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) > 50
    for row in rows:
        assert {"chunk_id", "source", "section", "text", "footnotes", "countries", "years", "n_tokens"} <= set(row)
        assert 0 < row["n_tokens"] <= 256
    assert {r["source"] for r in rows} == {"euaa-ar-2024", "euaa-ar-2023", "euaa-ar-2022",
                                           "ec-action-plan-partnerships", "integra-good-practices"}
    forum = next(r for r in rows if r["text"].startswith("In Bulgaria, a forum"))
    assert forum["countries"] == ["BG"] and forum["years"] == [2023]


def test_bad_sources_are_skipped_by_name_and_the_rest_indexed(corpus_copy: Path, tmp_path: Path):
    (corpus_copy / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (corpus_copy / "empty.md").write_bytes(b"")
    (corpus_copy / "latin1.txt").write_bytes("Caf\xe9 in S\xe3o Paulo".encode("latin-1"))
    code, out, _ = run("index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "idx"), "--json")
    summary = json.loads(out)
    assert code == 0
    assert summary["reports"] == 5 and summary["passages"] == summary["embedded"] > 50
    reasons = {Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    assert set(reasons) == {"binary.txt", "empty.md", "latin1.txt"}
    assert "binary" in reasons["binary.txt"] and "empty" in reasons["empty.md"] and "UTF-8" in reasons["latin1.txt"]
    assert set(summary) >= {"reports", "passages", "embedded", "skipped", "seconds"}


def test_nothing_indexable_leaves_the_existing_index_serving(tmp_path: Path, index_dir: Path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.txt").write_bytes(b"")
    import shutil

    from assistant.index import store

    idx = tmp_path / "idx"
    shutil.copytree(index_dir, idx)
    version = store.current_version(idx)
    before = (idx / "versions" / version / "passages.jsonl").read_bytes()
    code, _, err = run("index", "--corpus", str(broken), "--index", str(idx), "--json")
    assert code == 2 and "a.txt: empty file" in err and "unchanged" in err
    assert store.current_version(idx) == version and store.versions(idx) == [version]
    assert (idx / "versions" / version / "passages.jsonl").read_bytes() == before


def test_missing_index_is_a_one_line_error(tmp_path: Path):
    code, _, err = run("ask", "anything", "--index", str(tmp_path / "none"))
    assert code == 2 and err.startswith("error: no index in") and "assistant index" in err


def test_console_script_and_env_paths(index_dir: Path):
    exe = Path(sys.executable).parent / "assistant"
    env = {"ASSISTANT_INDEX": str(index_dir), "ASSISTANT_CORPUS": str(CORPUS), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([str(exe), "ask", "Which handbook was drafted for local authorities in Croatia?", "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout)["passages"][0]
    assert "a handbook was drafted for representatives of local authorities" in first["text"]
    assert "1172" in [n["number"] for n in first["footnotes"]]


def test_inspect_report_prints_note_table_orphans_and_warnings(index_dir: Path):
    code, out, _ = run("inspect", "--report", "integra-good-practices", "--index", str(index_dir))
    assert code == 0
    assert "Good practices for integration of third country nationals at local level" in out
    assert "inferred (correct them in sources.toml): period_start=2013, period_end=2018" in out
    assert "notes (superscript): 1" in out and "1. Наръчник" in out
    assert "orphans (notes cited nowhere): none" in out
    assert "warning: marker ¹⁷ (note 17) has no note; left in the text" in out
    code, out, err = run("inspect", "--report", "nope", "--index", str(index_dir))
    assert code == 2 and "no report 'nope'" in err


def test_follow_up_keeps_the_project_named_before(index_dir: Path):
    code, out, _ = run("ask", "Which handbook was drafted under it?", "--history",
                       "What is the INCLuDE project in Croatia?", "--index", str(index_dir), "--json")
    first = json.loads(out)["passages"][0]
    assert "a handbook was drafted for representatives of local authorities" in first["text"]
    assert "1172" in [n["number"] for n in first["footnotes"]]


def test_constraint_nothing_matches_is_said_not_dropped(index_dir: Path):
    # no passage is about Bulgaria in 2019: the assistant declines (a present country in an absent
    # year), says so naming both, and still shows the closest passages, about Bulgaria
    code, out, _ = run("ask", "What did Bulgaria do in 2019?", "--index", str(index_dir), "--json")
    answer = json.loads(out)
    assert answer["answer"].startswith("The reports hold nothing about Bulgaria in 2019")
    assert answer["abstained"] and answer["status"] == "none"
    assert answer["passages"][0]["text"] and "Bulgaria" in (answer["passages"][0]["source"]["section"] or "") + \
        answer["passages"][0]["text"]


def test_question_spanning_years_draws_on_several_reports(index_dir: Path):
    code, out, _ = run("ask", "What did Bulgaria do between 2017 and 2023?", "--index", str(index_dir), "--json",
                       "-k", "3")
    answer = json.loads(out)
    assert answer["filters"]["years"] == list(range(2017, 2024))
    assert {p["source"]["id"] for p in answer["passages"][:2]} == {"euaa-ar-2024", "integra-good-practices"}


def test_a_comparison_is_answered_country_by_country_with_the_empty_cell_said(index_dir: Path):
    code, out, _ = run("ask", "What did Bulgaria and Croatia do in 2023?", "--index", str(index_dir), "--json")
    answer = json.loads(out)
    assert answer["grouped_by"] == "country"
    assert [(g["label"], g["empty"]) for g in answer["groups"]] == [("Bulgaria", False), ("Croatia", True)]
    bulgaria = answer["groups"][0]
    assert answer["passages"][bulgaria["ranks"][0] - 1]["match"] == "both"
    extract = bulgaria["extract"]  # "A similar forum ...", quoted with the forum it is similar to
    assert extract["text"].startswith("A similar forum") and extract["context"].startswith("In Bulgaria, a forum on")
    assert answer["status"] == "partial" and answer["missing"] == ["Croatia for 2023"]
    assert answer["answer"].startswith("Bulgaria: ") and "Nothing on Croatia for 2023 in these reports." in answer["answer"]
    code, out, _ = run("ask", "What did Bulgaria and Croatia do in 2023?", "--index", str(index_dir))
    assert code == 0 and "By country:" in out and "nothing in these reports" in out


def test_eval_command_writes_reports(index_dir: Path, tmp_path: Path):
    code, out, _ = run("eval", "--index", str(index_dir), "--out", str(tmp_path), "--mode", "hybrid+meta")
    assert code == 0 and "| hybrid+meta |" in out and "Targets: all met" in out
    assert (tmp_path / "latest.json").exists() and (tmp_path / "latest.md").exists()


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """A corpus of one two-page PDF (tests/fixtures/pdfs.py) indexed with `assistant index --json`:
    the corpus, the index and the build's JSON."""
    from tests.fixtures.pdfs import build_report_pdf

    root = tmp_path_factory.mktemp("pdf-corpus")
    corpus = root / "corpus"
    corpus.mkdir()
    build_report_pdf(corpus / "local-practices.pdf")
    code, out, _ = run("index", "--corpus", str(corpus), "--index", str(root / "index"), "--json")
    assert code == 0
    return corpus, root / "index", json.loads(out)


def test_the_build_json_says_how_a_pdf_read(pdf_index):
    _, _, summary = pdf_index
    [detail] = summary["details"]
    assert detail["file"] == "local-practices.pdf"
    assert detail["quality"] == {"markers": 3, "markers_without_notes": 0, "notes_without_markers": 0, "pages": 2,
                                 "ocr_pages": [], "blank_pages": [], "stray_pages": [], "score": 1.0,
                                 "verdict": "good"}


def test_status_and_inspect_show_the_reading_quality_and_passage_pages(pdf_index):
    corpus, index, _ = pdf_index
    where = ["--corpus", str(corpus), "--index", str(index)]
    code, out, _ = run("index", "status", *where)
    assert code == 0 and "  local-practices: local-practices.pdf (2 passages, 2 pages; read: good (score 1.00))" in out
    code, out, _ = run("index", "status", "--json", *where)
    [indexed] = json.loads(out)["indexed"]
    assert list(indexed) == ["id", "file", "passages", "quality"]
    assert (indexed["quality"]["verdict"], indexed["quality"]["pages"]) == ("good", 2)
    code, out, _ = run("inspect", "--report", "local-practices", *where)
    assert code == 0 and "  reading quality: good (score 1.00)\n" in out and "    pages: 2\n" in out
    assert "Local integration practices > Housing (Slovenia), p. 2 | notes -" in out
    code, out, _ = run("inspect", "--json", *where)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["pages"], r["ocr"]) for r in rows] == [([1, 2], False), ([2], False)], "a sentence cut by the page break"


def test_an_answer_from_a_pdf_cites_its_page(pdf_index):
    corpus, index, _ = pdf_index
    where = ["--corpus", str(corpus), "--index", str(index)]
    code, out, _ = run("ask", "Which city started a housing mediation service?", "-k", "1", "--json", *where)
    source = json.loads(out)["passages"][0]["source"]
    assert code == 0 and (source["id"], source["pages"], source["ocr"]) == ("local-practices", [2], False)
    code, out, _ = run("ask", "Which city started a housing mediation service?", "-k", "1", *where)
    assert "[P1] Local integration practices, 2023 — Local integration practices > Housing (Slovenia), p. 2   (score" in out
