"""The shipped linear classifier: hashed sentence features → pain and aspiration scores.

Logistic regression on feature counts is additive, so a document's score is its bias plus the sum
of its sentences' contributions. That is what ties the review-level decision (is this review a
pain?) to the spans shown to people (which sentences carry it). Weights live in
``listener/nlp/data/classifier.npz``, written by ``python -m listener.nlp.train_classifier``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from listener.errors import ListenerError
from listener.nlp.model_file import DEFAULT_MODEL, npz_digest, packaged_bytes
from listener.nlp.versions import FEATURE_VERSION, N_BUCKETS

KINDS = ("pain", "aspiration")


@dataclass(frozen=True)
class LinearModel:
    weights: np.ndarray
    """Shape (N_BUCKETS, 2): column 0 pain, column 1 aspiration."""
    bias: np.ndarray
    threshold: np.ndarray
    """Decision threshold on the logit per kind, chosen on a dev part of the tuning split."""
    meta: dict[str, object]
    digest: str

    def sentence_scores(self, indices: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Contribution of each sentence (rows) to each kind's logit (columns)."""
        if len(indices) == 0:
            return np.zeros((0, len(KINDS)), dtype=np.float32)
        return np.add.reduceat(self.weights[indices], offsets, axis=0)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            threshold=self.threshold.astype(np.float32),
            meta=np.frombuffer(json.dumps(self.meta, sort_keys=True).encode(), dtype=np.uint8),
        )


def load_model(path: Path | None = None) -> LinearModel:
    """The packaged model (read once per process), or one at ``path`` (e.g. freshly trained)."""
    return _packaged_model() if path is None else _read_model(path)


@lru_cache(maxsize=1)
def _packaged_model() -> LinearModel:
    """Shared read-only: the extractor scores with it and `listener status` needs its digest."""
    model = _read_model(None)
    for array in (model.weights, model.bias, model.threshold):
        array.flags.writeable = False
    return model


def _read_model(path: Path | None) -> LinearModel:
    if path is None:
        raw = packaged_bytes()
        where = f"listener/nlp/data/{DEFAULT_MODEL}"
    else:
        raw = path.read_bytes() if path.is_file() else None
        where = str(path)
    if raw is None:
        raise ListenerError(
            f"NLP classifier {where} is missing",
            hint="reinstall the package, or train one: python -m listener.nlp.train_classifier",
        )
    import io

    with np.load(io.BytesIO(raw)) as data:
        weights = data["weights"].astype(np.float32)
        meta = json.loads(bytes(data["meta"]).decode())
        model = LinearModel(
            weights=weights,
            bias=data["bias"].astype(np.float32),
            threshold=data["threshold"].astype(np.float32),
            meta=meta,
            digest=npz_digest(raw),
        )
    if weights.shape != (N_BUCKETS, len(KINDS)) or meta.get("features") != FEATURE_VERSION:
        raise ListenerError(
            f"NLP classifier {where} does not fit this version's features",
            hint="retrain it: python -m listener.nlp.train_classifier",
        )
    return model
