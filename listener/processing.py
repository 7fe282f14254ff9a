"""Turning stored items into statements and evidence.

Pure in effect: an item's statements and evidence depend only on its text, the extractor version
and the personas version. Each item records the key it was processed with, so re-running is a
no-op, a crash mid-way leaves the unfinished items pending, and a persona change re-scores history.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from listener.analysis import Analyser
from listener.matching import Match, PersonaMatcher
from listener.nlp import Extractor, Statement
from listener.nlp.reading import SkipReason
from listener.personas import PersonaSet
from listener.store.db import Store
from listener.store.items import author_key, pending, processed_key
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
        self.analyser = Analyser(extractor, matcher)
        self.persona_version = personas.version
        self.tz = tz
        self.batch_size = batch_size
        # = listener.analysis.processed_key (what `listener status` computes without spaCy)
        self.key = processed_key(self.analyser.version, personas.version)

    def pending_count(self, store: Store) -> int:
        with store.session() as session:
            return session.scalar(select(func.count()).where(pending(self.key))) or 0

    def process_pending(
        self,
        store: Store,
        on_progress: Progress | None = None,
        stop: threading.Event | None = None,
        wait: bool = True,
    ) -> ProcessCounts:
        """Process every pending item, one committed chunk at a time.

        The NLP runs with no transaction open (on SQLite an open write would lock out every
        ingest for as long as spaCy takes); the chunk is then written in one short transaction,
        and only for items whose text did not change in the meantime. With ``wait=False`` it
        returns at once when another thread or process is processing: that one loops until
        nothing is pending, new items included.
        """
        total = ProcessCounts()
        last_id = 0
        with store.exclusive("process", wait=wait) as taken:  # one processor per database
            while taken and (stop is None or not stop.is_set()):
                with store.session() as session:
                    chunk = [
                        _Pending(*cast("tuple[Any, ...]", row))
                        for row in session.execute(
                            select(
                                ItemRow.id,
                                ItemRow.source_id,
                                ItemRow.author_hash,
                                ItemRow.title,
                                ItemRow.text,
                                ItemRow.prompt,
                                ItemRow.created_at,
                                ItemRow.fetched_at,
                                ItemRow.segment,
                                ItemRow.content_hash,
                            )
                            .where(pending(self.key), ItemRow.id > last_id)
                            .order_by(ItemRow.id)
                            .limit(self.batch_size)
                        )
                    ]
                if not chunk:
                    break
                results = self._analyse(chunk)
                with store.session() as session:
                    counts = self._write(session, results)
                last_id = chunk[-1].id
                total.items += counts.items
                total.statements += counts.statements
                total.evidence += counts.evidence
                if on_progress:
                    on_progress(len(chunk))
        return total

    def _analyse(self, pending: Sequence[_Pending]) -> list[_Result]:
        """Statements and matches for each item, and why an item gave none: pure, no database.

        One analyser pass over the chunk: persona wording is matched on the tokens the
        extractor made, so an item is tokenised once.
        """
        documents = [item_document(p.title, p.text) for p in pending]
        analyses = self.analyser.analyse_many(
            documents, prompts=[p.prompt for p in pending], batch_size=max(1, len(documents))
        )
        return [
            _Result(item, analysis.statements, analysis.skipped)
            for item, analysis in zip(pending, analyses, strict=True)
        ]

    def _write(self, session: Session, results: Sequence[_Result]) -> ProcessCounts:
        current = []
        for result in results:  # claim: only items still as we read them
            claimed = session.execute(
                update(ItemRow)
                .where(
                    ItemRow.id == result.item.id, ItemRow.content_hash == result.item.content_hash
                )
                .values(processed_key=self.key, skipped=result.skipped)
            )
            if cast("CursorResult[Any]", claimed).rowcount:
                current.append(result)
        ids = [result.item.id for result in current]
        session.execute(delete(EvidenceRow).where(EvidenceRow.item_id.in_(ids)))
        session.execute(delete(StatementRow).where(StatementRow.item_id.in_(ids)))
        rows: list[tuple[_Result, StatementRow, list[Match], str]] = []
        for result in current:
            item = result.item
            week = iso_week(item.created_at or item.fetched_at, self.tz)
            segment_key = json.dumps(item.segment or {}, sort_keys=True, ensure_ascii=False)
            author = author_key(item.author_hash, item.id)
            for statement, matches in result.statements:
                statement_row = StatementRow(
                    item_id=item.id,
                    source_id=item.source_id,
                    author_key=author,
                    kind=statement.kind,
                    text=statement.text,
                    start=statement.start,
                    end=statement.end,
                    theme=statement.theme[:200],
                    week=week,
                    matched=bool(matches),
                )
                rows.append((result, statement_row, matches, segment_key))
        session.add_all([statement_row for _, statement_row, _, _ in rows])
        session.flush()  # one multi-row INSERT ... RETURNING gives the statement ids
        evidence = [
            EvidenceRow(
                statement_id=statement_row.id,
                item_id=result.item.id,
                source_id=result.item.source_id,
                author_key=statement_row.author_key,
                persona_id=match.persona,
                attribute_id=match.attribute,
                kind=match.kind,
                score=match.score,
                persona_version=self.persona_version,
                week=statement_row.week,
                segment_key=segment_key,
            )
            for result, statement_row, matches, segment_key in rows
            for match in matches
        ]
        session.add_all(evidence)
        return ProcessCounts(items=len(current), statements=len(rows), evidence=len(evidence))


@dataclass(frozen=True)
class _Pending:
    id: int
    source_id: int
    author_hash: str | None
    title: str | None
    text: str
    prompt: str | None
    created_at: datetime | None
    fetched_at: datetime
    segment: dict[str, str]
    content_hash: str


@dataclass(frozen=True)
class _Result:
    item: _Pending
    statements: list[tuple[Statement, list[Match]]]
    skipped: SkipReason | None = None
    """Why the item gave nothing to read ("empty", "language", "nothing-kept"), else None."""
