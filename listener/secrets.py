"""Secrets: every value the config took from the environment, masked in every output.

One rule, applied to log lines, command output, error messages and errors before they are
stored: a registered value is replaced by ``***`` wherever it appears, in the forms it travels in
too: upper- and lower-cased, URL-encoded, base64 (standard and URL-safe, with and without
padding), and HTTP Basic credentials (``base64(user:secret)``) for each pair of values from one
config block (a Reddit client id and secret echoed in a token endpoint's error, for instance).
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_LENGTH = 4
"""Shorter values are not masked: they would blank out ordinary words and digits."""
SECRET_NAME = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|cookie)", re.I)

_lock = threading.Lock()
_forms: set[str] = set()
_pattern: re.Pattern[str] | None = None


def is_secret_name(name: str) -> bool:
    """Whether a key's name says its value is a credential (password, api_key, token...)."""
    return bool(SECRET_NAME.search(name))


def _encodings(value: str) -> set[str]:
    raw = value.encode("utf-8", "surrogatepass")
    standard = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    return {standard, standard.rstrip("="), urlsafe, urlsafe.rstrip("=")}


def register(value: str | None) -> None:
    """Mask ``value`` (and its encoded forms) in everything shown or stored from now on."""
    if not value or len(value) < MIN_LENGTH:
        return
    forms = {value, value.upper(), value.lower(), quote(value, safe=""), quote_plus(value)}
    forms |= _encodings(value)
    _add(forms)


def register_pair(user: str | None, secret: str | None) -> None:
    """Mask the HTTP Basic form of ``user:secret`` (both came from the environment)."""
    if user and secret:
        _add(_encodings(f"{user}:{secret}"))


def register_block(values: Iterable[str | None]) -> None:
    """Register the values of one config block, and the Basic form of every pair of them."""
    present = [v for v in values if v]
    for value in present:
        register(value)
    for user in present:
        for secret in present:
            if user is not secret:
                register_pair(user, secret)


def _add(forms: set[str]) -> None:
    global _pattern
    forms = {f for f in forms if len(f) >= MIN_LENGTH}
    with _lock:
        if forms <= _forms:
            return
        _forms.update(forms)
        ordered = sorted(_forms, key=len, reverse=True)  # the longest form wins an overlap
        _pattern = re.compile("|".join(re.escape(f) for f in ordered))


def mask(text: str) -> str:
    """``text`` with every registered value replaced by ``***``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask_data(value: Any) -> Any:
    """``mask`` applied to every string inside dicts, lists and tuples (keys included)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask_data(k): mask_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_data(v) for v in value)
    return value


def forget_all() -> None:
    """For tests: start from no registered values."""
    global _pattern
    with _lock:
        _forms.clear()
        _pattern = None
