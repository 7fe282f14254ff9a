"""Offline language detection on short and long texts written for the tests."""

from __future__ import annotations

import pytest

from listener.nlp.features import DocArrays
from listener.nlp.language import is_english_text
from listener.nlp.pipeline import build_nlp


def english(text: str) -> bool:
    return is_english_text(text, DocArrays(build_nlp(None).make_doc(text)))


@pytest.mark.parametrize(
    "text",
    [
        "The export to CSV fails every single time.",
        "Fine app, come on, nice font.",  # English words that are also stop words elsewhere
        "Crashes.",
        "Café latte tracking works, naïve résumé parsing does not.",
        "Ok",
        "",
    ],
)
def test_english(text: str) -> None:
    assert english(text)


@pytest.mark.parametrize(
    "text",
    [
        "Die App stürzt ständig ab, wenn ich exportieren will.",
        "Je ne peux pas envoyer mes factures depuis la mise à jour.",
        "No puedo enviar las facturas desde que actualicé la aplicación.",
        "Non riesco a inviare le fatture dopo l'aggiornamento.",
        "Não consigo enviar as faturas depois da atualização.",
        "Ik kan mijn facturen niet meer versturen na de update.",
        "アプリがクラッシュします",
        "Приложение не работает",
    ],
)
def test_not_english(text: str) -> None:
    assert not english(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bitte XRechnung unterstützen.",
        "Automatische Zahlungserinnerungen wären toll.",
        "Rechnungen schreibe ich immer noch von Hand.",
        "Zu teuer.",
        "Sehr gut!",
    ],
)
def test_short_foreign_answers_are_not_english(text: str) -> None:
    assert not english(text)


@pytest.mark.parametrize(
    "text", ["Pls fix asap", "Crashes on Müller's phone", "Scope creep is killing us.", "Jalapeño!"]
)
def test_short_english_with_odd_words_stays_english(text: str) -> None:
    assert english(text)


def test_the_committed_word_lists_are_what_the_build_script_makes() -> None:
    import json

    from listener.nlp.build_language_data import OUT, build

    assert json.loads(OUT.read_text(encoding="utf-8")) == build()


def test_the_language_check_imports_no_other_spacy_language() -> None:
    """Issue 12: importing 13 language packages for their stop words took 2.3 s."""
    import subprocess
    import sys

    from listener.nlp.build_language_data import OTHER_LANGUAGES

    code = (
        "import sys;from listener.nlp.language import _stop_word_hashes;_stop_word_hashes();"
        f"print([c for c in {list(OTHER_LANGUAGES)!r} if f'spacy.lang.{{c}}' in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
