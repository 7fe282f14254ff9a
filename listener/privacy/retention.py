"""Retention: raw text older than ``retention.raw_text_days`` is blanked; what was learnt stays.

An item past the limit keeps its row (id, source, author hash, dates, segment, survey
reference, content hash and fingerprint, so a re-fetch is recognised and not stored again) and
loses its title and text; quarantined rows lose their excerpt. Statements (the quoted
sentences), evidence, weekly counts and distinct authors are kept, so drift, the digest and
alerts see the same history. Such an item is marked ``redacted_at`` and never processed again:
its statements stay as they were scored (a personas change re-scores newer items only).

Only processed items are blanked (an item fetched late, say a first run over an old survey
export, is read first). Running twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from listener.store.models import ItemRow, QuarantineRow


@dataclass(frozen=True)
class Blanked:
    cutoff: datetime
    items: int
    quarantine: int


def cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) - timedelta(days=days)


def _due_items(before: datetime) -> ColumnElement[bool]:
    return and_(
        func.coalesce(ItemRow.created_at, ItemRow.fetched_at) < before,
        ItemRow.processed_key.is_not(None),
        or_(ItemRow.redacted_at.is_(None), ItemRow.text != "", ItemRow.title.is_not(None)),
    )


def _due_quarantine(before: datetime) -> ColumnElement[bool]:
    return and_(QuarantineRow.last_seen_at < before, QuarantineRow.excerpt != "")


def apply(
    session: Session, days: int, now: datetime | None = None, dry_run: bool = False
) -> Blanked:
    """Blank what is older than ``days``, in the caller's transaction; returns what it blanked."""
    now = now or datetime.now(UTC)
    before = cutoff(days, now)
    items = int(session.scalar(select(func.count()).where(_due_items(before))) or 0)
    quarantine = int(session.scalar(select(func.count()).where(_due_quarantine(before))) or 0)
    if not dry_run:
        session.execute(
            update(ItemRow).where(_due_items(before)).values(title=None, text="", redacted_at=now)
        )
        session.execute(update(QuarantineRow).where(_due_quarantine(before)).values(excerpt=""))
    return Blanked(before, items, quarantine)
