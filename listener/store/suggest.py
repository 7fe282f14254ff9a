"""The stored statements ``listener personas suggest`` reads: one window of weeks, with the
persona attributes each statement is evidence for (under the current personas version)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from listener.store.models import EvidenceRow, StatementRow

_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class StoredStatement:
    id: int
    item_id: int
    kind: str
    text: str
    theme: str
    week: str
    evidence: tuple[tuple[str, str], ...]
    """(persona id, attribute id) pairs this statement is evidence for."""


def statements_since(
    session: Session, since_week: str, persona_version: str
) -> Iterator[StoredStatement]:
    """Statements of ISO weeks ``since_week`` and later ("2026-W40": the strings sort as weeks),
    in id order, read in chunks so memory follows the chunk, not the window."""
    last = 0
    while True:
        rows = session.execute(
            select(
                StatementRow.id,
                StatementRow.item_id,
                StatementRow.kind,
                StatementRow.text,
                StatementRow.theme,
                StatementRow.week,
            )
            .where(StatementRow.week >= since_week, StatementRow.id > last)
            .order_by(StatementRow.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        evidence: dict[int, list[tuple[str, str]]] = {}
        for statement_id, persona, attribute in session.execute(
            select(EvidenceRow.statement_id, EvidenceRow.persona_id, EvidenceRow.attribute_id)
            .where(
                EvidenceRow.statement_id.in_(ids),
                EvidenceRow.persona_version == persona_version,
            )
            .order_by(EvidenceRow.id)
        ):
            evidence.setdefault(statement_id, []).append((persona, attribute))
        for row in rows:
            yield StoredStatement(
                row.id,
                row.item_id,
                row.kind,
                row.text,
                row.theme,
                row.week,
                tuple(evidence.get(row.id, ())),
            )
        last = ids[-1]
