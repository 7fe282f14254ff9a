"""Weekly counts for drift, on real SQLite and PostgreSQL: people, not rows."""

from __future__ import annotations

from datetime import UTC, datetime

from listener.store import series
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.models import EvidenceRow, ItemRow, StatementRow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _evidence(store: Store, author: str, n: int, week: str = "2026-W47") -> None:
    with store.session() as session:
        source = source_state.get_or_create(session, "forum", "feed", "h")
        for i in range(n):
            item = ItemRow(
                source_id=source.id,
                external_id=f"{author}-{week}-{i}",
                kind="post",
                text="Chasing late payments again.",
                fetched_at=NOW,
                segment={},
                content_hash=f"{author}{i}",
            )
            session.add(item)
            session.flush()
            statement = StatementRow(
                item_id=item.id,
                source_id=source.id,
                author_key=author,
                kind="pain",
                text=item.text,
                start=0,
                end=len(item.text),
                theme="chase late payment",
                week=week,
                matched=True,
            )
            session.add(statement)
            session.flush()
            session.add(
                EvidenceRow(
                    statement_id=statement.id,
                    item_id=item.id,
                    source_id=source.id,
                    author_key=author,
                    persona_id="owner",
                    attribute_id="late-payments",
                    kind="pain",
                    score=1.0,
                    persona_version="v1",
                    week=week,
                    segment_key="{}",
                )
            )


def test_one_author_posting_ten_times_is_one_voice(store: Store) -> None:
    _evidence(store, "loud", 10)
    _evidence(store, "quiet", 1)
    with store.session() as session:
        rows = series.attribute_counts(session, ["2026-W47"])
        volume = series.voices(session, ["2026-W47"])
    assert [(r.key, r.authors, r.mentions) for r in rows] == [
        (("owner", "late-payments", "pain"), 2, 11)
    ]
    assert list(volume.values()) == [2]


def test_quotes_are_one_per_item_and_limited_per_attribute(store: Store) -> None:
    _evidence(store, "a", 7)
    with store.session() as session:
        found = series.attribute_quotes(session, [("owner", "late-payments")], ["2026-W47"], 2)
    rows = found[("owner", "late-payments")]
    assert 2 <= len(rows) <= 8 and len({r.item_id for r in rows}) == len(rows)
