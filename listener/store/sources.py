"""Per-source state: the cursor and the health record that drives backoff and `listener status`."""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.secrets import mask
from listener.store.models import SourceRow, SourceWeekRow

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)
DISABLED_RETRY = timedelta(hours=24)
"""A permanently failing source is still tried once a day, in case the far side was fixed."""
CIRCUIT_THRESHOLD = 3
"""Failures in a row before the source is skipped until its backoff time (the circuit opens)."""


def config_hash(config: Any) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def get_or_create(session: Session, name: str, type_: str, hash_: str | None = None) -> SourceRow:
    """The source's row. A changed config clears a permanent disable (the operator fixed it)
    and the cursor (so the new settings apply to everything the source holds)."""
    row = session.scalars(select(SourceRow).where(SourceRow.name == name)).one_or_none()
    if row is None:
        row = SourceRow(name=name, type=type_, config_hash=hash_, consecutive_failures=0)
        session.add(row)
        session.flush()
    elif hash_ is not None and row.config_hash != hash_:
        row.config_hash = hash_
        row.type = type_
        row.disabled_reason = None
        row.next_attempt_at = None
        row.consecutive_failures = 0
        # Read it again from the start: new columns, prompts, segment tags or subreddits apply
        # to what is already stored too (the store does not duplicate what it has).
        row.cursor = None
    return row


@dataclass(frozen=True)
class Gate:
    """Whether a source may run now, and why not."""

    open: bool
    reason: str | None = None


def may_run(row: SourceRow, now: datetime) -> Gate:
    if row.disabled_reason:
        last = row.last_attempt_at
        if last is None or now - last < DISABLED_RETRY:
            return Gate(False, f"disabled: {row.disabled_reason}")
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return Gate(False, f"backing off until {row.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC")
    return Gate(True)


def record_attempt(row: SourceRow, now: datetime) -> None:
    row.last_attempt_at = now


def record_success(row: SourceRow, now: datetime) -> None:
    row.last_success_at = now
    row.consecutive_failures = 0
    row.last_error = None
    row.next_attempt_at = None
    row.disabled_reason = None


def record_partial(row: SourceRow, now: datetime, error: str) -> None:
    """The source was read but some of its parts failed: degraded, not backed off."""
    record_success(row, now)
    row.last_error = mask(error)[:2000]


def record_failure(
    row: SourceRow,
    now: datetime,
    error: str,
    *,
    permanent: bool = False,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> None:
    """Count the failure; after a streak, open the circuit with exponential backoff and jitter.

    A source's own wish to wait (Retry-After) is honoured up to BACKOFF_MAX, like failures: one
    answer of ``Retry-After: 999999`` must not silence a source for 11 days. The stored error
    says when it was capped. Errors are masked before they are stored.
    """
    error = mask(error)
    row.consecutive_failures = (row.consecutive_failures or 0) + 1
    if permanent:
        row.last_error = error[:2000]
        row.disabled_reason = error[:500]
        return
    delay = timedelta(0)
    if row.consecutive_failures >= CIRCUIT_THRESHOLD:
        steps = min(row.consecutive_failures - CIRCUIT_THRESHOLD, 30)
        ceiling = min(BACKOFF_MAX, BACKOFF_BASE * (2**steps))
        delay = ceiling * (0.5 + 0.5 * (rng or random).random())
    if retry_after is not None:
        cap = BACKOFF_MAX.total_seconds()
        if not math.isfinite(retry_after) or retry_after > cap:
            asked = _span(retry_after) if math.isfinite(retry_after) else "forever"
            error = f"{error[:1800]} [asked to wait {asked} (Retry-After); capped at 6 h]"
            retry_after = cap
        delay = max(delay, timedelta(seconds=max(0.0, retry_after)))
    row.last_error = error[:2000]
    row.next_attempt_at = now + delay if delay else None


def _span(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds < 48 * 3600 else f"{seconds / 86400:.1f} days"


def health(row: SourceRow, now: datetime | None = None) -> str:
    """One word for status: ok, degraded, never-run, failing, backing-off, disabled."""
    now = now or datetime.now(UTC)
    if row.disabled_reason:
        return "disabled"
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return "backing-off"
    if row.consecutive_failures:
        return "failing"
    if row.last_success_at is None:
        return "never-run"
    return "degraded" if row.last_error else "ok"


WEEK_OUTCOMES = ("successes", "failures", "skipped")


def record_week(session: Session, source_id: int, week: str, outcome: str) -> None:
    """Count one run in the source's health history for ``week``: drift detection reads it to
    tell weeks whose counts are complete from weeks the source was failing or paused."""
    if outcome not in WEEK_OUTCOMES:
        raise ValueError(f"outcome must be one of {WEEK_OUTCOMES}")
    query = select(SourceWeekRow).where(
        SourceWeekRow.source_id == source_id, SourceWeekRow.week == week
    )
    row = session.scalars(query).one_or_none()
    if row is None:
        try:
            with session.begin_nested():  # another process may add the same week at once
                row = SourceWeekRow(
                    source_id=source_id, week=week, attempts=0, successes=0, failures=0, skipped=0
                )
                session.add(row)
        except IntegrityError:
            row = session.scalars(query).one()
    row.attempts += 1
    setattr(row, outcome, getattr(row, outcome) + 1)
