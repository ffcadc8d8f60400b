"""Headings and tables: passages know where they sit in the report."""

from __future__ import annotations

from assistant.ingest.document import parse_text
from tests.conftest import corpus_text


def test_practice_titles_under_themes_and_source_lines_kept():
    doc = parse_text(corpus_text("integra-good-practices.txt"), "txt")
    paths = {b.heading_path for b in doc.blocks}
    assert ("EMPLOYMENT", "Meeting Employers and Migrants (Bulgaria)") in paths
    assert ("CITY GOVERNANCE", "Guide for municipalities to work with refugees and migrants.") in paths
    # photo captions are not headings: the film festival sits under its own title
    assert ("CULTURAL PARTICIPATION", "Documentary Film Festival: One World, Looking for Home (Czech Republic)") in paths
    assert not any("RŮZMĀNITOST" in p[-1] for p in paths if p)


def test_markdown_heading_repeated_at_two_levels_is_one_section():
    doc = parse_text(corpus_text("euaa-ar2023-cooperation.md"), "md")
    assert {b.heading_path for b in doc.blocks} == {("4.14.3.3. Fostering cooperation among stakeholders",)}


def test_action_plan_table_kept_whole_under_its_action():
    doc = parse_text(corpus_text("ec-action-plan-partnerships.txt"), "txt")
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert len(tables) == 13
    first = tables[0]
    assert first.heading_path == ("1. Strengthen the European Integration Network (EIN)",)
    assert first.text.splitlines()[:3] == [
        "Action: Strengthen the European Integration Network (EIN) and use it to support EU countries in "
        "developing, updating and implementing national strategies and action plans for integration",
        "Status: Continuous",
        "Type: Partnership",
    ]
    assert "last meeting held in Belgium in December 2024" in first.text
    mentoring = next(b for b in tables if b.heading_path == ("10. Promote mentoring",))
    assert "Status: Continuous" in mentoring.text


def test_real_paragraph_end_is_not_rejoined():
    text = "Title here\n\nThe first paragraph ends here.\n\nsmall-letter start of a new paragraph.\n\n" \
           "A longer paragraph that stops without any full stop at the end of its very last line\n\nNew Paragraph In Title Case starts here with more words than a title has.\n"
    doc = parse_text(text, "txt")
    texts = [b.text for b in doc.blocks]
    assert "The first paragraph ends here." in texts
    assert "small-letter start of a new paragraph." in texts
    assert "A longer paragraph that stops without any full stop at the end of its very last line" in texts
