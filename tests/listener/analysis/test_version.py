"""The processed key: what `listener status` computes cheaply equals what the processor uses."""

from __future__ import annotations

import subprocess
import sys
from zoneinfo import ZoneInfo

from listener.analysis import processed_key
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas
from listener.processing import Processor

from .conftest import EXAMPLE


def test_status_key_equals_the_processor_key(extractor: Extractor) -> None:
    personas = load_personas(EXAMPLE)
    processor = Processor(
        extractor, PersonaMatcher(personas, extractor.nlp), personas, ZoneInfo("UTC")
    )
    assert processed_key(None, False, personas.version) == processor.key
    assert len(processor.key) <= 80  # the column's width


def test_the_key_is_computed_without_importing_spacy() -> None:
    code = (
        "import sys; from listener.analysis import processed_key; "
        "print(processed_key(None, False, 'abc')); print('spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    key, imported = out.stdout.split()
    assert key.endswith(":abc") and imported == "False"
