"""The example type and the fixed hash split shared by every loader."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Split = Literal["tune", "heldout", "all"]
HELDOUT_PERCENT = 25
SPLIT_SEED = "listener-nlp-2026"


@dataclass(frozen=True, slots=True)
class Example:
    dataset: str
    id: str
    text: str
    pain: bool | None
    aspiration: bool | None
    label: str
    """The original label, for confusion tables and for reading misses."""
    split: Literal["tune", "heldout"] = "tune"
    topics: frozenset[str] = frozenset()
    """Topic labels where the set has them (URR's IS_* columns), for the linking evaluation."""


def default_feedback_dir() -> Path:
    """``$LISTENER_SHARED_DATA/feedback`` or ``../shared/data/feedback`` beside the repository."""
    env = os.environ.get("LISTENER_SHARED_DATA")
    base = Path(env) if env else Path(__file__).resolve().parents[4] / "shared" / "data"
    return base / "feedback"


def handwritten_dir() -> Path:
    """The repository's own hand-written dev sets (``bench/data``)."""
    return Path(__file__).resolve().parents[3] / "bench" / "data"


def split_of(group: str, key: str) -> Literal["tune", "heldout"]:
    """Fixed by hash. ``group`` is the data set, or a name shared by sets that hold the same
    sentences (so a sentence is held out in all of them or in none)."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{group}:{key}".encode()).digest()
    return "heldout" if int.from_bytes(digest[:4], "big") % 100 < HELDOUT_PERCENT else "tune"


_SPACES = re.compile(r"\s+")


def text_key(text: str) -> str:
    """Duplicates (retweets, copies, the same sentence in two sets) get the same key."""
    return _SPACES.sub(" ", text.lower()).strip()


def example(
    dataset: str,
    key: str,
    text: str,
    pain: bool | None,
    aspiration: bool | None,
    label: str,
    group: str | None = None,
    topics: frozenset[str] = frozenset(),
) -> Example:
    return Example(
        dataset, key, text, pain, aspiration, label, split_of(group or dataset, key), topics
    )
