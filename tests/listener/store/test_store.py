"""The store on real SQLite and PostgreSQL: schema, ingestion, cursors, health, digest claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from connectors.base import RawItem
from listener.store import sources as source_state
from listener.store.db import Store, current_revision, head_revision
from listener.store.items import ingest_batch
from listener.store.models import Base, DeliveryRow, ItemRow, SourceRow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _item(n: int, text: str | None = None) -> RawItem:
    return RawItem(
        external_id=f"id-{n}",
        text=text or f"text {n}",
        url=f"https://example.com/{n}",
        author=f"Author{n}",
        created_at=NOW - timedelta(days=n),
    )


def _source(store: Store, name: str = "s1") -> int:
    with store.session() as session:
        return source_state.get_or_create(session, name, "feed", "h1").id


def test_migrations_create_exactly_the_models(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_pending_index_is_partial_on_every_database(store: Store) -> None:
    """The models leave out the PostgreSQL half of ix_items_pending's WHERE (see ItemRow), and
    Alembic does not compare it: the migrations must still make it partial everywhere."""
    if store.engine.dialect.name == "postgresql":
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_pending'"
    else:
        query = "SELECT sql FROM sqlite_master WHERE name = 'ix_items_pending'"
    with store.engine.connect() as connection:
        definition = connection.exec_driver_sql(query).scalar_one()
    assert "WHERE" in definition.upper()
    assert "processed_key IS NULL" in definition.replace("(", "").replace(")", "")


def test_upgrade_is_idempotent(store: Store) -> None:
    before, after = store.upgrade()
    assert before == after == head_revision()


def test_ingest_adds_then_recognises_items_and_saves_cursor(store: Store) -> None:
    source_id = _source(store)
    with store.session() as session:
        row = session.get_one(SourceRow, source_id)
        counts = ingest_batch(
            session, row, [_item(1), _item(2)], {"after": "id-2"}, {"channel": "x"}
        )
    assert (counts.added, counts.updated, counts.unchanged) == (2, 0, 0)
    with store.session() as session:
        row = session.get_one(SourceRow, source_id)
        assert row.cursor == {"after": "id-2"}
        again = ingest_batch(
            session, row, [_item(1), _item(2), _item(2)], {"after": "id-3"}, {"channel": "x"}
        )
        assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
        retagged = ingest_batch(session, row, [_item(1)], {"after": "id-3"}, {"channel": "y"})
        assert retagged.updated == 1  # new segment tags apply to stored items too
    with store.session() as session:
        items = session.scalars(select(ItemRow).order_by(ItemRow.external_id)).all()
        assert [i.external_id for i in items] == ["id-1", "id-2"]
        assert items[0].segment == {"channel": "y"}
        assert items[0].created_at == NOW - timedelta(days=1)  # aware UTC back out
        assert items[0].author_hash and "Author" not in items[0].author_hash
        assert session.get_one(SourceRow, source_id).cursor == {"after": "id-3"}


def test_edited_item_is_updated_and_marked_for_processing(store: Store) -> None:
    source_id = _source(store)
    with store.session() as session:
        ingest_batch(session, session.get_one(SourceRow, source_id), [_item(1)], {})
        session.execute(ItemRow.__table__.update().values(processed_key="v1:p1"))
    with store.session() as session:
        counts = ingest_batch(
            session, session.get_one(SourceRow, source_id), [_item(1, "edited")], {}
        )
    assert counts.updated == 1
    with store.session() as session:
        item = session.scalars(select(ItemRow)).one()
        assert (item.text, item.processed_key) == ("edited", None)


def test_failed_transaction_stores_neither_items_nor_cursor(store: Store) -> None:
    source_id = _source(store)
    with pytest.raises(RuntimeError), store.session() as session:
        ingest_batch(session, session.get_one(SourceRow, source_id), [_item(1)], {"after": "id-1"})
        raise RuntimeError("crash between ingest and commit")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 0
        assert session.get_one(SourceRow, source_id).cursor is None


def test_same_external_id_in_two_sources_is_two_items(store: Store) -> None:
    first, second = _source(store, "a"), _source(store, "b")
    with store.session() as session:
        ingest_batch(session, session.get_one(SourceRow, first), [_item(1)], {})
        ingest_batch(session, session.get_one(SourceRow, second), [_item(1)], {})
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 2


def test_circuit_opens_after_a_failure_streak_and_closes_on_success(store: Store) -> None:
    source_id = _source(store)
    with store.session() as session:
        row = session.get_one(SourceRow, source_id)
        for _ in range(source_state.CIRCUIT_THRESHOLD - 1):
            source_state.record_failure(row, NOW, "HTTP 500")
        assert source_state.may_run(row, NOW).open
        source_state.record_failure(row, NOW, "HTTP 500")
        gate = source_state.may_run(row, NOW)
        assert not gate.open and "backing off" in (gate.reason or "")
        assert source_state.health(row, NOW) == "backing-off"
        assert source_state.may_run(row, NOW + source_state.BACKOFF_MAX).open
        source_state.record_success(row, NOW)
        assert (row.consecutive_failures, row.last_error, source_state.health(row, NOW)) == (
            0,
            None,
            "ok",
        )


def test_retry_after_is_honoured_even_before_the_circuit_opens(store: Store) -> None:
    source_id = _source(store)
    with store.session() as session:
        row = session.get_one(SourceRow, source_id)
        source_state.record_failure(row, NOW, "429", retry_after=120)
        assert row.next_attempt_at == NOW + timedelta(seconds=120)


def test_permanent_failure_disables_until_the_config_changes(store: Store) -> None:
    source_id = _source(store)
    with store.session() as session:
        row = session.get_one(SourceRow, source_id)
        source_state.record_attempt(row, NOW)
        source_state.record_failure(row, NOW, "401 bad credentials", permanent=True)
        assert source_state.health(row, NOW) == "disabled"
        assert not source_state.may_run(row, NOW + timedelta(hours=23)).open
        assert source_state.may_run(row, NOW + source_state.DISABLED_RETRY).open  # daily retry
    with store.session() as session:
        same = source_state.get_or_create(session, "s1", "feed", "h1")
        assert not source_state.may_run(same, NOW).open
        changed = source_state.get_or_create(session, "s1", "feed", "h2")
        assert source_state.may_run(changed, NOW).open


def test_a_delivery_row_is_unique_per_channel_subject_and_sink(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    def row(sink: str) -> DeliveryRow:
        return DeliveryRow(
            channel="digest", subject="2026-W47", sink=sink, status="pending", created_at=NOW
        )

    with store.session() as session:
        session.add_all([row("email"), row("outbox")])  # another sink is another claim
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(row("email"))


def test_exclusive_is_held_across_engines_like_across_processes(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    other = Store(url)  # its own engine and connections: as another process would have
    try:
        with store.exclusive("process") as first:
            assert first
            with other.exclusive("process", wait=False) as second:
                assert not second
        with other.exclusive("process", wait=False) as third:
            assert third
    finally:
        other.dispose()
