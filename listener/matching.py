"""Persona matching: pair each statement with the pains or aspirations whose wording it uses.

Personas change rarely and matching runs on every statement, so all phrases, keywords and synonym
variants are compiled once into one spaCy ``PhraseMatcher`` per kind, keyed on lower-case lemmas:
"send invoice" then also finds "Sending Invoices". Lemmas are set by us, not the pipeline, because
the lookup table is case-sensitive ("Invoices" stays "Invoices"); with the blank pipeline only the
tokenizer runs, and each word's lemma is looked up once and cached.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from listener.nlp.pipeline import lemma_of
from listener.nlp.types import KINDS, Kind
from listener.personas import PersonaSet

PHRASE_SCORE = 1.0
"""A persona phrase as written (up to inflection and case)."""
SYNONYM_PHRASE_SCORE = 0.9
"""A phrase with one or more words replaced by a configured synonym."""
KEYWORD_SCORE = 0.6
"""A single keyword: a weaker signal than a phrase."""
SYNONYM_KEYWORD_SCORE = 0.5
MAX_VARIANTS = 256
"""Synonym expansion is a cartesian product; cap it so one busy phrase cannot blow up memory."""
SKIPPED = frozenset(
    {"a", "an", "the", "my", "our", "your", "their", "his", "her", "its", "be", "-"}
)
"""Lemmas dropped before matching, from phrases and statements alike: articles, possessives, "be"
("the feed is breaking" = "feed breaking") and the hyphen inside compounds ("real-time" =
"real time"), so that they do not break a phrase apart."""
_BATCH = 256
_LEMMA_INPUTS = frozenset(
    {"tok2vec", "transformer", "tagger", "morphologizer", "attribute_ruler", "lemmatizer"}
)
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Match:
    """One persona attribute a statement speaks to."""

    persona: str
    attribute: str
    kind: Kind
    score: float


class StatementLike(Protocol):
    """What matching needs of a statement (``listener.nlp.Statement`` has it)."""

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _Target:
    persona: str
    attribute: str
    kind: Kind


Lemmas = tuple[str, ...]


class LemmaNormaliser:
    """Turns texts into Docs whose ``LEMMA`` is the lower-case lemma, the key we match on."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        lemmatizer = nlp.get_pipe("lemmatizer") if nlp.has_pipe("lemmatizer") else None
        # A lookup lemmatizer needs only the word, so running the tokenizer alone is enough;
        # a trained (rule) lemmatizer needs the tagger, so the whole pipeline runs.
        self._lookup = lemmatizer is None or getattr(lemmatizer, "mode", None) == "lookup"
        self._cache: dict[int, int] = {}
        # Components a trained lemmatizer does not need (parser, NER, text classifiers) are skipped.
        self._not_for_lemmas = [n for n in nlp.pipe_names if n not in _LEMMA_INPUTS]

    def docs(self, texts: Iterable[str]) -> Iterator[Doc]:
        """Docs keyed on lower-case lemmas, without the words that never change a phrase's meaning.

        Dropping articles and possessives lets "close the books" match "closing our books";
        the returned Doc may therefore be shorter than the text (matches carry no span).
        """
        strings = self.nlp.vocab.strings
        if self._lookup:
            cache = self._cache
            for doc in cast(Tokenizer, self.nlp.tokenizer).pipe(texts, batch_size=_BATCH):
                lemmas = []
                for token in doc:
                    lemma = cache.get(token.orth)
                    if lemma is None:
                        if len(cache) > _CACHE_LIMIT:
                            cache.clear()
                        text = self._canonical(token.text)
                        skip = token.is_space or text in SKIPPED
                        lemma = cache[token.orth] = 0 if skip else strings.add(text)
                    lemmas.append(lemma)
                yield self._keyed(doc, lemmas)
        else:
            for doc in self.nlp.pipe(texts, batch_size=_BATCH, disable=self._not_for_lemmas):
                lemmas = []
                for token in doc:
                    text = (token.lemma_ or token.text).lower()
                    skip = token.is_space or text in SKIPPED
                    lemmas.append(0 if skip else strings.add(text))
                yield self._keyed(doc, lemmas)

    def _canonical(self, word: str) -> str:
        """The lookup lemma, repeated until it stops changing.

        The table is not idempotent ("feeds" → "feed" but "feed" → "fee"), so one step would
        give a phrase and its inflections different keys; the fixed point gives them the same.
        """
        lemma = lemma_of(word, self.nlp)
        for _ in range(3):
            again = lemma_of(lemma, self.nlp)
            if again == lemma:
                break
            lemma = again
        return lemma

    def _keyed(self, doc: Doc, lemmas: list[int]) -> Doc:
        if 0 not in lemmas:
            for token, lemma in zip(doc, lemmas, strict=True):
                token.lemma = lemma
            return doc
        words = [self.nlp.vocab.strings[h] for h in lemmas if h]
        return Doc(self.nlp.vocab, words=words, lemmas=words)

    def lemmas(self, texts: Sequence[str]) -> list[Lemmas]:
        """Lemma sequences of short texts (phrases, keywords, synonyms), punctuation kept."""
        return [tuple(t.lemma_ for t in doc) for doc in self.docs(texts)]


def expand(phrase: Lemmas, synonyms: dict[Lemmas, list[Lemmas]]) -> list[Lemmas]:
    """Every variant of ``phrase`` with words replaced by their synonyms; the phrase comes first.

    Keys may span several words ("accounts payable"); the longest key wins at each position.
    """
    options: list[list[Lemmas]] = []
    longest = max((len(k) for k in synonyms), default=0)
    i = 0
    while i < len(phrase):
        for size in range(min(longest, len(phrase) - i), 0, -1):
            key = phrase[i : i + size]
            if key in synonyms:
                options.append([key, *synonyms[key]])
                i += size
                break
        else:
            options.append([phrase[i : i + 1]])
            i += 1
    variants: list[Lemmas] = []
    seen: set[Lemmas] = set()
    for combo in itertools.product(*options):
        variant = tuple(word for part in combo for word in part)
        if variant and variant not in seen:
            seen.add(variant)
            variants.append(variant)
            if len(variants) >= MAX_VARIANTS:
                break
    return variants


class PersonaMatcher:
    """Compiled once per persona version; ``match`` is cheap and safe to call on every statement."""

    def __init__(self, personas: PersonaSet, nlp: Language, semantic: bool = False) -> None:
        self.personas = personas
        self.version = personas.version
        self._norm = LemmaNormaliser(nlp)
        self._targets: list[_Target] = []
        # pattern key (a string-store hash) → [(target index, score)], per kind
        self._hits: dict[int, list[tuple[int, float]]] = {}
        self._matchers: dict[str, PhraseMatcher] = {}
        self._index_of: dict[tuple[str, str], int] = {}
        self._compile(nlp)
        self._semantic = None
        if semantic:
            from listener.matching_semantic import SemanticMatcher

            self._semantic = SemanticMatcher(personas)

    def _compile(self, nlp: Language) -> None:
        shared = self._synonym_table(self.personas.synonyms)
        best: dict[Kind, dict[Lemmas, dict[int, float]]] = {kind: {} for kind in KINDS}
        for persona in self.personas.personas:
            for kind, attribute in persona.attributes():
                index = len(self._targets)
                self._targets.append(_Target(persona.id, attribute.id, kind))
                synonyms = {**shared, **self._synonym_table(attribute.synonyms)}
                for texts, exact, variant in (
                    (attribute.phrases, PHRASE_SCORE, SYNONYM_PHRASE_SCORE),
                    (attribute.keywords, KEYWORD_SCORE, SYNONYM_KEYWORD_SCORE),
                ):
                    for lemmas in self._norm.lemmas(list(texts)):
                        for n, pattern in enumerate(expand(lemmas, synonyms)):
                            score = exact if n == 0 else variant
                            slot = best[kind].setdefault(pattern, {})
                            slot[index] = max(score, slot.get(index, 0.0))
        strings = nlp.vocab.strings
        for kind in KINDS:
            matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
            for n, (pattern, hits) in enumerate(best[kind].items()):
                key = f"listener.persona.{kind}.{n}"
                matcher.add(key, [Doc(nlp.vocab, words=list(pattern), lemmas=list(pattern))])
                self._hits[strings[key]] = sorted(hits.items())
            self._matchers[kind] = matcher

    def _synonym_table(self, synonyms: dict[str, tuple[str, ...]]) -> dict[Lemmas, list[Lemmas]]:
        table: dict[Lemmas, list[Lemmas]] = {}
        for word, alternatives in synonyms.items():
            key, *alts = self._norm.lemmas([word, *alternatives])
            if key:
                table.setdefault(key, []).extend(a for a in alts if a and a != key)
        return table

    @property
    def pattern_count(self) -> int:
        """How many distinct lemma patterns were compiled (phrases, keywords and variants)."""
        return len(self._hits)

    def match(self, statement: StatementLike) -> list[Match]:
        return self.match_text(statement.text, statement.kind)

    def match_text(self, text: str, kind: str) -> list[Match]:
        kind = _check_kind(kind)
        doc = next(self._norm.docs([text]))
        return self._finish([self._match_doc(doc, kind)], [text], [kind])[0]

    def match_many(self, statements: Iterable[StatementLike]) -> Iterator[list[Match]]:
        """One list per statement, in order; streams in batches so memory stays flat."""
        iterator = iter(statements)
        while chunk := list(itertools.islice(iterator, _BATCH)):
            kinds = [_check_kind(s.kind) for s in chunk]
            texts = [s.text for s in chunk]
            found = [
                self._match_doc(doc, kind)
                for doc, kind in zip(self._norm.docs(texts), kinds, strict=True)
            ]
            yield from self._finish(found, texts, kinds)

    def _match_doc(self, doc: Doc, kind: Kind) -> dict[int, float]:
        scores: dict[int, float] = {}
        for key, _start, _end in self._matchers[kind](doc):
            for index, score in self._hits[key]:
                if score > scores.get(index, 0.0):
                    scores[index] = score
        return scores

    def _finish(
        self, found: list[dict[int, float]], texts: list[str], kinds: list[Kind]
    ) -> list[list[Match]]:
        if self._semantic is not None:
            for scores, semantic in zip(found, self._semantic.scores(texts, kinds), strict=True):
                for (persona, attribute), score in semantic.items():
                    index = self._index(persona, attribute)
                    if score > scores.get(index, 0.0):
                        scores[index] = score
        return [self._matches(scores) for scores in found]

    def _index(self, persona: str, attribute: str) -> int:
        if not self._index_of:
            self._index_of = {(t.persona, t.attribute): i for i, t in enumerate(self._targets)}
        return self._index_of[persona, attribute]

    def _matches(self, scores: dict[int, float]) -> list[Match]:
        matches = [
            Match(t.persona, t.attribute, t.kind, score)
            for index, score in scores.items()
            for t in (self._targets[index],)
        ]
        matches.sort(key=lambda m: (-m.score, m.persona, m.attribute))
        return matches


def _check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ValueError(f"statement kind must be 'pain' or 'aspiration', not {kind!r}")
    return kind
