"""The evidence model's file, its features and its digest, readable without numpy.

The digest is part of the processed key, which `listener status` computes on every call: it
is taken from the file's JSON as written (weights rounded as :meth:`EvidenceModel.as_dict`
rounds them), so status needs neither numpy nor the arrays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from listener.errors import ListenerError

DEFAULT_FILE = "evidence.json"
FEATURES = (
    # what the evidence model sees of a persona hit; see listener.analysis.signals
    "margin",
    "margin_other",
    "doc_margin",
    "chosen",
    "phrase",
    "specific",
    "question",
    "prompted",
    "prompted_other",
    "one_sentence",
)


def packaged_text() -> str:
    ref = resources.files("listener.analysis").joinpath("data", DEFAULT_FILE)
    if not ref.is_file():
        raise ListenerError(
            f"evidence model listener/analysis/data/{DEFAULT_FILE} is missing",
            hint="reinstall the package, or train one: python -m listener.analysis.train",
        )
    return ref.read_text()


def parse(raw: str, where: str) -> dict[str, Any]:
    """The file's fields (weights, bias, threshold, meta); an error names a stale file."""
    data: dict[str, Any] = json.loads(raw)
    if data.get("features") != list(FEATURES):
        raise ListenerError(
            f"evidence model {where} does not fit this version's signals",
            hint="retrain it: python -m listener.analysis.train",
        )
    return data


def as_written(
    weights: Iterable[float], bias: float, threshold: float, meta: dict[str, object]
) -> dict[str, object]:
    """The model as its file holds it, rounded: what is saved and what the digest covers."""
    return {
        "features": list(FEATURES),
        "weights": [round(float(w), 6) for w in weights],
        "bias": round(float(bias), 6),
        "threshold": round(float(threshold), 4),
        "meta": meta,
    }


def digest_of(fields: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:8]


@lru_cache(maxsize=1)
def packaged_digest() -> str:
    data = parse(packaged_text(), f"listener/analysis/data/{DEFAULT_FILE}")
    meta = dict(data.get("meta", {}))
    return digest_of(as_written(data["weights"], data["bias"], data["threshold"], meta))
