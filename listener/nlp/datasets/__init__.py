"""Loaders for the shared labelled feedback sets, and the fixed split between tuning and held-out.

Used by the training script and by ``bench/eval_nlp.py``; the split is a hash of each example's
group and key, so it never changes between runs or machines and nothing held out is tuned on.
Label mappings and traps follow ``../shared/data/README.md`` (see each loader). ``None`` means
the set does not label that kind.
"""

from __future__ import annotations

from pathlib import Path

from listener.errors import ListenerError
from listener.nlp.datasets.core import (
    HELDOUT_PERCENT,
    SPLIT_SEED,
    Example,
    Split,
    default_feedback_dir,
    handwritten_dir,
    split_of,
)
from listener.nlp.datasets.other import OTHER_LOADERS
from listener.nlp.datasets.reviews import REVIEW_LOADERS, load_handwritten

__all__ = [
    "HELDOUT_PERCENT",
    "SPLIT_SEED",
    "Example",
    "Split",
    "default_feedback_dir",
    "handwritten_dir",
    "load_examples",
    "load_handwritten",
    "split_of",
]


def load_examples(
    folder: Path, split: Split = "all", handwritten: Path | None = None
) -> list[Example]:
    """Every labelled example found under ``folder`` (sets whose files are absent are left out),
    plus the hand-written sets in ``handwritten`` when given."""
    if not folder.is_dir():
        raise ListenerError(
            f"labelled data folder {folder} does not exist",
            hint="pass --data PATH (the shared `feedback` folder) or set LISTENER_SHARED_DATA",
        )
    examples = [ex for load in (*REVIEW_LOADERS, *OTHER_LOADERS) for ex in load(folder)]
    if handwritten is not None:
        examples.extend(load_handwritten(handwritten))
    if not examples:
        raise ListenerError(f"no labelled data found in {folder}", hint="see shared/data/README.md")
    if split == "all":
        return examples
    return [ex for ex in examples if ex.split == split]
