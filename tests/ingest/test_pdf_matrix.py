"""The PDF matrix: reports typeset by LaTeX, LibreOffice Writer, Chromium and reportlab (see
``tests/fixtures/pdf_matrix.py``) keep the promises text reports keep, checked against the document
spec each PDF was made from:

* every body word in exactly one passage (hyphenation undone; headings are the section path);
* every marker attached to its own note (same number, same text), and a passage carries only the
  notes its text cites;
* no note text in the body (nor the endnotes' own heading);
* no running head, running foot or page number in the body;
* each heading, on one line or wrapped over several, is the section path of the passages under it;
* paragraphs kept: each paragraph (a sentence cut by a page break or by page-bottom notes rejoined)
  lies whole in one passage, and a passage holds one paragraph, table or caption, with only what the
  splitter joins on purpose (a block under ``min_tokens`` words) after it.

One case per tool runs by default; the rest of the matrix is marked slow.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.ingest.document import ParsedDocument, parse_text
from assistant.ingest.footnotes import SUPERSCRIPTS, from_superscript
from assistant.ingest.loaders import load_text
from assistant.ingest.splitter import ORPHAN_SECTION, PassageSplitter, SplitterConfig, TokenCounter
from assistant.models import Passage
from tests.fixtures.pdf_matrix import CASES, PLACEHOLDER, Case, DocSpec, ToolMissing, build_cases, plain

WORD = re.compile(f"[^\\W\\d_{SUPERSCRIPTS}]+")  # letters only, as in test_invariants
NUMBER = re.compile(r"\d+")
MIN_TOKENS = 8
SPLITTER = PassageSplitter(SplitterConfig(max_tokens=700, chunk_tokens=600, min_tokens=MIN_TOKENS),
                           TokenCounter(lambda text: len(text.split())))
NOTE_WINDOW = 6  # words of a note that, found together in a passage, mean the note is in the body


@dataclass
class Unit:
    """A piece of the spec's body that a passage must keep whole: a paragraph, a table or a caption."""

    kind: str
    text: str
    words: list[str]
    path: tuple[str, ...]
    cites: list[int]  # spec note indexes, in order


@dataclass
class Read:
    case: Case
    spec: DocSpec
    pdf: Path
    markdown: str
    doc: ParsedDocument
    passages: list[Passage]  # the body's passages (not the orphan-notes section)
    orphan_passages: list[Passage]
    units: list[Unit]


def _words(text: str) -> list[str]:
    return WORD.findall(text)


def _units(spec: DocSpec) -> list[Unit]:
    units = []
    for sec, path in zip(spec.sections, spec.section_paths()):
        for para in sec.paragraphs:
            units.append(Unit("paragraph", plain(para), _words(plain(para)), path,
                              [int(k) for k in PLACEHOLDER.findall(para)]))
        if sec.table:
            text = "\n".join(" ".join(row) for row in sec.table)
            units.append(Unit("table", text, _words(text), path, []))
        if sec.caption:
            units.append(Unit("caption", sec.caption, _words(sec.caption), path, []))
    return units


_READS: dict[str, Read | BaseException] = {}
_PDFS: dict[str, Path | BaseException] = {}


def made(case: Case, folder: Path) -> Path:
    """The case's PDF, made once per session (skipped with the package to install when its tool is missing)."""
    if case.name not in _PDFS:
        _PDFS[case.name] = build_cases([case], folder)[case.name]
    got = _PDFS[case.name]
    if isinstance(got, ToolMissing):
        pytest.skip(str(got))
    if isinstance(got, BaseException):
        raise got
    return got


def read(case: Case, folder: Path) -> Read:
    """The case's PDF, made once per session, read and split as ``index add`` does (a failure to make
    or read it is kept too, so each promise reports it without making the PDF again)."""
    if case.name not in _READS:
        pdf = made(case, folder)
        try:
            markdown = load_text(pdf, "pdf")
            pdf.with_suffix(".md").write_text(markdown, encoding="utf-8")  # what the reader made, to look at
            doc = parse_text(markdown, "md")
            passages = SPLITTER.split(doc, case.name)
            spec = case.spec()
            _READS[case.name] = Read(case, spec, pdf, markdown, doc,
                                     [p for p in passages if p.heading_path != [ORPHAN_SECTION]],
                                     [p for p in passages if p.heading_path == [ORPHAN_SECTION]], _units(spec))
        except Exception as exc:  # noqa: BLE001 -- kept, so each promise reports the same failure at once
            _READS[case.name] = exc
    got = _READS[case.name]
    if isinstance(got, BaseException):
        raise got
    return got


@pytest.fixture(scope="session")
def pdf_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pdf-matrix")


MATRIX = [pytest.param(c, id=c.name, marks=() if c.fast else pytest.mark.slow) for c in CASES]


def _seq(words: list[str]) -> str:
    return " " + " ".join(words) + " "


def _holders(r: Read, words: list[str]) -> list[int]:
    """Indexes of the passages whose text holds these words contiguously."""
    needle = _seq(words)
    return [i for i, p in enumerate(r.passages) if needle in _seq(_words(p.text))]


def _short(words: list[str], n: int = 8) -> str:
    return " ".join(words[:n]) + (" ..." if len(words) > n else "")


def _fail(problems: list[str], r: Read, what: str) -> None:
    if problems:
        shown = "\n  ".join(problems[:12]) + (f"\n  ... and {len(problems) - 12} more" if len(problems) > 12 else "")
        pytest.fail(f"{r.case.name}: {what}:\n  {shown}\n(PDF {r.pdf}, the reader's Markdown beside it)")


# ---- the promises ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", MATRIX)
def test_every_body_word_in_exactly_one_passage(case: Case, pdf_folder: Path):
    r = read(case, pdf_folder)
    expected = Counter(w for u in r.units for w in u.words)
    got = Counter(w for p in r.passages for w in _words(p.text))
    lost, invented = expected - got, got - expected
    problems = []
    if lost:
        problems.append(f"lost ({sum(lost.values())}): {dict(lost.most_common(15))}")
    if invented:
        problems.append(f"invented or split ({sum(invented.values())}): {dict(invented.most_common(15))}")
    numbers = Counter(n for u in r.units for n in NUMBER.findall(u.text))
    got_numbers = Counter(n for p in r.passages for n in NUMBER.findall(from_superscript(p.text)))
    if numbers - got_numbers:
        problems.append(f"numbers lost: {dict((numbers - got_numbers).most_common(15))}")
    _fail(problems, r, "body words")


@pytest.mark.parametrize("case", MATRIX)
def test_every_marker_attached_to_its_own_note(case: Case, pdf_folder: Path):
    r = read(case, pdf_folder)
    problems = []
    by_passage: dict[int, set[int]] = {}
    for unit in r.units:
        for k in unit.cites:
            number, text = r.spec.notes[k]
            # the passage holding the citing words: the whole paragraph, or the words just before the marker
            holders = _holders(r, unit.words)
            if not holders:
                para = next(p for s in r.spec.sections for p in s.paragraphs if plain(p) == unit.text)
                before = _words(plain(para.split(f"\ue000{k}\ue001")[0]))[-6:]
                holders = _holders(r, before)
            if not holders:
                problems.append(f"note {number}: no passage holds the sentence that cites it")
                continue
            i = holders[0]
            by_passage.setdefault(i, set()).add(k)
            attached = [n for n in r.passages[i].footnotes if n.number == number]
            if not attached:
                problems.append(f"note {number} not attached to passage {i} "
                                f"(it has {[n.number for n in r.passages[i].footnotes]}) "
                                f"'{_short(_words(r.passages[i].text))}'")
            elif not any(_words(n.text) == _words(text) for n in attached):
                got, want = _words(attached[0].text), _words(text)
                at = next((j for j, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                problems.append(f"note {number} attached with another text, from word {at}: "
                                f"'{_short(got[at:], 10)}' for '{_short(want[at:], 10)}'"
                                + (" (words added to the note)" if at == len(want) else "")
                                + (" (the note cut short)" if at == len(got) else ""))
    for i, p in enumerate(r.passages):
        own = {r.spec.notes[k][0] for k in by_passage.get(i, set())}
        stray = [n.number for n in p.footnotes if n.number not in own]
        if stray:
            problems.append(f"passage {i} carries notes its text does not cite: {stray}")
    for p in r.orphan_passages:
        problems.append(f"note left uncited: '{p.text[:100]}'")
    _fail(problems, r, "notes and markers")


@pytest.mark.parametrize("case", MATRIX)
def test_no_note_text_in_the_body(case: Case, pdf_folder: Path):
    r = read(case, pdf_folder)
    body = _seq([w for u in r.units for w in u.words])
    passages = [(i, _seq(_words(p.text))) for i, p in enumerate(r.passages)]
    problems = []
    for number, text in r.spec.notes:
        words = _words(text)
        for start in range(max(1, len(words) - NOTE_WINDOW + 1)):
            window = _seq(words[start:start + NOTE_WINDOW])
            if len(words) < NOTE_WINDOW or window in body:
                continue  # a window the body writes too says nothing
            found = [i for i, seq in passages if window in seq]
            if found:
                problems.append(f"note {number} text in passage {found[0]}: '{window.strip()}'")
                break
    if r.case.endnotes:  # the endnotes' own heading belongs to the notes, not to the passage before them
        heading = re.compile(rf"(^|\n)\W*{re.escape(r.spec.notes_heading)}\W*(\n|$)")
        problems += [f"the endnotes' heading '{r.spec.notes_heading}' in passage {i}"
                     for i, p in enumerate(r.passages) if heading.search(p.text)]
    _fail(problems, r, "note text in the body")


@pytest.mark.parametrize("case", MATRIX)
def test_no_running_head_or_page_number_in_the_body(case: Case, pdf_folder: Path):
    r = read(case, pdf_folder)
    problems = []
    for furniture in (r.spec.running_head, r.spec.running_foot):
        words = _words(furniture)
        if words and _holders(r, words):
            problems.append(f"'{furniture}' in passages {_holders(r, words)}")
    numbers = Counter(n for u in r.units for n in NUMBER.findall(u.text))
    got = Counter(n for p in r.passages for n in NUMBER.findall(from_superscript(p.text)))
    extra = got - numbers
    if extra:
        where = [f"{n} in '...{m.group(0)}...'" for n in list(extra)[:6] for p in r.passages
                 for m in [re.search(rf".{{0,30}}(?<!\d){n}(?!\d).{{0,30}}", from_superscript(p.text), re.DOTALL)] if m][:6]
        problems.append(f"numbers not in the body (page numbers, markers left in the text): "
                        f"{dict(extra.most_common(15))}; e.g. {where}")
    _fail(problems, r, "running heads, feet and page numbers")


def _heading(text: str) -> str:
    return re.sub(r"^\d+(\.\d+)*\.?\s+", "", " ".join(text.split()))


@pytest.mark.parametrize("case", MATRIX)
def test_headings_are_the_section_path(case: Case, pdf_folder: Path):
    r = read(case, pdf_folder)
    problems = []
    title = _heading(r.spec.title)
    for unit in r.units:
        for i in _holders(r, unit.words) or _holders(r, unit.words[:10]):
            path = tuple(_heading(h) for h in r.passages[i].heading_path)
            if path[:1] == (title,):
                path = path[1:]
            if path != unit.path:
                problems.append(f"{unit.kind} '{_short(unit.words, 6)}' under {list(path)}, expected {list(unit.path)}")
    _fail(problems, r, "section paths")


def _small(unit: Unit) -> bool:
    """A block the splitter joins to the passage before it (splitter._small with a word counter)."""
    return len(unit.text.split()) < MIN_TOKENS or bool(re.match(r"^\(|^(source|photo)\b", unit.text, re.IGNORECASE))


@pytest.mark.parametrize("case", MATRIX)
def test_paragraphs_kept_and_sentences_rejoined(case: Case, pdf_folder: Path):
    r = read(case, pdf_folder)
    problems = []
    contents: dict[int, list[Unit]] = {}
    for unit in r.units:
        holders = _holders(r, unit.words)
        if not holders:
            # where it was cut: the passages holding its first and its last words
            head, tail = _holders(r, unit.words[:6]), _holders(r, unit.words[-6:])
            problems.append(f"{unit.kind} not kept whole: '{_short(unit.words)}' starts in passage "
                            f"{head[:1]} and ends in {tail[:1]}")
            continue
        contents.setdefault(holders[0], []).append(unit)
    for i, units in sorted(contents.items()):
        joined = [w for u in units for w in u.words]
        if _words(r.passages[i].text) != joined:
            problems.append(f"passage {i} holds {[u.kind for u in units]} and more: "
                            f"'{_short(_words(r.passages[i].text), 12)}'")
        elif any(not _small(u) for u in units[1:]):
            problems.append(f"passage {i} joins {len(units)} blocks: "
                            + " | ".join(f"{u.kind} '{_short(u.words, 5)}'" for u in units))
    _fail(problems, r, "paragraphs")


# ---- the matrix itself --------------------------------------------------------------------------

def test_the_matrix_covers_every_tool_and_variation():
    """What the issue asks the matrix to vary is in it (so a case dropped later is noticed)."""
    tools = {c.tool for c in CASES}
    assert tools == {"latex", "libreoffice", "chromium", "reportlab"}
    assert {c.tool for c in CASES if c.fast} == tools, "one fast case per tool"
    options = [(c.tool, c.options) for c in CASES]
    for key, value in [("paper", "a5paper"), ("twocolumn", True), ("rule", False), ("page_top", True),
                       ("paper", "a5"), ("restart", True), ("paper", "A5"), ("columns", 2), ("apart", True)]:
        assert any(o.get(key) == value for _, o in options), (key, value)
    specs = [c.spec() for c in CASES]
    assert any(s.notes and s.notes[0][0] == "893" for s in specs), "numbering that starts at 893"
    assert any(s.restarts() for s in specs), "numbering that restarts"
    assert any(len(s.title) > 0 and any(len(sec.heading) > 90 for sec in s.sections) for s in specs), \
        "a heading long enough to wrap"
    assert any(sec.table for s in specs for sec in s.sections) and any(sec.caption for s in specs for sec in s.sections)
    assert any(len(t.split()) > 100 for s in specs for _, t in s.notes), "a note long enough to continue"
    assert sum(1 for c in CASES if "corpus" in c.name) >= 3, "the project's own reports typeset"


def _squash(text: str) -> str:
    return "".join(_words(text)).lower()


@pytest.mark.slow
def test_the_pdfs_print_every_note_and_continue_long_ones(pdf_folder: Path):
    """The typesetters did what the specs ask (read with pdfium's plain text, not with the reader under
    test): every note printed, and with each footnote tool a long note continued on the next page."""
    import pypdfium2

    continued: set[str] = set()
    for case in CASES:
        try:
            pdf = made(case, pdf_folder)
        except pytest.skip.Exception:
            continue
        doc = pypdfium2.PdfDocument(pdf)
        pages = [_squash(page.get_textpage().get_text_range()) for page in doc]
        doc.close()
        for number, text in case.spec().notes:
            words = _words(text)
            head, tail = _squash(" ".join(words[:6])), _squash(" ".join(words[-6:]))
            assert any(head in p for p in pages) and any(tail in p for p in pages), \
                f"{case.name}: note {number} not printed"
            if len(words) > 60 and any(head in a and tail in b and _squash(" ".join(words)) not in a
                                       for a, b in itertools.pairwise(pages)):
                continued.add(case.tool)
    assert continued >= {"latex", "libreoffice", "reportlab"} & {c.tool for c in CASES if c.name in _PDFS
                                                                 and isinstance(_PDFS[c.name], Path)}, continued
