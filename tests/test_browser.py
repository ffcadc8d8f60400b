"""The web chat in a real browser: Debian's chromium, headless, driven by Playwright.

Each test saves a screenshot under test-artifacts/; the time from Enter to the first answer is
logged (test-artifacts/timings.txt), not asserted.
"""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path

import pytest

from assistant.settings import Settings
from tests.conftest import ROOT, free_port
from tests.reliability.record import assert_documented
from ui.app import CSS, create_app

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
CLASSIC_XSS = [
    '<script>window.__xss = 1</script>', '<img src=x onerror="window.__xss = 2">',
    '[click me](javascript:window.__xss=3)', '<svg onload="window.__xss=4">', '"><script>window.__xss=5</script>',
    '<iframe src="javascript:window.parent.__xss=6"></iframe>', '<a href="javascript:window.__xss=7">x</a>',
    '<body onload="window.__xss=8">', '<details open ontoggle="window.__xss=9">',
    '</textarea><script>window.__xss=10</script>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=11">', 'javascript:window.__xss=12',
    '<input autofocus onfocus="window.__xss=13">', '<object data="javascript:window.__xss=15">',
    "{{constructor.constructor('window.__xss=16')()}}", "<marquee onstart='window.__xss=17'>"]
XSS = " ".join(CLASSIC_XSS)
DANGEROUS = ", ".join(f"{area} {tag}" for area in ("#chat", "#answer-panel", "#cards")  # (the page's own
                      for tag in ("img", "script", "iframe", "object", "input", "marquee", "math",  # icons are svg)
                                  "a[href^='javascript']", "[href^='javascript']", "[src^='javascript']"))
HANDLERS = """() => Array.from(document.querySelectorAll('#chat *, #answer-panel *, #cards *'))
    .flatMap(e => Array.from(e.attributes).filter(a => a.name.startsWith('on') && a.value.includes('__xss'))
    .map(a => e.tagName + ' ' + a.name))"""  # the page's own buttons have handlers; injected ones name __xss


def _serve(settings: Settings):
    port = free_port()
    app = create_app(settings)
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, css=CSS)
    return app, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url(settings: Settings):
    app, address = _serve(settings)
    yield address
    app.close()


@pytest.fixture()
def page(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def ask(page, question: str) -> float:
    before = page.locator("#chat .message").count() if page.locator("#chat .message").count() else 0
    page.fill("#question textarea", question)
    started = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([n, q]) => document.querySelectorAll('#chat .message').length > n && "
        "document.querySelector('#answer-panel .searched') !== null", arg=[before, question], timeout=60_000)
    page.wait_for_selector("#card-1", timeout=60_000)
    seconds = time.perf_counter() - started
    page.wait_for_timeout(300)
    return seconds


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def downloaded(page, selector: str) -> str:
    """The text of the file the button at ``selector`` downloads."""
    with page.expect_download() as download:
        page.locator(selector).click()
    return Path(download.value.path()).read_text(encoding="utf-8")


def chip_labels(page) -> list[str]:
    return [t.strip() for t in page.locator("#chips label").all_inner_texts()]


def test_conversation_chips_and_citations(page):
    seconds = ask(page, "What did Bulgaria do in 2023?")
    with (ARTIFACTS / "timings.txt").open("a") as fh:
        fh.write(f"first answer after Enter: {seconds:.3f} s\n")
    print(f"first answer after Enter: {seconds:.3f} s")
    first = page.locator("#card-1")
    assert "Asylum Report 2024" in first.inner_text()
    assert "In Bulgaria, a forum on" in first.inner_text()
    assert [n.get_attribute("data-note") for n in first.locator("li[data-note]").all()] == ["898", "899"]
    assert "Searched: What did Bulgaria do in 2023?" in page.inner_text("#answer-panel")
    assert chip_labels(page) == ["Bulgaria", "2023"]
    assert first.locator("mark").count() > 0, "the query's terms are highlighted"
    shot(page, "01-bulgaria-2023")
    page.locator("#answer-panel a.cite").first.click()
    page.wait_for_function("() => location.hash === '#card-1'")

    ask(page, "And in 2017?")
    assert "Searched: What did Bulgaria do in 2017?" in page.inner_text("#answer-panel")
    assert "In February 2017" in page.inner_text("#card-1")
    assert chip_labels(page) == ["Bulgaria", "2017"]
    shot(page, "02-and-in-2017")

    before = {page.locator(f"#card-{i}").get_attribute("data-source") for i in range(1, 6)}
    page.locator("#chips label", has_text="2017").click()  # untick the year: results widen
    page.wait_for_function("() => !document.querySelector('#answer-panel').innerText.includes('2017?')", timeout=30_000)
    page.wait_for_timeout(500)
    assert chip_labels(page) == ["Bulgaria"]
    assert "Searched: What did Bulgaria do?" in page.inner_text("#answer-panel")
    after = {page.locator(f"#card-{i}").get_attribute("data-source") for i in range(1, 6)}
    assert len(after) >= 2 and after >= {"integra-good-practices", "euaa-ar-2024"}, (before, after)
    shot(page, "03-year-chip-removed")


def test_unanswerable_question_shows_the_empty_state(page):
    ask(page, "What did Latvia do in 2023?")
    assert page.locator("#empty-state").is_visible()
    assert "No passage in the reports answers this" in page.inner_text("#empty-state")
    assert page.locator("#possibly-related").is_visible()
    shot(page, "04-empty-state")


def test_a_comparison_shows_a_table_whose_cells_link_to_the_cards(page):
    ask(page, "What did Bulgaria and Croatia do in 2023?")
    table = page.locator("#groups")
    assert table.is_visible() and table.get_attribute("data-by") == "country"
    rows = table.locator("tbody tr")
    assert [r.get_attribute("data-group") for r in rows.all()] == ["Bulgaria", "Croatia"]
    assert "Nothing in these reports" in rows.nth(1).inner_text() and rows.nth(1).get_attribute("class") == "empty"
    link = rows.nth(0).locator("a.cite").first
    target = link.get_attribute("href")
    assert page.locator(target).count() == 1, "the cell links to a card on the page"
    assert page.locator(target).locator(".match").inner_text().startswith("matches Bulgaria")
    shot(page, "04b-comparison-table")
    link.click()
    page.wait_for_function(f"() => location.hash === '{target}'")


def test_an_answer_link_reopens_the_question_with_its_filters_and_exports_cite_it(page, url):
    ask(page, "What did Bulgaria do in 2023?")
    shared = page.locator("#share-link").get_attribute("href")
    assert shared.startswith("?q=What+did+Bulgaria+do+in+2023") and "country=BG" in shared and "year=2023" in shared
    bib = downloaded(page, "#export-bib")
    assert bib.startswith("@report{euaa-ar-2024,") and "title = {Asylum Report 2024}" in bib
    assert downloaded(page, "#export-csv").startswith("rank,match,report,")
    other = page.context.new_page()
    other.goto(url + "?q=" + "What did Bulgaria do?".replace(" ", "+") + "&country=BG&year=2017")
    other.wait_for_selector("#card-1", timeout=60_000)
    assert "In February 2017" in other.inner_text("#card-1")
    assert [t.strip() for t in other.locator("#chips label").all_inner_texts()] == ["Bulgaria", "2017"]
    shot(other, "04c-shared-link")
    other.close()


def test_countries_tab_shows_every_passage_by_year_and_theme_and_exports_it(page, url):
    page.get_by_role("tab", name="Countries").click()
    page.locator("#country-pick input").click()
    page.locator("[role=option]", has_text="Bulgaria").first.click()
    page.wait_for_selector("#country-page #country[data-country='BG'] .country-year", timeout=60_000)
    summary = page.inner_text("#country-page .country-summary")
    total = int(summary.split(": ", 1)[1].split(" passages")[0])
    cards = page.locator("#country-page .country-year .card")
    assert total >= 2 and cards.count() == total, "every passage once"
    years = [s.get_attribute("id") for s in page.locator("#country-page section.country-year").all()]
    assert years == sorted(years, key=lambda y: (y == "year-undated", -int(y[5:]) if y != "year-undated" else 0))
    assert page.locator("#country-counts tfoot td").first.inner_text() == str(total)
    assert page.locator("#country-page li[data-note='898']").count() == 1, "the forum's note is shown"
    link = page.locator("#country-counts tbody a").first
    link.click()
    page.wait_for_function(f"() => location.hash === '{link.get_attribute('href')}'")
    shot(page, "05a-country-page")
    md = downloaded(page, "#country-md")
    assert md.startswith("# Bulgaria\n") and "State Agency for Refugees" in md
    rows = list(csv.DictReader(io.StringIO(downloaded(page, "#country-csv"))))
    assert len(rows) == total and {r["report"] for r in rows} >= {"euaa-ar-2024"}

    other = page.context.new_page()  # a link opens the tab's page on a country
    other.goto(url + "?country_page=HR")
    other.get_by_role("tab", name="Countries").click()
    other.wait_for_selector("#country-page #country[data-country='HR']", timeout=60_000)
    other.close()


def test_asking_about_a_country_alone_offers_its_page(page):
    ask(page, "Tell me about Bulgaria")
    assert page.inner_text("#answer-panel .answer-text").startswith("Bulgaria in these reports:")
    page.locator("#answer-country summary").click()
    assert page.locator("#answer-country .country-year .card").count() >= 2
    shot(page, "05b-country-in-chat")


def test_question_text_is_inert(page):
    ask(page, "What did Bulgaria do in 2023? " + XSS)
    page.wait_for_timeout(500)  # an onload/onfocus handler would have run by now
    assert page.evaluate("() => window.__xss") is None
    assert "<script>window.__xss = 1</script>" in page.inner_text("#chat")
    assert page.locator(DANGEROUS).count() == 0 and page.evaluate(HANDLERS) == []
    shot(page, "05-xss-question")
    n = len(CLASSIC_XSS)
    assert_documented("Classic XSS strings in a question, in headless Chromium (script, img onerror, svg onload, "
                      "iframe/object/link javascript:, mutation XSS, template injection, ...)", f"{n}",
                      f"{n}/{n} shown as text; no script ran, no active element in the page")


def test_exports_and_copy_citation(page):
    ask(page, "Which handbook was drafted for local authorities in Croatia?")
    text = downloaded(page, "#export-md")
    assert "## 1. Which handbook was drafted for local authorities in Croatia?" in text
    assert "Note 1172:" in text and "Reference: European Union Agency for Asylum (EUAA) (2022) Asylum Report 2022." in text
    assert '"resolved_query"' in downloaded(page, "#export-json")
    cite = page.locator("#card-1 button.copy").get_attribute("data-citation")
    assert cite.startswith("European Union Agency for Asylum (EUAA) (2022) Asylum Report 2022.")
    shot(page, "09-exports")


def test_refine_by_report_and_years(page):
    ask(page, "What did Croatia do?")
    page.click("#refine")
    page.locator("#year-from input").fill("2021")
    page.locator("#year-to input").fill("2021")
    page.click("#apply-refine")
    page.wait_for_function("() => document.querySelector('#answer-panel').innerText.includes('2021')", timeout=30_000)
    page.wait_for_timeout(500)
    assert chip_labels(page) == ["Croatia", "2021"]
    assert page.locator("#card-1").get_attribute("data-source") == "euaa-ar-2022"
    shot(page, "06-refined")


def test_evaluation_tab_shows_table_plot_and_failures(page):
    page.get_by_role("tab", name="Evaluation").click()
    page.wait_for_selector("#eval-modes table", timeout=30_000)
    page.wait_for_timeout(1500)
    assert "hybrid+meta" in page.inner_text("#eval-modes")
    assert page.locator("#eval-plot canvas, #eval-plot svg").count() > 0
    assert page.locator("#eval-failed table").count() == 1
    shot(page, "07-evaluation")


def test_report_text_renders_inert(browser, corpus_copy: Path, tmp_path: Path):
    from assistant.index.build import build_index

    (corpus_copy / "hostile.md").write_text(
        "# Hostile report\n\nIn 2024, Lisbon opened a shelter " + XSS + " for refugees.[1](#)\n\n"
        "[1](#) Source <script>window.__xss=5</script> [x](javascript:window.__xss=6) <https://example.org/a>\n")
    settings = Settings(corpus=corpus_copy, index=tmp_path / "index")
    build_index(settings)
    app, address = _serve(settings)
    try:
        page = browser.new_page()
        page.goto(address)
        page.wait_for_selector("#question textarea")
        ask(page, "What did Lisbon open in 2024?")
        page.wait_for_timeout(500)
        assert page.evaluate("() => window.__xss") is None
        assert "window.__xss = 1" in page.inner_text("#cards")
        assert page.locator(DANGEROUS).count() == 0 and page.evaluate(HANDLERS) == []
        shot(page, "08-xss-report")
        n = len(CLASSIC_XSS)
        assert_documented("The same XSS strings in an indexed report's text and its footnote, in headless Chromium",
                          f"{n}", f"{n}/{n} shown as text; no script ran, no active element in the page")
        page.close()
    finally:
        app.close()


def test_sources_tab_removes_a_report(browser, corpus_copy: Path, tmp_path: Path):
    """The Sources tab's "Remove report": the report leaves the table, the index and the corpus folder."""
    from assistant.index import store
    from assistant.index.build import build_index

    settings = Settings(corpus=corpus_copy, index=tmp_path / "index")
    build_index(settings)
    app, address = _serve(settings)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(address)
        page.get_by_role("tab", name="Sources").click()
        page.wait_for_selector("#sources-table")
        assert "euaa-ar-2022" in page.inner_text("#sources-table")
        page.click("#remove-choice input")
        page.get_by_role("option", name="euaa-ar-2022 (euaa-ar2022-cooperation.md)").click()
        page.click("#remove-report")
        page.wait_for_function("() => document.querySelector('#rebuild-result').innerText.includes('Removed')",
                               timeout=120_000)
        assert "Removed euaa-ar-2022" in page.inner_text("#rebuild-result")
        page.wait_for_function("() => !document.querySelector('#sources-table').innerText.includes('euaa-ar-2022')",
                               timeout=30_000)
        shot(page, "09-sources-remove")
        assert "euaa-ar-2022" not in store.read(settings.index).reports
        assert not (corpus_copy / "euaa-ar2022-cooperation.md").exists()
        assert list((corpus_copy / ".removed").rglob("euaa-ar2022-cooperation.md"))
        page.close()
    finally:
        app.close()


def test_a_pdf_card_opens_its_page_and_the_sources_tab_says_how_it_read(browser, tmp_path: Path):
    """A passage read from a PDF: its card shows the page as a link to the PDF, served by the chat and
    opened at that page; the copied citation names the page; the Sources tab has the reading verdict."""
    from assistant.index.build import build_index
    from tests.fixtures.pdfs import build_report_pdf

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    build_report_pdf(corpus / "local-practices.pdf")
    settings = Settings(corpus=corpus, index=tmp_path / "index")
    build_index(settings)
    app, address = _serve(settings)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        page = context.new_page()
        page.goto(address)
        page.wait_for_selector("#question textarea")
        ask(page, "Which city started a housing mediation service?")
        card = page.locator("#cards .card", has_text="Ljubljana")
        link = card.locator("a.page")
        assert link.inner_text() == "p. 2" and card.get_attribute("data-pages") == "p. 2"
        assert link.get_attribute("href") == "reports/local-practices.pdf#page=2"
        assert card.locator("button.copy").get_attribute("data-citation").endswith(
            "Local integration practices. Section: Local integration practices > Housing (Slovenia), p. 2.")
        target = link.evaluate("a => a.href")
        assert target == address + "reports/local-practices.pdf#page=2"
        pdf = page.request.get(target)
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
        for refused in ("reports/..%2Fsources.toml", "reports/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "reports/nothing.pdf"):
            assert page.request.get(address + refused).status == 404, refused
        shot(page, "10-pdf-page-link")

        page.get_by_role("tab", name="Sources").click()
        page.wait_for_selector("#sources-table")
        table = page.inner_text("#sources-table")
        assert "reading problems" in table and "local-practices" in table
        assert any(f"{verdict} (" in table for verdict in ("good", "fair", "poor"))
        shot(page, "11-sources-reading-quality")
        context.close()
    finally:
        app.close()
