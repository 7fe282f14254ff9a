"""When a source runs next: the one rule, stored on the source as ``next_run_at``.

Every instance reads that stored time to decide whether a source is due (listener.store.leases),
so the schedule `listener status` shows is the one that runs, on one instance or several; a
backoff after failures (the circuit breaker) only ever moves the next run later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from apscheduler.triggers.cron import CronTrigger

from listener.source_config import SourceSpec


def next_run(
    spec: SourceSpec,
    now: datetime,
    tz: tzinfo = UTC,
    not_before: datetime | None = None,
    due: datetime | None = None,
) -> datetime | None:
    """The next scheduled run after ``now``, or ``not_before`` if that is later.

    An interval counts from ``due`` (when this run was scheduled) if that lies within the last
    interval: an instance that looks for due work every few seconds then keeps the cadence
    instead of adding its polling delay to every interval; runs are never closer than half an
    interval (a run picked up late is not followed at once). A source with neither ``every`` nor
    ``cron`` runs hourly (as it always did)."""
    scheduled: datetime | None
    if spec.cron:
        scheduled = CronTrigger.from_crontab(spec.cron, timezone=tz).get_next_fire_time(None, now)
    else:
        interval = timedelta(seconds=spec.interval_seconds or DEFAULT_INTERVAL_SECONDS)
        start = due if due is not None and now - interval < due <= now else now
        scheduled = max(start + interval, now + interval / 2)  # a late run is not followed at once
    if not_before is not None and (scheduled is None or not_before > scheduled):
        return not_before
    return scheduled


DEFAULT_INTERVAL_SECONDS = 3600.0
"""A source without ``every`` or ``cron``."""
