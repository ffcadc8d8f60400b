"""The answer text: cited sentences from the top passages, the unmet constraint said, the abstention."""

from __future__ import annotations

from assistant.answer import compose, sentences
from assistant.retrieval.query import Query
from assistant.retrieval.ranking import Ranking
from tests.fakes import hit, passage


def query(text: str, countries: list[str] | None = None, years: list[int] | None = None,
          places: list[str] | None = None) -> Query:
    countries = countries or []
    return Query(text=text, resolved=text, countries=countries, years=years or [],
                 places=countries if places is None else places)


def ranking(*passages, met: bool = True, known: bool = True) -> Ranking:
    hits = [hit(p, 0.6 - i / 10) for i, p in enumerate(passages)]
    return Ranking(hits=hits, best_score=0.6 if hits else -1.0, constraints_met=met, country_known=known)


FORUM = passage("a", "ar-2024", "The ministry met its partners several times during the year. In Bulgaria, a "
                "forum on social adaptation was held in 2023 with municipalities.")
HOUSING = passage("b", "ar-2024", "Several Member States opened housing programmes for refugees in 2023.")
MENTORS = passage("c", "ar-2023", "Volunteers in Croatia mentored refugee families in their first year.")
COURSES = passage("d", "ar-2023", "Language courses for adults were offered in twelve towns across the region.")
SOURCE_ONLY = passage("e", "ar-2023", "(Source: https://example.org/report)")


def test_each_sentence_cites_the_rank_of_its_passage():
    text = compose(query("What did Bulgaria do in 2023?", ["BG"], [2023]), ranking(FORUM, HOUSING, MENTORS), False)
    assert text.startswith("In Bulgaria, a forum on social adaptation was held in 2023 with municipalities. [P1]")
    assert text.index("[P1]") < text.index("[P2]") < text.index("[P3]")
    assert "The ministry met" not in text  # the sentence naming the country and year is the one picked


def test_the_sentence_naming_the_country_or_year_asked_is_preferred():
    demonym = passage("f", "ar-2023", "A reception centre was opened by the ministry. The Bulgarian agency then "
                      "trained its staff.")
    text = compose(query("What did Bulgaria do?", ["BG"]), ranking(demonym), False)
    assert text == "The Bulgarian agency then trained its staff. [P1]"
    dated = passage("g", "ar-2023", "The ministry met its partners often. Funding for shelters rose in 2023.")
    assert compose(query("What happened in 2023?", years=[2023]), ranking(dated), False) == \
        "Funding for shelters rose in 2023. [P1]"


def test_at_most_max_sentences_passages_are_quoted():
    r = ranking(FORUM, HOUSING, MENTORS, COURSES)
    q = query("What did Bulgaria do in 2023?", ["BG"], [2023])
    assert "[P4]" not in compose(q, r, False)
    assert "[P2]" not in compose(q, r, False, max_sentences=1)
    assert "[P4]" in compose(q, r, False, max_sentences=4)


def test_a_passage_without_a_sentence_keeps_the_numbering_of_the_others():
    text = compose(query("housing programmes"), ranking(SOURCE_ONLY, HOUSING), False)
    assert "[P1]" not in text and text.endswith("[P2]")


def test_unmet_constraints_are_said_before_the_closest_passages():
    text = compose(query("What did Bulgaria do in 2019?", ["BG"], [2019]), ranking(FORUM, met=False), False)
    assert text.startswith("No passage about Bulgaria in 2019; closest: In Bulgaria, a forum")
    text = compose(query("What did Italy do in 2019-2020?", ["IT"], [2019, 2020]), ranking(FORUM, met=False), False)
    assert text.startswith("No passage about Italy in 2019-2020; closest: ")


def test_met_constraints_are_not_mentioned():
    text = compose(query("What did Bulgaria do in 2023?", ["BG"], [2023]), ranking(FORUM), False)
    assert not text.startswith("No passage")


def test_abstaining_on_a_country_no_report_covers_names_it():
    text = compose(query("What did Portugal do?", ["PT"]), ranking(FORUM, known=False), True)
    assert text == ("The reports hold nothing about Portugal that answers this question. The passages below are "
                    "only possibly related.")


def test_abstaining_on_a_far_question_says_nothing_answers_it():
    text = compose(query("Who won the football cup?"), ranking(FORUM), True)
    assert text.startswith("The reports hold nothing that answers this question.") and "[P1]" not in text


def test_an_empty_index_says_so():
    assert compose(query("What did Bulgaria do?", ["BG"]), ranking(), False) == "The index holds no passages yet."


def test_sentences_leave_out_sources_links_and_fragments_and_keep_table_lines():
    text = ("First sentence of the passage is here. Second sentence follows it closely.\n"
            "(Source: Ministry of the Interior, 2023)\nSee https://example.org for more on this programme.\n"
            "Too short.\n| Bulgaria | 2023 | forum on adaptation |")
    assert sentences(text) == ["First sentence of the passage is here.", "Second sentence follows it closely.",
                               "| Bulgaria | 2023 | forum on adaptation |"]
