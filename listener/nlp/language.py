"""Offline English detection from stop-word ratios: no model, no download, microseconds per text.

Statements are only extracted from English; other languages are counted and skipped rather than
mis-read. The test compares how many tokens are English function words with how many are
function words of the commonest other Latin-script languages (words that are also English, such
as "fine" or "come", do not count), and rejects text written mostly in a non-Latin script.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS

from listener.nlp.features import DocArrays, hash_string

_OTHER_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "pl", "tr", "id", "ro")
_MIN_WORDS = 4
"""Below this many words there is too little evidence: such texts are treated as English."""
_MAX_TOKENS = 400
_MAX_CHARS = 2000
_EN_EXTRA = ("n't", "'s", "'m", "'re", "'ve", "'ll", "'d")


@lru_cache(maxsize=1)
def _english_vocabulary() -> frozenset[str]:
    """English word forms and lemmas from spacy-lookups-data's lemma table (installed by pip)."""
    import spacy_lookups_data
    import srsly

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lemma_lookup.json.gz"
    table: dict[str, str] = srsly.read_gzip_json(path)
    forms = {k.lower() for k in table} | {v.lower() for v in table.values()}
    return frozenset(forms | {w.lower() for w in EN_STOP_WORDS})


@lru_cache(maxsize=1)
def _stop_word_hashes() -> tuple[frozenset[int], frozenset[int]]:
    """(English, other languages) function words as spaCy lower-case hashes."""
    english = {w.lower() for w in EN_STOP_WORDS} | set(_EN_EXTRA)
    vocabulary = _english_vocabulary()
    foreign: set[str] = set()
    for code in _OTHER_LANGUAGES:
        module = import_module(f"spacy.lang.{code}.stop_words")
        foreign.update(w.lower() for w in module.STOP_WORDS)
    foreign = {w for w in foreign if len(w) > 1 and w not in vocabulary}
    return frozenset(map(hash_string, english)), frozenset(map(hash_string, foreign))


def is_english_text(text: str, arrays: DocArrays) -> bool:
    """True unless the text is clearly another language (or mostly a non-Latin script)."""
    head = text[:_MAX_CHARS]
    if not head.isascii():
        letters = [c for c in head if c.isalpha()]
        if len(letters) >= 3 and sum(c.isascii() for c in letters) < 0.5 * len(letters):
            return False
    english, foreign = _stop_word_hashes()
    words = en = other = 0
    distinct: set[int] = set()
    alpha = arrays.alpha
    for i, lower in enumerate(arrays.lowers[:_MAX_TOKENS]):
        if not alpha[i]:
            continue
        words += 1
        if lower in english:
            en += 1
        elif lower in foreign:
            other += 1
            distinct.add(lower)
    if words < _MIN_WORDS:
        return True
    return not (len(distinct) >= 2 and other > en)
