"""Quarantine: records a connector could not read, kept with file, row and reason.

Rejects arrive in the batch whose cursor moves past them and are stored in the same transaction,
so a crash neither loses one nor reports it twice; reading the same file again finds them by
their dedupe key and only marks them seen again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import Rejected
from listener.store.models import QuarantineRow, SourceRow
from listener.store.storable import storable


def dedupe_key(reject: Rejected) -> str:
    parts = (reject.file, str(reject.row if reject.row is not None else ""), reject.reason)
    key = "\x00".join((*parts, reject.excerpt))
    return hashlib.sha256(key.encode()).hexdigest()


def store_rejects(
    session: Session,
    source: SourceRow,
    rejected: Sequence[Rejected],
    now: datetime | None = None,
) -> int:
    """Add the batch's rejects in the caller's transaction; returns how many were new."""
    if not rejected:
        return 0
    now = now or datetime.now(UTC)
    clean = [
        replace(r, file=storable(r.file), reason=storable(r.reason), excerpt=storable(r.excerpt))
        for r in rejected
    ]
    by_key = {dedupe_key(r): r for r in clean}
    keys = list(by_key)
    known: dict[str, QuarantineRow] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = session.scalars(
            select(QuarantineRow).where(
                QuarantineRow.source_id == source.id, QuarantineRow.dedupe_key.in_(chunk)
            )
        )
        known.update({row.dedupe_key: row for row in rows})
    added = 0
    for key, reject in by_key.items():
        row = known.get(key)
        if row is not None:
            row.last_seen_at = now
            continue
        session.add(
            QuarantineRow(
                source_id=source.id,
                file=reject.file,
                row=reject.row,
                reason=reject.reason,
                excerpt=reject.excerpt,
                dedupe_key=key,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        added += 1
    return added


def quarantined(
    session: Session, source: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Quarantined records, newest first, as plain dicts (for `listener quarantine --json`)."""
    query = (
        select(QuarantineRow, SourceRow.name)
        .join(SourceRow, SourceRow.id == QuarantineRow.source_id)
        .order_by(
            QuarantineRow.first_seen_at.desc(),
            SourceRow.name,
            QuarantineRow.file,
            QuarantineRow.row,
            QuarantineRow.id,
        )
    )
    if source is not None:
        query = query.where(SourceRow.name == source)
    if limit is not None:
        query = query.limit(limit)
    return [
        {
            "source": name,
            "file": row.file,
            "row": row.row,
            "reason": row.reason,
            "excerpt": row.excerpt,
            "first_seen_at": row.first_seen_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
        }
        for row, name in session.execute(query)
    ]


def counts_per_source(session: Session) -> dict[str, int]:
    """Source name → quarantined records (for `listener status`)."""
    rows = session.execute(
        select(SourceRow.name, func.count(QuarantineRow.id))
        .join(QuarantineRow, QuarantineRow.source_id == SourceRow.id)
        .group_by(SourceRow.name)
    )
    return {name: count for name, count in rows}
