"""Per-route webhook counters: last delivery, what was stored, rejections (for `listener status`).

Counters are bumped with ``UPDATE ... SET n = n + 1`` so concurrent deliveries never lose a count;
a delivery's counter moves in the same transaction as its items.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from listener.store.models import WebhookRouteRow


def ensure_route(session: Session, name: str, type_: str) -> None:
    """Create the route's counter row if it is new (at start, before deliveries arrive)."""
    row = session.scalars(select(WebhookRouteRow).where(WebhookRouteRow.name == name)).first()
    if row is None:
        session.add(
            WebhookRouteRow(
                name=name, type=type_, deliveries=0, stored=0, duplicates=0, rejections=0
            )
        )
    elif row.type != type_:
        row.type = type_


def record_delivery(
    session: Session, name: str, stored: int, duplicate: bool, now: datetime | None = None
) -> None:
    session.execute(
        update(WebhookRouteRow)
        .where(WebhookRouteRow.name == name)
        .values(
            deliveries=WebhookRouteRow.deliveries + 1,
            stored=WebhookRouteRow.stored + stored,
            duplicates=WebhookRouteRow.duplicates + (1 if duplicate else 0),
            last_delivery_at=now or datetime.now(UTC),
        )
    )


def record_rejection(
    session: Session, name: str, status: int, reason: str, now: datetime | None = None
) -> None:
    session.execute(
        update(WebhookRouteRow)
        .where(WebhookRouteRow.name == name)
        .values(
            rejections=WebhookRouteRow.rejections + 1,
            last_rejection_at=now or datetime.now(UTC),
            last_rejection=f"{status} {reason}"[:500],
        )
    )


def route_status(session: Session) -> list[dict[str, Any]]:
    """Every route's counters as plain dicts, by name."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return [
        {
            "name": row.name,
            "type": row.type,
            "deliveries": row.deliveries,
            "stored": row.stored,
            "duplicates": row.duplicates,
            "rejections": row.rejections,
            "last_delivery_at": iso(row.last_delivery_at),
            "last_rejection_at": iso(row.last_rejection_at),
            "last_rejection": row.last_rejection,
        }
        for row in session.scalars(select(WebhookRouteRow).order_by(WebhookRouteRow.name))
    ]
