"""The processed key: what `listener status` computes cheaply equals what the processor uses."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from zoneinfo import ZoneInfo

import numpy as np

from listener.analysis import evidence_file, processed_key
from listener.analysis.model import load_evidence_model
from listener.matching import PersonaMatcher
from listener.nlp import Extractor, model_file
from listener.nlp.model import load_model
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


def test_the_key_is_computed_without_importing_spacy_or_numpy() -> None:
    code = (
        "import sys; from listener.analysis import processed_key; "
        "print(processed_key(None, False, 'abc')); print('spacy' in sys.modules); "
        "print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    key, spacy, numpy = out.stdout.split()
    assert key.endswith(":abc") and spacy == "False" and numpy == "False"


def test_file_digests_without_numpy_equal_the_loaded_models() -> None:
    """The digests status reads from the files are those of the arrays the extractor loads,
    computed as the extractor version always named them (the arrays' raw bytes)."""
    digest = hashlib.sha256()
    with np.load(io.BytesIO(model_file.packaged_bytes() or b"")) as data:
        for name in model_file.DIGESTED:
            digest.update(np.ascontiguousarray(data[name]).tobytes())
    assert model_file.packaged_digest() == digest.hexdigest()[:12] == load_model().digest
    # the evidence model's digest as it was defined: its rounded fields as sorted JSON
    evidence = load_evidence_model()
    fields = {
        "features": list(evidence_file.FEATURES),
        "weights": [round(float(w), 6) for w in evidence.weights],
        "bias": round(float(evidence.bias), 6),
        "threshold": round(float(evidence.threshold), 4),
        "meta": evidence.meta,
    }
    expected = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:8]
    assert evidence_file.packaged_digest() == expected == evidence.digest
