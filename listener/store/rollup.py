"""Weekly counts kept for complete weeks: drift and reports read thousands of rows, not millions.

Correctness never depends on when the counts were built:

- Triggers (migration 0011) add a ``week_changes`` row for every week any insert, update or
  delete of evidence or statements touches, in the writer's own transaction.
- A week is *fresh* when it has been counted (``counted_weeks``) under today's definition of the
  grains (``grains.DEFINITION``) and no change row names it. Readers take fresh weeks from
  ``week_counts`` and count every other week live, with the same query (listener.store.grains),
  so both give the same answer. A reader decides once which weeks are fresh and reads each week
  from one place only: its statements may see different snapshots.
- :func:`rebuild` recounts changed complete weeks and deletes exactly the change rows it read
  before counting. A writer that commits after that read leaves its own row, so its week stays
  changed until the next rebuild: a rebuild can be late, never wrong. Two rebuilds of a week
  must never overlap: a lock shared by all instances makes the others skip, and each batch's
  transaction takes a lock of its own (see :func:`_rebuild_weeks`).

The current week is never rebuilt: it changes with every poll, and each rebuild would recount it.
"""

from __future__ import annotations

import threading
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from listener.store.grains import DEFINITION, GRAINS, Grain
from listener.store.models import CountedWeekRow, WeekChangeRow, WeekCountRow

if TYPE_CHECKING:
    from listener.store.db import Store

WEEKS_PER_TRANSACTION = {"postgresql": 8, "sqlite": 1}
"""A first rebuild of a long history commits every few weeks: short transactions, and progress
that survives an interruption. SQLite's one writer waits for each: a week at a time."""
_IDS_PER_DELETE = 1000
_BATCH_LOCK = zlib.crc32(b"listener:week-counts:batch")
_CURRENT = CountedWeekRow.definition == DEFINITION
"""A counted week built under today's definition of the grains (the other half of fresh)."""


@dataclass(frozen=True, slots=True)
class CountRow:
    key: tuple[Any, ...]
    source_id: int
    week: str
    authors: int
    mentions: int


def fresh_weeks(session: Session, weeks: Sequence[str]) -> set[str]:
    """The weeks among ``weeks`` whose kept counts are current."""
    if not weeks:
        return set()
    changed = exists().where(WeekChangeRow.week == CountedWeekRow.week)
    query = select(CountedWeekRow.week).where(CountedWeekRow.week.in_(weeks), _CURRENT, ~changed)
    return set(session.scalars(query))


def counts(session: Session, grain: Grain, weeks: Sequence[str]) -> list[CountRow]:
    """The grain's rows over ``weeks``: kept rows for fresh weeks, the live query for the rest."""
    fresh = fresh_weeks(session, weeks)
    out: list[CountRow] = []
    if fresh:
        c = WeekCountRow
        keys = [getattr(c, key) for key in grain.keys]
        query = select(*keys, c.source_id, c.week, c.authors, c.mentions).where(
            c.grain == grain.name, c.week.in_(sorted(fresh))
        )
        out += _rows(session, query, len(keys))
    live = [week for week in weeks if week not in fresh]
    if live:
        out += _rows(session, grain.query(live), len(grain.keys))
    return out


def per_source(session: Session, *counted: Grain) -> list[dict[int, int]]:
    """For each grain, the rows it counts (its ``mentions``) per source over every week stored:
    kept sums for counted weeks, a live count for the weeks changed when this began (one list
    of changed weeks for all grains, so each week is read from exactly one place)."""
    if not all(grain.by_source for grain in counted):
        raise ValueError("per_source needs grains counted per source")
    changed = sorted(_changed(session))
    c = WeekCountRow
    out: list[dict[int, int]] = []
    for grain in counted:
        totals: dict[int, int] = defaultdict(int)
        # Fresh: counted and not among the weeks read as not fresh above (outdated ones
        # included), not "no change row now": a later statement sees a later snapshot, and a
        # week changed or rebuilt in between would then be counted twice or not at all.
        fresh_rows = (
            select(c.source_id, func.sum(c.mentions))
            .join(CountedWeekRow, CountedWeekRow.week == c.week)
            .where(c.grain == grain.name, c.week.not_in(changed))
            .group_by(c.source_id)
        )
        for source_id, n in session.execute(fresh_rows):
            totals[source_id] += int(n)
        if changed:
            m = grain.model
            live = (
                select(m.source_id, func.count())
                .where(m.week.in_(changed), *grain.where)
                .group_by(m.source_id)
            )
            for source_id, n in session.execute(live):
                totals[source_id] += n
        out.append(dict(totals))
    return out


def _rows(session: Session, query: Any, width: int) -> list[CountRow]:
    return [
        CountRow(tuple(row[:width]), row[width], row[width + 1], row[width + 2], row[width + 3])
        for row in session.execute(query)
    ]


def _changed(session: Session, before: str | None = None) -> set[str]:
    """Weeks not fresh (before ``before``, if given): named by a change row, or counted under
    another definition of the grains."""
    marked = select(WeekChangeRow.week)
    outdated = select(CountedWeekRow.week).where(~_CURRENT)
    if before is not None:
        marked = marked.where(WeekChangeRow.week < before)
        outdated = outdated.where(CountedWeekRow.week < before)
    return set(session.scalars(marked.union(outdated)))


def changed_weeks(session: Session, before: str) -> list[str]:
    """Complete weeks (before ``before``) whose counts need rebuilding."""
    return sorted(_changed(session, before))


def rebuild(
    store: Store,
    before: str,
    now: datetime | None = None,
    stop: threading.Event | None = None,
) -> list[str]:
    """Recount the changed weeks before ``before`` (an ISO week: the current one). Returns the
    weeks rebuilt; none when another process holds the rebuild lock. ``stop`` ends it between
    transactions (what is left stays changed, and is read live until the next rebuild)."""
    with store.session() as session:
        if not changed_weeks(session, before):
            return []  # the usual case after a poll: no lock, one index probe
    done: list[str] = []
    with store.exclusive("week-counts", wait=False) as taken:
        if not taken:
            return []
        with store.session() as session:
            weeks = changed_weeks(session, before)
        size = WEEKS_PER_TRANSACTION.get(store.engine.dialect.name, 1)
        for start in range(0, len(weeks), size):
            if stop is not None and stop.is_set():
                break
            batch = weeks[start : start + size]
            with store.session() as session:
                _rebuild_weeks(session, batch, now or datetime.now(UTC))
            done += batch
    return done


def _rebuild_weeks(session: Session, weeks: list[str], now: datetime) -> None:
    """One transaction: read the change rows, recount, delete what was read.

    Counting and deleting in the same write transaction is what makes SQLite's triggers safe to
    skip a week already marked (migration 0011): no writer commits in between. On PostgreSQL the
    change rows must be read before counting, and two rebuilds of a week must never overlap (the
    second's delete would miss the first's rows): the session lock of :func:`rebuild` can lapse
    unnoticed (a terminated backend, a pooler), so each batch also takes a transaction lock on
    the connection that writes, which cannot outlive its writes.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_BATCH_LOCK)))
    seen = list(session.scalars(select(WeekChangeRow.id).where(WeekChangeRow.week.in_(weeks))))
    session.execute(
        delete(WeekCountRow).where(
            WeekCountRow.grain.in_([grain.name for grain in GRAINS]), WeekCountRow.week.in_(weeks)
        )
    )
    for grain in GRAINS:
        live = grain.query(weeks).subquery()
        columns = ["grain", *grain.keys, "source_id", "week", "authors", "mentions"]
        session.execute(
            insert(WeekCountRow).from_select(columns, select(literal(grain.name), *live.c))
        )
    for start in range(0, len(seen), _IDS_PER_DELETE):
        chunk = seen[start : start + _IDS_PER_DELETE]
        session.execute(delete(WeekChangeRow).where(WeekChangeRow.id.in_(chunk)))
    session.execute(delete(CountedWeekRow).where(CountedWeekRow.week.in_(weeks)))
    session.execute(
        insert(CountedWeekRow),
        [{"week": w, "counted_at": now, "definition": DEFINITION} for w in weeks],
    )
