"""The evidence model: a small logistic regression over :data:`FEATURES` (see
:mod:`listener.analysis.signals`).

Its output is a calibrated probability that a persona hit is real evidence, stored as the match
score; hits at or above the threshold (chosen on dev data) count. Weights live in
``listener/analysis/data/evidence.json``, written by ``python -m listener.analysis.train``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from listener.analysis.evidence_file import (
    DEFAULT_FILE,
    as_written,
    digest_of,
    packaged_text,
    parse,
)


@dataclass(frozen=True)
class EvidenceModel:
    weights: np.ndarray
    bias: float
    threshold: float
    meta: dict[str, object]

    @property
    def digest(self) -> str:
        return digest_of(self.as_dict())

    def probability(self, rows: np.ndarray) -> np.ndarray:
        z = rows @ self.weights + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))

    def as_dict(self) -> dict[str, object]:
        return as_written(self.weights.tolist(), self.bias, self.threshold, self.meta)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=1, sort_keys=True) + "\n")


def load_evidence_model(path: Path | None = None) -> EvidenceModel:
    return _packaged() if path is None else _read(path.read_text(), str(path))


@lru_cache(maxsize=1)
def _packaged() -> EvidenceModel:
    return _read(packaged_text(), f"listener/analysis/data/{DEFAULT_FILE}")


def _read(raw: str, where: str) -> EvidenceModel:
    data = parse(raw, where)
    return EvidenceModel(
        np.asarray(data["weights"], dtype=np.float64),
        float(data["bias"]),
        float(data["threshold"]),
        dict(data.get("meta", {})),
    )
