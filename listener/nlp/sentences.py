"""Where sentences start (spaCy's sentencizer rule plus a break at every line end), and the
span a sentence is reported with.

One definition for the pipeline component (``listener.nlp.pipeline``) and for the extractor's
fast path, which splits while it reads the token arrays it needs anyway (one ``Doc.to_array``
and no ``Doc.from_array`` per document). The rule: a sentence ends at a sentence-final
character ("." "!" "?" and spaCy's other ones) and the next one starts at the first token after
it that is neither punctuation nor such a character; a whitespace token holding a line break
starts a sentence at the token after it. Plain lists, not numpy: documents are short, and a
numpy call costs more than a Python pass over twenty tokens.
"""

from __future__ import annotations

from collections.abc import Container

from spacy.pipeline import Sentencizer
from spacy.strings import hash_string  # type: ignore[attr-defined]

from listener.nlp.reading import Sentence

END_CHARS = frozenset(int(hash_string(c)) for c in Sentencizer.default_punct_chars)
"""Hashes (ORTH) of the characters that end a sentence."""


def sentence_starts(orths: list[int], puncts: list[int], newlines: Container[int]) -> list[int]:
    """Indices of the tokens that start a sentence (0 first) in a non-empty document.

    ``orths``: ORTH hashes; ``puncts``: IS_PUNCT; ``newlines``: the indices of whitespace
    tokens that hold a line break.
    """
    n = len(orths)
    starts = [0]
    end_chars = END_CHARS
    seen_end = False
    for i in range(n):
        if i in newlines and i + 1 < n:
            starts.append(i + 1)
            seen_end = False
            continue
        end_char = orths[i] in end_chars
        if seen_end and not puncts[i] and not end_char:
            if starts[-1] != i:
                starts.append(i)
            seen_end = False
        elif end_char:
            seen_end = True
    return starts


BULLETS = "-*•·‣–—>#"
"""List markers a reported sentence does not start with."""


def trimmed(text: str, start: int, end: int, token_start: int, token_end: int) -> Sentence:
    """The sentence's span without surrounding space and bullet markers."""
    while start < end and (text[start].isspace() or text[start] in BULLETS):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Sentence(start, end, token_start, token_end)
