"""The evidence model: a small logistic regression over :data:`FEATURES` (see
:mod:`listener.analysis.signals`).

Its output is a calibrated probability that a persona hit is real evidence, stored as the match
score; hits at or above the threshold (chosen on dev data) count. Weights live in
``listener/analysis/data/evidence.json``, written by ``python -m listener.analysis.train``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

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


@dataclass(frozen=True)
class EvidenceModel:
    weights: np.ndarray
    bias: float
    threshold: float
    meta: dict[str, object]

    @property
    def digest(self) -> str:
        payload = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:8]

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = rows @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def as_dict(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "weights": [round(float(w), 6) for w in self.weights],
            "bias": round(float(self.bias), 6),
            "threshold": round(float(self.threshold), 4),
            "meta": self.meta,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=1, sort_keys=True) + "\n")


def load_evidence_model(path: Path | None = None) -> EvidenceModel:
    return _packaged() if path is None else _read(path.read_text(), str(path))


@lru_cache(maxsize=1)
def _packaged() -> EvidenceModel:
    ref = resources.files("listener.analysis").joinpath("data", DEFAULT_FILE)
    if not ref.is_file():
        raise ListenerError(
            f"evidence model listener/analysis/data/{DEFAULT_FILE} is missing",
            hint="reinstall the package, or train one: python -m listener.analysis.train",
        )
    return _read(ref.read_text(), f"listener/analysis/data/{DEFAULT_FILE}")


def _read(raw: str, where: str) -> EvidenceModel:
    data = json.loads(raw)
    if data.get("features") != list(FEATURES):
        raise ListenerError(
            f"evidence model {where} does not fit this version's signals",
            hint="retrain it: python -m listener.analysis.train",
        )
    return EvidenceModel(
        np.asarray(data["weights"], dtype=np.float64),
        float(data["bias"]),
        float(data["threshold"]),
        dict(data.get("meta", {})),
    )
