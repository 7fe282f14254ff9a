"""What the extractor read in one document: every kept sentence with its scores and the rules'
verdicts, the kinds found, and why a document was skipped.

Plain numbers only (no spaCy objects), so a reading stays valid after the pipeline's memory zone
is closed, and persona evidence (``listener.analysis``) can use sentences that are not
statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from listener.nlp.types import KINDS, Statement

SkipReason = Literal["empty", "language", "nothing-kept"]
"""Why a document gave nothing to read: no text; another language than English; every sentence
was dropped by the rules (quotes, code, no words)."""


@dataclass(slots=True)
class Sentence:
    """One kept sentence: its trimmed character span, token range and theme."""

    start: int
    end: int
    token_start: int
    token_end: int
    theme: str = ""


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


_NO_ROWS = _frozen(np.zeros((0, len(KINDS)), np.float32))
_NO_FLAGS = _frozen(np.zeros((0, len(KINDS)), bool))
_NO_MARGINS = _frozen(np.zeros(len(KINDS), np.float32))
# Shared read-only defaults: the extractor replaces them for every document it reads, and
# allocating four arrays per document only to drop them cost a few percent of the extraction.


@dataclass(slots=True)
class Reading:
    text: str
    skipped: SkipReason | None = None
    sentences: list[Sentence] = field(default_factory=list)
    margins: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    """Per sentence and kind: its score alone (bias + its features) minus the decision threshold."""
    denied: np.ndarray = field(default_factory=lambda: _NO_FLAGS)
    """The rules deny the kind for the sentence (a denial, an information question)."""
    forced: np.ndarray = field(default_factory=lambda: _NO_FLAGS)
    """A rule or the survey prompt asserts the kind for the sentence."""
    doc_margins: np.ndarray = field(default_factory=lambda: _NO_MARGINS)
    """Per kind: the whole document's score minus the decision threshold."""
    chosen: list[list[int]] = field(default_factory=lambda: [[], []])
    """Per kind: the sentences reported as statements of that kind (sorted)."""
    prompt: str | None = None
    links: list[tuple[int, int, float]] = field(default_factory=list)
    """(sentence, persona target, score) pairs accepted as evidence: filled by
    :mod:`listener.analysis` while the document is read."""
    vectors: np.ndarray | None = None
    """Sentence embeddings (one row per sentence) on the semantic path, else None."""
    words: list[int] = field(default_factory=list)
    """Feature words of the document's tokens (lower-case hashes; one each for numbers, URLs)."""
    space: list[int] = field(default_factory=list)

    def statements(self) -> list[Statement]:
        out = [self.statement(i, kind) for k, kind in enumerate(KINDS) for i in self.chosen[k]]
        out.sort(key=lambda s: (s.start, s.kind))
        return out

    def statement(self, i: int, kind: str) -> Statement:
        sent = self.sentences[i]
        return Statement(
            kind=kind,  # type: ignore[arg-type]
            text=self.text[sent.start : sent.end],
            start=sent.start,
            end=sent.end,
            theme=sent.theme,
        )
