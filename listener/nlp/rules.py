"""Sentence rules around the classifier: what never is a statement, and what the counts miss.

The classifier knows words; these rules know a few shapes of sentence that words alone get
wrong: quoted and code lines (someone else's words, or a machine's), questions that only seek
information, pains that are denied ("no problem with", "never had issues"), sarcasm ("great,
another update that breaks sync") and comparisons that favour a competitor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from listener.nlp.features import hash_string, hashes
from listener.nlp.versions import RULES_VERSION

__all__ = ["NEUTRAL", "PLEASE_WORDS", "REPAIR_WORDS", "RULES_VERSION", "SKIP", "Verdict", "judge"]


_INFO_STARTS = hashes(
    "how what where when which who whom whose is are does do did can could should will "
    "would has have was were anyone anybody any"
)
_WHY_HOW = hashes("why how")
_REQUEST_STARTS = hashes("can could would will please")
_REQUEST_FILLERS = hashes("you u ya guys please pls plz")
_REQUEST_VERBS = hashes(
    "add make include implement support allow enable bring provide let fix offer give consider"
)
REPAIR_WORDS = "fix repair resolve sort"
_REPAIR_VERBS = hashes(REPAIR_WORDS)
"""Asking for a repair reports a fault: "please fix the export" is a pain, not a wish."""
PLEASE_WORDS = "please pls plz kindly"
_PLEASE = hashes(PLEASE_WORDS)
_WHY = hash_string("why")
_QUESTION = hash_string("?")
_PAIN_CUES = hashes(
    "crash crashes crashed crashing bug bugs buggy broken error errors fail fails failed failing "
    "freeze freezes froze freezing stuck slow lag laggy annoying annoyed frustrating frustrated "
    "terrible awful horrible useless worst hate hated problem problems issue issues wrong "
    "unable lost lose loses cancelled canceled declined charged suspended missing late delayed "
    "damaged refused expired"
)
_DENIALS = (
    re.compile(
        r"\b(no|zero|not (a|any|one)|never (had|have|seen|experienced)( a| any)?|without( a| any)?)"
        r" (single )?(real |major |big )?(problems?|issues?|complaints?|troubles?|bugs?|crash(es)?"
        r"|errors?|glitch(es)?)\b"
    ),
    re.compile(r"\bnothing (is |was )?(wrong|bad|broken)\b"),
    re.compile(
        r"\b(is|was|are|were|has been|have been|'s)( never|n'?t| not| no longer)( really| ever)?"
        r"( been)?( an?| any)?( real| big| major)? (problems?|issues?|concerns?|worry|hassle|pain"
        r"|headache|nightmare|bother|big deal)\b"
    ),
    re.compile(r"\b(never|not once|hasn'?t|has not|didn'?t|did not) (\w+ )?(crash|fail|froze|lag)"),
    re.compile(r"\bworks? (just )?(fine|great|perfectly|flawlessly)\b"),
)
_SARCASM = (
    re.compile(
        r"\b(great|thanks|thank you|wonderful|awesome|love(ly)?|nice|brilliant|fantastic|perfect)\b"
        r"[^.!?]*\b(another|again|for nothing|every single time|as usual|yet again|once more)\b"
    ),
    re.compile(r"\b(just what i needed|yeah,? right|oh,? great|thanks for nothing|said no one)\b"),
    re.compile(r"(/s\b|🙄)"),
)
_COMPARATIVE = r"(better|faster|easier|simpler|cheaper|smoother|nicer|more \w+)"
_COMPETITOR_WINS = re.compile(
    rf"\b{_COMPARATIVE} than (this|it|yours|you guys|the app|the new)\b"
    rf"|\b(old|older|previous|last|original) (version|update|design|layout|ui|one)"
    rf"( was| is|'s| were)( \w+)?( \w+)? {_COMPARATIVE}\b"
)
_WE_WIN = re.compile(
    rf"\b(this|it|this app)('s| is| was| works| runs) (much |way |far )?{_COMPARATIVE} than\b"
)
_PAIN_ASSERTED = re.compile(
    r"\b(killing me|(drives?|driving) me (crazy|nuts|mad|insane|up the wall)"
    r"|eats? (up )?(my|all my|our|the whole|hours)|waste of (time|money)"
    r"|wast(e|es|ed|ing) (my|our|so much|hours|days)|tak(e|es|ing) (forever|ages|hours|days)"
    r"|(a|such a|real|total) (pain|nightmare|headache|hassle)|sick (and tired )?of"
    r"|fed up with|struggl(e|es|ed|ing) (with|to)|by hand|(have|had|has|need) to manually)"
)
"""Wordings that say "this hurts" in any domain, where app reviews (the training data) are
silent: "it is killing me", "eats my whole week", "I still type invoices by hand". Words the
reviews do teach ("frustrating", "keeps crashing") are left to the classifier's weights."""
_ASPIRATION_ASSERTED = re.compile(
    r"\b(i|we) (really |just |so )?wish\b"
    r"|\b(i|we)('d| would) (really |so )?(love|like) (to (see|have|get|be able)|it if|if|a |an "
    r"|the (option|ability)|more|some)"
    r"|\bwould (be )?(so )?(great|nice|awesome|helpful|amazing|cool|good|useful|handy) (if|to)\b"
    r"|\bit would be (so )?(great|nice|awesome|helpful|amazing|cool|good|useful|handy)\b"
    r"|\bplease (add|make|include|implement|support|allow|bring|consider|let|give)\b"
    r"|\bif only\b|\b(i|we) (want|need) (a way|an option|the ability|to be able)"
    r"|\blooking for a way\b|\bfeature request\b"
)
"""Wordings that say "I want this" ("I wish the app would…", "it would be great if…")."""
_NOT_A_PAIN = re.compile(
    r"\b(could|can|might) (do|be|have been|have done) (a lot |much |far |way )?worse\b"
    r"|\b(would|could|'d) (die|kill|murder) for\b"
    r"|\b(i|we)'?d (give|sell) (my|an?) \w+ for\b"
)
"""Negative words that make no complaint: a comparison in our favour ("could do a lot worse"),
hyperbole about wanting something ("I would die for a coffee")."""
_FUTURE_CONDITION = re.compile(
    r"^\W*(if|unless|in case)\b[^.!?]*\b(will|'ll|would|'d|might|may|could|going to|gonna)\b"
)
"""A condition about the future ("if scope creep gets worse we'll leave"): not a pain yet. A
condition that describes a fault ("if I export, it crashes") has no modal and stays one."""
_NEGATED_BEFORE = re.compile(r"\b(not|n't|no|never|hardly|nothing)\W+(\w+\W+)?$")
_CODE_CHARS = re.compile(r"[{}();=<>\[\]$\\]")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say about one sentence.

    ``cap_*``: the sentence is not that kind (its score may only count against it).
    ``pain``/``aspiration``: the sentence is that kind whatever the classifier says.
    """

    skip: bool = False
    cap_pain: bool = False
    cap_aspiration: bool = False
    pain: bool = False
    aspiration: bool = False


SKIP = Verdict(skip=True)
NEUTRAL = Verdict()


# Cheap first looks: a sentence without any of these words needs none of the patterns above.
_DENIAL_WORDS = hashes(
    "no zero not n't never without nothing hasnt didnt work works isnt wasnt longer"
)
_SARCASM_WORDS = hashes(
    "great thanks thank wonderful awesome love lovely nice brilliant fantastic perfect just yeah "
    "oh said another again"
)
_COMPARISON_WORDS = hashes("better faster easier simpler cheaper smoother nicer more")
_NOT_A_PAIN_WORDS = hashes("worse die kill murder give sell if unless")
_PAIN_ASSERTION_WORDS = hashes(
    "killing drives driving eat eats waste wastes wasted wasting forever ages hours days pain "
    "nightmare headache hassle sick fed struggle struggles struggled struggling hand manually"
)
_ASPIRATION_ASSERTION_WORDS = hashes("wish would 'd ’d please only way option ability able request")

_ANY_RULE_WORD = (
    _DENIAL_WORDS
    | _SARCASM_WORDS
    | _COMPARISON_WORDS
    | _NOT_A_PAIN_WORDS
    | _PAIN_ASSERTION_WORDS
    | _ASPIRATION_ASSERTION_WORDS
    | _REQUEST_STARTS
    | _REPAIR_VERBS
    | _PLEASE
)
"""A statement (not a question) without any of these is neutral: every rule below needs one."""


def judge(text: str, words: list[int], has_alpha: bool) -> Verdict:
    """Rules for one sentence: its text and the lower-case hashes of its non-space tokens."""
    if not has_alpha or (len(text) > 60 and len(text.split(maxsplit=1)) == 1):
        return SKIP  # no words, or one giant token (a hash, base64, a key mashed down)
    stripped = text.lstrip()
    if stripped.startswith((">", "```")) or _looks_like_code(stripped):
        return SKIP
    is_question = words[-1] == _QUESTION
    quiet = not is_question and _ANY_RULE_WORD.isdisjoint(words)
    if quiet and "/s" not in text and "🙄" not in text:
        return NEUTRAL  # most sentences: no word any rule below looks for
    request = _is_request(words)
    cap_pain = cap_aspiration = pain = False
    complaint_question = _WHY in words and not _PAIN_CUES.isdisjoint(words)
    if is_question and words[0] in _INFO_STARTS and not request:
        cap_pain = not (
            words[0] in _WHY_HOW and (words[0] == _WHY or not _PAIN_CUES.isdisjoint(words))
        )
        cap_aspiration = True
    if is_question and complaint_question:
        cap_pain, pain = False, True  # "can you tell me why my order was cancelled?"
    if _asks_for_repair(words):
        return Verdict(cap_aspiration=True, pain=True)
    lowered = ""
    if not _DENIAL_WORDS.isdisjoint(words):
        lowered = text.lower()
        if any(p.search(lowered) for p in _DENIALS) and not _has_unnegated_cue(lowered):
            cap_pain = True
    if not _SARCASM_WORDS.isdisjoint(words) or "/s" in text or "🙄" in text:
        lowered = lowered or text.lower()
        pain = any(p.search(lowered) for p in _SARCASM)
    if not _NOT_A_PAIN_WORDS.isdisjoint(words):
        lowered = (lowered or text.lower()).replace("’", "'")
        if _NOT_A_PAIN.search(lowered) or _FUTURE_CONDITION.search(lowered):
            cap_pain = True
    if not _COMPARISON_WORDS.isdisjoint(words):
        lowered = lowered or text.lower()
        if _COMPETITOR_WINS.search(lowered):
            pain = True
        elif _WE_WIN.search(lowered) and _PAIN_CUES.isdisjoint(words):
            cap_pain = True
    aspiration = request and is_question
    if not pain and not _PAIN_ASSERTION_WORDS.isdisjoint(words):
        lowered = lowered or text.lower()
        pain = _asserted(_PAIN_ASSERTED, lowered)
    if not aspiration and not is_question and not _ASPIRATION_ASSERTION_WORDS.isdisjoint(words):
        lowered = (lowered or text.lower()).replace("’", "'")
        aspiration = _asserted(_ASPIRATION_ASSERTED, lowered)
    if not (cap_pain or cap_aspiration or pain or aspiration):
        return NEUTRAL
    return Verdict(
        cap_pain=cap_pain,
        cap_aspiration=cap_aspiration,
        pain=pain and not cap_pain,
        aspiration=aspiration,
    )


def _is_request(words: list[int]) -> bool:
    """ "Can you add…?", "could you please make…", "would you consider supporting…"."""
    if len(words) < 3 or words[0] not in _REQUEST_STARTS:
        return False
    rest = [w for w in words[1:6] if w not in _REQUEST_FILLERS]
    return bool(rest) and rest[0] in _REQUEST_VERBS


def _asks_for_repair(words: list[int]) -> bool:
    """ "Please fix the export", "fix this asap", "can you fix it?", "pls sort out the refund"."""
    if not words:
        return False
    if words[0] in _REPAIR_VERBS:
        return True
    for i, w in enumerate(words[:-1]):
        if w in _PLEASE and not _REPAIR_VERBS.isdisjoint(words[i + 1 : i + 3]):
            return True
    return _is_request(words) and not _REPAIR_VERBS.isdisjoint(words[1:4])


def _asserted(pattern: re.Pattern[str], lowered: str) -> bool:
    """``pattern`` occurs without a negation just before it ("not annoying" is no complaint)."""
    return any(
        not _NEGATED_BEFORE.search(lowered, max(0, m.start() - 24), m.start())
        for m in pattern.finditer(lowered)
    )


def _has_unnegated_cue(lowered: str) -> bool:
    """A denial that also complains ("no issues until the update broke it")."""
    return bool(re.search(r"\b(until|but|except|however|since)\b", lowered))


def _looks_like_code(text: str) -> bool:
    if len(text) < 12:
        return False
    symbols = len(_CODE_CHARS.findall(text))
    return symbols >= 4 and symbols / len(text) > 0.08
