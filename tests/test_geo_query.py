"""Countries, years and follow-ups understood from questions and passages."""

from __future__ import annotations

from assistant.geo import countries_in, years_in
from assistant.retrieval.query import understand


def test_countries_from_names_demonyms_capitals_and_other_spellings():
    assert countries_in("In Bulgaria, a forum on the Italian cities and Prague") == ["BG", "IT", "CZ"]
    assert countries_in("what about the czech republic or czechia?", ignore_case=True) == ["CZ"]
    assert countries_in("An IT teacher on an Island") == []


def test_years_but_not_numbers_or_references():
    assert years_in("In 2022, 235 partnerships under Law No 189/2002 and the plan 2021-2027") == [2021, 2022, 2027]


def test_follow_ups_inherit_what_they_leave_out():
    first = "What did Bulgaria do in 2023?"
    q = understand("And in 2017?", [first])
    assert (q.resolved, q.countries, q.years) == ("What did Bulgaria do in 2017?", ["BG"], [2017])
    q = understand("What about Ireland?", [first])
    assert (q.resolved, q.countries, q.years) == ("What did Ireland do in 2023?", ["IE"], [2023])
    q = understand("What did Malta do?", [first])
    assert q.resolved == "What did Malta do?" and q.years == []
