"""Persona wording is evidence (issue 8): the new-user trial, and what must not count.

The personas are a project-management SaaS's (bench/data/personas.pm-saas.yaml) and the bundled
invoicing example's. The trial sentences are the issue's own and are kept out of every training
and dev set (bench/data says so), so these tests are not passing on memorised rows.
"""

from __future__ import annotations

import pytest

from listener.analysis import Analyser, Analysis
from listener.nlp import Extractor
from listener.personas import PersonaSet, load_personas

from .conftest import REPO, analyser_for


def evidence(result: Analysis, kind: str = "pain") -> set[str]:
    return {m.attribute for s, matches in result.statements for m in matches if s.kind == kind}


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("Scope creep is killing us.", "scope-creep"),
        ("Our projects always go over budget.", "over-budget"),
        ("I hate writing status reports.", "status-reporting"),
        ("Every project has scope creep now…", "scope-creep"),
    ],
)
def test_the_new_user_trial_pains_are_found_and_linked(
    pm_saas: Analyser, text: str, attribute: str
) -> None:
    result = pm_saas.analyse(text)
    assert result.skipped is None
    assert attribute in evidence(result)
    (statement, _), *_ = result.statements
    assert statement.kind == "pain" and text[statement.start : statement.end] == statement.text


def test_the_dinner_sentence_is_not_an_aspiration(pm_saas: Analyser) -> None:
    result = pm_saas.analyse("We are 25 people and want something better than a dinner.")
    assert all(s.kind != "aspiration" for s, _ in result.statements)


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("Lots of scope creep this quarter.", "scope-creep"),
        ("The weekly report again.", "status-reporting"),
        ("Mostly the month-end close.", "month-end"),
    ],
)
def test_persona_wording_counts_where_the_classifier_alone_sees_nothing(
    pm_saas: Analyser, extractor: Extractor, text: str, attribute: str
) -> None:
    assert extractor.extract(text) == []  # the classifier and rules alone: no statement
    assert evidence(pm_saas.analyse(text)) == {attribute}


@pytest.mark.parametrize(
    "text",
    [
        "We never go over budget.",  # denied
        "Scope creep was never an issue for us.",  # denied
        "If scope creep ever gets worse, we'll look elsewhere.",  # hypothetical
        "Unless the status report gets shorter, nobody reads it.",  # hypothetical
        "Since we switched, no more chasing timesheets.",  # praise of the change
        "The status report feature is great, it saves us hours.",  # praise
        "No more status reports by hand, love it.",  # praise
    ],
)
def test_denied_hypothetical_and_praise_wording_is_not_evidence(
    pm_saas: Analyser, text: str
) -> None:
    assert evidence(pm_saas.analyse(text)) == set()


@pytest.mark.parametrize(
    "text",
    [
        "No more chasing late payments since we switched.",
        "I never have to chase late payments any more.",
        "If I ever chase a late payment again, I'll tell you.",
        "Chasing late payments? Not since we started using reminders, it's great.",
    ],
)
def test_the_invoicing_examples_negated_and_hypothetical_phrases(
    invoicing: Analyser, text: str
) -> None:
    assert "late-payments" not in evidence(invoicing.analyse(text))


def test_the_same_phrase_stated_plainly_is_evidence(invoicing: Analyser) -> None:
    assert "late-payments" in evidence(invoicing.analyse("I spend Mondays chasing late payments."))


def test_it_never_drains_my_battery_is_not_a_battery_pain(extractor: Extractor) -> None:
    personas = PersonaSet.model_validate(
        {
            "personas": [
                {
                    "id": "phone-user",
                    "name": "Phone user",
                    "pains": [
                        {
                            "id": "battery",
                            "label": "Battery drain",
                            "phrases": ["drain my battery", "battery drain"],
                        },
                        {"id": "support", "label": "Support problems", "phrases": ["problem"]},
                    ],
                }
            ]
        }
    )
    analyser = analyser_for(personas, extractor)
    assert evidence(analyser.analyse("It never drains my battery.")) == set()
    assert evidence(analyser.analyse("If I have any more problems I'll let you know.")) == set()
    assert evidence(analyser.analyse("This update drains my battery in two hours.")) == {"battery"}


def test_a_prompted_answer_with_a_phrase_is_evidence(pm_saas: Analyser) -> None:
    # Asked "What is the hardest part of your week?", a plain answer frames itself as a pain.
    result = pm_saas.analyse("The month-end close.", prompt="pain")
    assert evidence(result) == {"month-end"}
    assert evidence(
        pm_saas.analyse("Nothing, the month-end close is easy now.", prompt="pain")
    ) == (set())


def test_evidence_scores_are_probabilities_above_the_threshold(pm_saas: Analyser) -> None:
    results = pm_saas.analyse_many(["Scope creep is killing us.", "I hate writing status reports."])
    scores = [m.score for r in results for _, matches in r.statements for m in matches]
    assert len(scores) == 2
    assert all(pm_saas.evidence.threshold <= s <= 1.0 for s in scores)


def test_statements_without_persona_words_are_still_statements(pm_saas: Analyser) -> None:
    result = pm_saas.analyse("The mobile app crashes every time I open it.")
    assert [(s.kind, matches) for s, matches in result.statements] == [("pain", [])]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Rechnungen schreibe ich immer noch von Hand.", "language"),
        ("Bitte XRechnung unterstützen.", "language"),
        ("> quoted only: scope creep is killing us", "nothing-kept"),
    ],
)
def test_skipped_documents_say_why(pm_saas: Analyser, text: str, reason: str) -> None:
    result = pm_saas.analyse(text)
    assert result.skipped == reason and result.statements == []


def test_a_sentence_a_persona_covers_is_no_uncovered_theme_under_its_other_kind(
    extractor: Extractor,
) -> None:
    """ "Single sign-on is a must" reads as a wish to the classifier and is evidence for the
    negative persona's pain "Requires single sign-on": the digest must not also call it a new
    aspiration no persona covers."""
    personas = load_personas(REPO / "tests" / "fixtures" / "drift_personas.yaml")
    result = analyser_for(personas, extractor).analyse("Single sign-on is a must for our IT team.")
    kinds = {s.kind: (s.theme, [m.attribute for m in matches]) for s, matches in result.statements}
    assert kinds["pain"][1] == ["sso"] and kinds["pain"][0]
    assert kinds["aspiration"] == ("", [])  # kept as a statement, without a theme


@pytest.mark.parametrize(
    "text",
    [
        "Galaxy Ace works like a charm.",
        "Runs flawlessly on my tablet.",
        "Beautiful on my phone, highly recommended.",
    ],
)
def test_praise_of_the_device_a_pain_names_is_not_evidence(mobile_app: Analyser, text: str) -> None:
    assert evidence(mobile_app.analyse(text)) == set()


def test_a_device_pain_stated_plainly_is_evidence(mobile_app: Analyser) -> None:
    assert evidence(mobile_app.analyse("It keeps crashing on my Galaxy.")) == {
        "device-compatibility"
    }


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("I can't log in to my account.", "security-login"),
        ("I cannot log in to my account.", "security-login"),
        ("I cant log in to my account.", "security-login"),
        ("I could not sign in after the update.", "security-login"),
        ("I can\u2019t log in to my account.", "security-login"),
        ("Not showing sd card size.", "hardware-features"),
        ("It doesn't seem to recognize the sd card.", "hardware-features"),
        ("Won't connect to my bluetooth headphones.", "hardware-features"),
    ],
)
def test_a_negation_that_says_the_product_fails_states_the_pain(
    mobile_app: Analyser, text: str, attribute: str
) -> None:
    """ "Can't log in" negates the product's function, not the pain: it was vetoed as denied."""
    assert attribute in evidence(mobile_app.analyse(text))


@pytest.mark.parametrize(
    "text",
    [
        "It never drains my battery.",
        "It doesn\u2019t drain my battery.",  # the typographic apostrophe denies too
        "It won't drain your battery like the others.",
        "No problems with the camera.",
        "Doesn't use much battery.",
        "It doesn't load slowly.",
        "It doesn't show ads anymore.",
        "Runs without showing ads.",
        "Can't fault the camera.",
    ],
)
def test_a_negation_of_the_pain_or_of_a_problem_word_still_denies(
    mobile_app: Analyser, text: str
) -> None:
    assert evidence(mobile_app.analyse(text)) == set()


@pytest.mark.parametrize(
    "text",
    [
        "With Ledgerleaf we won't be chasing late payments anymore.",
        "We won't need to type invoices by hand again.",
        "We don't type invoices by hand.",
    ],
)
def test_a_negated_activity_that_is_the_pain_still_denies(invoicing: Analyser, text: str) -> None:
    assert evidence(invoicing.analyse(text)) == set()
