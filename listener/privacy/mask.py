"""The one definition of what personal details in customer text look like, and their markers.

Used before anything from a source is stored (``listener.privacy.scrub``) and again on quotes
shown to people (``listener.alerts.quotes``), which may come from rows stored before masking.
Masking is idempotent: the markers match none of the patterns.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(
    # 7 to 15 digits with spaces, dots, dashes or brackets between them, as people write phone
    # numbers; an ISO date (2026-11-23, 8 digits) is not one.
    r"(?<![\w+(])(?!\d{4}-\d\d-\d\d(?!\d))(?:\+|\(\+?)?\d(?:[\s().-]*\d){6,14}(?!\w)"
)
HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,30}\b")
_DIGIT = re.compile(r"\d")
"""A phone number has digits, an e-mail address and a handle an "@": a text with neither (most
answers) is returned after two quick scans instead of three pattern searches (ingest masks
every text and every segment value)."""

EMAIL_MARK, PHONE_MARK, HANDLE_MARK = "[e-mail]", "[phone]", "@[user]"


def mask(text: str) -> str:
    """E-mail addresses, phone numbers and @handles replaced by a marker of what was there."""
    if "@" in text:
        text = EMAIL.sub(EMAIL_MARK, text)
    if _DIGIT.search(text):
        text = PHONE.sub(PHONE_MARK, text)
    return HANDLE.sub(HANDLE_MARK, text) if "@" in text else text


def mask_emails(text: str) -> str:
    """Only e-mail addresses: for links, whose digits are ids (a phone pattern would break them)."""
    return EMAIL.sub(EMAIL_MARK, text)


def has_personal(text: str) -> bool:
    """Whether ``mask`` would change ``text``."""
    return bool(EMAIL.search(text) or PHONE.search(text) or HANDLE.search(text))


def mask_data(value: Any) -> Any:
    """``mask`` applied to every string in a JSON-like value (keys included)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask_data(k): mask_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value
