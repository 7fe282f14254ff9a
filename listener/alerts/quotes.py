"""Verbatim quotes for alerts and the digest: deduplicated, dated, linked, and masked.

Customer text can carry e-mail addresses, phone numbers and @handles; quotes are shown to people
who should see what was said, not who said it. A survey quote names its survey, question and
response instead of a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from listener.privacy.mask import mask
from listener.store.series import QuoteRow

MAX_QUOTE_CHARS = 400


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def pick(
    rows: Iterable[QuoteRow], limit: int, weeks: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Up to ``limit`` quotes: one per item, no two alike, those of ``weeks`` first."""
    wanted = set(weeks) if weeks is not None else None
    ordered = sorted(rows, key=lambda r: (0 if wanted is None or r.week in wanted else 1, -r.score))
    out: list[dict[str, Any]] = []
    seen_items: set[int] = set()
    seen_texts: set[str] = set()
    for row in ordered:
        key = _normalised(row.text)
        if row.item_id in seen_items or key in seen_texts or not key:
            continue
        seen_items.add(row.item_id)
        seen_texts.add(key)
        out.append(as_dict(row))
        if len(out) == limit:
            break
    return out


def quote_text(text: str) -> str:
    """A statement's text as quoted: one line, masked, at most ``MAX_QUOTE_CHARS``."""
    text = mask(" ".join(text.split()))
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def as_dict(row: QuoteRow) -> dict[str, Any]:
    text = quote_text(row.text)
    survey = row.survey or {}
    return {
        "text": text,
        "date": row.created_at.date().isoformat() if row.created_at else None,
        "source": row.source,
        "url": row.url,
        "survey": survey.get("survey"),
        "question": survey.get("question"),
        "response_id": survey.get("response_id"),
    }
