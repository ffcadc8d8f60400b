"""Footnotes in their three forms, on the real reports: markers out of the text, notes attached."""

from __future__ import annotations

import re

from assistant.ingest.document import parse_text
from assistant.ingest.footnotes import take_placeholders
from tests.conftest import corpus_text


def _blocks(name: str, fmt: str):
    doc = parse_text(corpus_text(name), fmt)
    out = []
    for block in doc.blocks:
        text, cited = take_placeholders(block.text)
        out.append((block, text, [doc.notes[i].number for i in cited]))
    return doc, out


def _block_with(blocks, needle: str):
    found = [(b, t, n) for b, t, n in blocks if needle in t]
    assert len(found) == 1, f"expected one block with {needle!r}, found {len(found)}"
    return found[0]


def test_glued_markers_and_bullet_notes():
    doc, blocks = _blocks("euaa-ar2024-cooperation.txt", "txt")
    assert doc.note_form == "glued"
    assert [n.number for n in doc.notes] == [str(n) for n in range(893, 901)]
    _, text, notes = _block_with(blocks, "In Bulgaria, a forum")
    assert notes == ["898", "899"]
    assert "898" not in text and "899" not in text
    assert "practices. A similar forum" in text
    # a year followed by a glued marker: the year stays, the marker goes
    _, text, notes = _block_with(blocks, "Spazio Comune")
    assert "Naples. The centre" in text and "February 2022, and serves" in text
    assert notes == ["893", "894"]
    # a note that spans two lines keeps both
    note895 = next(n for n in doc.notes if n.number == "895")
    assert "Henryk Wujec Civic Fund. (2023). We Act Together!" in note895.text
    assert note895.urls == ["https://migrant-integration.ec.europa.eu/news/poland-funding-social-initiatives-refugees_en"]
    assert not doc.warnings


def test_anchor_markers_with_notes_wrapped_over_blank_lines():
    doc, blocks = _blocks("euaa-ar2023-cooperation.md", "md")
    assert doc.note_form == "anchor"
    assert [n.number for n in doc.notes] == [str(n) for n in range(1144, 1161)]
    note = {n.number: n for n in doc.notes}
    assert note["1152"].urls == ["http://www.moi.gov.cy/moi/moiup/moi.nsf/All/2294A98619FD30C6C2258852003DB7C3?OpenDocument"]
    assert "announces 124 projects to be funded under the Communities Integration Fund 2022" in note["1156"].text
    _, text, notes = _block_with(blocks, "Cities Network for Integration continued")
    assert notes == ["1153", "1154"]
    assert "launched a new website, showcasing" in text and "[" not in text
    assert all("©" not in t for _, t, _ in blocks), "the site footer is furniture"
    assert any(f.startswith("©") for f in doc.furniture)


def test_anchor_notes_switching_to_bare_numbers_and_range_line():
    doc, blocks = _blocks("euaa-ar2022-cooperation.md", "md")
    assert [n.number for n in doc.notes] == [str(n) for n in range(1163, 1179)]
    assert doc.furniture == ["1163-1178", "4.14.3.3. Fostering cooperation among different stakeholders"]
    assert all("1163-1178" not in t for _, t, _ in blocks)
    _, text, notes = _block_with(blocks, "handbook was drafted")
    assert notes == ["1170", "1171", "1172", "1173", "1174"]
    note = {n.number: n for n in doc.notes}
    assert note["1166"].urls == ["https://www.kis.nl/publicatie/aan-de-slag-met-eritrese-statushouders-uw-gemeente"]
    assert note["1172"].text.startswith("European Website on Integration. (2021, April 26).")
    assert not doc.orphans


def test_superscript_marker_and_page_bottom_note_inside_a_sentence():
    doc, blocks = _blocks("integra-good-practices.txt", "txt")
    assert doc.note_form == "superscript"
    assert len(doc.notes) == 1 and doc.notes[0].number == "1"
    assert "Bulgarian Red Cross, 2017." in doc.notes[0].text
    _, text, notes = _block_with(blocks, "developed by the Bulgarian Red Cross")
    assert notes == ["1"] and "¹" not in text
    _, text, _ = _block_with(blocks, "mobile app")
    assert "An information booklet Prague is Our Home is also available" in text
    assert "Наръчник" not in text
    # a marker without a note stays in place and is reported
    assert any("¹⁷" in w for w in doc.warnings)


def test_page_break_and_hyphen_rejoined_real_paragraph_end_kept():
    _, blocks = _blocks("integra-good-practices.txt", "txt")
    _, text, _ = _block_with(blocks, "Volunteers are helping refugees")
    assert "Volunteers are helping refugees and migrants in reception centers" in text
    _, text, _ = _block_with(blocks, "Oslo Business Region")
    assert "Its business-development agency" in text
    _, text, _ = _block_with(blocks, "Bee My Job has developed into a network")
    assert "(Source" not in text


def test_numbers_that_are_not_markers_are_untouched():
    text = ("Intro.\n\nIn 2022, 894 people took part in COVID-19 courses under Art. 13 of Regulation 604/2013, "
            "p.45, rising by 12%.1 Then the G20 met.2\n\n  • 1First note.\n  • 2Second note.\n")
    doc = parse_text(text, "txt")
    body = " ".join(take_placeholders(b.text)[0] for b in doc.blocks)
    for kept in ("In 2022, 894 people", "COVID-19", "Art. 13", "604/2013", "p.45", "12%", "G20"):
        assert kept in body
    cited = [doc.notes[i].number for b in doc.blocks for i in take_placeholders(b.text)[1]]
    assert cited == ["1", "2"]


def test_no_marker_digits_left_in_any_passage_text():
    for name, fmt in [("euaa-ar2023-cooperation.md", "md"), ("euaa-ar2022-cooperation.md", "md")]:
        _, blocks = _blocks(name, fmt)
        for _, text, _ in blocks:
            assert not re.search(r"\[\d+\]\(#\)", text)


def test_take_placeholders_gives_clean_text_without_page_marks():
    """A block of a paged report (page marks glued to the first word of a page) comes out as readable
    text: no placeholder, no page mark; the cited notes in order of first citation."""
    from assistant.ingest.footnotes import MARK_CLOSE, MARK_OPEN
    from assistant.ingest.pages import has_marks, page_mark

    marked = (f"{page_mark(3)}The centre opened.{MARK_OPEN}1{MARK_CLOSE} It closed{page_mark(4, ocr=True)} "
              f"in May.{MARK_OPEN}0{MARK_CLOSE} Again.{MARK_OPEN}1{MARK_CLOSE}")
    text, cited = take_placeholders(marked)
    assert text == "The centre opened. It closed in May. Again." and cited == [1, 0]
    assert not has_marks(text)


def test_numbering_restarting_within_one_page_of_notes():
    """Two chapters on one page, each numbering its notes from 1: the notes at the page's foot read
    1, 2, 1. Each marker takes a note of its number not yet cited, in order, so the second chapter's
    marker 1 gets the second note 1, not the first again."""
    text = ("# Report\n\n## First chapter\n\nThe ministry opened two centres.¹ The agency trained staff.²\n\n"
            "## Second chapter\n\nThe council adopted a plan.¹\n\n"
            "¹ Ministry, Annual report 2021.\n\n² Agency, Training review 2022.\n\n¹ Council, Plan 2023.\n")
    doc = parse_text(text, "md")
    assert [n.number for n in doc.notes] == ["1", "2", "1"]
    cited = {}
    for block in doc.blocks:
        clean, notes = take_placeholders(block.text)
        cited[clean] = [doc.notes[i].text.split(",")[0] for i in notes]
    assert cited["The ministry opened two centres. The agency trained staff."] == ["Ministry", "Agency"]
    assert cited["The council adopted a plan."] == ["Council"], cited
