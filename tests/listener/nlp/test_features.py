"""Feature hashing: stable across runs, negation-aware, bounded."""

from __future__ import annotations

import subprocess
import sys

from listener.nlp.features import (
    N_BUCKETS,
    QUESTION,
    SENTENCE_BIAS,
    DocArrays,
    iter_sentence_features,
)
from listener.nlp.pipeline import build_nlp


def features(text: str) -> list[list[int]]:
    return list(iter_sentence_features(build_nlp(None)(text)))


def test_one_feature_list_per_sentence_within_bounds() -> None:
    feats = features("The sync fails. Please add tags!")
    assert len(feats) == 2
    assert all(f[0] == SENTENCE_BIAS for f in feats)
    assert all(0 <= i < N_BUCKETS for f in feats for i in f)


def test_negation_changes_the_features_of_the_words_in_scope() -> None:
    (plain,) = features("it is working")
    (negated,) = features("it is not working")
    (restored,) = features("it is not bad, but working")
    working_unigram = plain[-2]  # [..., unigram, bigram] for the last word
    assert working_unigram not in negated
    assert working_unigram in restored  # "but" ends the scope


def test_questions_are_marked() -> None:
    (question,) = features("how do I export?")
    (statement,) = features("I export.")
    assert QUESTION in question
    assert QUESTION not in statement


def test_hashes_are_stable_across_processes() -> None:
    code = (
        "from listener.nlp.features import iter_sentence_features;"
        "from listener.nlp.pipeline import build_nlp;"
        "print(list(iter_sentence_features(build_nlp(None)('Exports keep failing.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(features("Exports keep failing."))


def test_empty_doc_arrays() -> None:
    arrays = DocArrays(build_nlp(None).make_doc(""))
    assert arrays.lowers == [] and arrays.alpha == []
