"""Processing memory stays flat in the number of items (issue 11, finding 6).

spaCy adds every new word to the vocabulary's string store, and unique numbers, ids and typos
never repeat: without a memory zone the store grew with every item processed.
"""

from __future__ import annotations

from listener.analysis import Analyser
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas

from ..analysis.conftest import EXAMPLE


def unique_texts(start: int, n: int) -> list[str]:
    return [
        f"Order {start + i}-x{start * 7 + i} failed with error E{start + i:07d}, ticket {i}q{start}"
        for i in range(n)
    ]


def test_the_string_store_does_not_grow_with_new_words() -> None:
    extractor = Extractor()
    personas = load_personas(EXAMPLE)
    analyser = Analyser(extractor, PersonaMatcher(personas, extractor.nlp))
    strings = extractor.nlp.vocab.strings
    list(analyser.analyse_many(unique_texts(0, 500)))  # warm-up: caches, first-call tables
    # The vocabulary keeps its first words for good (the common ones, in real streams); from
    # this size on, new words are transient. Here: from now on.
    extractor.permanent_strings = len(strings)
    before = len(strings)
    for chunk in range(1, 5):
        results = list(analyser.analyse_many(unique_texts(chunk * 10_000, 500), batch_size=128))
        assert all(r.statements for r in results)  # the texts were really read
    # 2,000 documents with about 8,000 new words: the store is where it was.
    assert len(strings) <= before + 50
