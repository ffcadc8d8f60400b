"""Title, year and period of a report that sources.toml does not describe, as a user sees them after
dropping the file into corpus/: handmade documents in several styles (a web page saved as text,
Markdown, HTML, PDFs with and without info metadata)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import metadata as meta
from assistant.ingest.corpus import infer_report
from assistant.ingest.document import parse_text
from assistant.ingest.loaders import load_text, parse_format

DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus-dev"

WEB_PAGE_AS_TEXT = """City Migration Portal
14 March 2023

Rotterdam: new language cafés for newcomers

Flag of the Netherlands

In 2022, the city of Rotterdam opened twelve language cafés for newcomers. The cafés were run by
volunteers and offered conversation practice in Dutch twice a week across the city.

Since 2019, the municipality has funded civic orientation courses. The National Integration Strategy
2021-2027 asks cities to reach every newcomer by 2027, as the OECD recommended (OECD, 2016).

Photo: volunteers at a language café
"""


def _report(tmp_path: Path, name: str, content: str | bytes, fmt: str):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    doc = parse_text(load_text(path, fmt), parse_format(fmt))
    return infer_report(path, doc, set())


def test_web_page_saved_as_text_gets_its_headline_date_and_the_years_of_its_events(tmp_path):
    report = _report(tmp_path, "page.txt", WEB_PAGE_AS_TEXT, "txt")
    assert report.title == "Rotterdam: new language cafés for newcomers"
    assert report.year == 2023  # the dateline under the site name
    # 2019 and 2022 date events; "Strategy 2021-2027" names a plan, "by 2027" is a target, "(OECD, 2016)"
    # cites a source and the dateline dates the page.
    assert (report.period_start, report.period_end) == (2019, 2022)
    assert set(report.inferred) >= {"title", "year", "period_start", "period_end"}


def test_markdown_heading_is_the_title_not_a_caption_above_it(tmp_path):
    text = ("![Flag of Greece](flag.png)\n\nImage: a reception centre\n\n# Reception in Greece after HELIOS\n\n"
            "In 2023 the HELIOS programme was interrupted again, leaving recognised refugees without rent "
            "subsidies for several months while the ministry prepared a new contract.\n")
    report = _report(tmp_path, "greece.md", text, "md")
    assert report.title == "Reception in Greece after HELIOS"
    assert (report.period_start, report.period_end) == (2023, 2023)


def test_a_text_that_starts_with_its_first_paragraph_is_named_after_its_file_never_the_paragraph(tmp_path):
    text = ("The Swedish Migration Agency has a responsibility to arrange suitable activities for applicants "
            "during the examination of the asylum claim. Since 1 January 2018, a person granted a residence "
            "permit has to take part in the education the Public Employment Service assigns.\n")
    report = _report(tmp_path, "sweden-access-to-labour-market.txt", text, "txt")
    assert report.title == "Sweden access to labour market"
    assert (report.period_start, report.period_end) == (2018, 2018)


def test_page_chrome_above_the_headline_is_skipped(tmp_path):
    text = ("Published: 21.02.2023\nAuthor: Anna Kowalska\nAnna Kowalska\nNews | Reports\n\n"
            "Report: Ukrainian refugees on the Polish labour market\n\n"
            "The Polish Economic Institute presented a report on Ukrainian refugees on the Polish labour "
            "market in February 2023, a year after the first arrivals in 2022.\n")
    report = _report(tmp_path, "poland.txt", text, "txt")
    assert report.title == "Report: Ukrainian refugees on the Polish labour market"
    assert report.year == 2023
    assert (report.period_start, report.period_end) == (2022, 2023)


@pytest.mark.parametrize("line", [
    "Flag of Bulgaria", "06", "28", "Citation preview", "Author", "Authors", "Photo: UNHCR/B. Szandelszky",
    "Figure 3. Employment rate by year", "Source: Eurostat", "© UNHCR", "News - ", "Home > News > Integration",
    "News | Reports", "20 June 2024", "Last updated: 06/04/23", "Published: 21.02.2023", "Visit Website",
    "For more information click here", "Thomas Bredgaard and Rasmus Lind Ravn", "icon for integration strategies",
    "for beneficiaries of international protection in the...", "Transcript of the presentation",
    "It has been ten years since the country last had a programme. Several NGOs stepped in. They asked for help.",
    " ".join(["word"] * 40),
])
def test_page_debris_and_paragraphs_are_not_titles(line):
    assert meta.debris_reason(line) is not None


@pytest.mark.parametrize("line", [
    "Bulgaria: A decade without national refugee integration support", "Social welfare",
    "Chapter 2. Integration of refugees and other vulnerable migrants", "3.14.1.1. Annual pledging exercise",
    "Integration = Belonging", "Can you survive on integration benefit?", "IOM Ends Croatia Migration Crisis Response",
])
def test_real_titles_are_not_debris(line):
    assert meta.debris_reason(line) is None


def test_html_title_without_the_site_name_and_year_from_the_page_date(tmp_path):
    html = ("<html><head><title>Cyprus consults on its integration action plan | Integration Portal</title>"
            "<meta name='citation_publication_date' content='2024/03/27'></head><body><nav>Home</nav>"
            "<img alt='Flag of Cyprus'><h1>Cyprus consults on its integration action plan</h1>"
            "<p>In 2024 the Ministry of Interior held public consultations on its action plan for 2024-2026.</p>"
            "</body></html>")
    report = _report(tmp_path, "cyprus.html", html, "html")
    assert report.title == "Cyprus consults on its integration action plan"
    assert report.year == 2024
    assert report.period_start == 2024


def test_html_without_a_title_uses_its_first_heading(tmp_path):
    html = ("<html><body><p>Skip</p><figure><figcaption>Photo: a classroom</figcaption></figure>"
            "<h1>Language courses for adult refugees in Vienna</h1><p>Since 2016 the city has offered free "
            "German courses to every person entitled to asylum, with childcare during the lessons.</p></body></html>")
    assert _report(tmp_path, "vienna.html", html, "html").title == "Language courses for adult refugees in Vienna"


def _pdf(path: Path, title: str | None) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    if title:
        c.setTitle(title)
    c.setFont("Helvetica", 9)
    c.drawString(72, 800, "Photo: cover image")
    c.setFont("Helvetica-Bold", 16)
    c.drawString(72, 770, "Housing for refugees in Slovenia")
    c.setFont("Helvetica", 10)
    for i, line in enumerate(["In 2021 Ljubljana started a housing mediation service for refugees, and in",
                              "2022 the service was extended to Maribor with the help of local NGOs and the",
                              "national integration office, which plans to cover every town by 2030."]):
        c.drawString(72, 740 - 14 * i, line)
    c.showPage()
    c.save()
    return path


def test_pdf_title_from_its_info_metadata(tmp_path):
    path = _pdf(tmp_path / "slovenia.pdf", "Housing mediation in Slovenia, 2021-2022")
    assert meta.pdf_info(path).title == "Housing mediation in Slovenia, 2021-2022"
    report = infer_report(path, parse_text(load_text(path, "pdf"), "md"), set())
    assert report.title == "Housing mediation in Slovenia, 2021-2022"
    assert (report.period_start, report.period_end) == (2021, 2022)  # "by 2030" is a target


def test_pdf_without_info_title_uses_its_first_heading_not_the_caption(tmp_path):
    path = _pdf(tmp_path / "untitled.pdf", None)
    report = infer_report(path, parse_text(load_text(path, "pdf"), "md"), set())
    assert report.title == "Housing for refugees in Slovenia"


@pytest.mark.parametrize("title,kept", [
    ("Microsoft Word - report_final.docx", None), ("untitled", None), ("report_2023_v2", None),
    ("Asylum Report 2024", "Asylum Report 2024"), ("", None), (None, None),
])
def test_placeholder_metadata_titles_are_not_believed(title, kept):
    assert meta.plausible_metadata_title(title) == kept


def test_a_print_date_long_after_the_events_is_not_the_publication_year():
    body = "In 2015 the project started. In 2016 it ended with 300 participants."
    assert meta.publication_year(["Project report"], "Project report", 2031, [], body) == (2016, "events")
    assert meta.publication_year(["Project report"], "Project report", 2017, [], body) == (2017, "metadata")
    assert meta.publication_year(["Asylum Report 2024"], "Asylum Report 2024", None, [], body)[0] == 2024


def test_year_kinds():
    text = "In 2022, arrivals rose. The Fundamental Rights Report 2019 said so (FRA, 2018). Targets are set by 2030."
    kinds = dict(meta.year_mentions(text))
    assert kinds == {2022: "event", 2019: "name", 2018: "citation", 2030: "target"}


def test_dev_corpus_titles_are_never_debris_or_paragraphs():
    """On the real excerpts of ../shared/corpus-dev, no inferred title is page debris or a paragraph."""
    if not DEV.is_dir():
        pytest.skip(f"{DEV} (the shared development corpus) is absent")
    for path in sorted(DEV.glob("[0-9][0-9]_*.txt")):
        report = infer_report(path, parse_text(path.read_text(encoding="utf-8"), "txt"), set())
        assert meta.debris_reason(report.title) is None, (path.name, report.title)
        assert len(report.title.split()) <= 28, (path.name, report.title)
