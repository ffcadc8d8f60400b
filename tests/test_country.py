"""The country page: every passage about a country by year and theme, its counts and notes, and its
Markdown and CSV exports; handmade passages for the rules, the real index and model for the rest."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.answer import country
from assistant.answer.country import THEMES, asks_country_alone, build_page, csv_text, filed_year, markdown
from assistant.models import Note, Report
from assistant.settings import Settings
from tests.fakes import passage

AR24 = Report(id="ar-2024", file="ar.txt", title="Asylum Report 2024", year=2024, period_start=2023,
              period_end=2023, format="txt")
SITE = Report(id="site", file="site.txt", title="A web page", format="txt")
REPORTS = {r.id: r for r in (AR24, SITE)}
NOTE = Note(number="898", text="State Agency for Refugees (2023).", urls=[])


def test_a_question_about_a_country_alone_asks_for_its_page():
    assert asks_country_alone(["BG"], [], "")  # "Bulgaria", "What did Bulgaria do?"
    assert asks_country_alone(["BG"], [], "Tell me about")
    assert asks_country_alone(["BG"], [], "overview")
    assert not asks_country_alone(["BG"], [2023], "")  # a year: a question, not the page
    assert not asks_country_alone(["BG"], [], "housing")  # a topic to search
    assert not asks_country_alone(["BG", "GR"], [], "")  # a comparison


def test_a_passage_is_filed_under_the_latest_year_it_names_up_to_its_report():
    strategy = passage("s", "ar-2024", "A strategy for 2021-2025 was adopted.", years=[2021, 2025])
    assert filed_year(strategy, AR24) == 2021  # not the plan's end, after the report was published
    undated = passage("u", "ar-2024", "A forum was held.")
    assert filed_year(undated, AR24) == 2023  # its report's period
    assert filed_year(undated, SITE) is None  # no year anywhere: undated
    assert filed_year(passage("n", "site", "In 2019 and 2022.", years=[2019, 2022]), SITE) == 2022


def _page():
    rows = [passage("a", "ar-2024", "In Bulgaria, a forum on adaptation.", countries=["BG"], lead=["BG"],
                    footnotes=[NOTE], position=1),
            passage("b", "ar-2024", "Croatia and Bulgaria trained volunteers in 2022.", countries=["HR", "BG"],
                    lead=["HR"], years=[2022], position=2),
            passage("c", "site", "Bulgaria opened a language course.", countries=["BG"], position=0),
            passage("d", "ar-2024", "In 2023, Bulgaria, a centre \"Sofia\", opened; see note.", countries=["BG"],
                    years=[2023], footnotes=[NOTE], position=3)]
    themes = ["Reception", "Civil society and inclusion", "Education and language", "Housing"]
    return build_page("BG", "Bulgaria", rows, themes, REPORTS)


def test_the_page_files_every_passage_once_by_year_newest_first_with_its_counts():
    page = _page()
    assert [y.year for y in page.years] == [2023, 2022, None]
    assert sorted(p.chunk_id for y in page.years for p in y.passages) == ["a", "b", "c", "d"]
    assert [p.chunk_id for p in page.years[0].passages] == ["d", "a"]  # by theme: Housing, Reception (tied: by name)
    assert page.passages == 4 and page.reports == 2 and page.subject == 3  # "b" names it among others
    assert page.notes == 1  # the same note cited twice counts once
    assert (page.first_year, page.last_year) == (2022, 2023)
    assert page.by_report == {"ar-2024": 3, "site": 1}
    assert page.years[0].themes == {"Housing": 1, "Reception": 1}
    assert sum(page.themes.values()) == 4
    assert "4 passages in 2 reports, 2022-2023, 3 of them about Bulgaria itself, citing 1 note" in country.summary(page)


def test_markdown_and_csv_keep_every_passage_and_note():
    page = _page()
    md = markdown(page)
    assert md.startswith("# Bulgaria\n") and "## 2023 (2 passages)" in md and "## Undated (1 passage)" in md
    for text in ("In Bulgaria, a forum on adaptation.", "Croatia and Bulgaria trained volunteers in 2022.",
                 "(names Bulgaria among others)", "State Agency for Refugees (2023)."):
        assert text in md
    rows = list(csv.DictReader(io.StringIO(csv_text(page))))
    assert [r["text"] for r in rows] == [p.text for y in page.years for p in y.passages]  # commas, quotes kept
    assert rows[0]["notes"] == "[898] State Agency for Refugees (2023)." and rows[0]["year"] == "2023"
    assert rows[-1]["year"] == "" and rows[-1]["subject"] == "yes"
    assert markdown(build_page("MT", "Malta", [], [], REPORTS)).startswith("# Malta\n\nNothing on Malta")


def test_a_passage_takes_the_theme_its_vector_is_nearest():
    themes = np.eye(len(THEMES), dtype="float32")
    vectors = np.zeros((2, len(THEMES)), dtype="float32")
    vectors[0, 2], vectors[1, 5] = 1.0, 1.0
    assert country.nearest_themes(vectors, themes) == [list(THEMES)[2], list(THEMES)[5]]


@pytest.mark.slow
def test_the_page_of_a_country_holds_every_passage_naming_it(settings: Settings):
    from assistant.api import Assistant

    session = Assistant(settings)
    page = session.country_page("Bulgaria")
    naming = {p.chunk_id for p in session.index.passages if "BG" in p.countries}
    assert naming and {p.chunk_id for y in page.years for p in y.passages} == naming
    assert page.passages == len(naming) == session.countries()["BG"]
    assert all(p.theme in THEMES for y in page.years for p in y.passages)
    forum = next(p for y in page.years for p in y.passages if "a forum on" in p.text)
    assert [n.number for n in forum.footnotes] == ["898", "899"]  # the notes travel with the passage
    assert session.country_page("bg") == page
    with pytest.raises(Exception, match="'Atlantis' is not a country name or ISO code"):
        session.country_page("Atlantis")


@pytest.mark.slow
def test_asking_about_a_country_alone_answers_with_its_page(settings: Settings):
    from assistant.api import Assistant

    session = Assistant(settings)
    answer = session.ask("Tell me about Bulgaria")
    assert answer.country_page is not None and answer.country_page.country == "BG"
    assert answer.status == "answered" and not answer.abstained
    assert answer.answer.startswith(f"Bulgaria in these reports: {answer.country_page.passages} passages")
    assert session.ask("What did Bulgaria do in 2023?").country_page is None
    assert session.ask("Bulgaria and Croatia").country_page is None  # a comparison


@pytest.mark.slow
def test_cli_country_prints_the_page_and_exports_it(settings: Settings, tmp_path: Path):
    from ui.cli import main

    base = ["--index", str(settings.index), "--corpus", str(settings.corpus)]
    listed = CliRunner().invoke(main, ["country", *base], catch_exceptions=False)
    assert listed.exit_code == 0 and "BG  Bulgaria" in listed.output
    shown = CliRunner().invoke(main, ["country", "Bulgaria", *base], catch_exceptions=False)
    assert shown.exit_code == 0 and "== 2023 (" in shown.output and "898. " in shown.output
    table = CliRunner().invoke(main, ["country", "BG", "--export", "csv", *base], catch_exceptions=False)
    rows = list(csv.DictReader(io.StringIO(table.output)))
    as_json = CliRunner().invoke(main, ["country", "BG", "--json", *base], catch_exceptions=False)
    from assistant.models import CountryPage

    assert len(rows) == CountryPage.model_validate_json(as_json.output).passages
    bad = CliRunner().invoke(main, ["country", "Atlantis", *base])
    assert bad.exit_code != 0 and "'Atlantis' is not a country name or ISO code" in bad.output


@pytest.mark.slow
def test_a_large_page_embeds_a_bounded_number_of_passages(settings: Settings, monkeypatch):
    from assistant.api import Assistant

    monkeypatch.setattr(country, "EMBED_PER_PAGE", 2)
    session = Assistant(settings)
    embedded: list[int] = []
    encode = session.embedder.encode
    monkeypatch.setattr(session.embedder, "encode", lambda texts, *a, **k: embedded.append(len(texts)) or
                        encode(texts, *a, **k))
    page = session.country_page("Italy")
    assert page.passages > 2 and all(p.theme in THEMES for y in page.years for p in y.passages)
    assert embedded == [len(THEMES), 2]  # the themes, then two passages' texts: the rest from stored vectors
    assert session.country_page("Italy") == page  # the themes are kept: the page does not change
