"""Read-only queries behind `status`, `report` and the digest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listener.store.items import pending as pending_items
from listener.store.models import EvidenceRow, ItemRow, SourceRow, StatementRow


@dataclass(frozen=True)
class Totals:
    items: int
    statements: int
    evidence: int

    def as_dict(self) -> dict[str, int]:
        return {"items": self.items, "statements": self.statements, "evidence": self.evidence}


def totals(session: Session) -> Totals:
    def count(model: type) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    return Totals(items=count(ItemRow), statements=count(StatementRow), evidence=count(EvidenceRow))


@dataclass(frozen=True)
class SourceCounts:
    items: int
    statements: int
    evidence: int
    pending: int
    newest_item_at: datetime | None
    other_language: int = 0
    """Items whose last processing skipped them as another language than the personas'."""


def per_source_counts(session: Session, processed_key: str) -> dict[int, SourceCounts]:
    items = dict(
        session.execute(select(ItemRow.source_id, func.count()).group_by(ItemRow.source_id)).all()
    )
    newest = dict(
        session.execute(
            select(ItemRow.source_id, func.max(ItemRow.created_at)).group_by(ItemRow.source_id)
        ).all()
    )
    statements = dict(
        session.execute(
            select(ItemRow.source_id, func.count())
            .join(StatementRow, StatementRow.item_id == ItemRow.id)
            .group_by(ItemRow.source_id)
        ).all()
    )
    evidence = dict(
        session.execute(
            select(ItemRow.source_id, func.count())
            .join(EvidenceRow, EvidenceRow.item_id == ItemRow.id)
            .group_by(ItemRow.source_id)
        ).all()
    )
    pending_query = (
        select(ItemRow.source_id, func.count())
        .where(pending_items(processed_key))
        .group_by(ItemRow.source_id)
    )
    pending = dict(session.execute(pending_query).all())
    other_language = dict(
        session.execute(
            select(ItemRow.source_id, func.count())
            .where(ItemRow.skipped == "language")
            .group_by(ItemRow.source_id)
        ).all()
    )
    ids = session.scalars(select(SourceRow.id)).all()
    return {
        source_id: SourceCounts(
            items=items.get(source_id, 0),
            statements=statements.get(source_id, 0),
            evidence=evidence.get(source_id, 0),
            pending=pending.get(source_id, 0),
            newest_item_at=newest.get(source_id),
            other_language=other_language.get(source_id, 0),
        )
        for source_id in ids
    }


AttributeKey = tuple[str, str, str]
"""(persona id, attribute id, kind)"""


def weekly_counts(session: Session, weeks: list[str]) -> dict[AttributeKey, dict[str, int]]:
    """Evidence per persona attribute per week (only weeks asked for), read from the index."""
    result: dict[AttributeKey, dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(
            EvidenceRow.persona_id,
            EvidenceRow.attribute_id,
            EvidenceRow.kind,
            EvidenceRow.week,
            func.count(),
        )
        .where(EvidenceRow.week.in_(weeks))
        .group_by(
            EvidenceRow.persona_id, EvidenceRow.attribute_id, EvidenceRow.kind, EvidenceRow.week
        )
    )
    for persona, attribute, kind, week, count in rows:
        result[(persona, attribute, kind)][week] = count
    return dict(result)


def weekly_segment_counts(
    session: Session, weeks: list[str]
) -> dict[tuple[str, str, str], dict[str, int]]:
    """Evidence per (persona, attribute, segment JSON) per week."""
    result: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    rows = session.execute(
        select(
            EvidenceRow.persona_id,
            EvidenceRow.attribute_id,
            EvidenceRow.segment_key,
            EvidenceRow.week,
            func.count(),
        )
        .where(EvidenceRow.week.in_(weeks))
        .group_by(
            EvidenceRow.persona_id,
            EvidenceRow.attribute_id,
            EvidenceRow.segment_key,
            EvidenceRow.week,
        )
    )
    for persona, attribute, segment, week, count in rows:
        result[(persona, attribute, segment)][week] = count
    return dict(result)
