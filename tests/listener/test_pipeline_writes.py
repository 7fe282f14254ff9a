"""The set-based write paths of ingest and processing, on SQLite and PostgreSQL.

Ingest looks stored items up by index probes and writes multi-row statements; processing claims
a chunk with one UPDATE and inserts statements and evidence many rows at a time. These tests
hold them to the counts and the crash behaviour of the per-row code they replaced, and check on
a fresh database (no statistics) that the lookups and the pending-item query are index probes.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import listener.processing as processing
from connectors.base import RawItem, SurveyRef
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas
from listener.processing import Processor, _Pending
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.items import IngestCounts, ingest_batch
from listener.store.models import EvidenceRow, ItemRow, SourceRow, StatementRow
from listener.store.pending import chunk_query, plan_for_chunks
from listener.store.probe import CHUNK, lookup_query

REPO = Path(__file__).resolve().parents[2]
PAINS = [
    "Chasing late payments from clients eats my whole week.",
    "I still type invoices by hand every Friday and it is killing me.",
    "I wish the app would send payment reminders automatically.",
    "Reconciling the bank takes most of Tuesday.",
    "Great product, nothing to add.",
]
N = CHUNK * 2 + 37  # crosses the probe's chunks and the inserts' pages


def answer(n: int, text: str | None = None, question: str = "Hardest part?") -> RawItem:
    return RawItem(
        external_id=f"r{n}:q1",
        text=text if text is not None else f"{PAINS[n % len(PAINS)]} (account {n})",
        created_at=datetime(2026, 11, 18, tzinfo=UTC),
        segment={"size": "1-10"},
        survey=SurveyRef(
            survey="nps.csv", question=question, question_id="q1", response_id=f"r{n}"
        ),
    )


def ingest(store: Store, items: list[RawItem]) -> IngestCounts:
    with store.session() as session:
        source = source_state.get_or_create(session, "survey", "survey_file")
        return ingest_batch(session, session.get_one(SourceRow, source.id), items, {"n": 1})


def items(store: Store) -> dict[str, tuple[str, str | None, dict[str, str] | None]]:
    with store.session() as session:
        return {
            row.external_id: (row.text, row.processed_key, row.survey)
            for row in session.scalars(select(ItemRow))
        }


def counts(store: Store) -> tuple[int, int, int]:
    with store.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (ItemRow, StatementRow, EvidenceRow)
        )


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture
def processor(extractor: Extractor) -> Processor:
    personas = load_personas(REPO / "config" / "personas.example.yaml")
    matcher = PersonaMatcher(personas, extractor.nlp)
    return Processor(extractor, matcher, personas, ZoneInfo("UTC"), batch_size=100)


def test_ingest_counts_added_updated_unchanged_and_duplicates(store: Store) -> None:
    first = ingest(store, [answer(n) for n in range(N)])
    assert (first.added, first.updated, first.unchanged, first.duplicates) == (N, 0, 0, 0)
    assert len(items(store)) == N

    again = ingest(store, [answer(n) for n in range(N)])
    assert (again.added, again.updated, again.unchanged) == (0, 0, N)

    with store.session() as session:  # as if processed, to see what becomes pending again
        session.execute(ItemRow.__table__.update().values(processed_key="done"))
    edited = {3: "Payroll still needs manual fixes.", N - 1: "The bank feed stops syncing."}
    batch = [answer(n, edited.get(n)) for n in range(N)]
    batch[5] = answer(5, question="What is the hardest part of your week?")  # renamed only
    batch.append(answer(N + 1, text=batch[10].text))  # same words, another respondent: new
    batch.append(  # a new id for an answer the source holds (same respondent and words)
        RawItem(
            external_id="r11-again:q1",
            text=batch[11].text,
            created_at=batch[11].created_at,
            segment=batch[11].segment,
            survey=SurveyRef(
                survey="nps.csv", question="Hardest part?", question_id="q1", response_id="r11"
            ),
        )
    )
    changed = ingest(store, batch)
    assert (changed.added, changed.updated, changed.duplicates) == (1, 2, 1)
    assert changed.unchanged == N - 2
    stored = items(store)
    assert len(stored) == N + 1
    for n, words in edited.items():
        assert stored[f"r{n}:q1"][:2] == (words, None)  # new text, pending again
    assert stored["r5:q1"][1] == "done"  # the question's wording: no new NLP
    assert stored["r5:q1"][2] is not None
    assert stored["r5:q1"][2]["question"] == "What is the hardest part of your week?"
    assert stored[f"r{N + 1}:q1"][1] is None
    assert sum(1 for _, key, _ in stored.values() if key is None) == 3
    with store.session() as session:
        assert session.scalar(select(SourceRow.cursor)) == {"n": 1}


def test_processing_writes_all_once_and_reprocesses_changed_content(
    store: Store, processor: Processor
) -> None:
    ingest(store, [answer(n) for n in range(250)])
    first = processor.process_pending(store)
    assert first.items == 250 and first.statements > 150 and first.evidence > 50
    assert counts(store) == (250, first.statements, first.evidence)
    with store.session() as session:  # every evidence row belongs to its statement's item
        mismatched = session.scalar(
            select(func.count())
            .select_from(EvidenceRow)
            .join(StatementRow, StatementRow.id == EvidenceRow.statement_id)
            .where(StatementRow.item_id != EvidenceRow.item_id)
        )
        assert mismatched == 0
    assert processor.process_pending(store).items == 0  # a re-run adds nothing
    assert counts(store) == (250, first.statements, first.evidence)

    ingest(
        store, [answer(n, "Great product, nothing to add." if n < 3 else None) for n in range(250)]
    )
    again = processor.process_pending(store)
    assert again.items == 3
    with store.session() as session:
        texts = set(
            session.scalars(
                select(StatementRow.text)
                .join(ItemRow, ItemRow.id == StatementRow.item_id)
                .where(ItemRow.external_id.in_(["r0:q1", "r1:q1", "r2:q1"]))
            )
        )
    assert all("late payments" not in t and "by hand" not in t for t in texts)

    # The result equals processing the final texts from empty.
    totals = counts(store)
    with store.session() as session:
        session.execute(ItemRow.__table__.update().values(processed_key=None))
    processor.process_pending(store)
    assert counts(store) == totals


def rows(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Statements and evidence by their item's external id: comparable across processings."""
    with store.session() as session:
        statements = session.execute(
            select(ItemRow.external_id, StatementRow.kind, StatementRow.start, StatementRow.text)
            .join(ItemRow, ItemRow.id == StatementRow.item_id)
            .order_by(ItemRow.external_id, StatementRow.start, StatementRow.kind)
        ).all()
        evidence = session.execute(
            select(ItemRow.external_id, EvidenceRow.attribute_id, EvidenceRow.score)
            .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
            .order_by(ItemRow.external_id, EvidenceRow.attribute_id, EvidenceRow.score)
        ).all()
    return [tuple(r) for r in statements], [tuple(r) for r in evidence]


def test_forked_nlp_workers_write_what_the_process_alone_writes(
    store: Store, processor: Processor, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, [answer(n) for n in range(450)])  # five chunks: more than the workers' window
    processor.workers, processor.parallel_from = 2, 1
    asked: list[int] = []
    real = processing.analyse_chunks

    def spy(analyser: Any, chunks: Any, workers: int) -> Any:
        asked.append(workers)
        return real(analyser, chunks, workers)

    monkeypatch.setattr(processing, "analyse_chunks", spy)
    forked = processor.process_pending(store)
    assert asked == [2]  # the backlog went to two workers
    assert forked.items == 450 and forked.statements > 250
    by_workers = rows(store)
    with store.session() as session:
        session.execute(ItemRow.__table__.update().values(processed_key=None))
    processor.workers = 0
    alone = processor.process_pending(store)
    assert (alone.items, alone.statements, alone.evidence) == (
        forked.items,
        forked.statements,
        forked.evidence,
    )
    assert rows(store) == by_workers


def test_a_stop_ends_forked_processing_soon_from_a_daemon_thread(
    store: Store, processor: Processor
) -> None:
    """As in the daemon under a service manager: processing in a worker thread, the stop set
    mid-backlog while SIGTERM reaches every process (the unit's whole cgroup). Processing
    returns within a chunk without an error, leaves no worker behind and the chunks in flight
    pending."""
    ingest(store, [answer(n) for n in range(1200)])
    processor.workers, processor.parallel_from = 1, 1
    stop = threading.Event()
    done: list[processing.ProcessCounts] = []
    workers_seen: list[int] = []

    def progress(_n: int) -> None:
        # the first chunk is analysed before any fork: stop after the second, with the
        # worker holding chunks in flight
        children = multiprocessing.active_children()
        workers_seen.append(len(children))
        if len(workers_seen) == 2:
            for child in children:
                os.kill(child.pid or 0, signal.SIGTERM)
            stop.set()

    thread = threading.Thread(
        target=lambda: done.append(
            processor.process_pending(store, on_progress=progress, stop=stop)
        )
    )
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "processing did not end after the stop"
    assert done, "processing failed (a worker killed by the SIGTERM breaks the pool)"
    assert workers_seen[-1] == 1  # a worker was analysing when the stop came
    assert multiprocessing.active_children() == []
    assert done[0].items == 2 * processor.batch_size  # the chunks in flight were not written
    with store.session() as session:
        pending_now = session.scalar(
            select(func.count()).select_from(ItemRow).where(ItemRow.processed_key.is_(None))
        )
    assert pending_now == 1200 - done[0].items


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_a_crash_mid_chunk_leaves_its_items_pending_and_nothing_half_written(
    store: Store, processor: Processor, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """In the process and with forked NLP workers (whose chunks in flight are dropped)."""
    processor.workers, processor.parallel_from = workers, 1
    ingest(store, [answer(n) for n in range(250)])
    real_insert = processing.insert_rows
    calls = {"evidence": 0}

    def failing_insert(session: Session, table: Any, rows: Any) -> None:
        if table is EvidenceRow.__table__:  # the evidence rows (COPY or INSERT, on the table)
            calls["evidence"] += 1
            if calls["evidence"] == 2:  # the second chunk: its statements are already sent
                raise Crash("killed between the statements and the evidence")
        real_insert(session, table, rows)

    monkeypatch.setattr(processing, "insert_rows", failing_insert)
    with pytest.raises(Crash):
        processor.process_pending(store)
    with store.session() as session:
        done = set(session.scalars(select(ItemRow.id).where(ItemRow.processed_key.is_not(None))))
        with_statements = set(session.scalars(select(StatementRow.item_id)))
        with_evidence = set(session.scalars(select(EvidenceRow.item_id)))
    assert len(done) == processor.batch_size  # the first chunk committed, the second not
    assert with_statements <= done and with_evidence <= done
    monkeypatch.setattr(processing, "insert_rows", real_insert)
    rest = processor.process_pending(store)
    assert rest.items == 250 - processor.batch_size
    crashed = counts(store)
    with store.session() as session:  # a clean run over the same items gives the same rows
        session.execute(ItemRow.__table__.update().values(processed_key=None))
    processor.process_pending(store)
    assert counts(store) == crashed


def test_an_item_edited_before_the_claim_is_not_claimed(store: Store, processor: Processor) -> None:
    ingest(store, [answer(n) for n in range(4)])
    with store.session() as session:
        rows = list(session.execute(chunk_query(None, 0, 10, _Pending.COLUMNS)))
    results = processor._analyse([_Pending(*row) for row in rows])
    ingest(store, [answer(1, "Payroll still needs manual fixes.")])  # edited meanwhile
    with store.session() as session:
        written = processor._write(session, results)
    assert written.items == 3
    assert [k for k, (_, key, _) in sorted(items(store).items()) if key is None] == ["r1:q1"]
    assert processor.process_pending(store).items == 1


@pytest.fixture
def many(store: Store) -> Iterator[Store]:
    """3,000 items stored in a fresh database: no ANALYZE has run, so no statistics."""
    for start in range(0, 3000, 500):
        ingest(store, [answer(n) for n in range(start, start + 500)])
    with store.session() as session:
        session.execute(
            ItemRow.__table__.update().where(ItemRow.id <= 2000).values(processed_key="old")
        )
    yield store


def explain(session: Session, query: Any) -> str:
    dialect = session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        return "\n".join(session.scalars(text("EXPLAIN " + sql)))
    return "\n".join(str(row[-1]) for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_lookups_and_pending_chunks_are_index_probes_without_statistics(many: Store) -> None:
    with many.session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:  # the premise: a fresh database, never analysed
            analysed = session.scalar(
                text(
                    "SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables"
                    " WHERE relname = 'items'"
                )
            )
            assert analysed is None
        keys = [f"r{n}:q1" for n in range(2500, 3000)]
        probe = explain(
            session,
            lookup_query(
                postgres,
                ItemRow.external_id,
                keys,
                [ItemRow.id],
                (ItemRow.source_id == 1,),
                first=True,
            ),
        )
        plan_for_chunks(session)
        fresh = explain(session, chunk_query(None, 2500, 256, _Pending.COLUMNS))
        stale = explain(session, chunk_query("old", 100, 256, _Pending.COLUMNS))
    if postgres:
        assert "Nested Loop" in probe and "uq_items_source_id_external_id" in probe, probe
        assert "Seq Scan on items" not in probe, probe
        assert "ix_items_pending" in fresh and "Sort" not in fresh, fresh
        assert "ix_items_processed_key_id" in stale and "Sort" not in stale, stale
    else:
        assert "SEARCH items" in probe and "(source_id=? AND external_id=?)" in probe, probe
        # SQLite treats IS NULL as an equality: (processed_key, id) serves in id order too.
        assert "SEARCH items USING" in fresh and "TEMP B-TREE" not in fresh, fresh
        assert "ix_items_processed_key_id" in stale and "TEMP B-TREE" not in stale, stale
