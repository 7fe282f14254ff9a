"""Source leases and instance heartbeats: several daemons on one database, one run per source.

The pattern of APScheduler 4's SQLAlchemy data store: a due source is taken with one conditional
UPDATE that sets ``acquired_by`` / ``acquired_until``, so of two instances asking at once exactly
one gets it (the database serialises the UPDATE; the loser's WHERE no longer matches). The holder
renews its leases with every heartbeat and releases a source when its run ends; a dead holder
stops renewing, and after ``leases.duration`` any instance takes the source again. Whether a
source is due is the stored ``next_run_at`` (written by the runner from listener.schedule), so an
interval is fetched once in all, not once per instance.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from listener.instance import HOSTNAME, INSTANCE_ID
from listener.store.models import InstanceRow, SourceRow

STALE_INSTANCES = timedelta(days=1)
"""Instances silent for this long are dropped from the table (status stops listing them)."""


class LostLease(Exception):
    """Another instance took the source over (our lease ran out): stop before committing."""


@dataclass(frozen=True)
class Lease:
    """Who holds a source run, and for how long each renewal keeps it."""

    owner: str = INSTANCE_ID
    duration: timedelta = timedelta(seconds=30)


def _free(owner: str, now: datetime) -> Any:
    """Nobody holds it, its holder's lease ran out, or it is ours already."""
    return or_(
        SourceRow.acquired_by.is_(None),
        SourceRow.acquired_until.is_(None),
        SourceRow.acquired_until < now,
        SourceRow.acquired_by == owner,
    )


def _due(now: datetime) -> Any:
    return or_(SourceRow.next_run_at.is_(None), SourceRow.next_run_at <= now)


def claim_due(
    session: Session,
    names: Iterable[str],
    lease: Lease,
    now: datetime,
    limit: int,
) -> list[str]:
    """Take up to ``limit`` of the named sources that are due and free; returns those taken."""
    wanted = list(names)
    if not wanted or limit <= 0:
        return []
    candidates = session.scalars(
        select(SourceRow.name)
        .where(SourceRow.name.in_(wanted), _due(now), _free(lease.owner, now))
        .order_by(SourceRow.next_run_at.is_not(None), SourceRow.next_run_at, SourceRow.name)
        .limit(limit)
    ).all()
    taken = []
    for name in candidates:
        result = session.execute(
            update(SourceRow)
            .where(SourceRow.name == name, _due(now), _free(lease.owner, now))
            .values(acquired_by=lease.owner, acquired_until=now + lease.duration)
        )
        if cast("CursorResult[Any]", result).rowcount:
            taken.append(name)
    return taken


def hold(session: Session, source_id: int, lease: Lease, now: datetime) -> None:
    """Renew the lease inside a batch's transaction; raises LostLease if it is no longer ours,
    so the batch and its cursor are not committed by an instance that was taken over."""
    result = session.execute(
        update(SourceRow)
        .where(SourceRow.id == source_id, SourceRow.acquired_by == lease.owner)
        .values(acquired_until=now + lease.duration)
    )
    if not cast("CursorResult[Any]", result).rowcount:
        raise LostLease(f"source {source_id}: lease taken over by another instance")


def renew(session: Session, lease: Lease, now: datetime) -> int:
    """Extend every lease this instance holds (its runs in progress)."""
    result = session.execute(
        update(SourceRow)
        .where(SourceRow.acquired_by == lease.owner)
        .values(acquired_until=now + lease.duration)
    )
    return cast("CursorResult[Any]", result).rowcount


def release(session: Session, name: str, owner: str = INSTANCE_ID) -> None:
    session.execute(
        update(SourceRow)
        .where(SourceRow.name == name, SourceRow.acquired_by == owner)
        .values(acquired_by=None, acquired_until=None)
    )


def beat(session: Session, now: datetime, started_at: datetime, owner: str = INSTANCE_ID) -> None:
    """This instance's heartbeat (its row is made again if a peer pruned it as stale)."""
    row = session.get(InstanceRow, owner)
    if row is None:
        session.add(
            InstanceRow(
                id=owner,
                hostname=HOSTNAME,
                pid=os.getpid(),
                started_at=started_at,
                heartbeat_at=now,
            )
        )
    else:
        row.heartbeat_at = now
    session.execute(delete(InstanceRow).where(InstanceRow.heartbeat_at < now - STALE_INSTANCES))


def alive(session: Session, now: datetime, within: timedelta) -> list[InstanceRow]:
    """Instances whose last heartbeat is at most ``within`` old."""
    return list(
        session.scalars(
            select(InstanceRow)
            .where(InstanceRow.heartbeat_at >= now - within)
            .order_by(InstanceRow.started_at)
        )
    )


def leave(session: Session, owner: str = INSTANCE_ID) -> None:
    """A clean stop: give back every lease at once and leave the instances table."""
    session.execute(
        update(SourceRow)
        .where(SourceRow.acquired_by == owner)
        .values(acquired_by=None, acquired_until=None)
    )
    session.execute(delete(InstanceRow).where(InstanceRow.id == owner))


def make_due(session: Session, names: Sequence[str]) -> None:
    """Run these sources at once (the first instance to start fetches everything, as one
    daemon alone always did; a second instance joining does not make everyone fetch again)."""
    session.execute(
        update(SourceRow).where(SourceRow.name.in_(list(names))).values(next_run_at=None)
    )


def first_pass_done(session: Session, names: Sequence[str], since: datetime) -> bool:
    """Every named source ran (on any instance) since ``since``, or was not due by then: a
    digest built now reports fresh counts. (A run in progress does not hold it back once the
    source ran before: with many sources one is nearly always running.)"""
    due = session.scalars(select(SourceRow.next_run_at).where(SourceRow.name.in_(names))).all()
    if len(due) < len(set(names)):
        return False
    return all(when is not None and when > since for when in due)


def instances(session: Session) -> list[InstanceRow]:
    return list(session.scalars(select(InstanceRow).order_by(InstanceRow.started_at)))
