"""Hashed sentence features shared by training and extraction, so both see exactly the same thing.

Features are spaCy's stable 64-bit string hashes of lower-case tokens folded into a fixed number
of buckets: unigrams, bigrams, negation-scoped unigrams ("not working" gives NOT:working),
condition-scoped unigrams ("if I have any more problems" gives IF:problems), the first word,
whether the sentence is a question, speaks in the first person, and classes of cue words. The
scoped and class features are what carries across registers: a word seen in app reviews and a
word never seen in training but in the same class count alike. Numbers and URLs are one token
each. Plain integer arithmetic over ``Doc.to_array`` keeps this at a few microseconds a sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import compress

import numpy as np
from spacy.attrs import (
    IDX,
    IS_ALPHA,
    IS_PUNCT,
    IS_SPACE,
    LENGTH,
    LIKE_NUM,
    LIKE_URL,
    LOWER,
    ORTH,
    SENT_START,
)
from spacy.strings import hash_string as _spacy_hash  # type: ignore[attr-defined]
from spacy.tokens import Doc

from listener.nlp.sentences import sentence_starts
from listener.nlp.versions import FEATURE_VERSION, N_BUCKETS


def hash_string(text: str) -> int:
    """spaCy's stable 64-bit string hash (the ids in ``Doc.to_array``), typed."""
    return int(_spacy_hash(text))


def hashes(words: str) -> frozenset[int]:
    """Hashes of the whitespace-separated words of ``words``."""
    return frozenset(hash_string(w) for w in words.split())


__all__ = ["FEATURE_VERSION", "N_BUCKETS"]
_MASK = N_BUCKETS - 1
_MIX = 0x100000001B3  # FNV prime: spreads the first hash before it is combined with the second

NEGATOR_WORDS = """
    not no never n't nt cannot without nothing none nor neither hardly barely nobody dont
    doesnt didnt cant wont isnt wasnt aint couldnt wouldnt shouldnt
    """
NEGATORS = hashes(NEGATOR_WORDS)
_SCOPE_BREAKERS = hashes("but however although though then")
_NEG_SCOPE = 3
CONDITIONS = hashes("if unless whether incase")
"""Words that open a condition: what follows is not said to be the case."""
_COND_SCOPE = 6
FIRST_PERSON = hashes("i me my mine we us our ours i'm im i've ive we're we've")
_QUESTION = hash_string("?")

# Cue words share one feature per kind, so a rare word ("atrocious") still counts: the classifier
# learns the weight of the class of words, not only of each word it happened to see.
PAIN_CUES = hashes(
    """
    crash crashes crashed crashing bug bugs buggy broken break breaks error errors fail fails
    failed failing failure freeze freezes froze frozen freezing stuck slow slower sluggish lag
    lags laggy glitch glitches glitchy annoying annoyed annoys frustrating frustrated frustration
    terrible awful horrible useless worst worse hate hated hates disappointing disappointed
    problem problems issue issues wrong unable lost lose loses losing missing disappeared waste
    wasted wasting pain painful nightmare tedious cumbersome confusing clunky unusable unreliable
    ridiculous pathetic garbage trash rubbish junk sucks sucked poor poorly fix uninstall
    uninstalled refund drains draining hangs hanging stopped stops kicks ugh nope
    late delayed delay delays cancelled canceled cancellation rude unhelpful lost damaged
    charged overcharged waiting wait hold still again nobody noone overdue expensive pricey
    overpriced bulky heavy flimsy noisy short mess messy chaos chasing chase missed miss behind
    killing kills tired sick hassle headache struggle struggling tedious manual manually
    difficult hard impossible unclear complicated lacks lacking lack fails disappointing
    """
)
ASPIRATION_CUES = hashes(
    """
    wish wished hope hoping please pls plz add adding option options feature features suggest
    suggestion request requesting would could should allow enable support integrate integration
    ability able implement include improve improvement customizable customise customize ideally
    consider love needs need want wanted recommend recommended recommends try ask advise advice
    tip tips suggestions make sure avoid bring book definitely worth must ought
    """
)
_CUE_PAIN = hash_string("__cue_pain__") & _MASK
_CUE_ASPIRATION = hash_string("__cue_aspiration__") & _MASK
_CUE_PAIN_NEGATED = hash_string("__cue_pain_negated__") & _MASK
_CUE_PAIN_CONDITION = hash_string("__cue_pain_condition__") & _MASK
_FIRST_PERSON = hash_string("__first_person__") & _MASK
_FIRST_PERSON_PAIN = hash_string("__first_person_pain__") & _MASK
NUMBER = hash_string("__number__")
URL = hash_string("__url__")

_SALT_BIGRAM = hash_string("__bigram__")
_SALT_NEG = hash_string("__not__")
_SALT_COND = hash_string("__if__")
_SALT_FIRST = hash_string("__first__")
_SALT_QFIRST = hash_string("__question_first__")
SENTENCE_BIAS = hash_string("__sentence__") & _MASK
QUESTION = hash_string("__question__") & _MASK


def _combine(a: int, b: int) -> int:
    return ((a * _MIX) ^ b) & _MASK


class DocArrays:
    """Per-token attributes of one document as plain Python lists (fast to index).

    With ``text`` (the document's text), sentences are split here, from the same arrays
    (:mod:`listener.nlp.sentences`): the extractor's blank pipeline runs only the tokenizer.
    Without it, the Doc's own sentence starts are read (a trained model's, or the component's).
    """

    __slots__ = ("alpha", "bounds", "lowers", "punct", "space", "words")

    def __init__(self, doc: Doc, text: str | None = None) -> None:
        columns = [LOWER, IS_PUNCT, IS_SPACE, IS_ALPHA, LIKE_NUM, LIKE_URL, IDX, LENGTH]
        columns.append(ORTH if text is not None else SENT_START)
        arr = doc.to_array(columns)
        self.bounds: list[tuple[int, int, int, int]] = []
        """Sentences as (first token, end token, start char, end char): ``doc.sents`` without
        building a Span per sentence."""
        if arr.ndim == 1 or len(arr) == 0:  # an empty doc
            self.lowers: list[int] = []
            self.punct: list[int] = []
            self.space: list[int] = []
            self.alpha: list[int] = []
            self.words: list[int] = []
            return
        # One tolist for all columns: per-column conversions cost more than the work on them.
        lowers, punct, space, alpha, num, url, idx, length, last = arr.T.tolist()
        self.lowers, self.punct, self.space, self.alpha = lowers, punct, space, alpha
        # What features see: the lower-case form, one token for every number and every URL.
        words = lowers
        if any(num) or any(url):
            words = list(words)
            for i in compress(range(len(words)), num):
                words[i] = NUMBER
            for i in compress(range(len(words)), url):
                words[i] = URL
        self.words = words
        n = len(arr)
        if text is not None:
            newlines = {
                i for i in compress(range(n), space) if "\n" in text[idx[i] : idx[i] + length[i]]
            }
            first = sentence_starts(last, punct, newlines)
        else:
            first = [0, *(i for i in range(1, n) if last[i] == 1)]
        ends = [*first[1:], n]
        self.bounds = [
            (s, e, idx[s], idx[e - 1] + length[e - 1]) for s, e in zip(first, ends, strict=True)
        ]


def sentence_features(
    lowers: list[int], punct: list[int], space: list[int], start: int, end: int
) -> list[int]:
    """Bucket indices (repeats count) for tokens ``start:end`` of one document.

    ``lowers`` are :attr:`DocArrays.words`. The hot loop of the extractor: ``_combine`` is
    written out inline (same values).
    """
    mix, mask = _MIX, _MASK
    first_salt, neg_salt, cond_salt = _SALT_FIRST * mix, _SALT_NEG * mix, _SALT_COND * mix
    bigram_salt = ((_SALT_BIGRAM * mix) ^ 0) & mask  # _combine(_SALT_BIGRAM, prev) = ...^prev
    pain_cues, aspiration_cues, negators, breakers = (
        PAIN_CUES,
        ASPIRATION_CUES,
        NEGATORS,
        _SCOPE_BREAKERS,
    )
    conditions, first_person = CONDITIONS, FIRST_PERSON
    out = [SENTENCE_BIAS]
    append = out.append
    prev = 0
    neg_left = cond_left = 0
    first = last = 0
    personal = pained = False
    for i in range(start, end):
        if space[i]:
            continue
        lower = lowers[i]
        last = lower
        if first == 0:
            first = lower
            append((first_salt ^ lower) & mask)
        if punct[i] or lower in breakers:
            neg_left = cond_left = 0
        cue = lower in pain_cues
        if neg_left:
            append((neg_salt ^ lower) & mask)
            if cue:
                append(_CUE_PAIN_NEGATED)
            neg_left -= 1
        elif cond_left:
            append((cond_salt ^ lower) & mask)
            if cue:
                append(_CUE_PAIN_CONDITION)
            cond_left -= 1
        else:
            append(lower & mask)
            if cue:
                append(_CUE_PAIN)
                pained = True
        if lower in aspiration_cues:
            append(_CUE_ASPIRATION)
        if lower in negators:
            neg_left = _NEG_SCOPE
        elif lower in conditions:
            cond_left = _COND_SCOPE
        elif lower in first_person:
            personal = True
        if prev:
            append(((((bigram_salt ^ prev) & mask) * mix) ^ lower) & mask)
        prev = lower
    if last == _QUESTION:
        append(QUESTION)
        append(_combine(_SALT_QFIRST, first))
    if personal:
        append(_FIRST_PERSON)
        if pained:
            append(_FIRST_PERSON_PAIN)
    return out


def iter_sentence_features(doc: Doc) -> Iterator[list[int]]:
    """Features of each sentence of ``doc`` (the sentencizer must have run)."""
    a = DocArrays(doc)
    for sent in doc.sents:
        yield sentence_features(a.words, a.punct, a.space, sent.start, sent.end)


def doc_vector_indices(doc: Doc, max_sentences: int) -> np.ndarray:
    """All feature buckets of a document (for training): one row of a count matrix."""
    feats: list[int] = []
    for n, sent_feats in enumerate(iter_sentence_features(doc)):
        if n >= max_sentences:
            break
        feats.extend(sent_feats)
    return np.asarray(feats, dtype=np.int64)
