"""Counters kept in the database, read for /metrics: runs per source and deliveries.

Read at scrape time rather than counted in memory, so they survive restarts and agree across
instances sharing one database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listener.store.db import Store, current_revision, head_revision
from listener.store.models import DeliveryRow, SourceRow, SourceWeekRow


@dataclass(frozen=True)
class SourceRuns:
    attempts: int
    successes: int
    failures: int
    skipped: int


def source_runs(session: Session) -> dict[str, SourceRuns]:
    """Source name → its runs since it was first seen (the per-week health history, summed)."""
    query = (
        select(
            SourceRow.name,
            func.sum(SourceWeekRow.attempts),
            func.sum(SourceWeekRow.successes),
            func.sum(SourceWeekRow.failures),
            func.sum(SourceWeekRow.skipped),
        )
        .join(SourceWeekRow, SourceWeekRow.source_id == SourceRow.id)
        .group_by(SourceRow.name)
    )
    return {
        name: SourceRuns(int(a or 0), int(s or 0), int(f or 0), int(k or 0))
        for name, a, s, f, k in session.execute(query)
    }


@dataclass(frozen=True)
class DeliveryCount:
    channel: str
    status: str
    deliveries: int
    attempts: int


def delivery_counts(session: Session) -> list[DeliveryCount]:
    """Deliveries (digest, alert) by channel and status, with the attempts they took."""
    query = select(
        DeliveryRow.channel,
        DeliveryRow.status,
        func.count(),
        func.sum(DeliveryRow.attempts),
    ).group_by(DeliveryRow.channel, DeliveryRow.status)
    return [
        DeliveryCount(channel, status, int(n), int(attempts or 0))
        for channel, status, n, attempts in session.execute(query)
    ]


@dataclass(frozen=True)
class LeaseHolder:
    lease: str
    """What is held: ``source:<name>``, ``digest``, ``alerts``."""
    holder: str
    """The instance holding it."""


def lease_holders(session: Session, now: datetime | None = None) -> list[LeaseHolder]:
    """Unexpired leases and their holders, for the ``listener_lease_holder`` gauge: source runs
    (``source:<name>``) and the sends being made (``<channel>:<subject>``, a digest or alert)."""
    now = now or datetime.now(UTC)
    sources = session.execute(
        select(SourceRow.name, SourceRow.acquired_by).where(
            SourceRow.acquired_by.is_not(None), SourceRow.acquired_until > now
        )
    )
    sends = session.execute(
        select(DeliveryRow.channel, DeliveryRow.subject, DeliveryRow.lease_owner).where(
            DeliveryRow.lease_owner.is_not(None), DeliveryRow.lease_until > now
        )
    )
    held = [(f"source:{name}", holder) for name, holder in sources]
    held += [(f"{channel}:{subject}", holder) for channel, subject, holder in sends]
    return [LeaseHolder(lease, holder) for lease, holder in held if holder is not None]


@dataclass(frozen=True)
class Activity:
    runs: dict[str, SourceRuns]
    deliveries: list[DeliveryCount]
    leases: list[LeaseHolder]


def read_activity(store: Store) -> Activity:
    """All of the above in one transaction; empty while the schema is not at head."""
    if current_revision(store.engine) != head_revision():
        return Activity({}, [], [])
    with store.session() as session:
        return Activity(source_runs(session), delivery_counts(session), lease_holders(session))
