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
