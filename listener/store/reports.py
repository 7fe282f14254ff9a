"""Read-only queries behind `status`, `report` and the digest."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from listener.store import grains, rollup
from listener.store.items import pending as pending_items
from listener.store.models import EvidenceRow, ItemRow, SourceRow


@dataclass(frozen=True)
class Totals:
    items: int
    statements: int
    evidence: int

    def as_dict(self) -> dict[str, int]:
        return {"items": self.items, "statements": self.statements, "evidence": self.evidence}


def totals(session: Session) -> Totals:
    """Rows stored; statements and evidence from the kept weekly counts (listener.store.rollup)."""
    statements, evidence = rollup.per_source(session, grains.VOICES, grains.ATTRIBUTE)
    return Totals(
        items=session.scalar(select(func.count()).select_from(ItemRow)) or 0,
        statements=sum(statements.values()),
        evidence=sum(evidence.values()),
    )


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
    """Counts per source: items from the index on their own ``source_id`` (no join), statements
    and evidence from the kept weekly counts, so `status` reads index entries and a few thousand
    count rows, not millions of rows; the newest item is one index probe per source."""

    def per_source(column: Any, where: Any = None) -> dict[int, int]:
        query = select(column, func.count()).group_by(column)
        if where is not None:
            query = query.where(where)
        return {source_id: n for source_id, n in session.execute(query)}

    items = per_source(ItemRow.source_id)
    statements, evidence = rollup.per_source(session, grains.VOICES, grains.ATTRIBUTE)
    pending = per_source(ItemRow.source_id, pending_items(processed_key))
    newest_item = (
        select(func.max(ItemRow.created_at))
        .where(ItemRow.source_id == SourceRow.id)
        .scalar_subquery()
    )
    newest = {source_id: at for source_id, at in session.execute(select(SourceRow.id, newest_item))}
    other_language = per_source(ItemRow.source_id, ItemRow.skipped == "language")
    return {
        source_id: SourceCounts(
            items=items.get(source_id, 0),
            statements=statements.get(source_id, 0),
            evidence=evidence.get(source_id, 0),
            pending=pending.get(source_id, 0),
            newest_item_at=newest_at,
            other_language=other_language.get(source_id, 0),
        )
        for source_id, newest_at in newest.items()
    }


def totals_of(counts: dict[int, SourceCounts]) -> Totals:
    """The totals, from counts per source (every row belongs to a source): no second scan."""
    values = counts.values()
    return Totals(
        items=sum(c.items for c in values),
        statements=sum(c.statements for c in values),
        evidence=sum(c.evidence for c in values),
    )


AttributeKey = tuple[str, str, str]
"""(persona id, attribute id, kind)"""


def weekly_counts(session: Session, weeks: list[str]) -> dict[AttributeKey, dict[str, int]]:
    """Evidence per persona attribute per week (only weeks asked for)."""
    return _evidence_per_week(session, grains.ATTRIBUTE, weeks)


def weekly_segment_counts(
    session: Session, weeks: list[str]
) -> dict[tuple[str, str, str], dict[str, int]]:
    """Evidence per (persona, attribute, segment JSON) per week."""
    return _evidence_per_week(session, grains.SEGMENT, weeks)


def _evidence_per_week(
    session: Session, grain: grains.Grain, weeks: list[str]
) -> dict[Any, dict[str, int]]:
    """A grain's evidence rows per key per week, summed over sources."""
    result: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rollup.counts(session, grain, weeks):
        result[row.key][row.week] += row.mentions
    return {key: dict(per_week) for key, per_week in result.items()}


def evidence_per_attribute(session: Session) -> dict[tuple[str, str], int]:
    """Evidence rows stored per (persona, attribute), every week: what `rescore` compares
    before and after (an index-only scan of ix_evidence_quotes on PostgreSQL)."""
    query = select(EvidenceRow.persona_id, EvidenceRow.attribute_id, func.count()).group_by(
        EvidenceRow.persona_id, EvidenceRow.attribute_id
    )
    return {(persona, attribute): n for persona, attribute, n in session.execute(query)}
