"""Themes: a short normalised key phrase per statement, so different wordings group together.

"Sending invoices by hand is a pain" and "I hate sending invoices manually" should both land
near "send invoice". Lower-case lookup lemmas of content words in order, without stop words and
without the words that only say *that* something is a pain or a wish (those are the kind, not
the theme).
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import StringStore
from spacy.tokens import Span

MAX_THEME_WORDS = 3
_CONTENT_POS = frozenset({"NOUN", "PROPN", "ADJ", "VERB"})
_GENERIC = frozenset(
    [
        "app",
        "apps",
        "application",
        "please",
        "pls",
        "plz",
        "thank",
        "thanks",
        "really",
        "just",
        "good",
        "great",
        "bad",
        "like",
        "love",
        "hate",
        "want",
        "wish",
        "need",
        "would",
        "could",
        "should",
        "add",
        "option",
        "feature",
        "nice",
        "work",
        "use",
        "get",
        "make",
        "let",
        "time",
        "thing",
        "way",
        "lot",
        "star",
        "stars",
        "update",
        "version",
        "fix",
        "bug",
        "problem",
        "issue",
        "annoying",
        "annoy",
        "terrible",
        "awful",
        "horrible",
        "useless",
        "worst",
        "best",
        "better",
        "well",
        "also",
        "even",
        "still",
        "always",
        "never",
        "ever",
        "really",
        "much",
        "many",
        "keep",
        "try",
        "know",
        "say",
        "see",
        "come",
        "give",
        "go",
        "take",
        "think",
        "seem",
        "hope",
        "guy",
        "guys",
        "dev",
        "developer",
        "developers",
        "fine",
        "ok",
        "okay",
        "pretty",
        "very",
    ]
)
_STOP = frozenset(w.lower() for w in STOP_WORDS)


def theme_of(
    span: Span, lookup: Callable[[str], str], tagged: bool = False, has_lemmas: bool = False
) -> str:
    """Up to three content lemmas of ``span``, e.g. "manual invoice"; "" when it has none.

    ``tagged``/``has_lemmas``: the pipeline set part-of-speech tags / lemmas (a trained model);
    otherwise ``lookup`` (see :func:`listener.nlp.pipeline.lemma_lookup`) looks them up, for the
    statement's words only.
    """
    words: list[str] = []
    for token in span:
        if not token.is_alpha or len(token.text) < 2:
            continue
        if tagged and token.pos_ not in _CONTENT_POS:
            continue
        lemma = token.lemma_.lower() if has_lemmas else lookup(token.text)
        if lemma in _STOP or lemma in _GENERIC or token.lower_ in _STOP or lemma in words:
            continue
        words.append(lemma)
        if len(words) == MAX_THEME_WORDS:
            break
    return " ".join(words)


class ThemeCache:
    """Themes for the blank pipeline from a document's token arrays, with a per-word cache.

    Same result as :func:`theme_of` without tags or pipeline lemmas, several times faster:
    each distinct word is looked up and judged once, not once per statement.
    """

    _LIMIT = 200_000

    def __init__(self, strings: StringStore, lookup: Callable[[str], str]) -> None:
        self._strings = strings
        self._lookup = lookup
        self._cache: dict[int, str] = {}

    def theme(self, lowers: list[int], alpha: list[int], start: int, end: int) -> str:
        words: list[str] = []
        for i in range(start, end):
            if not alpha[i]:
                continue
            key = lowers[i]
            lemma = self._cache.get(key)
            if lemma is None:
                lemma = self._content_lemma(self._strings[key])
                if len(self._cache) < self._LIMIT:
                    self._cache[key] = lemma
            if lemma and lemma not in words:
                words.append(lemma)
                if len(words) == MAX_THEME_WORDS:
                    break
        return " ".join(words)

    def _content_lemma(self, lower: str) -> str:
        """The word's lemma, or "" when it is too short, a stop word or generic."""
        if len(lower) < 2 or lower in _STOP:
            return ""
        lemma = self._lookup(lower)
        return "" if lemma in _STOP or lemma in _GENERIC else lemma
