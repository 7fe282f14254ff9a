"""Turning stored items into statements and evidence.

Pure in effect: an item's statements and evidence depend only on its text, the extractor version
and the personas version. Each item records the key it was processed with, so re-running is a
no-op, a crash mid-way leaves the unfinished items pending, and a persona change re-scores history.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ARRAY, Integer, Text, bindparam, case, delete, func, select, tuple_, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from listener.analysis import Analyser
from listener.analysis.parallel import Chunk, analyse_chunks
from listener.matching import Match, PersonaMatcher
from listener.nlp import Extractor, Statement
from listener.nlp.reading import SkipReason
from listener.personas import PersonaSet
from listener.store.bulk import insert_rows
from listener.store.db import Store
from listener.store.items import author_key, pending, processed_key
from listener.store.models import EvidenceRow, ItemRow, StatementRow, table
from listener.store.pending import next_pending
from listener.store.probe import lookup, reserve_ids
from listener.weeks import iso_week

Progress = Callable[[int], None]
PARALLEL_MIN_ITEMS = 2000
"""The backlog from which processing forks its NLP workers (``nlp.workers``)."""


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
        workers: int = 0,
        parallel_from: int = PARALLEL_MIN_ITEMS,
    ) -> None:
        self.extractor = extractor
        self.matcher = matcher
        self.analyser = Analyser(extractor, matcher)
        self.persona_version = personas.version
        self.tz = tz
        self.batch_size = batch_size
        self.workers = workers
        self.parallel_from = parallel_from
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
        and only for items whose text did not change in the meantime. A backlog of at least
        ``parallel_from`` items is read by ``workers`` forked processes while this process reads
        and writes the chunks around theirs; a ``stop`` ends after the chunk being written, and
        the chunks in the workers' hands are finished but not written (they stay pending).
        With ``wait=False`` it returns at once when another
        thread or process is processing: that one loops until nothing is pending, new items
        included.
        """
        total = ProcessCounts()
        with store.exclusive("process", wait=wait) as taken:  # one processor per database
            if not taken:
                return total
            chunks = self._pending_chunks(store, stop)
            first = next(chunks, None)
            if first is None:
                return total
            workers = self.workers
            # a short first chunk is the whole backlog (the daemon's usual case: no count
            # query per poll); forking a loaded pipeline costs more than a small backlog's NLP
            if workers and (
                len(first) < self.batch_size or self.pending_count(store) < self.parallel_from
            ):
                workers = 0
            for results in self._analysed(itertools.chain([first], chunks), workers):
                with store.session() as session:
                    counts = self._write(session, results)
                total.items += counts.items
                total.statements += counts.statements
                total.evidence += counts.evidence
                if on_progress:
                    on_progress(len(results))
                if stop is not None and stop.is_set():
                    break
        return total

    def _pending_chunks(
        self, store: Store, stop: threading.Event | None
    ) -> Iterator[list[_Pending]]:
        """Pending items in chunks of ``batch_size``, in id order per kind of pending item,
        until none is left (items that turned pending meanwhile included) or ``stop`` is set."""
        after: dict[str | None, int] = {}  # per kind of pending item, the last id read
        while stop is None or not stop.is_set():
            with store.session() as session:
                kind, rows = next_pending(
                    session, self.key, after, self.batch_size, _Pending.COLUMNS
                )
            if not rows:
                return
            chunk = [_Pending(*cast("tuple[Any, ...]", row)) for row in rows]
            after[kind] = chunk[-1].id
            yield chunk

    def _analyse(self, chunk: Sequence[_Pending]) -> list[_Result]:
        """One chunk's results, analysed in this process."""
        return next(self._analysed([list(chunk)], 0))

    def _analysed(self, chunks: Iterable[list[_Pending]], workers: int) -> Iterator[list[_Result]]:
        """Statements and matches for each chunk's items, and why an item gave none: pure, no
        database. One analyser pass per chunk: persona wording is matched on the tokens the
        extractor made, so an item is tokenised once."""
        handed: deque[list[_Pending]] = deque()  # chunks given out, in the order they return

        def documents() -> Iterator[Chunk]:
            for chunk in chunks:
                handed.append(chunk)
                yield [item_document(p.title, p.text) for p in chunk], [p.prompt for p in chunk]

        for analyses in analyse_chunks(self.analyser, documents(), workers):
            chunk = handed.popleft()
            yield [
                _Result(item, analysis.statements, analysis.skipped)
                for item, analysis in zip(chunk, analyses, strict=True)
            ]

    def _write(self, session: Session, results: Sequence[_Result]) -> ProcessCounts:
        """The chunk's results in a few set-based statements, in the caller's transaction.

        One UPDATE claims the items still as they were read (an item edited meanwhile stays
        pending), the claimed items' old statements and evidence are deleted by primary key,
        and the new ones are inserted many rows per statement (statement ids reserved first,
        so evidence needs no RETURNING); a failure anywhere rolls the whole chunk back, so its
        items stay pending and nothing is half-written.
        """
        if not results:
            return ProcessCounts()
        claimed = set(session.scalars(_claim(session, results, self.key)))
        current = [result for result in results if result.item.id in claimed]
        _delete_results(session, [result.item.id for result in current])
        statements: list[dict[str, Any]] = []
        owners: list[tuple[_Result, list[Match], str]] = []
        for result in current:
            item = result.item
            week = iso_week(item.created_at or item.fetched_at, self.tz)
            segment_key = json.dumps(item.segment or {}, sort_keys=True, ensure_ascii=False)
            author = author_key(item.author_hash, item.id)
            for statement, matches in result.statements:
                statements.append(
                    {
                        "item_id": item.id,
                        "source_id": item.source_id,
                        "author_key": author,
                        "kind": statement.kind,
                        "text": statement.text,
                        "start": statement.start,
                        "end": statement.end,
                        "theme": statement.theme[:200],
                        "week": week,
                        "matched": bool(matches),
                    }
                )
                owners.append((result, matches, segment_key))
        if not statements:
            return ProcessCounts(items=len(current))
        ids = reserve_ids(session, StatementRow.id, len(statements))
        for statement_id, row in zip(ids, statements, strict=True):
            row["id"] = statement_id
        insert_rows(session, table(StatementRow), statements)  # no ORM per row
        evidence = [
            {
                "statement_id": statement_id,
                "item_id": result.item.id,
                "source_id": result.item.source_id,
                "author_key": row["author_key"],
                "persona_id": match.persona,
                "attribute_id": match.attribute,
                "kind": match.kind,
                "score": match.score,
                "persona_version": self.persona_version,
                "week": row["week"],
                "segment_key": segment_key,
            }
            for statement_id, row, (result, matches, segment_key) in zip(
                ids, statements, owners, strict=True
            )
            for match in matches
        ]
        insert_rows(session, table(EvidenceRow), evidence)
        return ProcessCounts(items=len(current), statements=len(statements), evidence=len(evidence))


def _delete_results(session: Session, item_ids: list[int]) -> None:
    """The items' statements and evidence from an earlier processing, found by index probes
    and deleted by primary key (none for items never processed: then nothing is written)."""
    for model in (EvidenceRow, StatementRow):
        found = [row.id for row in lookup(session, model.item_id, item_ids, [model.id])]
        for start in range(0, len(found), 1000):
            session.execute(delete(model).where(model.id.in_(found[start : start + 1000])))


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

    COLUMNS: ClassVar[tuple[InstrumentedAttribute[Any], ...]] = (
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
    """The stored columns of the fields above, in their order."""


@dataclass(frozen=True)
class _Result:
    item: _Pending
    statements: list[tuple[Statement, list[Match]]]
    skipped: SkipReason | None = None
    """Why the item gave nothing to read ("empty", "language", "nothing-kept"), else None."""


def _claim(session: Session, results: Sequence[_Result], key: str) -> Any:
    """The UPDATE that marks the chunk's items processed under ``key`` (with their skip
    reasons) if their text is still the one read, returning the ids it claimed.

    PostgreSQL joins the items to the chunk's (id, hash, reason) arrays, unnested: a list of
    (id, hash) pairs became a 1,024-way OR evaluated on every row, 88 ms a chunk (a third of
    a 100k run's writes). SQLite plans the pairs as a lookup table itself."""
    ids = [result.item.id for result in results]
    if session.get_bind().dialect.name == "postgresql":
        chunk = (
            func.unnest(
                bindparam("ids", ids, type_=ARRAY(Integer)),
                bindparam("hashes", [r.item.content_hash for r in results], type_=ARRAY(Text)),
                bindparam("reasons", [r.skipped for r in results], type_=ARRAY(Text)),
            )
            .table_valued("id", "hash", "reason")
            .render_derived(name="chunk")
        )
        claim = (
            update(ItemRow)
            .where(ItemRow.id == chunk.c.id, ItemRow.content_hash == chunk.c.hash)
            .values(processed_key=key, skipped=chunk.c.reason)
        )
    else:
        claim = (
            update(ItemRow)
            .where(
                ItemRow.id.in_(ids),
                # (id, hash) pairs in one expanding parameter: a CASE of a WHEN per item
                # cost more to build in SQLAlchemy than the NLP of a short answer
                tuple_(ItemRow.id, ItemRow.content_hash).in_(
                    [(result.item.id, result.item.content_hash) for result in results]
                ),
            )
            .values(processed_key=key, skipped=_skip_reasons(results))
        )
    return claim.returning(ItemRow.id).execution_options(synchronize_session=False)


def _skip_reasons(results: Sequence[_Result]) -> Any:
    """Each claimed item's reason for reading nothing (``items.skipped``), or NULL, in one
    expression for the claiming UPDATE."""
    reasons = {result.item.id: result.skipped for result in results if result.skipped}
    return case(reasons, value=ItemRow.id, else_=None) if reasons else None
