"""Looking up many keys of one source at once, one index probe per key on every database.

PostgreSQL plans ``source_id = :s AND external_id IN (500 values)`` as a scan of the whole
source when the table has no statistics yet (a fresh database, autovacuum not run): with no
statistics an IN list of 500 looks unselective, so each batch of an ingest read every row
stored before it, and the ingest became quadratic (1.2 s per batch at 100 k rows). Here each
key is looked up by its own equality on the composite index, inside ``JOIN LATERAL``: a lateral
subquery cannot be turned into a scan or a hash join, so the plan is a nested loop of index
probes whatever the statistics and however big the table was when a prepared plan was made.
SQLite's planner already probes an index once per value of an IN list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Row, Select, bindparam, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from listener.store.models import ItemRow

CHUNK = 500


def probe(
    session: Session,
    source_id: int,
    key: InstrumentedAttribute[Any],
    keys: Sequence[Any],
    *columns: InstrumentedAttribute[Any],
) -> list[Row[Any]]:
    """``(key, *columns)`` of the source's items whose ``key`` is one of ``keys``.

    ``key`` must follow ``source_id`` in an index. A key several items hold (a fingerprint)
    gives one of them.
    """
    return lookup(session, key, keys, columns, (ItemRow.source_id == source_id,), first=True)


def lookup(
    session: Session,
    key: InstrumentedAttribute[Any],
    keys: Sequence[Any],
    columns: Sequence[InstrumentedAttribute[Any]],
    scope: Sequence[ColumnElement[bool]] = (),
    first: bool = False,
) -> list[Row[Any]]:
    """``(key, *columns)`` of the rows whose ``key`` is one of ``keys`` (and within ``scope``),
    probing ``key``'s index once per key; ``first``: one row per key, else all of them.

    On PostgreSQL the per-key subquery is fenced (LIMIT 1, or OFFSET 0 for all rows) so the
    planner cannot pull it up into a join it might run as a scan.
    """
    found: list[Row[Any]] = []
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        found.extend(session.execute(lookup_query(postgres, key, chunk, columns, scope, first)))
    return found


def lookup_query(
    postgres: bool,
    key: InstrumentedAttribute[Any],
    keys: list[Any],
    columns: Sequence[InstrumentedAttribute[Any]],
    scope: Sequence[ColumnElement[bool]] = (),
    first: bool = False,
) -> Select[Any]:
    """The statement :func:`lookup` runs for one chunk of keys (tests EXPLAIN it)."""
    if not postgres:
        return select(key, *columns).where(*scope, key.in_(keys))
    element = key.property.columns[0].type
    wanted = (
        func.unnest(bindparam("keys", keys, type_=ARRAY(element)))
        .table_valued("key")
        .render_derived(name="k")
    )
    per_key = select(key, *columns).where(*scope, key == wanted.c.key)
    fenced = (per_key.limit(1) if first else per_key.offset(0)).lateral("found")
    return select(fenced).select_from(wanted).join(fenced, true())


def reserve_ids(session: Session, column: InstrumentedAttribute[Any], count: int) -> list[int]:
    """``count`` new primary keys for ``column``'s table, so rows that refer to new rows can be
    built before either is inserted: both then go in as plain multi-row INSERTs.

    ``INSERT ... RETURNING`` in the rows' order (SQLAlchemy's sort_by_parameter_order) was 2.5
    times the cost of a plain multi-row INSERT on PostgreSQL (122 against 50 ms for 350
    statements, bench figures under load). PostgreSQL: values of the column's sequence.
    SQLite: the ids after the largest, which is safe because SQLite has one writer at a time
    and the caller's transaction has written already (it holds the write lock).
    """
    if count <= 0:
        return []
    table = column.property.columns[0].table
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, column.key)
        return list(
            session.scalars(
                select(func.nextval(sequence)).select_from(func.generate_series(1, count))
            )
        )
    largest = session.scalar(select(func.coalesce(func.max(column), 0))) or 0
    return list(range(largest + 1, largest + 1 + count))
