"""Stage 5, signals, and the abstention rule that both the assistant and the calibration use."""

from __future__ import annotations

import pytest

from assistant.retrieval.query import Query
from assistant.retrieval.ranking import Ranking
from assistant.retrieval.signals import abstains, best_score, constraints_met, country_known, ranking
from tests import fakes
from tests.fakes import by_id, hit


@pytest.fixture(scope="module")
def index():
    return fakes.index_data()


def make(best: float, known: bool = True) -> Ranking:
    return Ranking(hits=[hit(by_id("bg-forum"), best)], best_score=best, constraints_met=True, country_known=known)


def test_abstains_when_no_passage_reaches_the_threshold():
    assert abstains(make(0.30), threshold=0.327)
    assert not abstains(make(0.40), threshold=0.327)
    assert not abstains(make(0.327), threshold=0.327)  # reaching it is enough


def test_abstains_when_the_country_asked_is_in_no_passage_however_close():
    assert abstains(make(0.95, known=False), threshold=0.327)


def test_abstains_when_nothing_was_found():
    assert abstains(ranking([], fakes.index_data(), Query(text="q", resolved="q")), threshold=0.0)


def test_the_assistant_applies_the_same_rule_with_its_setting(tmp_path):
    from assistant.session import Assistant
    from assistant.settings import Settings

    assistant = Assistant(Settings(index=tmp_path / "index", abstain_below=0.5))
    for r in (make(0.45), make(0.55), make(0.9, known=False)):
        assert assistant.abstains(r) == abstains(r, 0.5)
    assert assistant.abstains(make(0.45)) and not assistant.abstains(make(0.55))


def test_best_score_and_constraints_met_read_the_top_hits():
    hits = [hit(by_id("year-2023"), 0.2, country=False), hit(by_id("bg-forum"), 0.6)]
    assert best_score(hits) == 0.6
    assert not constraints_met(hits)  # the first hit is not about the country
    assert constraints_met(hits[1:])
    assert best_score([]) == -1.0 and not constraints_met([])


def test_country_known_when_some_passage_is_about_it(index):
    bulgaria = Query(text="q", resolved="q", countries=["BG"], places=["BG"])
    portugal = Query(text="q", resolved="q", countries=["PT"], places=["PT"])
    assert country_known(index.metadata, bulgaria)
    assert not country_known(index.metadata, portugal)
    assert country_known(index.metadata, Query(text="q", resolved="q"))  # no country asked


def test_the_place_decides_not_the_demonym(index):
    # "Croatian refugees in Portugal" is about Portugal: Croatia is in the index, Portugal is not
    query = Query(text="q", resolved="q", countries=["HR", "PT"], places=["PT"])
    assert not country_known(index.metadata, query)


def test_ranking_carries_the_signals_of_its_hits(index):
    hits = [hit(by_id("bg-2023"), 0.7), hit(by_id("bg-forum"), 0.4, year=False)]
    r = ranking(hits, index, Query(text="q", resolved="q", countries=["BG"], years=[2023]))
    assert (r.hits, r.best_score, r.constraints_met, r.country_known) == (hits, 0.7, True, True)


def test_an_absent_year_or_pair_is_missing_and_abstains(index):
    """Bulgaria is in the index, 2031 in no passage nor reporting period; Italy has nothing for 2023."""
    bulgaria_2031 = ranking([hit(by_id("bg-2023"), 0.9)], index,
                            Query(text="q", resolved="q", countries=["BG"], places=["BG"], years=[2031]))
    assert bulgaria_2031.missing == ("2031",) and bulgaria_2031.nothing_matches
    assert abstains(bulgaria_2031, threshold=0.0)
    italy_2023 = ranking([hit(by_id("it-2022"), 0.9)], index,
                         Query(text="q", resolved="q", countries=["IT"], places=["IT"], years=[2023]))
    assert italy_2023.missing == () and italy_2023.nothing_matches and abstains(italy_2023, threshold=0.0)


def test_a_partial_answer_says_what_has_nothing(index):
    from assistant.answer import compose_answer

    both = ranking([hit(by_id("bg-2023"), 0.9)], index,
                   Query(text="q", resolved="q", countries=["BG", "PT"], places=["BG", "PT"], years=[2023]))
    assert both.missing == ("Portugal",) and not both.nothing_matches and both.country_known
    asked = Query(text="q", resolved="q", countries=["BG", "PT"], places=["BG", "PT"], years=[2023])
    answer = compose_answer(asked, both, abstains(both, threshold=0.0), periods=index.metadata.periods)
    assert not abstains(both, threshold=0.0) and answer.status == "partial"
    assert answer.missing == ["Portugal for 2023"] and answer.text.startswith("Nothing on Portugal for 2023 in these")
    assert compose_answer(asked, both, True).status == "none"
    whole = ranking([hit(by_id("bg-2023"), 0.9)], index,
                    Query(text="q", resolved="q", countries=["BG"], places=["BG"], years=[2023]))
    bg = Query(text="q", resolved="q", countries=["BG"], places=["BG"], years=[2023])
    assert compose_answer(bg, whole, abstains(whole, threshold=0.0), periods=index.metadata.periods).status == "answered"


def test_coverage_reads_the_question_words_in_the_top_passages(index):
    asked = Query(text="q", resolved="q", topic="integration ordinance")
    covered = ranking([hit(by_id("bg-2023"), 0.5)], index, asked)
    assert covered.coverage == covered.coverage_top == 1.0
    unrelated = ranking([hit(by_id("it-2022"), 0.5)], index, Query(text="q", resolved="q", topic="dental implants"))
    assert unrelated.coverage == 0.0
    who_when_only = ranking([hit(by_id("it-2022"), 0.5)], index, Query(text="q", resolved="q", countries=["IT"]))
    assert who_when_only.coverage == 1.0  # nothing asked beyond who and when


def test_the_abstention_model_declines_a_far_question_and_keeps_a_close_one():
    from assistant.retrieval.signals import unanswerable

    close = Ranking(hits=[hit(by_id("bg-forum"), 0.7)], best_score=0.7, constraints_met=True, country_known=True)
    far = Ranking(hits=[hit(by_id("bg-forum"), 0.15)], best_score=0.15, constraints_met=True, country_known=True,
                  coverage=0.0, coverage_top=0.0)
    assert unanswerable(far) > unanswerable(close)
    assert abstains(far, threshold=-1.0) and not abstains(close, threshold=-1.0)


def test_a_question_about_words_no_passage_holds_is_declined_and_says_which(index):
    """"Café in Bulgaria": Bulgaria and 2023 are there, café is in no passage at all, so nothing can
    answer it, however close the passages; a question whose topic some passage holds is left to the model."""
    from assistant.answer import compose

    about_cafe = Query(text="Café in Bulgaria 2023?", resolved="Café in Bulgaria 2023?", countries=["BG"],
                       places=["BG"], years=[2023], topic="Café")
    declined = ranking([hit(by_id("bg-2023"), 0.9)], index, about_cafe)
    assert declined.unknown_terms == ("Café",) and abstains(declined, threshold=0.0)
    assert compose(about_cafe, declined, True).startswith("The reports hold nothing about Café that answers")
    partly = ranking([hit(by_id("bg-2023"), 0.9)], index,
                     Query(text="q", resolved="q", countries=["BG"], places=["BG"], topic="café ordinance"))
    assert partly.unknown_terms == () and not abstains(partly, threshold=0.0)
