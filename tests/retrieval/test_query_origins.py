"""A country named as a place or as where people come from, and groups of countries: what a question
constrains the search to. (The basic forms are in tests/test_geo_query.py, follow-ups in test_query.py.)"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.geo import EU27, REGIONS, countries_in, country_name, region_mentions
from assistant.retrieval.query import Query, understand, with_filters


def roles(question: str, history: list[str] | None = None) -> tuple[list[str], list[str]]:
    q = understand(question, history, 2024)
    return q.places, q.origins


@pytest.mark.parametrize(("question", "places", "origins"), [
    ("refugees from Ukraine in Poland", ["PL"], ["UA"]),
    ("Where did people fleeing Ukraine go?", [], ["UA"]),
    ("Syrian refugees in Canada", ["CA"], ["SY"]),
    ("What did Bulgaria do in 2023?", ["BG"], []),
    ("How many Ukrainians are in Poland?", ["PL"], ["UA"]),
    ("What support is there for Afghan nationals in Germany?", ["DE"], ["AF"]),
    ("How are nationals of Eritrea housed in Italy?", ["IT"], ["ER"]),
    ("Are people of Somali origin in Sweden employed?", ["SE"], ["SO"]),
    ("How many Syrian-born women work in Denmark?", ["DK"], ["SY"]),
    ("What do citizens of Ukraine need to register?", [], ["UA"]),
    ("How were people displaced from Ukraine received?", [], ["UA"]),
    ("What did Czechia offer people fleeing the war in Ukraine?", ["CZ"], ["UA"]),
    ("Ukraine nationals in Ireland", ["IE"], ["UA"]),
    ("refugees from Syria, Iraq and Afghanistan in Austria", ["AT"], ["SY", "IQ", "AF"]),
    ("Syrian and Afghan refugees in Greece", ["GR"], ["SY", "AF"]),
    ("Syrian unaccompanied minors in Greece", ["GR"], ["SY"]),
    ("How many Iraqis and Somalis live in Finland?", ["FI"], ["IQ", "SO"]),
    ("Kosovars in Germany", ["DE"], ["XK"]),
    ("What did Sweden do for Syrians?", ["SE"], ["SY"]),
])
def test_a_country_is_a_place_or_an_origin(question, places, origins):
    assert roles(question) == (places, origins)


@pytest.mark.parametrize(("question", "places"), [
    ("What can we learn from Denmark?", ["DK"]),  # what comes from a country is about it
    ("Good practice examples from Italy on housing", ["IT"]),
    ("How did the Italian government respond?", ["IT"]),  # an adjective of the state, not a people
    ("How did Italian municipalities house refugees?", ["IT"]),
    ("What did Greece and Italy do?", ["GR", "IT"]),
])
def test_a_country_something_comes_from_or_an_adjective_of_its_state_is_a_place(question, places):
    assert roles(question) == (places, [])


def test_countries_still_lists_every_country_named():
    q = understand("refugees from Ukraine in Poland")
    assert q.countries == ["UA", "PL"]
    assert understand("Where did people fleeing Ukraine go?").countries == ["UA"]


@pytest.mark.parametrize(("question", "constraint"), [
    ("refugees from Ukraine in Poland", ["PL"]),
    ("Where did people fleeing Ukraine go?", []),  # not about Ukraine the place
    ("Which countries took in Syrian refugees?", []),
    ("Syrian refugees in Canada", ["CA"]),
    ("What did Bulgaria do in 2023?", ["BG"]),
    ("Ukrainians who returned to Ukraine from Poland", ["PL"]),
])
def test_the_constraint_is_the_places_and_nothing_for_origins_alone(question, constraint):
    assert understand(question).constraint_countries == constraint


def test_a_query_built_with_countries_alone_constrains_on_them():
    assert Query(text="q", resolved="q", countries=["BG", "RO"]).constraint_countries == ["BG", "RO"]
    assert Query(text="q", resolved="q", countries=["SY"], origins=["SY"]).constraint_countries == []


def test_a_country_named_both_ways_is_both():
    q = understand("Which Ukrainians stayed in Ukraine?")
    assert q.places == q.origins == ["UA"] and q.constraint_countries == ["UA"]


# Follow-ups: an origin replaces the origin, a place the place.

@pytest.mark.parametrize(("history", "follow_up", "resolved", "places", "origins"), [
    (["Where did people fleeing Ukraine go?"], "And from Syria?", "Where did people fleeing Syria go?", [], ["SY"]),
    (["Where did people fleeing Ukraine go?"], "What about Syria?", "Where did people fleeing Syria go?", [], ["SY"]),
    (["refugees from Ukraine in Poland"], "And from Syria?", "refugees from Syria in Poland", ["PL"], ["SY"]),
    (["refugees from Ukraine in Poland"], "And in Germany?", "refugees from Ukraine in Germany", ["DE"], ["UA"]),
    (["Syrian refugees in Canada"], "And Afghans?", "Afghan refugees in Canada", ["CA"], ["AF"]),
    (["What did Bulgaria do in 2023?"], "And from Syria?", "What did Bulgaria do in 2023 for people from Syria?",
     ["BG"], ["SY"]),
])
def test_a_follow_up_replaces_a_place_or_an_origin(history, follow_up, resolved, places, origins):
    q = understand(follow_up, history, 2024)
    assert (q.resolved, q.places, q.origins) == (resolved, places, origins)


def test_a_follow_up_on_the_year_keeps_the_origins_and_their_constraint():
    q = understand("And in 2017?", ["Where did people fleeing Ukraine go in 2023?"], 2024)
    assert (q.places, q.origins, q.years, q.constraint_countries) == ([], ["UA"], [2017], [])
    q = understand("And in 2019?", ["Where did people fleeing Ukraine go in 2023?", "And from Syria?"], 2024)
    assert (q.origins, q.years) == (["SY"], [2019])


def test_a_pronoun_follow_up_keeps_the_origins():
    q = understand("Which law covered them?", ["Where did people fleeing Ukraine go?"], 2024)
    assert (q.places, q.origins) == ([], ["UA"])


# Chips the user keeps, adds or removes.

def test_chips_added_are_places_and_chips_kept_keep_their_role():
    q = understand("refugees from Ukraine in Poland")
    added = with_filters(q, countries=["UA", "PL", "DE"])
    assert (added.places, added.origins, added.constraint_countries) == (["PL", "DE"], ["UA"], ["PL", "DE"])
    assert "Germany" in added.resolved and "from Ukraine" in added.resolved
    swapped = with_filters(q, countries=["DE"])
    assert (swapped.places, swapped.origins, swapped.constraint_countries) == (["DE"], [], ["DE"])
    assert "Ukraine" not in swapped.resolved and "Poland" not in swapped.resolved
    assert with_filters(q, years=[2022]).origins == ["UA"]  # only the years changed


def test_an_origin_chosen_as_a_chip_is_a_place():
    q = with_filters(understand("Where did people fleeing Ukraine go?"), countries=["UA", "PL"])
    assert q.constraint_countries == ["PL"] and q.origins == ["UA"]
    q = with_filters(understand("What did Bulgaria do?"), countries=["SY"])
    assert q.places == ["SY"] and q.origins == []


# Groups of countries.

@pytest.mark.parametrize(("question", "region", "codes"), [
    ("What do the Nordic countries do for integration?", "Nordic countries", ["DK", "FI", "IS", "NO", "SE"]),
    ("Which Nordic country has the lowest recognition rate?", "Nordic countries", ["DK", "FI", "IS", "NO", "SE"]),
    ("housing in the Baltic states in 2022", "Baltic states", ["EE", "LT", "LV"]),
    ("How do the Benelux countries cooperate?", "Benelux", ["BE", "LU", "NL"]),
    ("What did the Visegrád Group say about relocation?", "Visegrád Group", ["CZ", "HU", "PL", "SK"]),
    ("What did the Visegrad countries say about relocation?", "Visegrád Group", ["CZ", "HU", "PL", "SK"]),
    ("EU support to the Western Balkans", "Western Balkans", ["AL", "BA", "ME", "MK", "RS", "XK"]),
])
def test_a_group_named_as_a_place_is_its_members(question, region, codes):
    q = understand(question)
    assert q.regions == [region]
    assert sorted(q.places) == sorted(q.countries) == sorted(q.constraint_countries) == codes
    assert region.split()[0].lower() not in q.topic.lower()


def test_a_group_people_come_from_is_an_origin():
    q = understand("How many asylum seekers from the Western Balkans did Germany register?")
    assert q.places == ["DE"] and sorted(q.origins) == ["AL", "BA", "ME", "MK", "RS", "XK"]
    assert q.constraint_countries == ["DE"] and q.regions == ["Western Balkans"]


@pytest.mark.parametrize("question", [
    "What does EU asylum law say about detention?",
    "Benelux cooperation on asylum",
    "Which routes did the Western Balkans route replace?",
    "How is Nordic cooperation on integration organised?",
    "What does the EU's Pact on Migration and Asylum change?",
])
def test_a_group_name_modifying_a_noun_constrains_nothing(question):
    q = understand(question)
    assert q.countries == q.places == q.constraint_countries == [] and q.regions == []


@pytest.mark.parametrize(("question", "region"), [
    ("Which Member States offer language courses?", "EU Member States"),
    ("How many people applied for asylum in the EU in 2023?", "EU Member States"),
    ("Which EU+ countries grant subsidiary protection?", "EU+"),
    ("Which EU countries took part?", "EU Member States"),
    ("border checks inside the Schengen area", "Schengen area"),
])
def test_the_groups_of_all_member_states_are_recorded_but_never_constrain(question, region):
    q = understand(question)
    assert q.regions == [region] and q.countries == q.places == q.constraint_countries == []


def test_a_member_state_named_with_all_of_them_is_the_constraint():
    q = understand("Which Member States besides Italy received Syrian refugees?")
    assert (q.places, q.origins, q.regions) == (["IT"], ["SY"], ["EU Member States"])


def test_a_follow_up_on_another_group():
    q = understand("And the Baltic states?", ["What did the Nordic countries do in 2023?"], 2024)
    assert q.regions == ["Baltic states"] and sorted(q.places) == ["EE", "LT", "LV"] and q.years == [2023]
    q = understand("What about Ireland?", ["What did the Nordic countries do in 2023?"], 2024)
    assert (q.places, q.regions) == (["IE"], [])


def test_the_region_table_is_well_formed():
    assert len(EU27) == len(set(EU27)) == 27
    eu_plus = next(r for r in REGIONS if r.label == "EU+")
    assert set(eu_plus.codes) == set(EU27) | {"IS", "LI", "NO", "CH"}
    for region in REGIONS:
        assert all(country_name(c) != c for c in region.codes), region.label  # every code has a name
        assert countries_in(region.label, ignore_case=True) == []  # a group's name names no one country
        assert [m.region for m in region_mentions(f"in the {region.label}")] == [region]


# Properties.

_NAMES = ["Poland", "Germany", "Italy", "Bulgaria", "Ireland", "Canada", "Sweden", "Greece", "Austria", "Spain"]
_ORIGINS = ["Ukraine", "Syria", "Afghanistan", "Eritrea", "Iraq", "Somalia", "Venezuela", "Nigeria"]
_PARTS = st.sampled_from(["What did", "How did", "housing", "in", "for", "support", "refugees", "and", "the",
                          "Syrian", "Afghan", "Ukrainians", "Nordic countries", "Member States", "in 2023", "do",
                          "integration", "from", "nationals", "government", "courses", "with", "EU", "children"]
                         + _NAMES + _ORIGINS)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PARTS, min_size=1, max_size=10), st.sampled_from(_ORIGINS + _NAMES))
def test_adding_refugees_from_a_country_never_makes_it_a_place(words, origin):
    question = " ".join(words)
    before = understand(question + "?")
    after = understand(f"{question} for refugees from {origin}?")
    code = countries_in(origin)[0]
    assert code in after.origins and code in after.countries
    assert (code in after.places) == (code in before.places)
    assert set(after.places) <= set(before.places)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PARTS, min_size=1, max_size=12))
def test_places_and_origins_are_among_the_countries_and_the_constraint_among_the_places(words):
    q = understand(" ".join(words) + "?")
    assert set(q.places) | set(q.origins) == set(q.countries)
    assert set(q.constraint_countries) <= set(q.countries)
    assert not q.places or q.constraint_countries == q.places
    assert not (set(q.countries) >= set(EU27))  # all the Member States are never a constraint
