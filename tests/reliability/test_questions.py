"""Any text is a question, and the web API speaks like the CLI (issue 13, points 4 and 6).

Arbitrary strings, lone surrogates included, go through the library, the CLI (in process, and as a
real subprocess whose argv holds bytes that are not UTF-8) and the web API (gradio_client, and raw
JSON for the strings gradio_client cannot encode): never a traceback, always an answer or a clear
one-line message, and the same message everywhere for the same mistake. Each test checks its row
of docs/reliability.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from assistant.api import MAX_QUESTION_CHARS, Assistant
from ui.cli import main
from assistant.errors import UserError
from assistant.retrieval.normalize import EMPTY_QUESTION, k_message, normalize_text
from assistant.settings import MAX_K, Settings
from tests.conftest import CORPUS, ROOT
from tests.reliability.record import assert_documented
from tests.reliability.test_fuzz import QUESTION_SECONDS, bounded

pytestmark = pytest.mark.slow

LIBRARY, CLI_IN_PROCESS, CLI_PROCESSES, WEB = 150, 80, 8, 60
CAFE = b"Caf\xe9 in Bulgaria 2023?"  # Latin-1 bytes in argv: Python hands them over as lone surrogates
# The pieces random text is made of, besides any character: zero-width, bidi and other format
# characters, surrogateescape'd bytes, halves of surrogate pairs, controls, fullwidth and ligature forms.
PIECES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066",
          "\u2069", "\u00ad", "\udce9", "\udcff", "\udc80", "\ud800", "\udfff", "\ud83d", "\ude00", "\x00",
          "\x1b[31m", "\x7f", "\x85", "\r\n", "\t", "Ｂｕｌｇａｒｉａ", "２０２３", "ﬁ", "Bulgaria", "in 2023", " ", "?"]
ANY_CHAR = st.one_of(st.characters(codec=None), st.characters(categories=["Cs"]))
ANY_TEXT = st.lists(st.one_of(st.text(alphabet=ANY_CHAR, max_size=40), st.sampled_from(PIECES)),
                    max_size=12).map("".join)
CLI_EXE = Path(sys.executable).parent / "assistant"


def _clean(text: str) -> bool:
    """What the library searches: no surrogate, format or control character (but tab and newline), NFKC."""
    return (all(unicodedata.category(c) not in ("Cs", "Cf") and (ord(c) >= 32 or c in "\t\n")
                and not 0x7f <= ord(c) <= 0x9f for c in text)
            and unicodedata.normalize("NFKC", text) == text)


def _understood(answer: dict) -> tuple:
    """The part of an answer that must be the same through every door (scores may differ in the last bits)."""
    return answer["query"], answer["resolved_query"], answer["filters"]


def _check_answer(answer: dict) -> None:
    assert set(answer) >= {"query", "resolved_query", "filters", "abstained", "answer", "passages"}
    assert _clean(answer["query"]) and _clean(answer["resolved_query"]), answer["query"]
    assert 0 < len(answer["query"]) <= MAX_QUESTION_CHARS


# ---- the normalisation itself -------------------------------------------------------------------------------

def test_normalisation_repairs_bytes_removes_invisibles_and_applies_nfkc():
    assert normalize_text(os.fsdecode(CAFE)) == "Café in Bulgaria 2023?"
    assert normalize_text("Bul\u200bga\u200dria\ufeff") == "Bulgaria"
    assert normalize_text("Ｂｕｌｇａｒｉａ ２０２３") == "Bulgaria 2023"
    assert normalize_text("\ud83d\ude00 \ud800 \udc00") == "\U0001f600 \ufffd \ufffd"  # a pair joined, halves replaced
    assert normalize_text("a\x00b\x1b\x85c\td\n") == "a b  c\td\n"
    assert normalize_text("e\u200b\u0301") == "\u00e9"  # composed once the zero-width space is out

    @hsettings(max_examples=300, deadline=None)
    @given(text=ANY_TEXT)
    def stable(text: str) -> None:
        once = normalize_text(text)
        assert _clean(once) and normalize_text(once) == once
        once.encode("utf-8")  # encodable: the tokenizer, JSON and the terminal all take it

    stable()


# ---- the library --------------------------------------------------------------------------------------------

def test_zero_width_and_fullwidth_countries_are_understood(settings: Settings):
    assistant = Assistant(settings)
    for question, years in [("Bul\u200bgaria", []), ("What did Bul\u200bga\u200dria do in 2023?", [2023]),
                            ("Ｂｕｌｇａｒｉａ", []), ("What did \u202eBulgaria\u202c do in ２０２３?", [2023]),
                            (os.fsdecode(CAFE), [2023])]:
        answer = assistant.ask(question)
        assert (answer.filters.countries, answer.filters.years) == (["BG"], years), question
        # (no report mentions a café: that question is understood, and declined for what it asks)
        assert answer.abstained == (question == os.fsdecode(CAFE)), question
    assert assistant.ask(os.fsdecode(CAFE)).query == "Café in Bulgaria 2023?"
    follow = assistant.ask("And in 2017?", ["What did Bul\u200bgaria do in 20\u200b23?"])
    assert follow.resolved_query == "What did Bulgaria do in 2017?"


def test_any_text_through_the_library_is_an_answer_or_a_clear_message(settings: Settings):
    assistant = Assistant(settings)
    outcomes = Counter()

    @hsettings(max_examples=LIBRARY, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(question=ANY_TEXT, history=st.lists(ANY_TEXT, max_size=3))
    def ask(question: str, history: list[str]) -> None:
        with bounded(QUESTION_SECONDS, f"question {question[:40]!r}"):
            try:
                answer = assistant.ask(question, history)
            except UserError as exc:
                outcomes["refused" if str(exc) == EMPTY_QUESTION else "failures"] += 1
                return
            except Exception:
                outcomes["crashes"] += 1
                raise
        _check_answer(json.loads(answer.model_dump_json()))
        outcomes["answered"] += 1

    ask()
    tried = sum(outcomes.values())
    assert tried >= LIBRARY and outcomes["failures"] == outcomes["crashes"] == 0, outcomes
    assert_documented("Any text as a question through the library (hypothesis: any character incl. lone "
                      "surrogates, zero-width, bidi, control and fullwidth characters; histories of the same)",
                      f"{LIBRARY}", f"{LIBRARY}/{LIBRARY} answered with a clean NFKC query or refused as empty "
                      f"with the CLI's message; none took over {QUESTION_SECONDS} s",
                      failures=outcomes["failures"], crashes=outcomes["crashes"])


# ---- the CLI --------------------------------------------------------------------------------------------------

def _cli_in_process(index_dir: Path, *args: str) -> tuple[int, str, str, BaseException | None]:
    result = CliRunner().invoke(main, ["ask", "--index", str(index_dir), "--corpus", str(CORPUS), "--json", *args])
    crash = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.stdout, result.stderr, crash


def _cli_process(index_dir: Path, *args: bytes) -> subprocess.CompletedProcess:
    env = {"ASSISTANT_INDEX": str(index_dir), "ASSISTANT_CORPUS": str(CORPUS), "PATH": "/usr/bin:/bin"}
    return subprocess.run([bytes(CLI_EXE), b"ask", b"--json", *args], capture_output=True, env=env, cwd=ROOT,
                          timeout=120)


def _one_line_error(stderr: str) -> str:
    """The message of a refusal: stderr is exactly one line, `error: ...`."""
    assert "Traceback" not in stderr and stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    return stderr[len("error: "):].rstrip("\n")


def test_cli_messages_for_empty_questions_and_bad_k(index_dir: Path):
    for question in ("", "   ", "\u200b\u2060\ufeff", "\x00\x1b\x7f"):
        code, _, err, crash = _cli_in_process(index_dir, "--", question)
        assert (code, crash, _one_line_error(err)) == (2, None, EMPTY_QUESTION)
    for k, shown in [("0", 0), ("-1", -1), ("100000", 100000), ("abc", "abc"), ("2.5", "2.5"), ("", "")]:
        code, _, err, crash = _cli_in_process(index_dir, f"--k={k}", "What did Bulgaria do in 2023?")
        assert (code, crash, _one_line_error(err)) == (2, None, k_message(k))
        assert f"from 1 to {MAX_K}; got {shown if isinstance(shown, int) else repr(shown)}" in err
    code, out, _, _ = _cli_in_process(index_dir, f"--k={MAX_K}", "What did Bulgaria do in 2023?")
    assert code == 0 and 0 < len(json.loads(out)["passages"]) <= MAX_K


def test_any_text_through_the_cli(index_dir: Path, settings: Settings):
    assistant = Assistant(settings)
    outcomes = Counter()

    def expect(question: str, history: list[str], code: int, out: str, err: str) -> None:
        """The CLI's answer is the library's; its refusal is the library's message on one line."""
        try:
            wanted = assistant.ask(question, history)
        except UserError as exc:
            assert code == 2 and _one_line_error(err) == str(exc), (question, err)
            outcomes["refused"] += 1
            return
        assert code == 0, (question, err)
        answer = json.loads(out)
        _check_answer(answer)
        assert _understood(answer) == _understood(wanted.model_dump(mode="json"))
        outcomes["answered"] += 1

    @hsettings(max_examples=CLI_IN_PROCESS, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(question=ANY_TEXT, history=st.lists(ANY_TEXT, max_size=2))
    def in_process(question: str, history: list[str]) -> None:
        args = [a for h in history for a in ("--history", h)] + ["--", question]
        with bounded(QUESTION_SECONDS, f"question {question[:40]!r}"):
            code, out, err, crash = _cli_in_process(settings.index, *args)
        if crash is not None:
            outcomes["crashes"] += 1
            raise crash
        expect(question, history, code, out, err)
        outcomes["in process"] += 1

    def as_process(question: bytes, history: list[bytes], k: bytes | None = None) -> subprocess.CompletedProcess:
        args = [a for h in history for a in (b"--history", h)] + ([b"--k", k] if k is not None else [])
        proc = _cli_process(settings.index, *args, b"--", question)
        err = proc.stderr.decode("utf-8", errors="replace")
        if "Traceback" in err:
            outcomes["crashes"] += 1
            raise AssertionError(err)
        outcomes["processes"] += 1
        return proc

    # argv as bytes, the way a shell hands them over; NUL cannot be in argv at all
    fixed = [(CAFE, []), (b"\xff\xfe\xfd", []), (b"What did Bul\xe2\x80\x8bgaria do in 2023?", []),
             ("Ｂｕｌｇａｒｉａ".encode(), []), (b"", []), (b"\xe2\x80\x8b\x01\x1b", []),
             (b"\xed\xa0\x80 half a surrogate in CESU-8", [b"\xe9t\xe9 2023"]),
             (b"And in 2017?", [b"What did Bulg\xe2\x80\x8caria do in 2023?", b"\x80\x81\x8d\x8f\x90\x9d"])]
    for question, history in fixed:
        proc = as_process(question, history)
        expect(os.fsdecode(question), [os.fsdecode(h) for h in history], proc.returncode,
               proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))
        if question == CAFE:
            cafe = json.loads(proc.stdout)  # the exact case of the issue
    assert (cafe["query"], cafe["filters"]["countries"], cafe["filters"]["years"]) == (
        "Café in Bulgaria 2023?", ["BG"], [2023])
    bad_k = as_process(b"What did Bulgaria do?", [], k=b"\xe9")
    assert bad_k.returncode == 2 and _one_line_error(bad_k.stderr.decode()) == k_message("\udce9")

    @hsettings(max_examples=CLI_PROCESSES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(question=st.binary(max_size=60).map(lambda b: b.replace(b"\x00", b" ")),
           history=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\x00", b" ")), max_size=1))
    def random_bytes(question: bytes, history: list[bytes]) -> None:
        proc = as_process(question, history)
        expect(os.fsdecode(question), [os.fsdecode(h) for h in history], proc.returncode,
               proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))

    in_process()
    random_bytes()
    processes = len(fixed) + 1 + CLI_PROCESSES
    assert outcomes["in process"] >= CLI_IN_PROCESS and outcomes["processes"] >= processes, outcomes
    assert outcomes["crashes"] == 0
    assert_documented("Any text as a question through the CLI: in process (hypothesis, as the library's row) and "
                      "as a subprocess with argv bytes that are not UTF-8 (`$'Caf\\xe9 in Bulgaria 2023?'`, "
                      "random bytes, a bad `--k`)", f"{CLI_IN_PROCESS} + {processes} processes",
                      f"{CLI_IN_PROCESS + processes}/{CLI_IN_PROCESS + processes} printed the library's answer "
                      "(same query and filters; \"Café\" for the Latin-1 byte) or its message on one line, exit 2",
                      crashes=outcomes["crashes"])


# ---- the web API --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client(server: str):
    from gradio_client import Client

    return Client(server, verbose=False)


def _via_client(client, *data) -> tuple[str, object]:
    from gradio_client.exceptions import AppError

    try:
        return "answer", client.predict(*data, api_name="/ask")
    except AppError as exc:
        return "error", str(exc)


def _via_json(server: str, *data) -> tuple[str, object]:
    """The API's wire protocol by hand: JSON with \\udXXX escapes carries lone surrogates, which
    gradio_client cannot encode."""
    url = f"{server}gradio_api/call/ask"
    posted = httpx.post(url, content=json.dumps({"data": list(data)}), headers={"content-type": "application/json"})
    assert posted.status_code == 200, posted.text
    lines = httpx.get(f"{url}/{posted.json()['event_id']}", timeout=60).text.splitlines()
    for event, data in zip(lines, lines[1:]):
        if event in ("event: complete", "event: error"):
            payload = json.loads(data.removeprefix("data: "))
            return ("answer", payload[0]) if event == "event: complete" else ("error", (payload or {}).get("error"))
    raise AssertionError(f"no answer and no error in {lines}")


def _no_traceback_logged(capfd, caplog) -> int:
    """Tracebacks the server wrote to stderr or stdout, or logged, while the test ran."""
    out, err = capfd.readouterr()
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    return (out + err).count("Traceback") + len(logged)


def test_bad_requests_to_the_web_api_get_the_cli_message_and_log_no_traceback(client, server: str, index_dir: Path,
                                                                               capfd, caplog):
    caplog.set_level("DEBUG")
    question = "What did Bulgaria do in 2023?"
    cli_empty = _one_line_error(_cli_in_process(index_dir, "--", "")[2])
    outcomes = Counter()
    requests = [(("", [], 3), cli_empty), (("  \n\t", [], 3), cli_empty), (("\u200b\ufeff", [], 3), cli_empty),
                ((None, [], 3), cli_empty), ((42, [], 3), "the question must be text; got int")]
    for k in (-1, 0, 100000, "abc"):  # the CLI's own message for the same --k
        requests.append(((question, [], k), _one_line_error(_cli_in_process(index_dir, f"--k={k}", question)[2])))
    requests += [((question, [], 2.5), k_message(2.5)), ((question, [], True), k_message(True)),
                 ((question, "What did Bulgaria do?", 3),
                  "history must be a list of earlier questions (texts), oldest first; got str"),
                 ((question, {"a": 1}, 3), "history must be a list of earlier questions (texts), oldest first; "
                                           "got dict"),
                 ((question, ["What did Bulgaria do?", 7], 3), "history item 2 must be text (an earlier question); "
                                                               "got int"),
                 ((question, [None], 3), "history item 1 must be text (an earlier question); got NoneType")]
    for data, message in requests:
        for door in (_via_client, _via_json):
            kind, got = door(client, *data) if door is _via_client else door(server, *data)
            outcomes["refused" if (kind, got) == ("error", message) else "failures"] += 1
            assert (kind, got) == ("error", message), (door.__name__, data)
    # what is allowed: no history, a null history, a k given as a whole float or as digits (the CLI's flag)
    for data, passages in [((question, None, 2), 2), ((question, [], 2.0), 2), ((question, [], "3"), 3),
                           ((question, [], None), 5), ((question, [], MAX_K), None)]:
        kind, got = _via_client(client, *data)
        assert kind == "answer" and (passages is None or len(got["passages"]) == passages), (data, got)
        outcomes["answered"] += 1
    tracebacks = _no_traceback_logged(capfd, caplog)
    assert tracebacks == 0
    tried = len(requests) * 2
    assert outcomes["refused"] == tried
    assert_documented("Bad requests to the web API `ask` (gradio_client and raw JSON): empty, blank, zero-width, "
                      "null and non-text questions; k -1, 0, 100000, \"abc\", 2.5, true; history a string, an object, "
                      "non-text items", f"{tried}",
                      f"{tried}/{tried} refused with the CLI's message, word for word; no traceback logged; "
                      "k 2.0, \"3\" and a null history answered", failures=outcomes["failures"],
                      crashes=tracebacks)


def test_zero_width_questions_find_bulgaria_over_the_web(client, server: str):
    for question in ("Bul\u200bgaria", "What did Bul\u200bga\u200dria do in 2023?", "Ｂｕｌｇａｒｉａ"):
        _, answer = _via_client(client, question, [], 3)
        assert answer["filters"]["countries"] == ["BG"], question
    _, answer = _via_json(server, os.fsdecode(CAFE), ["\udcff"], 3)
    assert (answer["query"], answer["filters"]["countries"], answer["filters"]["years"]) == (
        "Café in Bulgaria 2023?", ["BG"], [2023])


def test_any_text_through_the_web_api(client, server: str, settings: Settings, capfd, caplog):
    caplog.set_level("DEBUG")
    assistant = Assistant(settings)
    outcomes = Counter()

    @hsettings(max_examples=WEB, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(question=ANY_TEXT, history=st.lists(ANY_TEXT, max_size=2))
    def ask(question: str, history: list[str]) -> None:
        try:
            wanted = ("answer", _understood(assistant.ask(question, history, k=2).model_dump(mode="json")))
        except UserError as exc:
            wanted = ("error", str(exc))
        doors = [lambda: _via_json(server, question, history, 2)]
        try:
            json.dumps([question, history], ensure_ascii=False).encode("utf-8")
            doors.append(lambda: _via_client(client, question, history, 2))
        except UnicodeEncodeError:
            outcomes["surrogates (raw JSON only)"] += 1
        for door in doors:
            with bounded(QUESTION_SECONDS * 2, f"question {question[:40]!r} over the web"):
                kind, got = door()
            if kind == "answer":
                _check_answer(got)
                got = _understood(got)
            elif got != EMPTY_QUESTION:
                outcomes["crashes"] += 1
            assert (kind, got) == wanted, question
            outcomes[f"{kind}s"] += 1
        outcomes["tried"] += 1

    ask()
    tracebacks = _no_traceback_logged(capfd, caplog)
    assert outcomes["tried"] >= WEB and outcomes["crashes"] == 0 and tracebacks == 0, outcomes
    assert_documented("Any text as a question through the web API `ask` (hypothesis, as the library's row; "
                      "gradio_client, and raw JSON for the strings with lone surrogates it cannot encode)", f"{WEB}",
                      f"{WEB}/{WEB} the library's answer (same query and filters) or its message, through both "
                      "doors; no traceback logged", crashes=outcomes["crashes"] + tracebacks)
