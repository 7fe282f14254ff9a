"""Ingesting batches: items upserted by (source, external id) and the cursor, in one transaction.

An item is also recognised by its content fingerprint within its source: a feed that gives its
entries a new id on every fetch must not store the same posts again and again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, or_, update
from sqlalchemy.orm import Session

from connectors.base import RawItem, SurveyRef
from listener.store.models import ItemRow, SourceRow, table
from listener.store.probe import probe
from listener.store.storable import all_storable, storable, storable_data, storable_or_none


@dataclass
class IngestCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    """Records the connector could not read, newly kept aside (see store.quarantine)."""
    duplicates: int = 0
    """New ids whose content the source already holds (see ``fingerprint``); not stored."""

    def __iadd__(self, other: IngestCounts) -> IngestCounts:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined
        self.duplicates += other.duplicates
        return self


MAX_EXTERNAL_ID = 512


def processed_key(extractor_version: str, personas_version: str) -> str:
    """What an item's statements and evidence depend on; stored on the item once processed."""
    return f"{extractor_version}:{personas_version}"


def pending(key: str) -> ColumnElement[bool]:
    """Items not yet processed under ``key``: new, edited, or scored by older NLP or personas.

    Items whose text retention blanked are never pending: their statements stay as scored.
    ``<`` or ``>`` rather than ``!=``: ranges an index on processed_key can serve.
    """
    column = ItemRow.processed_key
    return and_(ItemRow.redacted_at.is_(None), or_(column.is_(None), column < key, column > key))


def storage_id(external_id: str) -> str:
    """The id as stored: ids longer than the column (URL guids with tracking) become a hash."""
    if len(external_id) <= MAX_EXTERNAL_ID:
        return external_id
    return "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()


def content_hash(item: RawItem) -> str:
    # The prompt is part of what the text means: a changed `prompts:` config re-processes.
    key = f"{item.prompt or ''}\n{item.title or ''}\n{item.text}"
    return hashlib.sha256(key.encode()).hexdigest()


def fingerprint(
    author_hash: str | None,
    kind: str,
    question_id: str | None,
    title: str | None,
    text: str,
) -> str | None:
    """What makes two items of one source the same post whatever their ids: who said it, what
    kind of item and to which question, and the words (whitespace aside). None for an item with
    no words, which says nothing to recognise it by."""
    words = " ".join(text.split())
    heading = " ".join((title or "").split())
    if not words and not heading:
        return None
    key = "\n".join((author_hash or "", kind, question_id or "", heading, words))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def author_hash(author: str | None) -> str | None:
    """Authors are pseudonymised: enough to count distinct voices, not to identify anyone."""
    if not author:
        return None
    return hashlib.sha256(author.strip().lower().encode()).hexdigest()[:32]


def speaker(item: RawItem) -> str | None:
    """Who said it: the author, or for a survey answer its respondent (the response), so that
    one respondent's answers to several questions count as one voice."""
    if item.author:
        return item.author
    if item.survey is not None:
        return f"response:{item.survey.survey}:{item.survey.response_id}"
    return None


def author_key(author_hash: str | None, item_id: int) -> str:
    """Whom distinct-author counts count: the author, else the item itself (a survey response
    is one respondent; a feed entry without an author is one voice)."""
    return author_hash or f"item:{item_id}"


def ingest_batch(
    session: Session,
    source: SourceRow,
    items: Sequence[RawItem],
    cursor: Any,
    segment_tags: dict[str, str] | None = None,
    now: datetime | None = None,
) -> IngestCounts:
    """Upsert the batch's items and advance the cursor, in the caller's transaction.

    An item seen before with the same content is left alone (so re-fetching is free); edited
    content replaces the text and marks the item for re-processing; a new id whose fingerprint
    the source already holds is a duplicate and is not stored. Text is made storable first.
    """
    now = now or datetime.now(UTC)
    counts = IngestCounts()
    unique: dict[str, RawItem] = {}
    for raw in items:
        item = _storable(raw)
        unique[storage_id(item.external_id)] = item  # a repeated id keeps the last version
    counts.unchanged += len(items) - len(unique)
    existing = {
        row.external_id: row
        for row in probe(
            session,
            source.id,
            ItemRow.external_id,
            list(unique),
            ItemRow.id,
            ItemRow.content_hash,
            ItemRow.segment,
            ItemRow.survey,
        )
    }
    prints = {
        external_id: _fingerprint(item)
        for external_id, item in unique.items()
        if external_id not in existing
    }
    wanted = [p for p in prints.values() if p is not None]
    known = {row.fingerprint for row in probe(session, source.id, ItemRow.fingerprint, wanted)}
    added: list[dict[str, Any]] = []
    edited: list[dict[str, Any]] = []
    renamed: list[dict[str, Any]] = []
    for external_id, item in unique.items():
        digest = content_hash(item)
        segment = {**(segment_tags or {}), **dict(item.segment)}
        survey = item.survey.as_dict() if item.survey is not None else None
        row = existing.get(external_id)
        if row is None:
            print_ = prints[external_id]
            if print_ is not None:
                if print_ in known:
                    counts.duplicates += 1  # the same post under a new id
                    continue
                known.add(print_)
            added.append(
                {
                    "source_id": source.id,
                    "external_id": external_id,
                    "kind": item.kind,
                    "prompt": item.prompt,
                    "url": item.url,
                    "author_hash": author_hash(speaker(item)),
                    "title": item.title,
                    "text": item.text,
                    "created_at": item.created_at,
                    "fetched_at": now,
                    "segment": segment,
                    "content_hash": digest,
                    "fingerprint": print_,
                    "processed_key": None,
                    "survey": survey,
                }
            )
        elif row.content_hash != digest or row.segment != segment:
            edited.append(
                {
                    "id": row.id,
                    "text": item.text,
                    "title": item.title,
                    "content_hash": digest,
                    "segment": segment,
                    "url": item.url,
                    "prompt": item.prompt,
                    "fingerprint": _fingerprint(item),
                    "processed_key": None,  # pending again
                    "survey": survey,
                }
            )
        else:
            if row.survey != survey:  # a renamed form or question: no new NLP needed
                renamed.append({"id": row.id, "survey": survey})
            counts.unchanged += 1
    # Set-based: one executemany INSERT (PostgreSQL: multi-row, a thousand a statement), one
    # executemany per kind of update; no ORM object per item.
    if added:
        session.execute(insert(table(ItemRow)), added)  # Core: no ORM work per row
    for changes in (edited, renamed):  # ORM bulk UPDATE by primary key (executemany)
        if changes:
            session.execute(update(ItemRow), changes)
    counts.added += len(added)
    counts.updated += len(edited)
    source.cursor = storable_data(dict(cursor)) if cursor is not None else None
    return counts


def _fingerprint(item: RawItem) -> str | None:
    question = item.survey.question_id if item.survey is not None else None
    return fingerprint(author_hash(speaker(item)), item.kind, question, item.title, item.text)


def _storable(item: RawItem) -> RawItem:
    """The item with every string the store keeps made storable (see listener.store.storable);
    the item itself when they all are (nearly always: one scan instead of a copy)."""
    survey = item.survey
    segment = item.segment
    texts = [item.external_id, item.text, item.title, item.url, item.author, item.kind]
    texts += [item.prompt, *segment.keys(), *segment.values()]
    if survey is not None:
        texts += [survey.survey, survey.question, survey.question_id, survey.response_id]
    strings = isinstance(segment, dict) and all(isinstance(t, str | None) for t in texts)
    if strings and all_storable(texts):
        return item
    if survey is not None:
        survey = SurveyRef(**storable_data(survey.as_dict()))
    return replace(
        item,
        external_id=storable(item.external_id) or "\ufffd",
        text=storable(item.text),
        title=storable_or_none(item.title),
        url=storable_or_none(item.url),
        author=storable_or_none(item.author),
        kind=storable(item.kind),
        prompt=storable_or_none(item.prompt),
        segment=storable_data(dict(item.segment)),
        survey=survey,
    )
