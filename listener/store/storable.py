"""Text that both databases store alike.

PostgreSQL refuses a NUL character in text and JSON (``DataError``, the whole batch rolled back,
every run again), and neither backend can encode a lone surrogate as UTF-8; SQLite would store
the NUL. Everything that reaches the store is cleaned the same way first: NUL removed, a lone
surrogate replaced with U+FFFD, so both backends hold the same thing and a hostile row cannot
block a source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def all_storable(texts: Iterable[str | None]) -> bool:
    """Whether every one of ``texts`` is stored as it is (one scan of them all)."""
    return not _UNSTORABLE.search("".join(t for t in texts if t is not None))


def storable_or_none(text: str | None) -> str | None:
    return None if text is None else storable(text)


def storable_data(value: Any) -> Any:
    """``storable`` applied to every string in a JSON-like value (keys included)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_data(k): storable_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_data(v) for v in value]
    return value
