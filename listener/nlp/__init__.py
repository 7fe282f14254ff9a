"""Finding pain points and aspirations in customer text: spaCy, rules and a small classifier."""

from listener.nlp.extractor import Extractor
from listener.nlp.types import ExtractionStats, Kind, Statement

__all__ = ["ExtractionStats", "Extractor", "Kind", "Statement"]
