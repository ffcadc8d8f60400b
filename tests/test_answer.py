"""The answer text: cited sentences from the passages that match what was asked, the others described
apart, what has nothing said, sentences that stand alone, the abstention."""

from __future__ import annotations

from assistant.answer import compose, compose_answer, sentences
from assistant.answer.sentences import refers_back, split
from assistant.retrieval.query import Query
from assistant.retrieval.ranking import Ranking
from tests.fakes import hit, passage

PERIODS: dict[str, set[int]] = {}  # no report period: a year matches only where the passage names it


def query(text: str, countries: list[str] | None = None, years: list[int] | None = None,
          places: list[str] | None = None) -> Query:
    countries = countries or []
    return Query(text=text, resolved=text, countries=countries, years=years or [],
                 places=countries if places is None else places)


def ranking(*passages, known: bool = True) -> Ranking:
    hits = [hit(p, 0.6 - i / 10) for i, p in enumerate(passages)]
    return Ranking(hits=hits, best_score=0.6 if hits else -1.0, constraints_met=True, country_known=known)


FORUM = passage("a", "ar-2024", "The ministry met its partners several times during the year. In Bulgaria, a "
                "forum on social adaptation was held in 2023 with municipalities.", countries=["BG"], years=[2023])
HOUSING = passage("b", "ar-2024", "Several Member States opened housing programmes for refugees in 2023.",
                  countries=["BG"], years=[2023])
MENTORS = passage("c", "ar-2023", "Volunteers in Bulgaria mentored refugee families in their first year in 2023.",
                  countries=["BG"], years=[2023])
COURSES = passage("d", "ar-2023", "Language courses for adults were offered in twelve Bulgarian towns in 2023.",
                  countries=["BG"], years=[2023])
SOURCE_ONLY = passage("e", "ar-2023", "(Source: https://example.org/report)", countries=["BG"], years=[2023])
FAIR_2017 = passage("f", "ar-2018", "In February 2017, Caritas Sofia organised a mini labour skills fair in Bulgaria.",
                    countries=["BG"], years=[2017])
GREECE = passage("g", "ar-2024", "Greece expanded its reception capacity on the islands in 2023.", countries=["GR"],
                 years=[2023])
BG = query("What did Bulgaria do in 2023?", ["BG"], [2023])


def test_each_sentence_cites_the_rank_of_its_passage():
    text = compose(BG, ranking(FORUM, HOUSING, MENTORS), False)
    assert text.startswith("In Bulgaria, a forum on social adaptation was held in 2023 with municipalities. [P1]")
    assert text.index("[P1]") < text.index("[P2]") < text.index("[P3]")
    assert "The ministry met" not in text  # the sentence naming the country and year is the one picked


def test_the_sentence_naming_the_country_or_year_asked_is_preferred():
    demonym = passage("f", "ar-2023", "A reception centre was opened by the ministry. The Bulgarian agency then "
                      "trained staff.", countries=["BG"])
    text = compose(query("What did Bulgaria do?", ["BG"]), ranking(demonym), False)
    assert text == "The Bulgarian agency then trained staff. [P1]"
    dated = passage("g", "ar-2023", "The ministry met its partners often. Funding for shelters rose in 2023.",
                    years=[2023])
    assert compose(query("What happened in 2023?", years=[2023]), ranking(dated), False) == \
        "Funding for shelters rose in 2023. [P1]"


def test_at_most_max_sentences_passages_are_quoted():
    r = ranking(FORUM, HOUSING, MENTORS, COURSES)
    assert "[P4]" not in compose(BG, r, False)
    assert "[P2]" not in compose(BG, r, False, max_sentences=1)
    assert "[P4]" in compose(BG, r, False, max_sentences=4)


def test_a_passage_without_a_sentence_keeps_the_numbering_of_the_others():
    text = compose(query("housing programmes"), ranking(SOURCE_ONLY, HOUSING), False)
    assert "[P1]" not in text and text.endswith("[P2]")


def test_only_matching_passages_give_sentences_the_others_are_described_apart():
    answer = compose_answer(BG, ranking(FAIR_2017, FORUM, GREECE), False, periods=PERIODS)
    assert answer.matches == ["country", "both", "year"]
    assert "[P2]" in answer.text and "[P1]" not in answer.text and "[P3]" not in answer.text
    assert "mini labour skills fair" not in answer.text and "Greece expanded" not in answer.text
    assert answer.text.endswith("Also shown, not matching what was asked: Bulgaria, other years: 2017; "
                                "2023, other countries: Greece.")
    assert answer.status == "answered" and answer.missing == []


def test_nothing_matching_says_so_and_the_status_is_none():
    answer = compose_answer(query("What did Bulgaria do in 2019?", ["BG"], [2019]), ranking(FORUM, FAIR_2017), False,
                            periods=PERIODS)
    assert answer.text == ("Nothing on Bulgaria for 2019 in these reports. The passages below differ: "
                           "Bulgaria, other years: 2017, 2023.")
    assert answer.status == "none" and answer.missing == ["Bulgaria for 2019"] and answer.sentences == []
    # a year the report covers counts as a match: the passage is then about Bulgaria in 2019
    covered = compose_answer(query("What did Bulgaria do in 2019?", ["BG"], [2019]), ranking(FAIR_2017), False,
                             periods={"ar-2018": {2019}})
    assert covered.status == "answered" and covered.matches == ["both"]


def test_an_asked_cell_with_nothing_makes_a_partial_answer_that_says_which():
    two = query("Compare Bulgaria and Greece in 2022 and 2023", ["BG", "GR"], [2022, 2023])
    answer = compose_answer(two, ranking(FORUM, GREECE), False, periods=PERIODS)
    assert answer.status == "partial"
    assert answer.missing == ["Bulgaria for 2022", "Greece for 2022"]
    assert answer.text.startswith("Nothing on Bulgaria for 2022 or Greece for 2022 in these reports. ")
    assert "[P1]" in answer.text and "[P2]" in answer.text


def test_met_constraints_are_not_mentioned():
    text = compose(BG, ranking(FORUM), False)
    assert not text.startswith("Nothing") and "Also shown" not in text


def test_a_sentence_that_leans_on_the_one_before_comes_with_it():
    similar = passage("h", "ar-2024", "In 2023 Bulgaria held a national forum on refugee employment in Sofia. "
                      "A similar forum was organised in Plovdiv for employers of refugees.", countries=["BG"],
                      years=[2023])
    answer = compose_answer(query("Which forum for employers of refugees was organised in Plovdiv?"),
                            ranking(similar), False)
    item = answer.sentences[0]
    assert item.text.startswith("A similar forum") and item.context.startswith("In 2023 Bulgaria held")
    assert answer.text.startswith("In 2023 Bulgaria held a national forum") and answer.text.endswith("[P1]")


def test_a_first_sentence_that_points_at_nothing_gives_way_to_another():
    dangling = passage("i", "ar-2024", "It was extended to all regions of the country in that year. The ministry "
                       "funded language courses for refugees in Bulgaria.", countries=["BG"])
    text = compose(query("Which courses were extended to all regions of Bulgaria?", ["BG"]), ranking(dangling), False)
    assert text == "The ministry funded language courses for refugees in Bulgaria. [P1]"


def test_the_same_thing_is_not_said_twice():
    twice = passage("j", "ar-2023", "In Bulgaria, a forum on social adaptation was held in 2023 with municipalities.",
                    countries=["BG"], years=[2023])
    answer = compose_answer(BG, ranking(FORUM, twice, HOUSING), False, periods=PERIODS)
    assert [s.rank for s in answer.sentences] == [1, 3]


def test_a_sentence_without_a_year_shows_its_passage_year():
    undated = passage("k", "ar-2024", "The Bulgarian agency signed an agreement with the employment office.",
                      countries=["BG"], years=[2023])
    answer = compose_answer(BG, ranking(undated), False, periods=PERIODS)
    assert answer.sentences[0].year == 2023
    assert answer.text == "(2023) The Bulgarian agency signed an agreement with the employment office. [P1]"


def test_abstaining_on_a_country_no_report_covers_names_it():
    answer = compose_answer(query("What did Portugal do?", ["PT"]), ranking(FORUM, known=False), True)
    assert answer.text == ("The reports hold nothing about Portugal that answers this question. The passages "
                           "below are only possibly related.")
    assert answer.status == "none"


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


def test_sentences_are_split_by_a_segmenter_that_knows_abbreviations():
    text = "The centre (Art. 13, p. 4) opened in Sofia on 3 Jan. 2019, e.g. for refugees. The rate rose to 4.5 per cent."
    assert split(text) == ("The centre (Art. 13, p. 4) opened in Sofia on 3 Jan. 2019, e.g. for refugees.",
                           "The rate rose to 4.5 per cent.")


def test_what_refers_back():
    assert refers_back("It offers courses.", "The centre opened.")
    assert refers_back("This programme ran for a year.", None)
    assert refers_back("A similar forum was held.", "A forum was held.")
    assert refers_back("The centre offers courses.", "A new centre opened in Sofia.")
    assert not refers_back("The ministry funded courses.", "A new centre opened in Sofia.")
    assert not refers_back("Bulgaria adopted a plan.", None)


# ---- timelines and comparisons ---------------------------------------------------------------------

def test_several_countries_make_a_comparison_several_years_a_timeline():
    from assistant.answer.groups import Cell, plan

    assert plan(query("Compare Bulgaria and Greece in 2023", ["BG", "GR"], [2023])) == (
        "country", [Cell(country="BG"), Cell(country="GR")])
    assert plan(query("What did Italy do between 2021 and 2023?", ["IT"], [2021, 2022, 2023])) == (
        "year", [Cell(year=2021), Cell(year=2022), Cell(year=2023)])
    assert plan(BG) is None
    origins = Query(text="q", resolved="q", countries=["SY", "UA"], origins=["SY", "UA"], places=[])
    assert plan(origins) is None  # where people come from is not a comparison of places


def test_a_passage_is_in_a_cell_when_it_matches_the_cell_and_the_rest_asked():
    from assistant.answer.groups import Cell, in_cell

    two = query("Compare Bulgaria and Greece in 2023", ["BG", "GR"], [2023])
    assert in_cell(FORUM, two, Cell(country="BG"), PERIODS) and not in_cell(FORUM, two, Cell(country="GR"), PERIODS)
    assert not in_cell(FAIR_2017, two, Cell(country="BG"), PERIODS)  # Bulgaria, but not 2023
    assert in_cell(FAIR_2017, two, Cell(country="BG"), {"ar-2018": {2023}})  # its report covers 2023


def test_a_group_shows_first_the_passages_squarely_about_it():
    from assistant.answer.groups import Cell, specificity

    named = passage("n", "ar-2024", "In 2023 Bulgaria opened a centre.", countries=["BG"], lead=["BG"], years=[2023])
    listed = passage("l", "ar-2024", "Croatia, Greece and Bulgaria trained volunteers.", countries=["HR", "GR", "BG"],
                     lead=["HR"])
    assert specificity(named, Cell(year=2023)) < specificity(listed, Cell(year=2023))  # 2023 only by its period
    assert specificity(named, Cell(country="BG")) < specificity(listed, Cell(country="BG"))  # one of a list
    assert specificity(listed, Cell(country="HR")) == 0  # Croatia is its subject
    only = passage("o", "ar-2024", "The agency opened a centre in Sofia.", countries=["BG"])
    assert specificity(only, Cell(country="BG")) == 0  # the only country it names


def test_a_comparison_answers_group_by_group_and_says_which_has_nothing():
    from assistant.answer.compose import compose_groups
    from assistant.answer.groups import Cell

    two = query("Compare Bulgaria, Greece and Malta in 2023", ["BG", "GR", "MT"], [2023])
    composed = compose_groups(two, [(Cell(country="BG"), [(1, FORUM)]), (Cell(country="GR"), [(3, GREECE)]),
                                    (Cell(country="MT"), [])])
    assert composed.text == ("Bulgaria: In Bulgaria, a forum on social adaptation was held in 2023 with "
                             "municipalities. [P1] Greece: Greece expanded its reception capacity on the islands "
                             "in 2023. [P3] Nothing on Malta for 2023 in these reports.")
    assert [(g.label, g.ranks, g.empty) for g in composed.groups] == [
        ("Bulgaria", [1], False), ("Greece", [3], False), ("Malta", [], True)]
    assert composed.status == "partial" and composed.missing == ["Malta for 2023"]
    assert compose_groups(two, [(Cell(country="MT"), [])]).status == "none"


def test_a_timeline_extract_prefers_the_sentence_of_its_own_year():
    from assistant.answer.compose import compose_groups
    from assistant.answer.groups import Cell

    both_years = passage("m", "ar-2024", "In 2022 the agency opened two shelters in Sofia for families. In 2023 "
                         "it added a language course for every adult resident.", countries=["BG"], years=[2022, 2023])
    timeline = query("What did Bulgaria do in 2022-2023?", ["BG"], [2022, 2023])
    composed = compose_groups(timeline, [(Cell(year=2022), [(1, both_years)]), (Cell(year=2023), [(1, both_years)])])
    assert composed.groups[0].extract.text.startswith("In 2022 the agency")
    assert composed.groups[1].extract.text.startswith("In 2023 it added")  # not the one quoted already
