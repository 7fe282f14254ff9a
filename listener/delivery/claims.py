"""The claims table: who sends which message to which sink, and what became of it.

A row per (channel, subject, sink). Claims are taken with one conditional UPDATE, so two
processes (or a restart racing a crashed run) can never both hold one: the pattern of
APScheduler 4's SQLAlchemy data store (an owner and a lease time). States:

    pending ──claim──► sending ──hand-over──► handing-over ──► sent
       ▲                  │                         │
       └── failed before ─┘                         └── broke or crashed ──► uncertain
           hand-over (retry later)

A ``sending`` claim whose lease ran out was abandoned before hand-over and is claimed again; a
``handing-over`` one may have arrived and becomes ``uncertain``, which only a person resends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.instance import INSTANCE_ID
from listener.secrets import mask
from listener.store.db import Store
from listener.store.models import DeliveryRow

OWNER = INSTANCE_ID
"""This process, as a lease owner (the same id holds its source leases)."""
DONE = ("sent", "uncertain", "failed")


@dataclass(frozen=True)
class Claim:
    id: int
    channel: str
    subject: str
    sink: str
    attempts: int
    message_id: str | None
    owner: str


class LostClaim(Exception):
    """Another process took the claim over (our lease ran out): stop without sending."""


def _key(channel: str, subject: str, sink: str) -> Any:
    return and_(
        DeliveryRow.channel == channel, DeliveryRow.subject == subject, DeliveryRow.sink == sink
    )


def ensure(
    store: Store, channel: str, subject: str, sink: str, now: datetime, message_id: str | None
) -> None:
    """Create the pending row once; the first process to do so fixes the Message-ID."""
    try:
        with store.session() as session:
            session.add(
                DeliveryRow(
                    channel=channel,
                    subject=subject,
                    sink=sink,
                    status="pending",
                    attempts=0,
                    message_id=message_id,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass


def expire(store: Store, now: datetime) -> int:
    """Hand-overs whose process vanished (lease over) may have arrived: mark them uncertain."""
    with store.session() as session:
        result = session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.status == "handing-over", DeliveryRow.lease_until < now)
            .values(
                status="uncertain",
                error="interrupted while handing the message over; it may have arrived",
                lease_owner=None,
                finished_at=now,
            )
        )
        return cast("CursorResult[Any]", result).rowcount


def claim(
    store: Store,
    channel: str,
    subject: str,
    sink: str,
    now: datetime,
    lease: timedelta,
    owner: str = OWNER,
    force: bool = False,
    new_message_id: str | None = None,
) -> Claim | None:
    """Take the row if it is due (or abandoned before hand-over); ``force`` also takes a done one
    (a person asked for a resend: a sent message then gets ``new_message_id``)."""
    due = or_(
        and_(
            DeliveryRow.status == "pending",
            or_(DeliveryRow.next_attempt_at.is_(None), DeliveryRow.next_attempt_at <= now),
        ),
        and_(DeliveryRow.status == "sending", DeliveryRow.lease_until < now),
    )
    if force:
        due = or_(due, DeliveryRow.status.in_(DONE), DeliveryRow.status == "pending")
    values: dict[str, Any] = {
        "status": "sending",
        "lease_owner": owner,
        "lease_until": now + lease,
        "attempts": DeliveryRow.attempts + 1,
        "error": None,
    }
    with store.session() as session:
        if force and new_message_id is not None:
            session.execute(
                update(DeliveryRow)
                .where(_key(channel, subject, sink), DeliveryRow.status == "sent")
                .values(message_id=new_message_id)
            )
        taken = session.execute(
            update(DeliveryRow).where(_key(channel, subject, sink), due).values(values)
        )
        if not cast("CursorResult[Any]", taken).rowcount:
            return None
        row = session.scalars(select(DeliveryRow).where(_key(channel, subject, sink))).one()
        return Claim(row.id, channel, subject, sink, row.attempts, row.message_id, owner)


def handing_over(store: Store, held: Claim, now: datetime, lease: timedelta) -> None:
    """Record that the message is about to leave; raises LostClaim if the lease was lost."""
    with store.session() as session:
        result = session.execute(
            update(DeliveryRow)
            .where(
                DeliveryRow.id == held.id,
                DeliveryRow.lease_owner == held.owner,
                DeliveryRow.status.in_(("sending", "handing-over")),  # again, after a refusal
            )
            .values(status="handing-over", lease_until=now + lease)
        )
        if not cast("CursorResult[Any]", result).rowcount:
            raise LostClaim(f"{held.channel} {held.subject} → {held.sink}: claim taken over")


def finish(
    store: Store,
    held: Claim,
    status: str,
    now: datetime,
    *,
    location: str | None = None,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    with store.session() as session:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id == held.id, DeliveryRow.lease_owner == held.owner)
            .values(
                status=status,
                location=location,
                error=mask(error)[:2000] if error else None,  # stored: no secret in it
                next_attempt_at=next_attempt_at,
                lease_owner=None,
                lease_until=None,
                finished_at=now if status in DONE else None,
            )
        )


def unsettled(session: Session) -> list[dict[str, Any]]:
    """Deliveries that are not (yet) sent: retrying, failed, or uncertain and waiting for a
    person's decision. What `listener status` lists under deliveries."""
    query = select(DeliveryRow).where(DeliveryRow.status != "sent").order_by(DeliveryRow.id)
    return [
        {
            "channel": row.channel,
            "subject": row.subject,
            "sink": row.sink,
            "status": row.status,
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
            "error": row.error,
        }
        for row in session.scalars(query)
    ]


def rows(store: Store, channel: str, subjects: list[str] | None = None) -> list[DeliveryRow]:
    with store.session() as session:
        query = select(DeliveryRow).where(DeliveryRow.channel == channel)
        if subjects is not None:
            query = query.where(DeliveryRow.subject.in_(subjects))
        return list(session.scalars(query.order_by(DeliveryRow.id)))
