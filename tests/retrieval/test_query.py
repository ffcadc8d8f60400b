"""Query understanding: the years a question asks, what a follow-up inherits, the chips a user changes.
(Countries and the basic forms are in tests/test_geo_query.py.)"""

from __future__ import annotations

import pytest

from assistant.retrieval.query import understand, with_filters, years_asked

FIRST = "What did Bulgaria do in 2023?"


@pytest.mark.parametrize(("question", "years"), [
    ("What did Malta do after 2019?", [2020, 2021, 2022, 2023, 2024]),
    ("What did Malta do from 2019 to 2021?", [2019, 2020, 2021]),
    ("What happened in the last two years?", [2022, 2023]),
    ("What is planned this year?", [2024]),
    ("235 partnerships and 12000 people", []),  # numbers, not years
    ("What happened in 1950-2030?", [1950, 2030]),  # wider than 60 years: two years, not a range
])
def test_years_asked_relative_to_the_newest_report(question, years):
    assert years_asked(question, 2024) == years


def test_before_a_year_reaches_back_to_the_earliest():
    years = years_asked("What happened before 2018?", 2024)
    assert years[0] == 1990 and years[-1] == 2017 and len(years) == 28


def test_relative_years_need_a_newest_report():
    assert years_asked("What did Malta do last year?", None) == []


@pytest.mark.parametrize(("follow_up", "resolved", "countries", "years"), [
    ("Ireland?", "What did Ireland do in 2023?", ["IE"], [2023]),
    ("In 2019?", "What did Bulgaria do in 2019?", ["BG"], [2019]),
    ("What about Romania and Greece?", "What did Romania and Greece do in 2023?", ["RO", "GR"], [2023]),
])
def test_a_fragment_is_a_follow_up_that_keeps_what_it_leaves_out(follow_up, resolved, countries, years):
    q = understand(follow_up, [FIRST], 2024)
    assert (q.resolved, q.countries, q.years) == (resolved, countries, years)


def test_a_whole_question_stands_alone_after_another():
    q = understand("What did Malta do in 2022?", [FIRST], 2024)
    assert (q.resolved, q.countries, q.years) == ("What did Malta do in 2022?", ["MT"], [2022])


def test_follow_ups_chain_over_several_turns():
    q = understand("What about Ireland?", [FIRST, "And in 2017?"], 2024)
    assert (q.resolved, q.countries, q.years) == ("What did Ireland do in 2017?", ["IE"], [2017])


def test_a_follow_up_adds_a_year_the_first_question_lacked():
    q = understand("And in 2022?", ["What did Bulgaria do?"], 2024)
    assert (q.countries, q.years) == (["BG"], [2022]) and "2022" in q.resolved and "Bulgaria" in q.resolved


@pytest.mark.parametrize(("history", "follow_up", "resolved", "years"), [
    ([FIRST], "And the following year?", "What did Bulgaria do in 2024?", [2024]),
    ([FIRST], "What about the year before?", "What did Bulgaria do in 2022?", [2022]),
    (["What did Bulgaria do between 2019 and 2021?"], "And the next year?", "What did Bulgaria do in 2022?", [2022]),
    (["What did Malta do in the last 3 years?"], "And the year before?", "What did Malta do in 2021?", [2021]),
    # the year named two turns back still counts when the turn between named none
    (["Which EU countries made the biggest resettlement pledges for 2023?", "What did Sweden pledge?"],
     "And for the following year?", "What did Sweden pledge? in 2024", [2024]),
])
def test_the_following_or_previous_year_counts_from_the_conversation(history, follow_up, resolved, years):
    q = understand(follow_up, history, 2025)
    assert (q.resolved, q.years) == (resolved, years)


def test_the_previous_year_without_a_year_in_the_conversation_counts_from_the_newest_report():
    assert understand("What did Malta do the previous year?", ["What is Malta's integration programme?"], 2025).years == [2024]
    assert understand("What did Malta do the previous year?", None, 2025).years == [2024]


def test_removing_the_year_chip_searches_without_it():
    q = with_filters(understand(FIRST), years=[])
    assert (q.resolved, q.countries, q.years) == ("What did Bulgaria do?", ["BG"], [])


def test_changing_the_years_or_countries_names_them_in_the_search():
    q = with_filters(understand(FIRST), years=[2022, 2021])
    assert (q.resolved, q.years) == ("What did Bulgaria do in 2021-2022?", [2021, 2022])
    q = with_filters(understand(FIRST), countries=["BG", "RO"])
    assert q.resolved.endswith("in Bulgaria and Romania?") and q.countries == q.places == ["BG", "RO"]
    q = with_filters(understand(FIRST), countries=[])
    assert "Bulgaria" not in q.resolved and q.countries == [] and q.years == [2023]


def test_the_topic_is_what_is_left_once_who_and_when_are_taken_out():
    assert understand("What did Bulgaria do on housing in 2023?").topic == "housing"
    assert understand("Which handbook was drafted for local authorities in Croatia?").topic == \
        "handbook drafted local authorities"


def test_spacing_is_normalised_and_since_reaches_the_newest_report():
    assert understand("  What   did\tBulgaria do? ").resolved == "What did Bulgaria do?"
    q = understand("What did the Czech Republic do since 2021?", None, 2024)
    assert q.countries == ["CZ"] and q.years == [2021, 2022, 2023, 2024]


def test_a_list_of_years_is_not_a_range():
    assert years_asked("What did Belgium do in 2013, 2018 and 2023?", 2025) == [2013, 2018, 2023]
    assert years_asked("in 2013 and 2016", 2025) == [2013, 2016]
    assert years_asked("between 2019 and 2021", 2025) == [2019, 2020, 2021]
    assert years_asked("from 2021 until 2023", 2025) == [2021, 2022, 2023]
