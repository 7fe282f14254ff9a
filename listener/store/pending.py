"""Finding the next chunk of pending items by index, at any number of items stored.

Pending means processed_key is NULL (new or edited) or another key than the current one
(scored by older NLP or personas). ``processed_key != :key`` can use no index: the chunk query
walked the primary key and filtered, so with millions of items processed and a few new ones
every call read the whole table. Instead each kind of pending item is walked in id order on an
index that holds only it: the new and edited ones in the partial index ``ix_items_pending``,
each older key's items in ``(processed_key, id)``; the older keys themselves (one per version
change, a handful) are found by jumping along that index, one probe per key.

On PostgreSQL without table statistics (a fresh database) the planner guesses that five rows
are NULL-keyed and prefers a bitmap scan of all pending items followed by a sort, for every
chunk: quadratic in a first run of 100 k items (each chunk read all the rest). Bitmap scans are
switched off for the chunk query's transaction (``SET LOCAL``), which leaves the index scan in
id order that stops after one chunk, whatever the statistics say.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from listener.store.models import ItemRow


def stale_keys(session: Session, key: str) -> list[str]:
    """The processed keys other than ``key`` that items still carry (a loose index scan)."""
    found: list[str] = []
    previous: str | None = None
    while True:
        column = ItemRow.processed_key
        query = select(func.min(column)).where(
            column.is_not(None) if previous is None else column > previous
        )
        previous = session.scalar(query)
        if previous is None:
            return found
        if previous != key:
            found.append(previous)


def next_pending(
    session: Session,
    key: str,
    after: dict[str | None, int],
    limit: int,
    columns: tuple[InstrumentedAttribute[Any], ...],
) -> tuple[str | None, list[Row[Any]]]:
    """Up to ``limit`` pending items as ``columns`` (the first is ``ItemRow.id``), of one kind:
    ``(None, rows)`` for new and edited items, ``(older key, rows)`` for items scored under it.
    ``after`` holds, per kind, the last id already handed out; new and edited items come first.
    """
    plan_for_chunks(session)
    for kind in (None, *stale_keys(session, key)):
        rows = list(session.execute(chunk_query(kind, after.get(kind, 0), limit, columns)))
        if rows:
            return kind, rows
    return None, []


def plan_for_chunks(session: Session) -> None:
    """No bitmap scans in this transaction on PostgreSQL (see the module's docstring)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL enable_bitmapscan = off"))


def chunk_query(
    kind: str | None, after: int, limit: int, columns: tuple[InstrumentedAttribute[Any], ...]
) -> Select[Any]:
    """Up to ``limit`` items of one kind of pending (None: new or edited) after id ``after``."""
    same = ItemRow.processed_key.is_(None) if kind is None else ItemRow.processed_key == kind
    kept = ItemRow.redacted_at.is_(None)  # text blanked by retention: its statements stay
    query = select(*columns).where(same, kept, ItemRow.id > after)
    return query.order_by(ItemRow.id).limit(limit)
