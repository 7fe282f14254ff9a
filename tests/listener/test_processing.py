"""Processing stored items: idempotent, and re-scored when the personas change."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from connectors.base import RawItem
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas
from listener.processing import Processor, _Pending
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.items import ingest_batch
from listener.store.models import EvidenceRow, ItemRow, SourceRow, StatementRow

REPO = Path(__file__).resolve().parents[2]
TEXTS = [
    "I still type invoices by hand every Friday and it is killing me.",
    "Chasing late payments from clients eats my whole week.",
    "I wish the app would send payment reminders automatically.",
    "Great product, nothing to add.",
]


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def _ingest(store: Store) -> None:
    with store.session() as session:
        source = source_state.get_or_create(session, "s", "feed")
        items = [
            RawItem(
                external_id=str(i),
                text=t,
                created_at=datetime(2026, 11, 18, tzinfo=UTC),
                segment={"size": "1-10"},
            )
            for i, t in enumerate(TEXTS)
        ]
        ingest_batch(session, session.get_one(SourceRow, source.id), items, {})


def _counts(store: Store) -> tuple[int, int]:
    with store.session() as session:
        return (
            session.scalar(select(func.count()).select_from(StatementRow)) or 0,
            session.scalar(select(func.count()).select_from(EvidenceRow)) or 0,
        )


def test_processing_is_idempotent_and_rescoring_follows_personas(
    store: Store, extractor: Extractor, tmp_path: Path
) -> None:
    personas = load_personas(REPO / "config" / "personas.example.yaml")
    processor = Processor(
        extractor, PersonaMatcher(personas, extractor.nlp), personas, ZoneInfo("Europe/Berlin")
    )
    _ingest(store)
    first = processor.process_pending(store)
    assert first.items == len(TEXTS) and first.statements >= 2 and first.evidence >= 2
    assert _counts(store) == (first.statements, first.evidence)
    with store.session() as session:
        weeks = set(session.scalars(select(EvidenceRow.week)))
        assert weeks == {"2026-W47"}
        assert set(session.scalars(select(EvidenceRow.segment_key))) == {'{"size": "1-10"}'}

    again = processor.process_pending(store)
    assert (again.items, again.statements, again.evidence) == (0, 0, 0)
    assert _counts(store) == (first.statements, first.evidence)

    # A marketer removes a persona: the version changes and history is re-scored, not duplicated.
    text = (REPO / "config" / "personas.example.yaml").read_text()
    edited = tmp_path / "personas.yaml"
    edited.write_text(text)
    fewer = load_personas(edited).model_copy(
        update={"personas": load_personas(edited).personas[1:]}
    )
    assert fewer.version != personas.version
    rescorer = Processor(
        extractor, PersonaMatcher(fewer, extractor.nlp), fewer, ZoneInfo("Europe/Berlin")
    )
    rescored = rescorer.process_pending(store)
    assert rescored.items == len(TEXTS)
    statements, _ = _counts(store)
    assert statements == first.statements  # same text, same extractor: same statements
    with store.session() as session:
        removed = personas.personas[0].id
        assert session.scalar(select(func.count()).where(EvidenceRow.persona_id == removed)) == 0
        keys = set(session.scalars(select(ItemRow.processed_key)))
        assert keys == {rescorer.key}


def test_an_item_edited_while_the_nlp_runs_stays_pending(
    store: Store, extractor: Extractor
) -> None:
    personas = load_personas(REPO / "config" / "personas.example.yaml")
    processor = Processor(
        extractor, PersonaMatcher(personas, extractor.nlp), personas, ZoneInfo("Europe/Berlin")
    )
    _ingest(store)
    with store.session() as session:
        pending = [
            _Pending(
                r.id,
                r.source_id,
                r.author_hash,
                r.title,
                r.text,
                r.prompt,
                r.created_at,
                r.fetched_at,
                r.segment,
                r.content_hash,
            )
            for r in session.scalars(select(ItemRow).order_by(ItemRow.id))
        ]
    results = processor._analyse(pending)  # the NLP has read the old text...
    with store.session() as session:  # ...when an edit of the first item is ingested
        source = session.scalars(select(SourceRow)).one()
        edited = RawItem(external_id="0", text="Completely different text now.")
        ingest_batch(session, source, [edited], {})
    with store.session() as session:
        counts = processor._write(session, results)
    assert counts.items == len(TEXTS) - 1
    with store.session() as session:
        first = session.scalars(select(ItemRow).where(ItemRow.external_id == "0")).one()
        assert first.processed_key is None  # not claimed with statements of the old text
        assert session.scalar(select(func.count()).where(StatementRow.item_id == first.id)) == 0
    assert processor.process_pending(store).items == 1
