"""Offline English detection from word lists: no model, no download, microseconds per text.

Statements are only extracted from English (the personas' language); other languages are
skipped with a reason rather than mis-read. The test compares how many tokens are English
function words with how many are function words of the commonest other Latin-script languages
(words that are also English, such as "fine" or "come", do not count), and rejects text written
mostly in a non-Latin script. Short answers ("Bitte XRechnung unterstützen.") carry too few
function words for that, so a text with no English function word, a foreign sign (a foreign
function word or a letter English does not use) and mostly words English does not know is not
English either. The word lists are precomputed (``listener/nlp/data/language.json``, see
:mod:`listener.nlp.build_language_data`): importing spaCy's language packages took 2.3 s.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from itertools import compress

from listener.nlp.features import DocArrays, hash_string

_MIN_WORDS = 4
"""From this many words on, function-word counts decide; below, only the short-text rule."""
_MAX_TOKENS = 400
_MAX_CHARS = 2000
_ENGLISH_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèêëáàâíïóôúçñ")
"""Latin letters English text plausibly holds (loan words: café, naïve, résumé, jalapeño)."""


@lru_cache(maxsize=1)
def _stop_word_hashes() -> tuple[frozenset[int], frozenset[int]]:
    """(English, other languages) function words as spaCy lower-case hashes."""
    ref = resources.files("listener.nlp").joinpath("data", "language.json")
    data = json.loads(ref.read_text(encoding="utf-8"))
    return frozenset(map(hash_string, data["english"])), frozenset(
        map(hash_string, data["foreign"])
    )


@lru_cache(maxsize=1)
def _english_words() -> frozenset[int]:
    """Hashes of English word forms and lemmas: the lookup lemma table the pipeline loads."""
    from listener.nlp.pipeline import build_nlp

    nlp = build_nlp(None)
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")  # type: ignore[attr-defined]
    forms = set(table.keys()) | {hash_string(str(v).lower()) for v in table.values()}
    return frozenset(forms | _stop_word_hashes()[0])


def is_english_text(text: str, arrays: DocArrays) -> bool:
    """True unless the text is clearly another language (or mostly a non-Latin script)."""
    head = text[:_MAX_CHARS]
    foreign_letters = False
    if not head.isascii():
        letters = [c for c in head if c.isalpha()]
        if len(letters) >= 3 and sum(c.isascii() for c in letters) < 0.5 * len(letters):
            return False
        foreign_letters = any(c not in _ENGLISH_LETTERS for c in letters)
    english, foreign = _stop_word_hashes()
    # C-level passes (compress, map): a Python loop per token cost a tenth of the extraction.
    alpha_words = list(compress(arrays.lowers[:_MAX_TOKENS], arrays.alpha))
    words = len(alpha_words)
    en = sum(map(english.__contains__, alpha_words))
    distinct = foreign.intersection(alpha_words).difference(english)
    other = sum(map(distinct.__contains__, alpha_words)) if distinct else 0
    if words >= _MIN_WORDS and len(distinct) >= 2 and other > en:
        return False
    if words >= 2 and en == 0 and (other or foreign_letters):
        known = _english_words()
        return sum(w in known for w in alpha_words) * 2 > len(alpha_words)
    return True
