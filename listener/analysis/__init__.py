"""Statements and persona evidence from text: the extractor, the matcher and the evidence model.

Names load lazily: ``processed_key`` must not import spaCy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from listener.analysis.analyser import Analyser, Analysis, analysis_version
    from listener.analysis.version import processed_key

__all__ = ["Analyser", "Analysis", "analysis_version", "processed_key"]


def __getattr__(name: str) -> Any:
    if name == "processed_key":
        from listener.analysis.version import processed_key

        return processed_key
    if name in {"Analyser", "Analysis", "analysis_version"}:
        from listener.analysis import analyser

        return getattr(analyser, name)
    raise AttributeError(name)
