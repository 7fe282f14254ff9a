"""Erasure: everything stored from one source, one author, or before a date, in one transaction.

What goes: the items chosen, their statements and evidence, the quotes of those statements in
stored alerts (found by source and quoted text), and for a source or a date its quarantined
rows. What stays: the sources themselves (their cursor, so what was erased is not fetched again
unless the source serves it anew; their health history), alerts' counts, and digests already
delivered. An author is found by the keyed hash ingest stored for them, so the key must be the
one the database was given.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from listener.alerts.quotes import quote_text
from listener.errors import UsageError
from listener.privacy.keys import Pseudonymiser
from listener.store.models import (
    AlertRow,
    EvidenceRow,
    ItemRow,
    QuarantineRow,
    SourceRow,
    StatementRow,
)

TABLES = ("items", "statements", "evidence", "alert_quotes", "quarantine")


@dataclass(frozen=True)
class Selection:
    """What to erase; given together, the conditions all hold (a source's items before a date)."""

    source: str | None = None
    author: str | None = None
    """The handle as the source shows it (a survey respondent: ``response:SURVEY:RESPONSE_ID``)."""
    before: datetime | None = None
    """Items said (or, without a time, stored) before this moment, UTC."""

    def __post_init__(self) -> None:
        if self.source is None and self.author is None and self.before is None:
            raise UsageError(
                "purge needs --source, --author or --before",
                hint="e.g. listener purge --author jdoe --dry-run",
            )
        if self.author is not None and not self.author.strip():
            raise UsageError("--author is empty", hint="give the handle as the source shows it")


def purge(
    session: Session, selection: Selection, pseudonyms: Pseudonymiser, dry_run: bool = False
) -> dict[str, int]:
    """Rows erased (or, with ``dry_run``, that would be) per table, in the caller's transaction."""
    where = _items_where(session, selection, pseudonyms)
    chosen = select(ItemRow.id).where(where).scalar_subquery()
    counts = {
        "items": _count(session, select(func.count()).select_from(ItemRow).where(where)),
        "statements": _count(session, select(func.count()).where(StatementRow.item_id.in_(chosen))),
        "evidence": _count(session, select(func.count()).where(EvidenceRow.item_id.in_(chosen))),
    }
    quarantine = _quarantine_where(session, selection)
    counts["quarantine"] = (
        0
        if quarantine is None
        else _count(session, select(func.count()).select_from(QuarantineRow).where(quarantine))
    )
    quoted = set(_quoted(session, chosen))
    changed_alerts: list[tuple[AlertRow, list[dict[str, Any]]]] = []
    for alert in session.scalars(select(AlertRow).order_by(AlertRow.id)):
        kept = [q for q in alert.quotes or [] if (q.get("source"), q.get("text")) not in quoted]
        if len(kept) != len(alert.quotes or []):
            changed_alerts.append((alert, kept))
    counts["alert_quotes"] = sum(len(a.quotes) - len(kept) for a, kept in changed_alerts)
    if dry_run:
        return {table: counts[table] for table in TABLES}
    for alert, kept in changed_alerts:
        alert.quotes = kept
    session.execute(delete(EvidenceRow).where(EvidenceRow.item_id.in_(chosen)))
    session.execute(delete(StatementRow).where(StatementRow.item_id.in_(chosen)))
    session.execute(delete(ItemRow).where(where))
    if quarantine is not None:
        session.execute(delete(QuarantineRow).where(quarantine))
    return {table: counts[table] for table in TABLES}


def _items_where(
    session: Session, selection: Selection, pseudonyms: Pseudonymiser
) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if selection.source is not None:
        conditions.append(ItemRow.source_id == _source_id(session, selection.source))
    if selection.author is not None:
        conditions.append(ItemRow.author_hash == pseudonyms.stored_author(selection.author))
    if selection.before is not None:
        conditions.append(func.coalesce(ItemRow.created_at, ItemRow.fetched_at) < selection.before)
    return and_(*conditions)


def _quarantine_where(session: Session, selection: Selection) -> ColumnElement[bool] | None:
    """Quarantined rows have no author: they go with their source or their date only."""
    if selection.author is not None:
        return None
    conditions: list[ColumnElement[bool]] = []
    if selection.source is not None:
        conditions.append(QuarantineRow.source_id == _source_id(session, selection.source))
    if selection.before is not None:
        conditions.append(QuarantineRow.last_seen_at < selection.before)
    return and_(*conditions)


def _source_id(session: Session, name: str) -> int:
    found = session.scalar(select(SourceRow.id).where(SourceRow.name == name))
    if found is None:
        known = ", ".join(session.scalars(select(SourceRow.name).order_by(SourceRow.name)))
        raise UsageError(
            f"--source {name!r}: no such source in the database",
            hint=f"known sources: {known}" if known else "the database holds no source yet",
        )
    return found


def _quoted(session: Session, chosen: Any) -> Iterator[tuple[str, str]]:
    """(source name, quoted text) of every statement to erase, as alerts store their quotes."""
    rows = session.execute(
        select(SourceRow.name, StatementRow.text)
        .join(SourceRow, SourceRow.id == StatementRow.source_id)
        .where(StatementRow.item_id.in_(chosen))
        .execution_options(yield_per=1000)
    )
    for name, text in rows:
        yield name, quote_text(text)


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)
