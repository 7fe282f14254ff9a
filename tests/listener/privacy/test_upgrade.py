"""A database written before masking is converted on the first start with a key: texts masked,
author digests keyed (statements and evidence follow), and re-fetching finds every item again."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import func, insert, select

from connectors.base import RawItem, SurveyRef
from listener.privacy import state
from listener.privacy.keys import Pseudonymiser
from listener.privacy.scrub import scrub_items
from listener.store import db
from listener.store.db import Store
from listener.store.items import author_hash, content_hash, fingerprint, ingest_batch
from listener.store.models import (
    EvidenceRow,
    ItemRow,
    PrivacyStateRow,
    SourceRow,
    StatementRow,
)

KEY = Pseudonymiser(b"upgrade-test-key-0123456789")
WHEN = datetime(2026, 10, 13, 9, tzinfo=UTC)
RAW = [
    RawItem("t1", "Chasing late payments. Mail alice@example.org.", "Late", author="alice_k"),
    RawItem("t2", "Chasing late payments again.", author="Alice_K "),
    RawItem(
        "erin@example.org:q1",
        "The VAT return, call 030 1234 5678",
        "What is the hardest part?",
        kind="response",
        survey=SurveyRef("nps", "What is the hardest part?", "q1", "erin@example.org"),
    ),
]


def _legacy_rows(raw: RawItem, source_id: int) -> dict[str, object]:
    """An item as the previous version stored it: raw text, unkeyed digest."""
    speaker = raw.author or (f"response:nps:{raw.survey.response_id}" if raw.survey else None)
    digest = author_hash(speaker)
    question = raw.survey.question_id if raw.survey else None
    return {
        "source_id": source_id,
        "external_id": raw.external_id,
        "kind": raw.kind,
        "author_hash": digest,
        "title": raw.title,
        "text": raw.text,
        "created_at": raw.created_at,
        "fetched_at": WHEN,
        "segment": {},
        "content_hash": content_hash(raw),
        "fingerprint": fingerprint(digest, raw.kind, question, raw.title, raw.text),
        "processed_key": "old:key",
        "survey": raw.survey.as_dict() if raw.survey else None,
    }


def test_a_legacy_database_is_converted_once(store_url: str) -> None:
    store = Store(store_url)
    try:
        command.upgrade(db._alembic_config(store.engine), "0004")
        items, statements = ItemRow.__table__, StatementRow.__table__
        with store.engine.begin() as connection:
            source_id = connection.execute(
                insert(SourceRow.__table__).values(
                    name="forum", type="feed", consecutive_failures=0
                )
            ).inserted_primary_key[0]
            for raw in RAW:
                row = _legacy_rows(raw, source_id)
                columns = {k: v for k, v in row.items() if k in items.c}
                item_id = connection.execute(insert(items).values(**columns)).inserted_primary_key[
                    0
                ]
                connection.execute(
                    insert(statements).values(
                        item_id=item_id,
                        source_id=source_id,
                        author_key=row["author_hash"],
                        kind="pain",
                        text=raw.text,
                        start=0,
                        end=len(raw.text),
                        theme="chase late payment",
                        week="2026-W42",
                        matched=True,
                    )
                )
        store.upgrade()
        with store.session() as session:
            assert session.get_one(PrivacyStateRow, 1).legacy

        converted = state.ensure(store, KEY)
        assert converted is not None
        assert (converted.items, converted.authors, converted.reprocess) == (3, 2, 2)
        assert state.ensure(store, KEY) is None  # once
        alice = KEY.stored_author("alice_k")
        with store.session() as session:
            rows = session.scalars(select(ItemRow).order_by(ItemRow.id)).all()
            assert [r.author_hash for r in rows[:2]] == [alice, alice]  # still one voice
            assert rows[0].text == "Chasing late payments. Mail [e-mail]."
            assert rows[0].processed_key is None and rows[1].processed_key == "old:key"
            assert rows[2].external_id.startswith("id:") and "erin" not in str(rows[2].survey)
            assert session.scalar(select(func.count(StatementRow.author_key.distinct()))) == 2
            assert session.scalar(select(func.count()).where(StatementRow.author_key == alice)) == 2
            texts = session.scalars(select(StatementRow.text).order_by(StatementRow.id)).all()
            assert texts[0] == "Chasing late payments. Mail [e-mail]."
            assert session.scalar(select(func.count()).select_from(EvidenceRow)) == 0
        # the same posts fetched again are recognised: nothing added, nothing changed
        with store.session() as session:
            source = session.get_one(SourceRow, source_id)
            counts = ingest_batch(session, source, scrub_items(RAW, KEY), None)
        assert (counts.added, counts.updated, counts.duplicates) == (0, 0, 0)
    finally:
        store.dispose()
