"""Building the spaCy pipeline: an installed trained model when named, else blank English.

Nothing here downloads anything. The blank pipeline gets a rule-based sentencizer and lookup
lemmas from spacy-lookups-data, which pip installs with the package.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from listener.errors import ListenerError

LINE_BREAKS = "listener_line_breaks"


@Language.component(LINE_BREAKS)
def _line_breaks(doc: Doc) -> Doc:
    """Start a sentence after every line break: bullets and list items rarely end with a full stop."""
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
            nlp.add_pipe("sentencizer", first=True)
        nlp.add_pipe(LINE_BREAKS, first=True)
        return nlp
    nlp = spacy.blank("en")
    nlp.add_pipe(LINE_BREAKS)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def lemma_of(token_text: str, nlp: Language) -> str:
    """Lower-case lookup lemma: the lookup table is case-sensitive ("Invoices" stays as is)."""
    lookups = _lemma_table(nlp)
    lowered = token_text.lower()
    return lookups.get(lowered, lowered) if lookups is not None else lowered


def _lemma_table(nlp: Language) -> dict[str, str] | None:
    if not nlp.has_pipe("lemmatizer"):
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    lookups = getattr(lemmatizer, "lookups", None)
    if lookups is None or not lookups.has_table("lemma_lookup"):
        return None
    table = lookups.get_table("lemma_lookup")
    return table  # type: ignore[no-any-return]
