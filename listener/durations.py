"""Durations ("30m") and weekly moments ("mon 08:00") as the config writes them, with errors
that show the accepted form."""

from __future__ import annotations

import re
from datetime import time

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVAL_SECONDS = 366 * 86400
"""Longer intervals are a typo (1000000000d overflowed the scheduler); use cron for rare runs."""


def parse_duration(value: str) -> float:
    """ "30m" → 1800.0 seconds, between 1 s and 366 days. Raises ValueError with the fix."""
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(
            f"{value!r} is not a duration; use a number and a unit, e.g. 90s, 30m, 6h, 1d"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"{value!r}: the interval must be positive, e.g. 30m")
    if seconds < 1:
        raise ValueError(f"{value!r}: the shortest interval is 1s")
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"{value!r}: the longest interval is 366d; for rarer runs use cron")
    return seconds


def parse_weekly_schedule(value: str) -> tuple[int, time]:
    """ "mon 08:00" → (0, 08:00). Raises ValueError that shows the accepted form."""
    parts = value.lower().split()
    if len(parts) != 2 or parts[0][:3] not in _WEEKDAYS:
        raise ValueError(f"{value!r}: use a weekday and a time, e.g. 'mon 08:00'")
    try:
        hours, minutes = (int(p) for p in parts[1].split(":"))
        at = time(hours, minutes)
    except ValueError as exc:
        raise ValueError(f"{value!r}: the time must be HH:MM, e.g. 'mon 08:00'") from exc
    return _WEEKDAYS.index(parts[0][:3]), at
