"""The Milvus store (index/milvus.py, index/milvus_search.py) on Milvus Lite: the same answers as the
embedded store, alias-switched rebuilds that a serving process picks up, rollback, a killed build,
and the messages for the bad states (real model, real corpus, real Milvus Lite)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.errors import UserError
from assistant.settings import Settings
from tests.conftest import CORPUS, ROOT, free_port

pytest.importorskip("pymilvus", reason="store = milvus needs pymilvus and milvus-lite (the test extra)")

FIXTURES = ROOT / "tests" / "fixtures"
QUESTIONS = [  # the CLI tests' questions, and each kind the gold set holds
    "What did Bulgaria do in 2023?", "What did Latvia do in 2023?", "Which handbook was drafted for local "
    "authorities in Croatia?", "What did Bulgaria do in 2019?", "What did Bulgaria do between 2017 and 2023?",
    "What did Bulgaria and Croatia do in 2023?", "Which city started a housing mediation service?",
    "Which source reports on the HELIOS programme?", "Tell me about Croatia", "What is the capital of Peru?",
    "How did cooperation with local authorities change from 2021 to 2023?", "café",
    "What is the INCLuDE project in Croatia?", "What does OXLO stand for?", "What did the EIN do in 2023?",
]


def milvus_settings(index: Path, uri: Path, corpus: Path = CORPUS, **extra) -> Settings:
    return Settings(corpus=corpus, index=index, store="milvus", milvus_uri=str(uri), **extra)


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file of the embedded store's versions and CURRENT, by path."""
    files = [folder / "CURRENT", *sorted((folder / "versions").rglob("*"))]
    return {str(p.relative_to(folder)): p.read_bytes() for p in files if p.is_file()}


@pytest.fixture(scope="module")
def milvus_index(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus in Milvus Lite, built beside the session's embedded index (its embedding cache)."""
    from assistant.index.build import build_index

    before = _tree(index_dir)
    settings = milvus_settings(index_dir, tmp_path_factory.mktemp("milvus") / "m.db")
    summary = build_index(settings)
    assert summary.embedded == 0 and summary.reused == summary.passages > 0  # every vector from the cache
    assert _tree(index_dir) == before  # the embedded store is not touched
    return settings


@pytest.mark.slow
def test_the_same_answers_as_the_embedded_store_in_every_mode(milvus_index: Settings, settings: Settings):
    from assistant.session import Assistant

    embedded, milvus = Assistant(settings), Assistant(milvus_index)
    for question in QUESTIONS:
        for mode in ("learned", "hybrid+meta", "hybrid", "bm25", "dense"):
            a = embedded.ask(question, mode=mode).model_dump(mode="json")
            b = milvus.ask(question, mode=mode).model_dump(mode="json")
            assert a.pop("index_version") and b.pop("index_version") == "v0001"
            assert a == b, (question, mode)
    follow = ["What did Bulgaria do in 2023?"]
    a, b = (s.ask("And in 2017?", follow).model_dump(mode="json") for s in (embedded, milvus))
    assert a.pop("index_version") and b.pop("index_version") and a == b
    limited = milvus.ask("integration", reports=["euaa-ar-2023"])
    assert limited.passages and {p.source.id for p in limited.passages} == {"euaa-ar-2023"}


@pytest.mark.slow
def test_constraints_sent_as_field_expressions_give_the_same_answers(milvus_index: Settings, settings: Settings):
    from assistant.index import milvus_search
    from assistant.session import Assistant

    sent: list[str] = []
    constraints: list[tuple[str, str]] = []  # (the constraint's expression, the filter sent)
    real = milvus_search.rows_filter

    def spy(rows, expression=None, fields=False):
        sent.append(real(rows, expression, fields))
        if expression:
            constraints.append((expression, sent[-1]))
        return sent[-1]

    fields = Assistant(milvus_index.model_copy(update={"indexing": milvus_index.indexing.model_copy(
        update={"milvus_filters": "fields"})}))
    embedded = Assistant(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(milvus_search, "rows_filter", spy)
        for question in ("What did Bulgaria do in 2023?", "What did Bulgaria and Croatia do in 2023?",
                         "What did France do in 2022 with local authorities?"):
            a, b = embedded.ask(question).model_dump(mode="json"), fields.ask(question).model_dump(mode="json")
            a.pop("index_version"), b.pop("index_version")
            assert a == b, question
        limited = fields.ask("integration", reports=["euaa-ar-2023"])
    assert {p.source.id for p in limited.passages} == {"euaa-ar-2023"}
    assert any("array_contains_any(countries, [\"BG\"])" in f for f in sent)
    assert any("array_contains_any(period, [2023])" in f for f in sent)
    assert any('report in ["euaa-ar-2023"]' in f for f in sent)
    assert constraints and all(said == filtered for said, filtered in constraints)  # never as the rows' list


@pytest.mark.slow
def test_bm25_scores_are_the_embedded_stores(milvus_index: Settings, settings: Settings):
    from assistant.index import stores
    from assistant.retrieval import lexical

    embedded, milvus = stores.read(settings), stores.read(milvus_index)
    for question in ("resettlement of refugees from Syria", "What did Bulgaria do in 2023?", "HELIOS"):
        expected = lexical.scores(embedded.lexical, question)
        rows, scores = milvus.lexical.search(question, 1000)
        got = np.zeros_like(expected)
        got[rows] = scores
        assert np.allclose(got, expected, atol=1e-4), question


@pytest.mark.slow
def test_cli_ask_and_eval_on_milvus_match_the_embedded_store(milvus_index: Settings, tmp_path: Path):
    from ui.cli import main

    where = ["--index", str(milvus_index.index)]
    on_milvus = [*where, "--store", "milvus", "--milvus-uri", milvus_index.milvus_target()]
    for question in ("What did Bulgaria do in 2023?", "Which city started a housing mediation service?"):
        a = json.loads(CliRunner().invoke(main, ["ask", question, "--json", *where]).stdout)
        b = json.loads(CliRunner().invoke(main, ["ask", question, "--json", *on_milvus]).stdout)
        a.pop("index_version"), b.pop("index_version")
        assert a == b
    figures = {}
    for name, flags in (("embedded", where), ("milvus", on_milvus)):
        result = CliRunner().invoke(main, ["eval", "--gold", str(ROOT / "eval" / "gold.jsonl"), "--out",
                                           str(tmp_path / name), "--mode", "learned", "--cross-validate", "0",
                                           "--no-baseline", "--json", *flags])
        assert result.exit_code == 0, result.stderr
        figures[name] = json.loads(result.stdout)["modes"]["learned"]["overall"]
    assert abs(figures["embedded"]["MRR@10"] - figures["milvus"]["MRR@10"]) <= 0.01
    assert figures["milvus"]["MRR@10"] > 0.9


@pytest.mark.slow
def test_a_rebuild_switches_the_alias_a_serving_process_picks_it_up_and_rollback_returns(
        index_dir: Path, corpus_copy: Path, tmp_path: Path):
    from assistant.index import milvus, stores
    from assistant.index.build import build_index
    from assistant.session import Assistant

    shutil.copytree(index_dir / "cache", tmp_path / "index" / "cache")  # the same embeddings: none computed
    settings = milvus_settings(tmp_path / "index", tmp_path / "m.db", corpus_copy)
    first = build_index(settings)
    assert (first.version, first.embedded) == ("v0001", 0)
    serving = Assistant(settings)
    question = "What did Lisbon open for refugees in 2023?"
    assert serving.ask(question).index_version == "v0001"
    assert "lisbon" not in {p.source.id for p in serving.ask(question, mode="bm25").passages}

    shutil.copy(FIXTURES / "footnotes.html", corpus_copy / "lisbon.html")
    second = build_index(settings)
    assert second.version == "v0002" and 0 < second.embedded < second.passages  # only the new report
    answer = serving.ask(question, mode="bm25")  # the same process, its next question
    assert answer.index_version == "v0002" and answer.passages[0].source.id == "lisbon"
    assert milvus.current_version(settings) == "v0002"
    assert stores.versions(settings) == ["v0001", "v0002"]  # the previous one kept for rollback

    (corpus_copy / "lisbon.html").unlink()
    third = build_index(settings)  # a third version: the oldest goes
    assert third.version == "v0003" and third.embedded == 0 and stores.versions(settings) == ["v0002", "v0003"]
    assert "lisbon" not in {p.source.id for p in serving.ask(question, mode="bm25").passages}
    assert stores.rollback(settings) == ("v0003", "v0002")
    assert serving.ask(question, mode="bm25").passages[0].source.id == "lisbon"  # v0002 again
    assert stores.rollback(settings) == ("v0002", "v0003")  # and forth again: the two aliases swap
    assert not (tmp_path / "index" / "versions").exists() and not (tmp_path / "index" / "CURRENT").exists()


@pytest.mark.slow
def test_a_build_that_dies_midway_leaves_the_alias_and_answers_as_they_were(
        index_dir: Path, corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from assistant.index import milvus
    from assistant.index.build import build_index
    from assistant.session import Assistant

    shutil.copytree(index_dir / "cache", tmp_path / "index" / "cache")
    settings = milvus_settings(tmp_path / "index", tmp_path / "m.db", corpus_copy)
    build_index(settings)
    serving = Assistant(settings)
    shutil.copy(FIXTURES / "footnotes.html", corpus_copy / "lisbon.html")  # a change to build
    before = serving.ask("What did Bulgaria do in 2023?").model_dump(mode="json")

    calls = {"n": 0}
    real_insert = milvus.client(settings).insert

    def dies(name, rows, **options):
        calls["n"] += 1
        if calls["n"] == 2:  # the process dies while writing: no cleanup runs (SIGKILL)
            raise SystemExit("killed")
        return real_insert(name, rows, **options)

    monkeypatch.setattr(milvus.client(settings), "insert", dies)
    monkeypatch.setattr(milvus, "BATCH", 20)
    monkeypatch.setattr(milvus, "_drop", lambda settings, name: None)  # as if killed: nothing dropped
    with pytest.raises(SystemExit):
        build_index(settings)
    monkeypatch.undo()
    assert milvus.current_version(settings) == "v0001"
    assert "assistant_v0002" in milvus.client(settings).list_collections()  # left half-written
    assert serving.ask("What did Bulgaria do in 2023?").model_dump(mode="json") == before

    again = build_index(settings)  # the next build drops what was left, then writes its own
    assert again.version == "v0002" and milvus.versions(settings) == ["v0001", "v0002"]
    assert serving.ask("What did Bulgaria do in 2023?").index_version == "v0002"


def test_unreachable_milvus_names_the_address_and_what_to_start(tmp_path: Path):
    from assistant.index import milvus

    uri = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UserError) as err:
        milvus.current_version(Settings(index=tmp_path, store="milvus", milvus_uri=uri))
    text = str(err.value)
    assert uri in text and "milvus-lite server" in text and "ASSISTANT_STORE=embedded" in text


def test_a_missing_alias_says_to_build(tmp_path: Path):
    from ui.cli import main

    result = CliRunner().invoke(main, ["ask", "What did Bulgaria do in 2023?", "--index", str(tmp_path),
                                       "--store", "milvus", "--milvus-uri", str(tmp_path / "m.db")])
    assert result.exit_code == 2
    assert "no alias assistant" in result.stderr and "assistant index --store milvus" in result.stderr


def test_a_milvus_lite_file_held_by_another_process_says_how_to_share_it(tmp_path: Path):
    from assistant.index import milvus

    uri = tmp_path / "held.db"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pymilvus import MilvusClient; "
                               f"MilvusClient({str(uri)!r}); print('open', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(UserError) as err:
            milvus.client(Settings(index=tmp_path, store="milvus", milvus_uri=str(uri)))
        assert "open in another process" in str(err.value) and f"milvus-lite server --data-dir {uri}" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def _fake_version(settings: Settings, model: str = "all-MiniLM-L6-v2", sha: str = "0" * 64) -> None:
    """A one-passage version written by "another build" (random vector, another model by default)."""
    from assistant.index import milvus
    from assistant.models import IndexMeta, Manifest, ModelIdentity, Passage, Report

    report = Report(id="r", title="A report", file="r.txt", format="txt")
    passage = Passage(chunk_id="c1", source="r", text="Asylum reception in Bulgaria.", heading_path=["S"],
                      position=0, n_tokens=6)
    vector = np.random.default_rng(0).standard_normal((1, 384)).astype("float32")
    vector /= np.linalg.norm(vector)
    meta = IndexMeta(model=ModelIdentity(name=model, sha256=sha, backend="onnx", dim=384))
    milvus.write(settings, meta, [report], [passage], vector, {}, Manifest())


def test_a_collection_built_with_another_model_is_refused_by_name(tmp_path: Path):
    from assistant.session import Assistant

    settings = Settings(index=tmp_path, store="milvus", milvus_uri=str(tmp_path / "m.db"))
    _fake_version(settings, model="other-model")
    with pytest.raises(UserError) as err:
        Assistant(settings).ask("asylum")
    text = str(err.value)
    assert "built with model other-model" in text and "Milvus collection assistant" in text


def test_a_collection_of_another_schema_is_refused_with_what_to_do(tmp_path: Path):
    from assistant.index import milvus

    settings = Settings(index=tmp_path, store="milvus", milvus_uri=str(tmp_path / "m.db"))
    _bare_collection(settings, "assistant_v0001")  # a row and a vector: written by another program
    milvus.client(settings).create_alias("assistant_v0001", "assistant")
    with pytest.raises(UserError) as err:
        milvus.read(settings)
    assert "lacks the fields" in str(err.value) and "--full --store milvus" in str(err.value)


def test_long_passages_and_catalogs_round_trip_through_varchar_fields():
    from assistant.index import milvus

    long = json.dumps({"text": "word " * 30_000})
    packed = milvus._squeeze(long)
    assert packed.startswith("z:") and len(packed) <= milvus.VARCHAR_MAX and milvus._unsqueeze(packed) == long
    assert milvus._squeeze("short") == "short"
    assert milvus.bm25_terms("The Reception of Refugees, in 2023!") == "recept refuge 2023"


def test_a_row_filter_names_the_rows_or_the_constraint():
    from assistant.index.milvus_search import rows_filter

    assert rows_filter(None) == "" and rows_filter(np.array([3, 1, 7])) == "row in [3,1,7]"
    assert rows_filter(np.array([3]), "array_contains_any(years, [2023])") == "row in [3]"
    assert rows_filter(np.array([3]), "array_contains_any(years, [2023])", fields=True) == \
        "array_contains_any(years, [2023])"
    assert rows_filter(np.array([3]), None, fields=True) == "row in [3]"  # a mask with no expression


def test_constraint_masks_keep_their_expression_through_and_and_or():
    from assistant.index.metadata import MetadataIndex
    from assistant.models import Passage, Report

    reports = {"r": Report(id="r", title="T", file="r.txt", format="txt", period_start=2022, period_end=2023)}
    passages = [Passage(chunk_id=f"c{i}", source="r", position=i, heading_path=[], text="x", countries=c, years=y)
                for i, (c, y) in enumerate([(["BG"], [2023]), (["GR"], [2021]), ([], [])])]
    meta = MetadataIndex(passages, reports)
    country, own, period = meta.countries(["BG"]), meta.own_years([2023]), meta.period([2023])
    assert country.expression == 'array_contains_any(countries, ["BG"])'
    both = country & (own | period)
    assert both.tolist() == [True, False, False]
    assert both.expression == ('(array_contains_any(countries, ["BG"])) and ((array_contains_any(years, [2023])) '
                               'or (array_contains_any(period, [2023])))')
    assert (country & np.ones(3, dtype=bool)).expression == country.expression  # "no constraint" keeps it
    assert (country & np.array([True, False, True])).expression is None  # a mask of unknown origin: rows only
    assert meta.reports({"r"}).expression == 'report in ["r"]' and meta.reports({"r"}).all()
    assert meta.reports({'café "x"'}).expression == 'report in ["café \\"x\\""]'  # Milvus reads no \\u escapes
    assert (~country).expression is None and country[:2].expression is None  # no longer the rows it says
    assert (np.array([1, 2, 3]) & country).tolist() == [1, 0, 0]  # an integer array: bitwise, as before


def test_the_embedded_store_stays_the_default():
    assert Settings().indexing.store == "embedded"
    assert Settings(index=Path("/x")).milvus_target() == "/x/milvus.db"
    assert Settings(milvus_uri="http://m:19530").milvus_target() == "http://m:19530"


def test_store_settings_come_from_flags_and_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ASSISTANT_STORE", "milvus")
    monkeypatch.setenv("ASSISTANT_MILVUS_URI", "http://db:19530")
    assert (Settings().indexing.store, Settings().milvus_target()) == ("milvus", "http://db:19530")
    with pytest.raises(ValueError):
        Settings(store="elastic")


def test_time_is_not_spent_importing_pymilvus_for_the_embedded_store():
    code = ("import sys; import assistant.api, assistant.session, assistant.retrieval.pipeline; "
            "print('pymilvus' in sys.modules)")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False", time.perf_counter() - started


def _bare_collection(settings: Settings, name: str, **properties: str) -> None:
    from pymilvus import DataType

    from assistant.index import milvus

    c = milvus.client(settings)
    schema = c.create_schema(auto_id=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=4)
    params = c.prepare_index_params()
    params.add_index(field_name="dense", index_type="FLAT", metric_type="IP")
    c.create_collection(name, schema=schema, index_params=params, properties=properties)


def test_a_build_leaves_another_machines_unfinished_build_alone_and_drops_an_abandoned_one(tmp_path: Path):
    from assistant.index import milvus

    settings = Settings(index=tmp_path, store="milvus", milvus_uri=str(tmp_path / "m.db"))
    now = str(round(time.time()))
    _bare_collection(settings, "assistant_v0007", **{"assistant.builder": "elsewhere:12", "assistant.started": now})
    _bare_collection(settings, "assistant_v0008", **{"assistant.builder": "elsewhere:12",
                                                     "assistant.started": str(round(time.time()) - 3 * 86400)})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    import socket

    _bare_collection(settings, "assistant_v0009", **{"assistant.builder": f"{socket.gethostname()}:{dead.stdout.strip()}",
                                                     "assistant.started": now})
    assert milvus.remove_staging(settings) == ["assistant_v0008", "assistant_v0009"]
    assert milvus.versions(settings) == ["v0007"]  # under way on another machine: its own


def test_a_build_that_loses_a_race_for_a_name_drops_nothing_of_the_winners(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    from assistant.index import milvus

    settings = Settings(index=tmp_path, store="milvus", milvus_uri=str(tmp_path / "m.db"))
    _bare_collection(settings, "assistant_v0001", **{"assistant.builder": "elsewhere:1",
                                                     "assistant.started": str(round(time.time()))})
    monkeypatch.setattr(milvus, "versions", lambda settings: [])  # both builds chose v0001
    with pytest.raises(UserError):
        _fake_version(settings)
    assert milvus.client(settings).has_collection("assistant_v0001")


@pytest.mark.slow
def test_a_milvus_server_that_goes_away_and_comes_back(index_dir: Path, tmp_path: Path):
    """Questions fail with a message naming the address while the server is down; no version is
    refused for it, and answers come back with the server."""
    from assistant.index.build import build_index
    from assistant.session import Assistant
    from eval.load import milvus_server

    shutil.copytree(index_dir / "cache", tmp_path / "index" / "cache")
    proc, uri = milvus_server(tmp_path / "milvus")
    try:
        settings = milvus_settings(tmp_path / "index", tmp_path / "unused.db")
        settings = settings.model_copy(update={"indexing": settings.indexing.model_copy(update={"milvus_uri": uri})})
        build_index(settings)
        serving = Assistant(settings)
        before = serving.ask("What did Bulgaria do in 2023?").model_dump(mode="json")
        proc.terminate()
        proc.wait(timeout=60)
        started = time.perf_counter()
        with pytest.raises(UserError) as err:
            serving.ask("What did Bulgaria do in 2023?")
        assert uri in str(err.value) and "still running" in str(err.value)
        assert time.perf_counter() - started < 200  # each call is bounded, not retried for ever
        proc, _ = milvus_server(tmp_path / "milvus", int(uri.rsplit(":", 1)[1]))  # the same address again
        deadline = time.time() + 60
        while True:
            try:
                after = serving.ask("What did Bulgaria do in 2023?").model_dump(mode="json")
                break
            except UserError:
                if time.time() > deadline:
                    raise
                time.sleep(1)
        assert after == before and not serving._refused
    finally:
        proc.kill()
        proc.wait()
