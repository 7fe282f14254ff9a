"""One message to one sink, exactly once as far as it lies with us: claim, send, record.

The send function gets the claim and a ``handing_over`` callback to call right before the
message leaves (the SMTP DATA command, the webhook request). A failure before that point is
retried: a few times in this run with short waits, later with exponential backoff; a failure
after it is recorded as uncertain and never resent on its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from listener.delivery import claims
from listener.delivery.claims import Claim, LostClaim
from listener.delivery.errors import MaybeSent, NotSent
from listener.logging import get_logger
from listener.store.db import Store

log = get_logger("listener.delivery")
LEASE = timedelta(minutes=5)
"""Longer than any one send can take (SMTP and webhook timeouts are 30 s or less)."""
TRIES_PER_RUN = 3
QUICK_RETRY_SECONDS = (2.0, 6.0)
MAX_QUICK_WAIT = 30.0
"""A Retry-After longer than this is waited out between runs, not inside one."""
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_MAX = timedelta(hours=6)
MAX_ATTEMPTS = 10
"""After this many failed attempts the delivery is given up (status failed, shown in status)."""

SendFunction = Callable[[Claim, Callable[[], None]], str]


@dataclass(frozen=True)
class Outcome:
    sink: str
    status: str
    """sent | already-sent | busy | pending | failed | uncertain"""
    location: str | None = None
    error: str | None = None


def deliver(
    store: Store,
    channel: str,
    subject: str,
    sink: str,
    send: SendFunction,
    *,
    message_id: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    lease: timedelta = LEASE,
    force: bool = False,
    tries: int = TRIES_PER_RUN,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    claims.ensure(store, channel, subject, sink, now(), message_id)
    claims.expire(store, now())
    held = claims.claim(
        store, channel, subject, sink, now(), lease, force=force, new_message_id=message_id
    )
    if held is None:
        return _not_claimed(store, channel, subject, sink)
    for attempt in range(max(1, tries)):
        handed_over = False

        def handing_over() -> None:
            nonlocal handed_over
            claims.handing_over(store, held, now(), lease)
            handed_over = True

        try:
            location = send(held, handing_over)
        except LostClaim as exc:
            log.warning("delivery claim lost", sink=sink, subject=subject, error=str(exc))
            return Outcome(sink, "busy", error=str(exc))
        except MaybeSent as exc:
            claims.finish(store, held, "uncertain", now(), error=str(exc))
            log.error(
                "delivery uncertain", channel=channel, subject=subject, sink=sink, error=str(exc)
            )
            return Outcome(sink, "uncertain", error=str(exc))
        except NotSent as exc:
            retry = not exc.permanent and held.attempts + attempt < MAX_ATTEMPTS
            asked = exc.retry_after or 0.0
            if retry and attempt + 1 < tries and asked <= MAX_QUICK_WAIT:  # provably not sent
                sleep(max(QUICK_RETRY_SECONDS[min(attempt, len(QUICK_RETRY_SECONDS) - 1)], asked))
                continue
            return _failed(store, held, exc, retry, now(), attempt)
        except Exception as exc:  # a bug must not leave the claim hanging, nor send twice
            status = "uncertain" if handed_over else "pending"
            claims.finish(store, held, status, now(), error=f"{type(exc).__name__}: {exc}")
            log.exception("delivery crashed", channel=channel, subject=subject, sink=sink)
            return Outcome(sink, status, error=str(exc))
        claims.finish(store, held, "sent", now(), location=location)
        log.info("delivered", channel=channel, subject=subject, sink=sink, location=location)
        return Outcome(sink, "sent", location=location)
    raise AssertionError("unreachable")  # pragma: no cover


def _failed(
    store: Store, held: Claim, exc: NotSent, retry: bool, moment: datetime, attempt: int
) -> Outcome:
    if not retry:
        claims.finish(store, held, "failed", moment, error=str(exc))
        log.error("delivery failed", subject=held.subject, sink=held.sink, error=str(exc))
        return Outcome(held.sink, "failed", error=str(exc))
    steps = held.attempts + attempt - 1
    delay = min(BACKOFF_MAX, BACKOFF_BASE * (2**steps)) * (0.5 + 0.5 * random.random())
    if exc.retry_after:
        delay = max(delay, min(BACKOFF_MAX, timedelta(seconds=exc.retry_after)))
    claims.finish(store, held, "pending", moment, error=str(exc), next_attempt_at=moment + delay)
    log.warning("delivery will be retried", subject=held.subject, sink=held.sink, error=str(exc))
    return Outcome(held.sink, "pending", error=str(exc))


def _not_claimed(store: Store, channel: str, subject: str, sink: str) -> Outcome:
    for row in claims.rows(store, channel, [subject]):
        if row.sink != sink:
            continue
        if row.status == "sent":
            return Outcome(sink, "already-sent", location=row.location)
        if row.status in ("sending", "handing-over"):
            return Outcome(sink, "busy", error="another run is sending it")
        return Outcome(sink, row.status, location=row.location, error=row.error)
    return Outcome(sink, "busy")
