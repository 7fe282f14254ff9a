"""Turning stored items into statements and evidence.

Pure in effect: an item's statements and evidence depend only on its text, the extractor version
and the personas version. Each item records the key it was processed with, so re-running is a
no-op, a crash mid-way leaves the unfinished items pending, and a persona change re-scores history.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from listener.matching import Match, PersonaMatcher
from listener.nlp import Extractor
from listener.personas import PersonaSet
from listener.store.db import Store
from listener.store.models import EvidenceRow, ItemRow, StatementRow
from listener.weeks import iso_week

Progress = Callable[[int], None]


@dataclass
class ProcessCounts:
    items: int = 0
    statements: int = 0
    evidence: int = 0


def item_document(title: str | None, text: str) -> str:
    """What the NLP reads: the text; the title only when there is no text.

    Titles are left out otherwise: connectors that want them (Reddit self-posts) put them in the
    text, and elsewhere they repeat the body or are boilerplate ("Comment on ...").
    """
    return text if text.strip() else (title or "")


class Processor:
    def __init__(
        self,
        extractor: Extractor,
        matcher: PersonaMatcher,
        personas: PersonaSet,
        tz: ZoneInfo,
        batch_size: int = 256,
    ) -> None:
        self.extractor = extractor
        self.matcher = matcher
        self.persona_version = personas.version
        self.tz = tz
        self.batch_size = batch_size
        self.key = f"{extractor.version}:{personas.version}"

    def pending_count(self, store: Store) -> int:
        with store.session() as session:
            return session.scalar(select(func.count()).where(self._pending())) or 0

    def process_pending(self, store: Store, on_progress: Progress | None = None) -> ProcessCounts:
        """Process every pending item, one committed chunk at a time."""
        total = ProcessCounts()
        last_id = 0
        while True:
            with store.session() as session:
                rows = (
                    session.execute(
                        select(ItemRow)
                        .where(self._pending(), ItemRow.id > last_id)
                        .order_by(ItemRow.id)
                        .limit(self.batch_size)
                    )
                    .scalars()
                    .all()
                )
                if not rows:
                    return total
                counts = self._process_chunk(session, rows)
                last_id = rows[-1].id
            total.items += counts.items
            total.statements += counts.statements
            total.evidence += counts.evidence
            if on_progress:
                on_progress(counts.items)

    def _pending(self) -> ColumnElement[bool]:
        return or_(ItemRow.processed_key.is_(None), ItemRow.processed_key != self.key)

    def _process_chunk(self, session: Session, rows: Sequence[ItemRow]) -> ProcessCounts:
        ids = [row.id for row in rows]
        session.execute(delete(EvidenceRow).where(EvidenceRow.item_id.in_(ids)))
        session.execute(delete(StatementRow).where(StatementRow.item_id.in_(ids)))
        documents = (item_document(row.title, row.text) for row in rows)
        pending: list[tuple[ItemRow, StatementRow, list[Match], str]] = []
        for row, statements in zip(rows, self.extractor.extract_many(documents), strict=True):
            week = iso_week(row.created_at or row.fetched_at, self.tz)
            segment_key = json.dumps(row.segment or {}, sort_keys=True, ensure_ascii=False)
            for statement, matches in zip(
                statements, self.matcher.match_many(statements), strict=True
            ):
                statement_row = StatementRow(
                    item_id=row.id,
                    kind=statement.kind,
                    text=statement.text,
                    start=statement.start,
                    end=statement.end,
                    theme=statement.theme[:200],
                    week=week,
                    matched=bool(matches),
                )
                pending.append((row, statement_row, matches, segment_key))
            row.processed_key = self.key
        session.add_all([statement_row for _, statement_row, _, _ in pending])
        session.flush()  # one multi-row INSERT ... RETURNING gives the statement ids
        evidence = [
            EvidenceRow(
                statement_id=statement_row.id,
                item_id=row.id,
                persona_id=match.persona,
                attribute_id=match.attribute,
                kind=match.kind,
                score=match.score,
                persona_version=self.persona_version,
                week=statement_row.week,
                segment_key=segment_key,
            )
            for row, statement_row, matches, segment_key in pending
            for match in matches
        ]
        session.add_all(evidence)
        return ProcessCounts(items=len(rows), statements=len(pending), evidence=len(evidence))
