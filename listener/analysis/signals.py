"""What the evidence model sees of one persona hit in one sentence, and what vetoes it.

A hit ("battery drain" in "it never drains my battery") is evidence for its attribute unless it
is denied (a negation just before the wording, or the rules deny the kind for the sentence),
hypothetical (inside an "if"/"unless" clause), or, for a pain, praise; otherwise the
classifier's view of the sentence, the strength of the wording and the survey prompt weigh in.
"""

from __future__ import annotations

import numpy as np

from listener.matching import Hit
from listener.nlp.features import CONDITIONS, NEGATORS, PAIN_CUES, hash_string, hashes
from listener.nlp.prompted import is_non_answer
from listener.nlp.reading import Reading
from listener.nlp.types import KINDS

_NEGATION_REACH = 3
_PRAISE = hashes(
    "great good love loved loves excellent perfect perfectly awesome fantastic amazing happy "
    "helpful nice best smooth easy fast reliable brilliant wonderful solid superb instant "
    "charm flawless flawlessly beautiful beautifully lovely outstanding terrific impressive "
    "handy useful recommend recommended"
)
_MORE = hash_string("more")
_LONGER = hash_string("longer")
_QUESTION = hash_string("?")
_DENIAL_STARTS = hashes("no not never nope nah")
_CLAUSE_ENDS = hashes(", ; : . ! ? but and so because since")
_CURLY_NT = hash_string("n\u2019t")
_DENIERS = NEGATORS | {_CURLY_NT}
"""The classifier's negators, and "n't" with the typographic apostrophe phones type."""
_VERBAL = hashes("not n't nt doesnt dont didnt isnt wasnt cant wont couldnt wouldnt aint") | {
    _CURLY_NT
}
_FILLERS = hashes("even always really seem seems to properly correctly")
_MODALS = hashes("ca can could wo will would")
"""Hosts of "n't"/"not" that make an inability: "ca n't", "can not", "wo n't"."""
_STOPPED = hashes("anymore longer more")
"""'It doesn't show ads anymore': the trouble stopped."""
_FUNCTIONS = hashes(
    "work works working worked show shows showing showed display displays displaying load "
    "loads loading open opens opening connect connects connecting recognize recognizes "
    "recognise recognised recognized detect detects detected respond responds responding sync "
    "syncs syncing save saves saving let lets allow allows support supports supported start "
    "starts launch launches play plays playing install installs appear appears log login sign "
    "access type find see download upload send receive hear select edit delete remove update"
)


def vetoed(reading: Reading, i: int, hit: Hit, k: int, punct: list[int]) -> bool:
    """Denied, negated, hypothetical or (for a pain) praise: never evidence."""
    if reading.denied[i, k]:
        return True
    words, space = reading.words, reading.space
    sent = reading.sentences[i]
    start = sent.token_start
    if _answered_no(reading, i):
        return True  # "Chasing late payments? Not since we switched."
    if is_non_answer(reading.text[sent.start : sent.end]):
        return True  # "Nothing, the month-end close is easy now."
    if k == 0 and reading.margins[i, 0] < 0 and not reading.forced[i, 0]:
        # Negated praise vetoes too: in the app reviews' tuning part "not good", "can't
        # recommend", "not easy" are complaints in only 27-50 % of reviews, and exempting them
        # cost the URR dev part precision (2026-12-04).
        said = {words[j] for j in range(start, sent.token_end) if not space[j]}
        if not _PRAISE.isdisjoint(said) and PAIN_CUES.isdisjoint(said):
            return True  # "the status report feature is great"
    seen = 0
    j = hit.token - 1
    while j >= start:
        if not space[j]:
            w = words[j]
            if punct[j] or w in _CLAUSE_ENDS:
                break
            if w in CONDITIONS:
                return True
            if seen < _NEGATION_REACH and w in _DENIERS and not _fails(reading, i, j, hit, k):
                return True
            if w not in (_MORE, _LONGER):  # "no more chasing", "no longer drains"
                seen += 1
        j -= 1
    return False


def _fails(reading: Reading, i: int, negator: int, hit: Hit, k: int) -> bool:
    """A negated function of the product before a pain's wording states the pain rather than
    denying it: "doesn't show the sd card", "won't connect to my headphones" (a verbal negation,
    then past a filler like "seem to" a function verb), or an inability whose verb is the
    wording itself ("can't log in"). Not with a pain word on the way ("doesn't have a problem
    with the camera", "won't drain") nor when the trouble stopped ("anymore")."""
    if k != 0 or reading.words[negator] not in _VERBAL:
        return False
    words, space = reading.words, reading.space
    sent = reading.sentences[i]
    if not _STOPPED.isdisjoint(words[sent.token_start : sent.token_end]):
        return False
    between = [words[j] for j in range(negator + 1, hit.token) if not space[j]]
    if not PAIN_CUES.isdisjoint(between):
        return False
    verb = next((w for w in between if w not in _FILLERS), None)
    if verb is not None:
        return verb in _FUNCTIONS
    host = next((words[j] for j in range(negator - 1, sent.token_start - 1, -1) if not space[j]), 0)
    return host in _MODALS and words[hit.token] in _FUNCTIONS


def _answered_no(reading: Reading, i: int) -> bool:
    """A question the writer answers with a denial in the next sentence."""
    words, space = reading.words, reading.space
    sent = reading.sentences[i]
    last = next((words[j] for j in range(sent.token_end - 1, sent.token_start - 1, -1)
                 if not space[j]), 0)  # fmt: skip
    if last != _QUESTION or i + 1 >= len(reading.sentences):
        return False
    after = reading.sentences[i + 1]
    first = next((words[j] for j in range(after.token_start, after.token_end) if not space[j]), 0)
    return first in _DENIAL_STARTS


def signals(reading: Reading, i: int, hit: Hit, k: int, kind_of_prompt: str | None) -> np.ndarray:
    """One row of :data:`FEATURES` for hit ``hit`` (of an attribute of kind ``k``)."""
    sent = reading.sentences[i]
    words = [
        reading.words[j] for j in range(sent.token_start, sent.token_end) if not reading.space[j]
    ]
    other = 1 - k
    return np.array(
        [
            float(np.clip(reading.margins[i, k], -8, 8)),
            float(np.clip(reading.margins[i, other], -8, 8)),
            float(np.clip(reading.doc_margins[k], -8, 8)),
            float(i in reading.chosen[k]),
            float(hit.strength >= 0.9),
            float(hit.specific),
            float(bool(words) and words[-1] == _QUESTION),
            float(kind_of_prompt == KINDS[k]),
            float(kind_of_prompt == KINDS[other]),
            float(len(reading.sentences) == 1),
        ],
        dtype=np.float64,
    )
