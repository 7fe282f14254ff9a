"""The index-driven read paths of `status` and the quotes, on real SQLite and PostgreSQL:
each answers exactly what a plain reading of every row answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from listener.store import reports, series
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.models import EvidenceRow, ItemRow, StatementRow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]
CELLS = [("owner", "late-payments"), ("owner", "vat"), ("freelancer", "late-payments")]


def _fill(store: Store, rows: int = 240, seed: int = 3) -> None:
    """Evidence over three attributes, four weeks and two sources; scores from a few values, so
    ties (broken by the newest row) are common."""
    rng = random.Random(seed)
    with store.session() as session:
        sources = [source_state.get_or_create(session, n, "feed", "h").id for n in ("a", "b")]
        for i in range(rows):
            source_id = sources[i % 2]
            week = WEEKS[rng.randrange(len(WEEKS))]
            item = ItemRow(
                source_id=source_id,
                external_id=f"item-{i}",
                kind="post",
                text=f"Quote number {i} about money.",
                created_at=NOW - timedelta(hours=rng.randrange(500)),
                fetched_at=NOW,
                segment={},
                content_hash=f"h{i}",
                processed_key="k1" if i % 5 else ("k0" if i % 2 else None),
            )
            session.add(item)
            session.flush()
            statement = StatementRow(
                item_id=item.id,
                source_id=source_id,
                author_key=f"author-{i % 17}",
                kind="pain",
                text=item.text,
                start=0,
                end=len(item.text),
                theme="get paid",
                week=week,
                matched=True,
            )
            session.add(statement)
            session.flush()
            for persona, attribute in rng.sample(CELLS, rng.randrange(0, 3)):
                session.add(
                    EvidenceRow(
                        statement_id=statement.id,
                        item_id=item.id,
                        source_id=source_id,
                        author_key=statement.author_key,
                        persona_id=persona,
                        attribute_id=attribute,
                        kind="pain",
                        score=rng.choice([0.5, 0.7, 0.9]),
                        persona_version="v1",
                        week=week,
                        segment_key="{}",
                    )
                )


def _expected_quotes(
    store: Store, cells: list[tuple[str, str]], weeks: list[str], keep: int
) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """Every evidence row read, ranked by score then newest: (item, score) per attribute."""
    with store.session() as session:
        rows = session.execute(
            select(EvidenceRow.persona_id, EvidenceRow.attribute_id, EvidenceRow.id,
                   EvidenceRow.item_id, EvidenceRow.score, EvidenceRow.week)
        ).all()  # fmt: skip
    out: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for persona, attribute, _row_id, item_id, score, week in sorted(
        rows, key=lambda r: (-r[4], -r[2])
    ):
        cell = (persona, attribute)
        if cell in cells and week in weeks and len(out.setdefault(cell, [])) < keep:
            out[cell].append((item_id, score))
    return {cell: found for cell, found in out.items() if found}


def test_quotes_are_the_strongest_newest_rows_of_each_attribute(store: Store) -> None:
    _fill(store)
    for cells, weeks, limit in (
        (CELLS, WEEKS, 3),
        (CELLS[:2], WEEKS[1:3], 2),
        ([CELLS[2]], WEEKS[-1:], 1),
        (CELLS, WEEKS, 50),  # more than there are: every row of the window
    ):
        with store.session() as session:
            found = series.attribute_quotes(session, cells, weeks, limit)
        got = {cell: [(q.item_id, q.score) for q in quotes] for cell, quotes in found.items()}
        assert got == _expected_quotes(store, cells, weeks, limit * 4)
        for quotes in found.values():
            assert all(q.week in weeks and q.source in ("a", "b") for q in quotes)
            assert all(q.text.startswith("Quote number") for q in quotes)


def test_quotes_of_nothing_are_nothing(store: Store) -> None:
    _fill(store, rows=20)
    with store.session() as session:
        assert series.attribute_quotes(session, [], WEEKS, 3) == {}
        assert series.attribute_quotes(session, CELLS, [], 3) == {}
        assert series.attribute_quotes(session, [("nobody", "x")], WEEKS, 3) == {}


def test_status_counts_per_source_equal_a_count_of_every_row(store: Store) -> None:
    _fill(store)
    with store.session() as session:
        counts = reports.per_source_counts(session, "k1")
        items = session.scalars(select(ItemRow)).all()
        statements = session.scalars(select(StatementRow)).all()
        evidence = session.scalars(select(EvidenceRow)).all()
        for source_id, got in counts.items():
            mine = [i for i in items if i.source_id == source_id]
            assert got.items == len(mine)
            assert got.pending == sum(1 for i in mine if i.processed_key != "k1")
            assert got.newest_item_at == max(i.created_at for i in mine if i.created_at)
            assert got.statements == sum(1 for s in statements if s.source_id == source_id)
            assert got.evidence == sum(1 for e in evidence if e.source_id == source_id)
        totals = reports.totals_of(counts)
        assert totals == reports.totals(session)
        assert (totals.items, totals.statements) == (240, 240) and totals.evidence == len(evidence)
        assert sum(c.pending for c in counts.values()) == 48  # None and "k0" are both pending
