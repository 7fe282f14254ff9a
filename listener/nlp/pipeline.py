"""Building the spaCy pipeline: an installed trained model when named, else blank English.

Nothing here downloads anything. The blank pipeline gets a fast rule-based sentence splitter
(spaCy's sentencizer rules, plus a break at every line end so bullets and list items stand
alone) and lookup lemmas from spacy-lookups-data, which pip installs with the package.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import spacy
from spacy.attrs import IS_PUNCT, IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from listener.errors import ListenerError
from listener.nlp.sentences import sentence_starts

SENTENCES = "listener_sentences"
LINE_BREAKS = "listener_line_breaks"


@Language.component(SENTENCES)
def _sentences(doc: Doc) -> Doc:
    """spaCy's sentencizer rule over integer arrays (several times faster), plus line breaks."""
    n = len(doc)
    if n == 0:
        return doc
    arr = doc.to_array([ORTH, IS_PUNCT, IS_SPACE])
    # (Doc.text would copy the whole text)
    newlines = {i for i in np.flatnonzero(arr[:, 2]).tolist() if "\n" in doc[i].text}
    starts = np.full(n, -1, dtype=np.int64)
    starts[sentence_starts(arr[:, 0].tolist(), arr[:, 1].tolist(), newlines)] = 1
    doc.from_array([SENT_START], starts.view(np.uint64))  # type: ignore[arg-type]
    return doc


@Language.component(LINE_BREAKS)
def _line_breaks(doc: Doc) -> Doc:
    """For trained models' own sentence splitting: also start a sentence after a line break."""
    if "\n" not in doc.text:
        return doc
    for token in doc[:-1]:
        if token.is_space and "\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


@lru_cache(maxsize=4)
def build_nlp(model: str | None = None) -> Language:
    """The shared pipeline. Cached: loading lookup tables takes a moment and a lot of memory."""
    if model:
        if importlib.util.find_spec(model) is None:
            raise ListenerError(
                f"spaCy model {model!r} is not installed",
                hint=f"install it with pip (e.g. `pip install {model}`) or remove `nlp.model` "
                "from the config to use the built-in rules on blank English",
            )
        nlp = spacy.load(model, exclude=["ner"])
        if not nlp.has_pipe("senter") and not nlp.has_pipe("parser"):
            nlp.add_pipe(SENTENCES, first=True)
        else:
            nlp.add_pipe(LINE_BREAKS, first=True)
        return nlp
    nlp = spacy.blank("en")
    nlp.add_pipe(SENTENCES)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def lemma_of(token_text: str, nlp: Language) -> str:
    """Lower-case lookup lemma: the lookup table is case-sensitive ("Invoices" stays as is)."""
    lookups = _lemma_table(nlp)
    lowered = token_text.lower()
    return lookups.get(lowered, lowered) if lookups is not None else lowered


def lemma_lookup(nlp: Language) -> Callable[[str], str]:
    """``lemma_of`` with the table found once: for loops over many words."""
    table = _lemma_table(nlp)
    if table is None:
        return str.lower

    def lookup(token_text: str) -> str:
        lowered = token_text.lower()
        return table.get(lowered, lowered)

    return lookup


def _lemma_table(nlp: Language) -> dict[str, str] | None:
    if not nlp.has_pipe("lemmatizer"):
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_lookup"):
        return None
    table = lookups.get_table("lemma_lookup")
    return table  # type: ignore[no-any-return]
