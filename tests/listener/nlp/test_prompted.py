"""Answers to a question that asks for a pain or an aspiration are read in its light."""

from __future__ import annotations

import pytest

from listener.nlp import Extractor
from listener.nlp.prompted import is_non_answer


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _kinds(extractor: Extractor, text: str, prompt: str | None) -> list[str]:
    (statements,) = extractor.extract_many([text], prompts=[prompt])
    return [s.kind for s in statements]


def test_a_plain_answer_to_a_pain_question_is_a_pain(extractor: Extractor) -> None:
    text = "Doing the VAT return every quarter."
    assert _kinds(extractor, text, None) == []  # its words alone say nothing
    assert _kinds(extractor, text, "pain") == ["pain"]


def test_a_plain_answer_to_a_wish_question_is_an_aspiration(extractor: Extractor) -> None:
    assert _kinds(extractor, "Sync customers from our CRM.", "aspiration") == ["aspiration"]


@pytest.mark.parametrize(
    "text",
    [
        "Nothing, happy customer.",
        "Keep doing what you're doing.",
        "Honestly nothing major, it works well for us.",
        "No problems with invoicing at all.",
        "n/a",
    ],
)
def test_non_answers_and_denials_are_not_statements(extractor: Extractor, text: str) -> None:
    assert _kinds(extractor, text, "pain") == []


def test_each_sentence_of_a_prompted_answer_is_its_own_statement(extractor: Extractor) -> None:
    text = "Bank reconciliation. Also chasing receipts from the vans."
    (statements,) = extractor.extract_many([text], prompts=["pain"])
    assert [s.text for s in statements] == [
        "Bank reconciliation.",
        "Also chasing receipts from the vans.",
    ]
    assert all(text[s.start : s.end] == s.text for s in statements)


def test_prompts_and_texts_must_pair_up(extractor: Extractor) -> None:
    with pytest.raises(ValueError):
        list(extractor.extract_many(["a", "b"], prompts=["pain"]))


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Nothing really.", True),
        ("No complaints!", True),
        ("Not much, invoicing is quick now.", True),
        ("Honestly nothing major, it works well for us.", True),
        ("Nothing syncs with the bank.", False),
        ("Nothing works well with our bank feed.", False),
        ("I had no complaints until the update broke exports.", False),
        ("No complaints until the update broke exports.", False),
    ],
)
def test_non_answer_detection(sentence: str, expected: bool) -> None:
    assert is_non_answer(sentence) is expected
