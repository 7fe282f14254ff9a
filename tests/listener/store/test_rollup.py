"""Kept weekly counts, on real SQLite and PostgreSQL: always the answer the live queries give."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from listener.config import load_config
from listener.service import Service
from listener.store import grains, reports, rollup, series
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.models import (
    CountedWeekRow,
    EvidenceRow,
    ItemRow,
    StatementRow,
    WeekCountRow,
)
from tests.listener.hardening.helpers import write_config

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
WEEKS = ["2026-W46", "2026-W47", "2026-W48"]
CURRENT = "2026-W49"


def _add(
    session: Session,
    source: str,
    author: str,
    week: str,
    attributes: list[tuple[str, str, str]],
    segment: str = "{}",
    theme: str = "chase late payment",
) -> int:
    """One item with one statement, evidence for each of ``attributes``; returns the item id."""
    row = source_state.get_or_create(session, source, "feed", "h")
    count = next(_ITEMS)
    item = ItemRow(
        source_id=row.id,
        external_id=f"item-{count}",
        kind="post",
        text="Chasing late payments again.",
        fetched_at=NOW,
        segment={},
        content_hash=f"hash-{count}",
    )
    session.add(item)
    session.flush()
    statement = StatementRow(
        item_id=item.id,
        source_id=row.id,
        author_key=author,
        kind="pain",
        text=item.text,
        start=0,
        end=len(item.text),
        theme=theme,
        week=week,
        matched=bool(attributes),
    )
    session.add(statement)
    session.flush()
    for persona, attribute, kind in attributes:
        session.add(
            EvidenceRow(
                statement_id=statement.id,
                item_id=item.id,
                source_id=row.id,
                author_key=author,
                persona_id=persona,
                attribute_id=attribute,
                kind=kind,
                score=1.0,
                persona_version="v1",
                week=week,
                segment_key=segment,
            )
        )
    session.flush()
    return item.id


_ITEMS = itertools.count()
LATE = ("owner", "late-payments", "pain")
CASH = ("owner", "cash-flow", "pain")
CALM = ("owner", "calm", "aspiration")
SMALL, LARGE = '{"size": "1-10"}', '{"size": "11-50"}'


def _history(store: Store) -> None:
    with store.session() as session:
        for w, week in enumerate([*WEEKS, CURRENT]):
            for a in range(3 + w):
                source = "forum" if a % 2 else "reviews"
                segment = SMALL if a % 3 else LARGE
                _add(session, source, f"author-{a}", week, [LATE, CASH][: 1 + a % 2], segment)
                _add(session, source, f"author-{a}", week, [CALM], segment)  # the same voice
            _add(session, "forum", "someone", week, [], theme="slow exports")
            _add(session, "forum", "someone-else", week, [], theme="")


def _as_processed(service: Service) -> None:
    """Mark the history as processed under the service's key, so that processing leaves its
    statements and evidence as written instead of extracting them anew."""
    with service.store.session() as session:
        session.execute(update(ItemRow).values(processed_key=service.processor.key))


def _live(session: Session, grain: grains.Grain, weeks: list[str]) -> list[tuple[object, ...]]:
    return sorted(tuple(row) for row in session.execute(grain.query(weeks)))


def _read(session: Session, grain: grains.Grain, weeks: list[str]) -> list[tuple[object, ...]]:
    rows = rollup.counts(session, grain, weeks)
    return sorted((*r.key, r.source_id, r.week, r.authors, r.mentions) for r in rows)


def test_kept_counts_give_what_the_live_queries_give_for_every_grain(store: Store) -> None:
    _history(store)
    with store.session() as session:
        live = {g.name: _live(session, g, [*WEEKS, CURRENT]) for g in grains.GRAINS}
        assert rollup.fresh_weeks(session, WEEKS) == set()  # nothing built yet: all read live
        assert {g.name: _read(session, g, [*WEEKS, CURRENT]) for g in grains.GRAINS} == live

    assert rollup.rebuild(store, CURRENT, NOW) == WEEKS
    with store.session() as session:
        assert rollup.fresh_weeks(session, [*WEEKS, CURRENT]) == set(WEEKS)
        kept = session.scalar(select(func.count()).select_from(WeekCountRow))
        assert kept and kept > 0
        for grain in grains.GRAINS:
            assert _read(session, grain, [*WEEKS, CURRENT]) == live[grain.name], grain.name
            assert live[grain.name], f"{grain.name}: the history should have rows for it"
        one_voice = [r for r in _read(session, grains.PERSONA, WEEKS) if r[2] == "2026-W46"]
        assert sum(r[3] for r in one_voice) == 3  # three authors, though each wrote twice


def test_the_current_week_is_never_kept(store: Store) -> None:
    _history(store)
    rollup.rebuild(store, CURRENT, NOW)
    with store.session() as session:
        assert CURRENT not in rollup.fresh_weeks(session, [CURRENT])
        assert rollup.changed_weeks(session, CURRENT) == []
        kept = session.scalars(select(WeekCountRow.week).distinct())
        assert CURRENT not in set(kept)


def test_every_kind_of_write_marks_its_week_changed(store: Store) -> None:
    """Inserts, updates (a re-keyed author) and deletes (an item's cascade, a purge's bulk
    delete) all leave the week read live until it is rebuilt, and the rebuild agrees again."""
    _history(store)
    rollup.rebuild(store, CURRENT, NOW)

    def check(week: str) -> None:
        with store.session() as session:
            assert week not in rollup.fresh_weeks(session, WEEKS)
            live = _live(session, grains.ATTRIBUTE, WEEKS)
            assert _read(session, grains.ATTRIBUTE, WEEKS) == live
        assert rollup.rebuild(store, CURRENT, NOW) == [week]
        with store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
            assert _read(session, grains.ATTRIBUTE, WEEKS) == live

    with store.session() as session:
        added = _add(session, "forum", "newcomer", "2026-W47", [LATE])
    check("2026-W47")
    with store.session() as session:
        session.execute(
            update(EvidenceRow).where(EvidenceRow.author_key == "author-0").values(author_key="x")
        )
    with store.session() as session:
        assert rollup.fresh_weeks(session, WEEKS) == set()  # author-0 wrote in every week
    assert rollup.rebuild(store, CURRENT, NOW) == WEEKS
    with store.session() as session:
        session.execute(delete(ItemRow).where(ItemRow.id == added))  # cascades
    check("2026-W47")
    with store.session() as session:
        session.execute(delete(EvidenceRow).where(EvidenceRow.week == "2026-W46"))
    check("2026-W46")
    with store.session() as session:
        assert not [r for r in _read(session, grains.ATTRIBUTE, WEEKS) if r[4] == "2026-W46"]


def test_emptying_a_table_marks_every_counted_week_changed(store: Store) -> None:
    """TRUNCATE (PostgreSQL) fires no row or DELETE trigger; a DELETE without WHERE (SQLite's
    way to empty a table) runs the row triggers. Either way no kept count outlives its rows."""
    postgresql = store.engine.dialect.name == "postgresql"
    emptyings = (
        ["TRUNCATE evidence", "TRUNCATE statements CASCADE", "TRUNCATE items CASCADE"]
        if postgresql
        else ["DELETE FROM evidence", "DELETE FROM statements"]
    )
    for emptying in emptyings:
        _history(store)
        assert rollup.rebuild(store, CURRENT, NOW) == WEEKS, emptying
        with store.session() as session:
            session.execute(text(emptying))
        with store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(), emptying
            assert _read(session, grains.ATTRIBUTE, WEEKS) == [], emptying
        assert rollup.rebuild(store, CURRENT, NOW) == WEEKS, emptying
    if postgresql:  # the functions write to their schema's tables, whatever a session's path
        with store.session() as session:
            paths = session.scalars(
                text(
                    "SELECT array_to_string(proconfig, ',') FROM pg_proc"
                    " WHERE proname IN ('listener_mark_weeks', 'listener_mark_counted_weeks')"
                    " AND pronamespace = current_schema()::regnamespace"
                )
            ).all()
            schema = session.scalar(text("SELECT current_schema()"))
        assert paths == [f"search_path={schema}, pg_temp"] * 2


def test_status_and_report_counts_match_the_rows(store: Store) -> None:
    _history(store)
    rollup.rebuild(store, CURRENT, NOW)
    with store.session() as session:
        _add(session, "forum", "late-comer", "2026-W46", [LATE])  # a complete week, changed
    with store.session() as session:
        counts = reports.per_source_counts(session, "key")
        totals = reports.totals(session)
        names = series.sources(session)
        for source_id, c in counts.items():
            for model, got in ((StatementRow, c.statements), (EvidenceRow, c.evidence)):
                where = model.source_id == source_id
                assert got == session.scalar(select(func.count()).where(where)), names[source_id]
        for model, got in ((StatementRow, totals.statements), (EvidenceRow, totals.evidence)):
            assert got == session.scalar(select(func.count()).select_from(model))
        weekly = reports.weekly_counts(session, [*WEEKS, CURRENT])
        late = session.scalar(
            select(func.count()).where(EvidenceRow.attribute_id == "late-payments")
        )
        assert sum(weekly[LATE].values()) == late


def test_totals_read_each_week_from_one_place_when_a_rebuild_commits_meanwhile(
    store: Store,
) -> None:
    """A rebuild commits between the totals' read of the changed weeks and their read of the
    kept sums (each statement sees a newer snapshot): the rebuilt week must not be counted
    both kept and live. Found by review: the kept sums asked again which weeks were fresh."""
    _history(store)
    rollup.rebuild(store, CURRENT, NOW)
    with store.session() as session:
        _add(session, "forum", "late-comer", "2026-W46", [LATE])  # W46 changed
    with store.session() as session:
        read = session.scalars

        def rebuild_after_reading_changes(query: object, *args: object, **kw: object) -> object:
            rows = list(read(query, *args, **kw))  # type: ignore[call-overload]
            if "week_changes" in str(query):
                assert rollup.rebuild(store, CURRENT, NOW) == ["2026-W46"]
            return rows

        session.scalars = rebuild_after_reading_changes  # type: ignore[method-assign]
        totals = reports.totals(session)
    with store.session() as session:
        for model, got in ((StatementRow, totals.statements), (EvidenceRow, totals.evidence)):
            assert got == session.scalar(select(func.count()).select_from(model))


def test_a_write_committed_during_a_rebuild_keeps_its_week_changed(postgres_url: str) -> None:
    """A writer that had not committed when the rebuild read the changes: its rows are not in
    the kept counts, so its week must stay changed (read live) until the next rebuild."""
    store = Store(postgres_url)
    store.upgrade()
    try:
        _history(store)
        rollup.rebuild(store, CURRENT, NOW)
        writer = store.engine.connect()
        transaction = writer.begin()
        with Session(bind=writer) as session:
            _add(session, "forum", "slow-writer", "2026-W47", [LATE])
        done = threading.Event()
        rebuilt: list[str] = []

        def rebuild() -> None:
            with store.session() as session:  # a second change, committed, so there is work
                _add(session, "forum", "quick-writer", "2026-W47", [CASH])
            rebuilt.extend(rollup.rebuild(store, CURRENT, NOW))
            done.set()

        thread = threading.Thread(target=rebuild)
        thread.start()
        assert done.wait(30), "the rebuild waited for the open writer"
        thread.join()
        assert rebuilt == ["2026-W47"]
        transaction.commit()
        writer.close()
        with store.session() as session:
            assert "2026-W47" not in rollup.fresh_weeks(session, WEEKS)
            live = _live(session, grains.ATTRIBUTE, WEEKS)
            assert _read(session, grains.ATTRIBUTE, WEEKS) == live
            slow = session.scalar(
                select(func.count()).where(EvidenceRow.author_key == "slow-writer")
            )
            assert slow == 1
        assert rollup.rebuild(store, CURRENT, NOW) == ["2026-W47"]
        with store.session() as session:
            assert _read(session, grains.ATTRIBUTE, WEEKS) == live
    finally:
        store.dispose()


def test_two_overlapping_rebuilds_of_a_week_keep_one_set_of_counts(postgres_url: str) -> None:
    """The rebuild lock is a session lock on its own connection, which can lapse unnoticed (a
    terminated backend, a pooler); a second rebuild of the same week then overlaps the first.
    Each batch's transaction lock makes the second wait and see the first's rows. Without it
    (found by review) the second's delete missed them and the week kept both sets."""
    store = Store(postgres_url)
    store.upgrade()
    try:
        _history(store)
        rollup.rebuild(store, CURRENT, NOW)
        with store.session() as session:
            _add(session, "forum", "late-comer", "2026-W47", [LATE])
        first = store.session()
        with first as session:
            rollup._rebuild_weeks(session, ["2026-W47"], NOW)  # not committed yet
            second_done = threading.Event()

            def second() -> None:
                with store.session() as other:
                    rollup._rebuild_weeks(other, ["2026-W47"], NOW)
                second_done.set()

            thread = threading.Thread(target=second)
            thread.start()
            assert not second_done.wait(1), "the second rebuild did not wait for the first"
        thread.join(30)
        assert second_done.is_set()
        with store.session() as session:
            assert rollup.fresh_weeks(session, ["2026-W47"]) == {"2026-W47"}
            assert _read(session, grains.ATTRIBUTE, WEEKS) == _live(
                session, grains.ATTRIBUTE, WEEKS
            )
    finally:
        store.dispose()


def test_weeks_stored_before_the_upgrade_are_marked_changed(store_url: str) -> None:
    """A database that held statements before revision 0011: its weeks are read live (as
    before) until built, not taken as empty."""
    from alembic import command

    from listener.store.db import _alembic_config

    store = Store(store_url)
    try:
        command.upgrade(_alembic_config(store.engine), "0010_nlp")
        with store.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sources (id, name, type, config_hash, consecutive_failures)"
                    " VALUES (1, 'forum', 'feed', 'h', 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO items (id, source_id, external_id, kind, text, fetched_at,"
                    " segment, content_hash) VALUES (1, 1, 'a', 'post', 't', :now, '{}', 'h')"
                ),
                {"now": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO statements (id, item_id, source_id, author_key, kind, text,"
                    ' start, "end", theme, week, matched)'
                    " VALUES (1, 1, 1, 'a', 'pain', 't', 0, 1, 'x', '2026-W40', false)"
                )
            )
        store.upgrade()
        with store.session() as session:
            assert rollup.changed_weeks(session, CURRENT) == ["2026-W40"]
            assert series.voices(session, ["2026-W40"]) == {(1, "2026-W40"): 1}
        assert rollup.rebuild(store, CURRENT, NOW) == ["2026-W40"]
        with store.session() as session:
            assert series.voices(session, ["2026-W40"]) == {(1, "2026-W40"): 1}
            assert rollup.fresh_weeks(session, ["2026-W40"]) == {"2026-W40"}
    finally:
        store.dispose()


def test_a_rebuild_skips_while_another_holds_the_lock(store: Store) -> None:
    _history(store)
    with store.exclusive("week-counts") as held:
        assert held
        assert rollup.rebuild(store, CURRENT, NOW) == []
    assert rollup.rebuild(store, CURRENT, NOW) == WEEKS


def test_a_refused_rebuild_is_logged_and_the_job_goes_on(postgres_url: str, tmp_path: Path) -> None:
    """Another session holds week_counts against writers and the server gives up waiting
    (lock_timeout): the alerts and the digest need no rebuild to be right, so they go on."""
    url = make_url(postgres_url).update_query_dict({"options": "-c lock_timeout=300"})
    store = Store(url.render_as_string(hide_password=False))
    store.upgrade()
    blocker = store.engine.connect()
    path = write_config(tmp_path, [], database=url.render_as_string(hide_password=False))
    service = Service(load_config(path))
    try:
        _history(store)
        _as_processed(service)
        transaction = blocker.begin()
        blocker.execute(text("LOCK TABLE week_counts IN SHARE MODE"))  # reads pass, writes wait
        with capture_logs() as logs:
            assert service.count_weeks(NOW) == []
            result = service.alerts(NOW)
        refused = [e for e in logs if e["event"].startswith("weekly counts not rebuilt")]
        assert len(refused) == 2 and refused[0]["sqlstate"] == "55P03"
        assert {e["log_level"] for e in refused} == {"warning"}  # refused, not a bug: no error
        assert list(result.evaluated) == ["2026-W48"]  # evaluated, from live counts
        transaction.rollback()
        service.process()  # a refused rebuild does not count as done: the next processing tries
        with store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
    finally:
        blocker.close()
        service.store.dispose()
        store.dispose()


def test_a_rebuild_the_database_rejects_is_reported_as_an_error_and_retried(
    postgres_url: str, tmp_path: Path
) -> None:
    """Rows the database rejects (here a check on week_counts that every kept row breaks) are a
    bug to report, at error level, not a wait: the job still goes on, and the next processing
    tries again."""
    path = write_config(tmp_path, [], database=postgres_url)
    service = Service(load_config(path))
    store = service.store
    try:
        store.upgrade()
        _history(store)
        _as_processed(service)
        with store.engine.begin() as connection:
            connection.execute(
                text("ALTER TABLE week_counts ADD CONSTRAINT no_rows CHECK (authors < 0) NOT VALID")
            )
        with capture_logs() as logs:
            service.process()
        rejected = [e for e in logs if e["event"].startswith("weekly counts not rebuilt")]
        assert [e["log_level"] for e in rejected] == ["error"]
        assert rejected[0]["sqlstate"] == "23514"  # check_violation
        with store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set()
            live = _live(session, grains.ATTRIBUTE, WEEKS)
            assert live and _read(session, grains.ATTRIBUTE, WEEKS) == live  # read live
        with store.engine.begin() as connection:
            connection.execute(text("ALTER TABLE week_counts DROP CONSTRAINT no_rows"))
        service.process()
        with store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
    finally:
        store.dispose()


def test_processing_rebuilds_at_most_every_few_minutes_and_the_alerts_always(
    store_url: str, tmp_path: Path
) -> None:
    """A feed that keeps bringing items of a past week must not recount it after every poll."""
    service = Service(load_config(write_config(tmp_path, [], database=store_url)))
    try:
        service.upgrade()
        _history(service.store)
        _as_processed(service)
        service.process()  # nothing pending; the first run rebuilds what changed
        with service.store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
            _add(session, "forum", "late-comer", "2026-W47", [LATE])
        service.process()  # within recount_every of the last rebuild: read live meanwhile
        with service.store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == {"2026-W46", "2026-W48"}
            live = _live(session, grains.ATTRIBUTE, WEEKS)
            assert live and _read(session, grains.ATTRIBUTE, WEEKS) == live
        service.alerts(NOW)  # the alerts (and the digest) rebuild first, due or not
        with service.store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
            _add(session, "forum", "later-comer", "2026-W46", [LATE])
        service.recount_every = 0
        service.process()
        with service.store.session() as session:
            assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
    finally:
        service.store.dispose()


def test_the_definition_fingerprint_matches_the_grains() -> None:
    assert grains.fingerprint() == grains.DEFINITION, (
        f"the grains changed: set grains.DEFINITION = {grains.fingerprint()!r}; weeks counted "
        "under the old definition are then read live and rebuilt"
    )


def test_a_week_counted_under_another_definition_is_read_live_and_rebuilt(store: Store) -> None:
    _history(store)
    rollup.rebuild(store, CURRENT, NOW)
    with store.session() as session:
        kept = _read(session, grains.ATTRIBUTE, WEEKS)
        session.execute(
            update(CountedWeekRow).where(CountedWeekRow.week == "2026-W47").values(definition="x")
        )  # as if counted by an older release; its kept rows now disagree:
        session.execute(update(WeekCountRow).values(mentions=WeekCountRow.mentions + 100))
    with store.session() as session:
        assert rollup.fresh_weeks(session, WEEKS) == {"2026-W46", "2026-W48"}
        assert rollup.changed_weeks(session, CURRENT) == ["2026-W47"]
        w47 = [row for row in _read(session, grains.ATTRIBUTE, WEEKS) if row[-3] == "2026-W47"]
        assert w47 == [row for row in kept if row[-3] == "2026-W47"]  # live, not the +100
        totals = reports.totals(session)
    with store.session() as session:
        fresh = ["2026-W46", "2026-W48"]
        bumped = sum(100 for row in _live(session, grains.ATTRIBUTE, fresh))
        live = session.scalar(select(func.count()).select_from(EvidenceRow))
        assert totals.evidence == live + bumped  # the two fresh weeks read kept, W47 live
    assert rollup.rebuild(store, CURRENT, NOW) == ["2026-W47"]
    with store.session() as session:
        assert rollup.fresh_weeks(session, WEEKS) == set(WEEKS)
