"""Bulk inserts (COPY on PostgreSQL, INSERT elsewhere) store exactly the rows given."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from listener.store import sources as source_state
from listener.store.bulk import insert_rows
from listener.store.db import Store
from listener.store.items import ingest_batch
from listener.store.models import ItemRow, SourceRow, StatementRow, table
from tests.listener.test_pipeline_writes import answer

AWKWARD = [
    'Tabs\tand\nnew lines, a backslash \\N and "quotes"',
    "Ünïcödé, emoji 🙃 and a NUL-free but odd \\.",
    "",
]


def _item_ids(store: Store) -> tuple[int, list[int]]:
    with store.session() as session:
        source = source_state.get_or_create(session, "survey", "survey_file")
        row = session.get_one(SourceRow, source.id)
        ingest_batch(session, row, [answer(n) for n in range(3)], {"n": 1})
        return source.id, list(session.scalars(select(ItemRow.id).order_by(ItemRow.id)))


def _statement(item_id: int, source_id: int, **given: Any) -> dict[str, Any]:
    """A statements row with every column set (those given replace the defaults)."""
    row: dict[str, Any] = {
        "id": 1,
        "item_id": item_id,
        "source_id": source_id,
        "author_key": "a",
        "kind": "pain",
        "text": "t",
        "start": 0,
        "end": 1,  # a reserved word as a column name
        "theme": "late invoice",
        "week": "2026-W47",
        "matched": True,
    }
    return {**row, **given}


def test_rows_come_back_as_given_with_awkward_text_and_reserved_names(store: Store) -> None:
    source_id, items = _item_ids(store)
    rows = [
        _statement(
            items[n],
            source_id,
            id=100 + n,
            author_key=f"a{n}",
            text=text,
            start=n,
            end=n + 7,
            matched=n % 2 == 0,
        )
        for n, text in enumerate(AWKWARD)
    ]
    sent: list[str] = []
    listen = ("before_cursor_execute", lambda *args: sent.append(args[2]))
    event.listen(store.engine, *listen)
    try:
        with store.session() as session:
            insert_rows(session, table(StatementRow), rows)
            insert_rows(session, table(StatementRow), [])  # nothing to do: no statement sent
    finally:
        event.remove(store.engine, *listen)
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT INTO STATEMENTS")]
    # PostgreSQL: one COPY on the driver's cursor, no INSERT; SQLite: one INSERT
    assert len(inserts) == (0 if store.engine.dialect.name == "postgresql" else 1)
    with store.session() as session:
        stored = [
            {column: getattr(row, column) for column in rows[0]}
            for row in session.scalars(select(StatementRow).order_by(StatementRow.id))
        ]
    assert stored == rows


def test_rows_are_part_of_the_callers_transaction(store: Store) -> None:
    source_id, items = _item_ids(store)
    row = _statement(items[0], source_id, text="rolled back")
    with pytest.raises(RuntimeError), store.session() as session:
        insert_rows(session, table(StatementRow), [row])
        raise RuntimeError("the chunk failed after its statements were sent")
    with store.session() as session:
        assert session.scalars(select(StatementRow)).all() == []


def test_a_refused_row_is_a_database_error_without_the_rows_text(store: Store) -> None:
    """Raised as SQLAlchemy raises a failed INSERT, so the logs' scrubbing, the outage handling
    and the retries treat a failed COPY alike; the statement is named, the text is not."""
    source_id, items = _item_ids(store)
    row = _statement(items[0], source_id, id=7, text="confidential customer words")
    with pytest.raises(IntegrityError) as info, store.session() as session:
        insert_rows(session, table(StatementRow), [row, row])  # one primary key twice
    assert "confidential" not in str(info.value)  # what a log line would print
    assert "statements" in str(info.value.statement)
