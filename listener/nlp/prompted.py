"""Answers to a question that asks for a pain or an aspiration.

"What is the hardest part of your week?" frames every answer: "Doing the VAT return every
quarter." is a pain there, though nothing in its words says so, and the review-trained classifier
cannot know. So an answer's sentences are read as the asked-for kind, unless the rules deny it or
the answer says there is nothing to report ("Nothing, happy customer.", "Keep doing what you're
doing.").
"""

from __future__ import annotations

import re

PROMPT_KINDS = ("pain", "aspiration")

_NON_ANSWER = re.compile(
    # a whole answer that is only "nothing", "n/a", "all good"... (maybe "really", "so far")
    r"^\W*(n/?a|none|nothing|nope|no|not (much|really|sure)|nada|idk|dunno|all good|fine|good|"
    r"great|ok(ay)?|no idea|-+|\.+)( (really|much|major|else|at all|so far|for now|to add))*"
    r"\s*([.,;:!)]|$)"
    # or one that says all is well
    r"|^\W*(keep (doing|it up|up|improving)|happy|same as (before|always)|can'?t think)\b"
    # or praise with no contrast after it ("no complaints until the update broke exports" is one)
    r"|^\W*([\w' ]*, )?(it )?(works (well|great|fine)|it'?s (great|fine|good) (now|as it is)|"
    r"happy customer|no complaints|nothing (major|much|really|to add|comes to mind)|"
    r"love it( as it is)?)\b(?![^.!?]*\b(but|until|except|though|however)\b)",
    re.IGNORECASE,
)


def is_non_answer(sentence: str) -> bool:
    """True for a sentence that says there is nothing to report (or only praise)."""
    return bool(_NON_ANSWER.search(sentence.strip()))
