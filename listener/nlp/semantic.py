"""The quality path's sentence scores: a linear head over sentence embeddings (all-MiniLM-L6-v2).

With the ``semantic`` extra installed and ``nlp.semantic: true``, each kept sentence is embedded
once; the head's logit, scaled by ``beta`` (chosen on dev data), is added to the linear
classifier's score for the sentence, and the decision uses the head's own thresholds. The
embeddings stay with the reading, so persona matching (:mod:`listener.analysis`) compares
sentences with attribute wordings without embedding them again. Weights live in
``listener/nlp/data/semantic_head.npz``, written by ``python -m listener.nlp.train_semantic``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from listener.errors import ListenerError

HEAD_FILE = "semantic_head.npz"


@dataclass(frozen=True)
class SemanticHead:
    weights: np.ndarray
    """(dimensions, 2): pain and aspiration logit per embedding dimension."""
    bias: np.ndarray
    beta: np.ndarray
    """Per kind: how much the head's logit counts next to the linear classifier's score."""
    threshold: np.ndarray
    """Per kind: the decision threshold of the combined score."""
    meta: dict[str, object]

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for array in (self.weights, self.bias, self.beta, self.threshold):
            h.update(np.ascontiguousarray(array, dtype=np.float32).tobytes())
        return h.hexdigest()[:8]

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(vectors @ self.weights + self.bias, dtype=np.float32)

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            beta=self.beta.astype(np.float32),
            threshold=self.threshold.astype(np.float32),
            meta=np.frombuffer(json.dumps(self.meta, sort_keys=True).encode(), dtype=np.uint8),
        )


def load_head(path: Path | None = None) -> SemanticHead:
    if path is None:
        ref = resources.files("listener.nlp").joinpath("data", HEAD_FILE)
        if not ref.is_file():
            raise ListenerError(
                f"the semantic classifier head listener/nlp/data/{HEAD_FILE} is missing",
                hint="train it with the semantic extra: python -m listener.nlp.train_semantic",
            )
        raw = ref.read_bytes()
    else:
        raw = path.read_bytes()
    import io

    with np.load(io.BytesIO(raw)) as data:
        return SemanticHead(
            data["weights"].astype(np.float32),
            data["bias"].astype(np.float32),
            data["beta"].astype(np.float32),
            data["threshold"].astype(np.float32),
            json.loads(bytes(data["meta"]).decode()),
        )


class Encoder:
    """Sentence embeddings, normalised, in batches; the model is loaded from disk only."""

    def __init__(self, model: Any = None) -> None:
        if model is None:
            from listener.matching_semantic import load_encoder

            model = load_encoder()
        self.model = model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
