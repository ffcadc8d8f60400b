"""Nothing multiplied, nothing lost, on every route a report takes: files dropped into corpus/,
`assistant index add`, an upload in the web chat, `assistant index remove`, rollback. The build's
summary, `index status` and the served index agree after each; a report present twice is indexed
once; Ctrl-C, a failed add and a failed remove leave what was served as it was. Each test checks
its row of docs/reliability.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.api import Assistant
from ui.cli import main
from assistant.errors import UserError
from assistant.index import store
from assistant.index.build import build_index
from assistant.index.lock import BuildLock
from assistant.index.status import index_status
from assistant.ingest.corpus import add_report, read_manifest
from assistant.models import BuildSummary, IndexStatus, Passage
from assistant.settings import Settings
from tests.conftest import ROOT
from tests.reliability.record import assert_documented

pytestmark = pytest.mark.slow
QUESTION = "What did Bulgaria do in 2023?"
ORIGINAL = "euaa-ar2024-cooperation.txt"
COPY = "euaa-ar2024-cooperation (1).txt"


def _cli(corpus: Path, index: Path, *args: str) -> tuple[int, str, str]:
    """Run `assistant ARGS` in-process with --corpus/--index placed after the (sub)command."""
    paths = ["--corpus", str(corpus), "--index", str(index)]
    words = 2 if len(args) > 1 and args[1] in ("add", "remove", "status", "rollback") else 1
    result = CliRunner().invoke(main, [*args[:words], *paths, *args[words:]])
    return result.exit_code, result.stdout, result.stderr


def _index_json(corpus: Path, index: Path, *extra: str) -> dict:
    code, out, err = _cli(corpus, index, "index", *extra, "--json")
    assert code == 0, err
    return json.loads(out)


def _names(items) -> set[tuple[str, str]]:
    return {(Path(i["path"] if isinstance(i, dict) else i.path).name,
             i["reason"] if isinstance(i, dict) else i.reason) for i in items}


def agree(settings: Settings, summary: dict | BuildSummary) -> IndexStatus:
    """The build's summary, `index status` and the served version say the same thing."""
    summary = summary if isinstance(summary, dict) else summary.model_dump(mode="json")
    status = index_status(settings)
    served = store.read(settings.index)
    ids = [p.chunk_id for p in served.passages]
    assert len(ids) == len(set(ids)), "a passage id twice in the served index"
    assert summary["reports"] == len(served.reports) == status.reports
    assert summary["passages"] == len(served.passages) == status.passages == served.dense.ntotal
    assert summary["version"] == served.version == status.version
    assert {d["id"] for d in summary["details"]} == set(served.reports) == {r.id for r in status.indexed}
    assert _names(summary["skipped"]) == _names(status.skipped) | _names(status.copies)
    assert status.current, status
    return status


@pytest.fixture()
def corpus_index(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    return corpus_copy, tmp_path / "index"


def test_a_report_present_twice_is_indexed_once_and_builds_stay_put(corpus_index):
    """The sequence of the bug report: a report copied under a second name, another file added, then
    `assistant index` three times with nothing changed; then the copy deleted, then the other file."""
    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    shutil.copyfile(corpus / ORIGINAL, corpus / COPY)
    (corpus / "note.txt").write_text("Malta opened a reception centre for families in 2023.\n", encoding="utf-8")
    runs = [_index_json(corpus, index) for _ in range(3)]
    assert [r["changed"] for r in runs] == [True, False, False]
    assert len({r["passages"] for r in runs}) == 1 and len({r["version"] for r in runs}) == 1
    copies = [s for s in runs[0]["skipped"] if s["same_as"]]
    assert [(Path(c["path"]).name, c["same_as"]) for c in copies] == [(COPY, ORIGINAL)]
    assert copies[0]["reason"] == f"same content as {ORIGINAL} (report euaa-ar-2024); not indexed"
    status = agree(settings, runs[-1])
    assert [Path(c.path).name for c in status.copies] == [COPY]
    code, out, _ = _cli(corpus, index, "index", "status")
    assert f"copy: {COPY}: same content as {ORIGINAL}" in out and "The index is current." in out
    answer = Assistant(settings).ask(QUESTION)
    ids = [p.chunk_id for p in answer.passages]
    assert len(ids) == len(set(ids)) == 5
    assert answer.passages[0].text.startswith("In Bulgaria, a forum on")
    served = len(store.read(index).passages)

    (corpus / COPY).unlink()  # removing the copy changes nothing served
    after = _index_json(corpus, index)
    assert (after["changed"], after["version"], after["passages"]) == (False, runs[0]["version"], served)
    agree(settings, after)
    (corpus / "note.txt").unlink()
    last = _index_json(corpus, index)
    assert last["changed"] and last["passages"] == served - 1 and last["removed_reports"] == ["note"]
    agree(settings, last)
    assert_documented("A report copied under a second name, another file added, `assistant index` run three "
                      "times, then the copy deleted (the sequence of issue 13)", "1 sequence, 5 builds",
                      f"passages {runs[0]['passages']}, {runs[1]['passages']}, {runs[2]['passages']}, "
                      f"{after['passages']}, then {last['passages']} once the other file went; the copy named "
                      "\"same content as ...; not indexed\" in the summary and `index status`; 5 distinct "
                      "passages for the Bulgaria question")


def test_new_files_never_take_the_id_of_a_report_already_indexed(corpus_index):
    """The root of the multiplication: a new file whose name gives the id of a reused report."""
    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    (corpus / "note.txt").write_text("Greece opened a school for refugee children in 2022.\n", encoding="utf-8")
    first = _index_json(corpus, index)
    (corpus / "Note!.txt").write_text("Italy funded language courses for adults in 2021.\n", encoding="utf-8")
    (corpus / "NOTE (final).md").write_text("# Notes\n\nSpain trained 40 mentors in 2023.\n", encoding="utf-8")
    runs = [_index_json(corpus, index) for _ in range(3)]
    assert [r["passages"] for r in runs] == [first["passages"] + 2] * 3
    assert [r["changed"] for r in runs] == [True, False, False]
    ids = sorted(d["id"] for d in runs[-1]["details"] if d["id"].startswith("note"))
    assert ids == ["note", "note-2", "note-final"], ids
    agree(settings, runs[-1])


def test_a_version_holding_a_passage_twice_is_refused_at_write_time(corpus_index, tmp_path):
    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    build_index(settings)
    data = store.read(index)
    before = store.current_version(index)
    vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
    twice = data.passages + data.passages[:1]
    import numpy as np

    with pytest.raises(ValueError, match="passage ids twice"):
        store.write(index, data.meta, list(data.reports.values()), twice, np.vstack([vectors, vectors[:1]]),
                    data.documents, data.manifest)
    assert store.current_version(index) == before and not list((index / "versions").glob(".tmp-*"))
    # the same paragraph twice in one section of a report is two passages with two ids, both indexed
    repeated = ("The national employment service counselled refugees on job search, recognition of "
                "qualifications and vocational training, and referred them to employers in the region who had "
                "signed the charter on fair recruitment of newcomers. Counsellors met each person three times "
                "over six months, followed up with the employer after the first month of work, and reported "
                "the results to the ministry, which published them in its annual integration monitor.")
    (corpus / "repeats.md").write_text(f"# Funding\n\n{repeated}\n\nIn 2023 Croatia opened a job centre for "
                                       f"refugees in Split, with six counsellors, a language class in the "
                                       f"mornings, a crèche for the children of those attending, and a desk "
                                       f"where employers of the region could post vacancies open to people "
                                       f"under international protection.\n\n{repeated}\n", encoding="utf-8")
    summary = build_index(settings)
    repeats = [p for p in store.read(index).passages if p.source == "repeats"]
    assert sum(p.text == repeated for p in repeats) == 2
    assert len({p.chunk_id for p in repeats}) == len(repeats)
    agree(settings, summary)
    assert Passage.make_id("r", ["s"], "t") != Passage.make_id("r", ["s"], "t", 1)


def test_an_index_written_with_a_passage_twice_before_the_check_is_repaired_by_the_next_build(corpus_index,
                                                                                            monkeypatch):
    """Indexes multiplied by the old bug are still on users' disks: the next build re-splits everything."""
    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    build_index(settings)
    data = store.read(index)
    vectors = data.dense.reconstruct_n(0, data.dense.ntotal)
    import numpy as np

    monkeypatch.setattr(store, "_check_unique", lambda reports, passages: None)  # as versions were written before
    store.write(index, data.meta, list(data.reports.values()), data.passages + data.passages[:8],
                np.vstack([vectors, vectors[:8]]), data.documents, data.manifest)
    monkeypatch.undo()
    assert len(store.read(index).passages) == len(data.passages) + 8
    summary = build_index(settings)
    assert summary.changed and summary.passages == len(data.passages) and summary.embedded == 0
    agree(settings, summary)


def test_every_route_leaves_summary_status_and_served_index_in_agreement(corpus_index, tmp_path):
    from ui.sources import remove as ui_remove
    from ui.sources import upload

    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    routes = []
    agree(settings, build_index(settings))  # drop-in: the corpus as it is
    routes.append("first build")
    (corpus / "dropped.txt").write_text("# Dropped\n\nIn 2024 Lisbon opened a shelter for 80 refugees.\n",
                                        encoding="utf-8")
    (corpus / "broken.txt").write_bytes(b"\xff\xfe not text \x00\x00")
    agree(settings, _index_json(corpus, index))
    routes.append("drop-in with a broken file")
    agree(settings, _index_json(corpus, index))  # the broken file is still skipped, the same way
    routes.append("no-change build")
    source = tmp_path / "added.md"
    source.write_text("# Added\n\nIn 2022 Ghent funded a mentoring scheme for 60 refugees.\n", encoding="utf-8")
    code, out, err = _cli(corpus, index, "index", "add", str(source), "--year", "2022")
    assert code == 0, err
    agree(settings, json.loads(_cli(corpus, index, "index", "--json")[1]))
    routes.append("index add")
    code, out, err = _cli(corpus, index, "index", "add", str(corpus / ORIGINAL))
    assert code == 2 and f"already holds this content as {ORIGINAL} (report euaa-ar-2024)" in err
    routes.append("index add of a report already there (refused)")
    uploaded = tmp_path / "Ελλάδα.txt"
    uploaded.write_text("Greece opened a reception centre for unaccompanied children in 2023.\n", encoding="utf-8")
    message = upload(settings, str(uploaded), {"year": "2023"}, None)
    assert "Added Ελλάδα.txt as ellada" in message, message
    summary = build_index(settings)
    assert not summary.changed  # the upload's own rebuild already served it
    agree(settings, summary)
    routes.append("upload in the web chat")
    assert "Removed ellada" in ui_remove(settings, "ellada", None)
    agree(settings, build_index(settings))
    routes.append("remove in the web chat")
    removed = _index_json(corpus, index, "remove", "dropped")
    assert removed["removal"]["files"] == ["dropped.txt"] and removed["removed_reports"] == ["dropped"]
    agree(settings, removed)
    routes.append("index remove")
    code, out, err = _cli(corpus, index, "index", "rollback")
    assert code == 0, err
    status = index_status(settings)  # the rolled-back version still holds "dropped": the build would remove it
    assert not status.current and status.removed == ["dropped.txt"], status
    after = _index_json(corpus, index)
    assert after["removed_reports"] == ["dropped"]
    agree(settings, after)
    routes.append("rollback, then a build")
    n = len(routes)
    assert_documented("Every route a report takes (first build, drop-in with a broken file, no-change build, "
                      "`index add`, an add of a report already there, upload and remove in the web chat, "
                      "`index remove`, rollback then a build)", f"{n} routes",
                      f"{n}/{n}: the build summary, `index status` and the served index agreed on reports, "
                      "passages and what was skipped and why; no passage id twice")


def test_index_remove_takes_a_report_out_in_one_version_or_not_at_all(corpus_index, monkeypatch):
    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    build_index(settings)
    manifest = (corpus / "sources.toml").read_bytes()
    served = store.current_version(index)
    trials = {"failed build": 0, "interrupted": 0}
    import assistant.index.remove as remove_module

    for kind, exc in (("failed build", UserError("could not write dense.faiss")), ("interrupted", KeyboardInterrupt())):
        def boom(*args, exc=exc, **kwargs):
            raise exc
        monkeypatch.setattr(remove_module, "build_locked", boom)
        code, out, err = _cli(corpus, index, "index", "remove", "euaa-ar-2022")
        assert code == (130 if kind == "interrupted" else 2), (code, err)
        assert "nothing was removed" in err.lower() and "Traceback" not in err
        assert (corpus / "sources.toml").read_bytes() == manifest and (corpus / "euaa-ar2022-cooperation.md").is_file()
        assert store.current_version(index) == served
        trials[kind] += 1
    monkeypatch.undo()
    code, out, err = _cli(corpus, index, "index", "remove", "nowhere")
    assert code == 2 and "no report 'nowhere'" in err and "euaa-ar-2022" in err
    code, out, err = _cli(corpus, index, "index", "remove", "euaa-ar-2022")
    assert code == 0, err
    assert "moved to" in out and "euaa-ar-2022" not in {r.id for r in read_manifest(corpus).values()}
    assert list((corpus / ".removed").rglob("euaa-ar2022-cooperation.md"))  # nothing deleted
    data = store.read(index)
    assert "euaa-ar-2022" not in data.reports and not [p for p in data.passages if p.source == "euaa-ar-2022"]
    assistant = Assistant(settings)
    for mode in ("bm25", "dense", "hybrid+meta"):
        hits = assistant.ask("Which handbook was drafted for local authorities in Croatia?", mode=mode, k=10)
        assert "euaa-ar-2022" not in {h.source.id for h in hits.passages}
    assert store.current_version(index) == f"v{int(served[1:]) + 1:04d}"
    # the only report left cannot be removed (an index needs one); nothing is touched
    lonely, lonely_index = corpus.parent / "lonely", corpus.parent / "lonely-index"
    lonely.mkdir()
    (lonely / "only.txt").write_text("Malta opened a shelter in 2023.\n", encoding="utf-8")
    _index_json(lonely, lonely_index)
    code, out, err = _cli(lonely, lonely_index, "index", "remove", "only")
    assert code == 2 and "only report" in err and (lonely / "only.txt").is_file()
    assert_documented("`assistant index remove` whose build fails or is interrupted; of an unknown report; of the "
                      "only report", f"{sum(trials.values()) + 2}",
                      "all refused with a message; file, sources.toml and served version exactly as before; "
                      "a successful remove made one new version without the report in BM25 and dense search, "
                      "its file kept in corpus/.removed/")


def test_an_add_whose_build_fails_or_is_interrupted_says_how_to_undo_it(corpus_index, tmp_path, monkeypatch):
    corpus, index = corpus_index
    build_index(Settings(corpus=corpus, index=index))
    import assistant.index.build as build_module

    tried = 0
    for exc, code_wanted in ((KeyboardInterrupt(), 130), (RuntimeError("boom"), 2)):
        def boom(*args, exc=exc, **kwargs):
            raise exc
        monkeypatch.setattr(build_module, "build_index", boom)
        source = tmp_path / f"new-{tried}.md"
        source.write_text(f"# New {tried}\n\nIn 2024 Porto opened a desk for {tried + 10} refugees.\n")
        code, out, err = _cli(corpus, index, "index", "add", str(source))
        assert code == code_wanted, err
        assert f"`assistant index remove new-{tried}` to undo the add" in err and "Traceback" not in err
        tried += 1
    monkeypatch.undo()
    code, out, err = _cli(corpus, index, "index", "remove", "new-0")
    assert code == 0, err
    assert_documented("`assistant index add` whose build is interrupted (Ctrl-C) or fails", f"{tried}",
                      f"{tried}/{tried} said the report is in the corpus but not the index, with "
                      "`assistant index remove ID` to undo; the undo worked")


def _generated(folder: Path, docs: int, paragraphs: int) -> None:
    subprocess.run([sys.executable, str(ROOT / "eval" / "generate.py"), str(folder), "--docs", str(docs),
                    "--paragraphs", str(paragraphs), "--seed", "7"], check=True, cwd=ROOT, capture_output=True)


def test_ctrl_c_during_a_build_leaves_the_served_index_and_the_next_build_resumes(corpus_index, tmp_path):
    corpus, index = corpus_index
    build_index(Settings(corpus=corpus, index=index))
    served = store.current_version(index)
    before = {p.name: p.read_bytes() for p in (index / "versions" / served).rglob("*") if p.is_file()}
    _generated(corpus, 12, 60)
    # Ctrl-C as in a terminal: a test run started in the background (`cmd &` in a script) inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler; the child gets the default back
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "index", "--corpus", str(corpus), "--index",
                             str(index)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = ""
    deadline = time.monotonic() + 240
    while not re.search(r"embed: .*\| [1-9]\d*/\d+", seen) and time.monotonic() < deadline and proc.poll() is None:
        seen += proc.stderr.read(1)  # the progress bars go to stderr; wait until a batch is embedded
    assert re.search(r"embedding [\d,]+ passages \([\d,]+ from the cache\): about \d+ (s|min|h) on this "
                     r"machine", seen), seen  # said up front: how many, how long
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = seen + err
    assert proc.returncode == 130, err[-2000:]
    assert f"interrupted; the index being served ({served}) is unchanged" in err and "Traceback" not in err
    assert store.current_version(index) == served and not list((index / "versions").glob(".tmp-*"))
    assert {p.name: p.read_bytes() for p in (index / "versions" / served).rglob("*") if p.is_file()} == before
    summary = build_index(Settings(corpus=corpus, index=index))
    assert summary.changed and 0 < summary.embedded < summary.passages - len(store.read(index, served).passages)
    agree(Settings(corpus=corpus, index=index), summary)
    assert_documented("Ctrl-C (SIGINT) during the embed stage of `assistant index`", "1",
                      "exit 130 with \"interrupted; the index being served ... is unchanged\"; the served version "
                      "byte-identical, no half-written version; the next build embedded only what was not done")


def test_a_report_over_the_passage_limit_is_refused_by_name_with_an_estimate(corpus_index, monkeypatch):
    corpus, index = corpus_index
    _generated(corpus.parent / "big", 1, 60)
    big = next((corpus.parent / "big").iterdir())
    shutil.copyfile(big, corpus / f"huge{big.suffix}")
    env = {"ASSISTANT_MAX_REPORT_PASSAGES": "20"}
    result = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(index)], env=env)
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if f"huge{big.suffix}" in ln)
    assert "skipped" in line and "over the limit of 20 a report (setting max_report_passages, env " \
        "ASSISTANT_MAX_REPORT_PASSAGES); embedding it would take about" in line and "on this machine" in line
    settings = Settings(corpus=corpus, index=index, max_report_passages=20)
    import assistant.ingest.pipeline as pipeline_module

    loaded = []
    real_load = pipeline_module.load
    monkeypatch.setattr(pipeline_module, "load", lambda path, *args: loaded.append(path.name) or real_load(path, *args))
    again = build_index(settings)  # known: skipped again without being read or split again
    assert f"huge{big.suffix}" not in loaded
    monkeypatch.undo()
    assert not again.changed and any(f"huge{big.suffix}" in s.path for s in again.skipped)
    agree(settings, again)
    assert "huge" not in store.read(index).reports
    bigger = build_index(Settings(corpus=corpus, index=index))  # the default limit admits it
    assert "huge" in {d.id for d in bigger.details} and bigger.passages > again.passages + 20
    assert_documented("A report over the passage limit (setting max_report_passages)", "3 builds",
                      "skipped by name with its passage count, the estimated embedding time and the setting; "
                      "skipped again without being split again; indexed once the limit was raised")


def test_leftovers_links_folders_and_unreadable_files_are_handled_by_name(corpus_index, monkeypatch):
    from assistant.api import remove_staging as _remove_staging

    corpus, index = corpus_index
    settings = Settings(corpus=corpus, index=index)
    build_index(settings)
    stale = index / "versions" / ".tmp-v0042-999"
    stale.mkdir()
    (stale / "passages.jsonl").write_text("half\n")
    with BuildLock(index):
        _remove_staging(settings)  # a build is running: its folder is not stale
    assert stale.is_dir()
    _remove_staging(settings)  # at the start of `assistant serve`
    assert not stale.exists()
    stale.mkdir()
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "gone.md").symlink_to(corpus / "nowhere.md")
    (corpus / "folder").mkdir()
    os.mkfifo(corpus / "pipe.txt")
    (corpus / "locked.txt").write_text("Austria opened a centre in 2023.\n")
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)
    monkeypatch.setattr(Path, "open", deny)  # the tests run as root here, whom chmod does not stop
    summary = build_index(settings)
    assert not stale.exists()  # and at the start of a build
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert "points back to itself" in reasons["loop.txt"]
    assert "does not exist" in reasons["gone.md"]
    assert "a folder" in reasons["folder"]
    assert "not a regular file" in reasons["pipe.txt"]
    assert "Permission denied" in reasons["locked.txt"] and "permissions" in reasons["locked.txt"]
    agree(settings, summary)
    monkeypatch.undo()
    run = subprocess.run([sys.executable, "-m", "ui.cli", "index", "--corpus", str(corpus), "--index",
                          str(index), "--full", "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "DEBUG" not in run.stderr, run.stderr
    assert_documented("Leftover half-written versions, a symbolic-link loop, a dangling link, a folder, a pipe and "
                      "an unreadable file in corpus/", "6",
                      "6/6: leftovers removed at the start of a build or `serve` (kept while a build runs); each "
                      "entry skipped by name with what to do; no DEBUG lines without -v")


def test_file_names_keep_their_letters_and_ids_are_transliterated(corpus_copy: Path, tmp_path: Path):
    names = {"Ελλάδα.txt": ("Ελλάδα.txt", "ellada"), "Über Österreich 2023.md": ("Über-Österreich-2023.md",
                                                                                   "uber-osterreich-2023"),
             "Polska – raport.txt": ("Polska-raport.txt", "polska-raport"),
             "Česko.html": ("Česko.html", "cesko")}
    for i, (name, (file, rid)) in enumerate(names.items()):
        source = tmp_path / f"upload-{i}"
        body = f"<p>In 2023, city {i} opened a shelter.</p>" if name.endswith(".html") else \
            f"In 2023, city {i} opened a shelter.\n"
        source.write_text(body, encoding="utf-8")
        report = add_report(corpus_copy, source, {}, name=name)
        assert (report.file, report.id) == (file, rid)
        assert (corpus_copy / file).is_file()
    with pytest.raises(UserError, match="already holds this content as Ελλάδα.txt"):
        add_report(corpus_copy, tmp_path / "upload-0", {}, name="copy.txt")
    assert_documented("Upload and `index add` names in Greek, German, Polish and Czech letters", f"{len(names)}",
                      f"{len(names)}/{len(names)} saved with their letters; ids transliterated to ASCII; a second "
                      "copy of the same content refused by content hash")
