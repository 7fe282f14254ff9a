"""Finding pain points and aspirations in customer text: spaCy, rules and a small classifier.

The names below load lazily, so that importing a light submodule (``listener.nlp.types``, for
the statement ``Kind``) does not import spaCy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listener.nlp.extractor import Extractor
    from listener.nlp.types import ExtractionStats, Kind, Statement

__all__ = ["ExtractionStats", "Extractor", "Kind", "Statement"]


def __getattr__(name: str) -> Any:
    if name == "Extractor":
        from listener.nlp.extractor import Extractor

        return Extractor
    if name in ("ExtractionStats", "Kind", "Statement"):
        from listener.nlp import types

        return getattr(types, name)
    raise AttributeError(f"module 'listener.nlp' has no attribute {name!r}")
