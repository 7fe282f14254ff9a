"""One extractor for the NLP tests: building it loads lookup tables and the classifier."""

from __future__ import annotations

import pytest

from listener.nlp import Extractor


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture
def fresh_extractor() -> Extractor:
    """For tests that read the counters: a new extractor starts them at zero."""
    return Extractor()
