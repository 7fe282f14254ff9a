"""What extraction returns: statements with exact character spans, and counters for reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["pain", "aspiration"]
KINDS: tuple[Kind, ...] = ("pain", "aspiration")


@dataclass(frozen=True, slots=True)
class Statement:
    """One pain or aspiration, verbatim: ``text == input[start:end]`` always holds."""

    kind: Kind
    text: str
    start: int
    end: int
    theme: str
    """Normalised key phrase (lower-case lemmas, stop words removed) that groups wordings."""


@dataclass(slots=True)
class ExtractionStats:
    """Counters since the extractor was built; the daemon logs them and ``status`` can show them."""

    documents: int = 0
    statements: int = 0
    pain: int = 0
    aspiration: int = 0
    skipped_non_english: int = 0
    skipped_empty: int = 0
    truncated: int = 0
    """Documents longer than the per-document cap; only their beginning was read."""

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}
