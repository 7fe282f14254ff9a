"""One extractor and the personas the analysis tests use (building them loads tables)."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.analysis import Analyser
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import PersonaSet, load_personas

REPO = Path(__file__).resolve().parents[3]
PM_SAAS = REPO / "bench" / "data" / "personas.pm-saas.yaml"
EXAMPLE = REPO / "config" / "personas.example.yaml"
MOBILE_APP = REPO / "bench" / "linking" / "personas.mobile-app.yaml"


@pytest.fixture(scope="session")
def extractor() -> Extractor:
    return Extractor()


def analyser_for(personas: PersonaSet, extractor: Extractor) -> Analyser:
    return Analyser(extractor, PersonaMatcher(personas, extractor.nlp))


@pytest.fixture(scope="session")
def pm_saas(extractor: Extractor) -> Analyser:
    return analyser_for(load_personas(PM_SAAS), extractor)


@pytest.fixture(scope="session")
def invoicing(extractor: Extractor) -> Analyser:
    return analyser_for(load_personas(EXAMPLE), extractor)


@pytest.fixture(scope="session")
def mobile_app(extractor: Extractor) -> Analyser:
    return analyser_for(load_personas(MOBILE_APP), extractor)
