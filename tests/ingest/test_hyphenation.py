"""Line-end hyphens: a word the typesetter split is joined again, a hyphen that belongs to the word is
kept; on the rule alone and on a PDF drawn with reportlab."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.hyphenation import Dehyphenator, is_listed
from assistant.ingest.loaders import load_text

DOCUMENT = [
    "The protection of children improved, and the administration of the programme was reformed.",
    "Self-organisation of refugee groups is encouraged by the municipality.",
    "Stakeholders met in 2021.",
]


@pytest.mark.parametrize("line, nxt, joined", [
    ("improved the pro-", "tection of children", "improved the protection of children"),  # a word of the document
    ("the adminis-", "tration of benefits", "the administration of benefits"),
    ("an inter-", "national conference", "an international conference"),  # a word of the English word list
    ("groups rely on self-", "organisation and peers", "groups rely on self-organisation and peers"),  # written so
    ("an UNHCR-", "funded shelter", "an UNHCR-funded shelter"),  # an acronym keeps its hyphen
    ("the plan for 2021-", "2027 was adopted", "the plan for 2021-2027 was adopted"),
    ("the EU-", "Turkey statement", "the EU-Turkey statement"),
    ("a well-", "zorbled idea", "a well-zorbled idea"),  # not a word anywhere: the hyphen stays, nothing lost
    ("housing -", "a priority", "housing - a priority"),  # a dash standing apart is not a hyphen
    ("an ordinary", "line", "an ordinary line"),
])
def test_a_split_word_is_joined_and_a_real_hyphen_kept(line: str, nxt: str, joined: str):
    assert Dehyphenator(DOCUMENT).join(line, nxt) == joined


def test_the_document_decides_before_the_word_list():
    assert is_listed("protection") and not is_listed("zorbled")
    writes_it_hyphenated = Dehyphenator(["Co-operation between cities is the norm."])
    assert writes_it_hyphenated.join("close co-", "operation", ) == "close co-operation"
    writes_it_joined = Dehyphenator(["Cooperation between cities is the norm."])
    assert writes_it_joined.join("close co-", "operation") == "close cooperation"


def _hyphenated_pdf(path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, 780, "Reception and protection")
    c.setFont("Helvetica", 11)
    lines = ["In 2023 the ministry reformed the adminis-",  # one paragraph, lines broken as a typesetter would
             "tration of reception centres. Each centre now offers pro-",
             "tection officers, UNHCR-",
             "funded legal aid and self-",
             "organisation support for the 2021-",
             "2027 programme. Protection and administration are reviewed yearly."]
    for i, line in enumerate(lines):
        c.drawString(72, 750 - 14 * i, line)
    c.setFont("Helvetica", 11)
    c.drawString(72, 600, "Self-organisation of residents is encouraged.")
    c.save()
    return path


def test_a_pdf_paragraph_reads_without_the_typesetters_hyphens(tmp_path: Path):
    text = load_text(_hyphenated_pdf(tmp_path / "hyphens.pdf"), "pdf")
    assert "the administration of reception centres" in text
    assert "offers protection officers, UNHCR-funded legal aid and self-organisation support" in text
    assert "for the 2021-2027 programme" in text
    assert "adminis-" not in text and "pro-tection" not in text and "- " not in text.replace(" - ", "")


def test_a_british_spelling_counts_as_a_listed_word():
    """EU reports write British English; the word list is American. A split "interna-" /
    "tionalisation" the document never writes otherwise is joined because "internationalization" is
    listed; a word listed in neither spelling keeps its hyphen."""
    fresh = Dehyphenator(["Nothing else in this document."])
    assert fresh.join("the interna-", "tionalisation of training") == "the internationalisation of training"
    assert fresh.join("in-", "ternationalisation") == "internationalisation"
    assert fresh.join("a prog-", "ramme for 2022") == "a programme for 2022"
    assert fresh.join("a well-", "zorbled idea") == "a well-zorbled idea"
    assert is_listed("organisation") and is_listed("labour") and not is_listed("organisationz")


def test_a_name_keeps_its_own_spelling():
    """The text writes the common word unbroken, a name cited in the notes writes it hyphenated: a
    split in the name keeps the name's hyphen, a split in the text joins."""
    doc = Dehyphenator(["close cooperation with cities", "in cooperation with regions",
                        "Organisation for Economic Co-operation and Development (2021).",
                        "Organisation for Economic Co-operation and Development (2023)."])
    assert doc.join("Organisation for Economic Co-", "operation and Development") == \
        "Organisation for Economic Co-operation and Development"
    assert doc.join("in close co-", "operation with") == "in close cooperation with"
