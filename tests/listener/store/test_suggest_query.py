"""The statements `listener personas suggest` reads: a window of weeks with their evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from connectors.base import RawItem
from listener.matching import PersonaMatcher
from listener.nlp import Extractor
from listener.personas import load_personas
from listener.processing import Processor
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.items import ingest_batch
from listener.store.models import SourceRow
from listener.store.suggest import statements_since

REPO = Path(__file__).resolve().parents[3]
TEXTS = [
    ("Chasing late payments from clients eats my whole week.", datetime(2026, 11, 18, tzinfo=UTC)),
    ("The export to PDF crashes every time.", datetime(2026, 11, 18, tzinfo=UTC)),
    ("Chasing late payments again, for the third month.", datetime(2026, 9, 2, tzinfo=UTC)),
]


def test_the_window_and_the_evidence_of_each_statement(store: Store) -> None:
    personas = load_personas(REPO / "config" / "personas.example.yaml")
    extractor = Extractor()
    with store.session() as session:
        source = source_state.get_or_create(session, "s", "feed")
        items = [
            RawItem(external_id=str(i), text=t, created_at=at) for i, (t, at) in enumerate(TEXTS)
        ]
        ingest_batch(session, session.get_one(SourceRow, source.id), items, {})
    Processor(
        extractor, PersonaMatcher(personas, extractor.nlp), personas, ZoneInfo("UTC")
    ).process_pending(store)
    with store.session() as session:
        recent = list(statements_since(session, "2026-W40", personas.version))
        everything = list(statements_since(session, "2026-W01", personas.version))
        stale = list(statements_since(session, "2026-W01", "another-version"))
    assert {s.week for s in recent} == {"2026-W47"}
    assert len(everything) == len(recent) + 1
    chasing = next(s for s in recent if s.text.startswith("Chasing"))
    assert ("agency-owner", "late-payments") in chasing.evidence
    crash = next(s for s in recent if "crashes" in s.text)
    assert crash.evidence == () and crash.kind == "pain"
    assert all(s.evidence == () for s in stale)  # evidence of other persona versions is ignored
    assert [s.id for s in everything] == sorted(s.id for s in everything)
