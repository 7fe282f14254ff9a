"""When a source runs: its trigger for the scheduler and the next-run time stored for `status`.

One rule in one place: the scheduler's trigger and the stored next run come from the same spec,
and a backoff after failures (the circuit breaker) only ever moves the next run later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from listener.config import SourceSpec

JITTER_SHARE = 0.1
"""Interval runs are spread by up to this share of the interval, so sources do not fire at once."""


def trigger(spec: SourceSpec, tz: tzinfo) -> IntervalTrigger | CronTrigger:
    if spec.cron:
        return CronTrigger.from_crontab(spec.cron, timezone=tz)
    seconds = int(spec.interval_seconds or 3600)
    return IntervalTrigger(
        seconds=seconds, jitter=max(1, int(seconds * JITTER_SHARE)), timezone=UTC
    )


def next_run(
    spec: SourceSpec, now: datetime, tz: tzinfo = UTC, not_before: datetime | None = None
) -> datetime | None:
    """The next scheduled run after ``now`` (before jitter), or ``not_before`` if that is later."""
    scheduled: datetime | None = None
    if spec.cron:
        scheduled = CronTrigger.from_crontab(spec.cron, timezone=tz).get_next_fire_time(None, now)
    elif spec.interval_seconds:
        scheduled = now + timedelta(seconds=spec.interval_seconds)
    if not_before is not None and (scheduled is None or not_before > scheduled):
        return not_before
    return scheduled
