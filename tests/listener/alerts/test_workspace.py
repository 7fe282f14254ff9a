"""From stored evidence to findings, on real SQLite and PostgreSQL: per-segment series."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from listener.alerts.analysis import analyse
from listener.drift.config import DriftConfig
from listener.personas import load_personas
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.models import EvidenceRow, ItemRow, StatementRow
from listener.weeks import weeks_ending

PERSONAS = load_personas(Path(__file__).resolve().parents[2] / "fixtures" / "drift_personas.yaml")
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _say(
    store: Store, week: str, n: int, segment: dict[str, str], attribute: str, tag: str
) -> None:
    """``n`` different people in ``segment`` said something about ``attribute`` in ``week``."""
    with store.session() as session:
        source = source_state.get_or_create(session, "survey", "survey_file", "h")
        for i in range(n):
            key = f"{tag}-{week}-{attribute}-{i}"
            item_id = session.execute(
                insert(ItemRow).returning(ItemRow.id),
                [{"source_id": source.id, "external_id": key, "kind": "response", "text": "x",
                  "fetched_at": NOW, "segment": segment, "content_hash": key}],
            ).scalar_one()  # fmt: skip
            statement_id = session.execute(
                insert(StatementRow).returning(StatementRow.id),
                [{"item_id": item_id, "source_id": source.id, "author_key": key, "kind": "pain",
                  "text": "x", "start": 0, "end": 1, "theme": "x", "week": week,
                  "matched": attribute != "-"}],
            ).scalar_one()  # fmt: skip
            if attribute == "-":
                continue
            session.execute(
                insert(EvidenceRow),
                [{"statement_id": statement_id, "item_id": item_id, "source_id": source.id,
                  "author_key": key, "persona_id": "owner", "attribute_id": attribute,
                  "kind": "pain", "score": 1.0, "persona_version": "v", "week": week,
                  "segment_key": json.dumps(segment, sort_keys=True)}],
            )  # fmt: skip


def test_a_rise_in_one_segment_shows_as_that_segment(store: Store) -> None:
    small, mid = {"company_size": "1-10"}, {"company_size": "11-50"}
    weeks = weeks_ending("2026-W47", 12)
    for week in weeks:
        last = week == weeks[-1]
        _say(store, week, 10, small, "late-payments", "s")
        _say(store, week, 16 if last else 4, mid, "late-payments", "m")  # 4x, in one segment
        _say(store, week, 60, small, "-", "o")  # everything else people said
    with store.session() as session:
        plain = analyse(session, PERSONAS, DriftConfig(), weeks[-1])
        split = analyse(session, PERSONAS, DriftConfig(segment_tags=["company_size"]), weeks[-1])
    segments = {f.cell.segment for f in split.findings if f.kind == "rising"}
    assert "company_size=11-50" in segments and "company_size=1-10" not in segments
    assert not any(f.cell.segment for f in plain.persona.findings)
