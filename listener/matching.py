"""Persona matching: where a sentence uses the wording of a persona's pains or aspirations.

Personas change rarely and matching runs on every sentence, so all phrases, keywords and synonym
variants are compiled once into sequences of lemma hashes, indexed by their first lemma. A
sentence is matched on the tokens the extractor already made (no second tokenisation): each
word's lower-case form is mapped once to its lookup lemma (cached by hash), articles and
possessives are dropped, and every pattern starting at a word is compared. "send invoice" then
also finds "Sending Invoices". Lemmas always come from the lookup table of spacy-lookups-data,
whatever pipeline the extractor runs, so phrases and text are normalised the same way.

A :class:`Hit` is lexical evidence only: whether it counts as evidence for the attribute is
decided in :mod:`listener.analysis`, with the sentence's other signals.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Protocol, cast

from spacy.attrs import IS_SPACE, LOWER
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.strings import StringStore
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Token

from listener.nlp.extractor import PERMANENT_STRINGS
from listener.nlp.features import hash_string
from listener.nlp.pipeline import build_nlp, lemma_lookup
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
"""Lemmas dropped before matching, from phrases and sentences alike: articles, possessives, "be"
("the feed is breaking" = "feed breaking") and the hyphen inside compounds ("real-time" =
"real time"), so that they do not break a phrase apart."""
_CACHE_LIMIT = 200_000
_STOP = frozenset(w.lower() for w in STOP_WORDS)


@dataclass(frozen=True, slots=True)
class Match:
    """One persona attribute a statement speaks to."""

    persona: str
    attribute: str
    kind: Kind
    score: float


@dataclass(frozen=True, slots=True)
class Target:
    persona: str
    attribute: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Hit:
    """Persona wording found in a sentence: ``target`` indexes :attr:`PersonaMatcher.targets`,
    ``token`` is the document token where the wording starts."""

    target: int
    strength: float
    token: int
    specific: bool = False
    """The wording has two content words or more ("scope creep", "battery life"), not one word
    among stop words ("on my phone", "the camera"): a more specific signal."""


class StatementLike(Protocol):
    """What matching needs of a statement (``listener.nlp.Statement`` has it)."""

    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...


Lemmas = tuple[str, ...]


class LemmaKeys:
    """Lower-case word hash → hash of its canonical lookup lemma (0: a word matching ignores)."""

    def __init__(self, nlp: Language) -> None:
        self.nlp = nlp
        self._lookup: Callable[[str], str] = lemma_lookup(build_nlp(None))
        self._cache: dict[int, int] = {}

    def canonical(self, word: str) -> str:
        """The lookup lemma, repeated until it stops changing.

        The table is not idempotent ("feeds" → "feed" but "feed" → "fee"), so one step would
        give a phrase and its inflections different keys; the fixed point gives them the same.
        """
        lemma = self._lookup(word)
        for _ in range(3):
            again = self._lookup(lemma)
            if again == lemma:
                break
            lemma = again
        return lemma

    def key(self, lower: int, strings: StringStore) -> int:
        """Needs the word's string in ``strings`` (true inside the extractor's memory zone)."""
        value = self._cache.get(lower)
        if value is None:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            lemma = self.canonical(strings[lower])
            value = self._cache[lower] = 0 if lemma in SKIPPED else hash_string(lemma)
        return value

    def lemmas(self, texts: Sequence[str]) -> list[Lemmas]:
        """Lemma sequences of short texts (phrases, keywords, synonyms), punctuation kept."""
        return [tuple(lemma for _, lemma in words) for _, words in self.words(texts)]

    def words(self, texts: Sequence[str]) -> Iterator[tuple[Doc, list[tuple[Token, str]]]]:
        """Each text's Doc with the (token, lemma) pairs that matching sees: no spaces, no
        SKIPPED lemmas. The tokens say where a lemma sequence stands in the text."""
        for doc in cast(Tokenizer, self.nlp.tokenizer).pipe(texts):
            pairs = ((t, self.canonical(t.text)) for t in doc if not t.is_space)
            yield doc, [(t, lemma) for t, lemma in pairs if lemma not in SKIPPED]


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
    """Compiled once per persona version; matching is cheap and safe to call on every sentence."""

    def __init__(self, personas: PersonaSet, nlp: Language, semantic: bool = False) -> None:
        self.personas = personas
        self.version = personas.version
        self.nlp = nlp
        self.keys = LemmaKeys(nlp)
        self.targets: list[Target] = []
        # first lemma hash → [(pattern hashes, ((target index, strength), ...), specific)]
        self._patterns: dict[
            int, list[tuple[tuple[int, ...], tuple[tuple[int, float], ...], bool]]
        ] = {}
        self._compile()
        self.semantic = None
        if semantic:
            from listener.matching_semantic import SemanticMatcher

            self.semantic = SemanticMatcher(personas)

    def _compile(self) -> None:
        shared = self._synonym_table(self.personas.synonyms)
        best: dict[Lemmas, dict[int, float]] = {}
        for persona in self.personas.personas:
            for kind, attribute in persona.attributes():
                index = len(self.targets)
                self.targets.append(Target(persona.id, attribute.id, kind))
                synonyms = {**shared, **self._synonym_table(attribute.synonyms)}
                for texts, exact, variant in (
                    (attribute.phrases, PHRASE_SCORE, SYNONYM_PHRASE_SCORE),
                    (attribute.keywords, KEYWORD_SCORE, SYNONYM_KEYWORD_SCORE),
                ):
                    for lemmas in self.keys.lemmas(list(texts)):
                        for n, pattern in enumerate(expand(lemmas, synonyms)):
                            score = exact if n == 0 else variant
                            slot = best.setdefault(pattern, {})
                            slot[index] = max(score, slot.get(index, 0.0))
        for pattern, hits in best.items():
            hashed = tuple(hash_string(w) for w in pattern)
            specific = sum(w not in _STOP and w.isalpha() for w in pattern) >= 2
            entry = (hashed, tuple(sorted(hits.items())), specific)
            self._patterns.setdefault(hashed[0], []).append(entry)

    def _synonym_table(self, synonyms: dict[str, tuple[str, ...]]) -> dict[Lemmas, list[Lemmas]]:
        table: dict[Lemmas, list[Lemmas]] = {}
        for word, alternatives in synonyms.items():
            key, *alts = self.keys.lemmas([word, *alternatives])
            if key:
                table.setdefault(key, []).extend(a for a in alts if a and a != key)
        return table

    @property
    def pattern_count(self) -> int:
        """How many distinct lemma patterns were compiled (phrases, keywords and variants)."""
        return sum(len(p) for p in self._patterns.values())

    def hits(
        self, lowers: list[int], space: list[int], start: int, end: int, strings: StringStore
    ) -> list[Hit]:
        """Persona wording in tokens ``start:end`` (lower-case hashes); best hit per target."""
        keys: list[int] = []
        tokens: list[int] = []
        key = self.keys.key
        for i in range(start, end):
            if space[i]:
                continue
            k = key(lowers[i], strings)
            if k:
                keys.append(k)
                tokens.append(i)
        best: dict[int, Hit] = {}
        patterns = self._patterns
        n = len(keys)
        for j in range(n):
            for pattern, targets, specific in patterns.get(keys[j], ()):
                size = len(pattern)
                if size > 1 and tuple(keys[j : j + size]) != pattern:
                    continue
                for index, strength in targets:
                    old = best.get(index)
                    if old is None or (strength, specific) > (old.strength, old.specific):
                        best[index] = Hit(index, strength, tokens[j], specific)
        return sorted(best.values(), key=lambda h: h.target)

    def match(self, statement: StatementLike) -> list[Match]:
        return self.match_text(statement.text, statement.kind)

    def match_text(self, text: str, kind: str) -> list[Match]:
        """The attributes of ``kind`` whose wording ``text`` uses, with lexical scores only."""
        return next(self.match_many_texts([text], [kind]))

    def match_many(self, statements: Iterable[StatementLike]) -> Iterator[list[Match]]:
        """One list per statement, in order; streams in batches so memory stays flat."""
        iterator = iter(statements)
        while chunk := list(itertools.islice(iterator, 256)):
            yield from self.match_many_texts([s.text for s in chunk], [s.kind for s in chunk])

    def match_many_texts(self, texts: list[str], kinds: list[str]) -> Iterator[list[Match]]:
        checked = [_check_kind(k) for k in kinds]
        found: list[dict[int, float]] = []
        strings = len(self.nlp.vocab.strings)
        zone = nullcontext() if strings < PERMANENT_STRINGS else self.nlp.memory_zone()
        with zone:
            docs = cast(Tokenizer, self.nlp.tokenizer).pipe(texts)
            for doc, kind in zip(docs, checked, strict=True):
                arr = doc.to_array([LOWER, IS_SPACE])
                lowers = arr[:, 0].tolist() if len(doc) else []
                space = arr[:, 1].tolist() if len(doc) else []
                hits = self.hits(lowers, space, 0, len(lowers), self.nlp.vocab.strings)
                found.append(
                    {h.target: h.strength for h in hits if self.targets[h.target].kind == kind}
                )
        if self.semantic is not None:
            for scores, semantic in zip(found, self.semantic.scores(texts, checked), strict=True):
                for owner, score in semantic.items():
                    index = self.index(*owner)
                    if score > scores.get(index, 0.0):
                        scores[index] = score
        for scores in found:
            yield self.matches(scores)

    def index(self, persona: str, attribute: str) -> int:
        for i, t in enumerate(self.targets):
            if t.persona == persona and t.attribute == attribute:
                return i
        raise KeyError((persona, attribute))

    def matches(self, scores: dict[int, float]) -> list[Match]:
        matches = [
            Match(t.persona, t.attribute, t.kind, score)
            for index, score in scores.items()
            for t in (self.targets[index],)
        ]
        matches.sort(key=lambda m: (-m.score, m.persona, m.attribute))
        return matches


def _check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ValueError(f"statement kind must be 'pain' or 'aspiration', not {kind!r}")
    return kind
