"""The database's privacy state: which author key it was given, and converting old data.

Checked whenever a command that writes starts (``Service.upgrade``): a database keeps the check
value of its key (never the key), and a different key is refused, because every author would
then be counted again as someone new and ``purge --author`` would find nobody.

A database written before this version (its ``privacy_state`` row says ``legacy``) holds
unmasked text and unkeyed author digests; the first start with a key converts it in one
transaction (see ``convert``). Ingest never needs the raw handles for that: the pseudonym is
keyed over the same digest the old version stored (``Pseudonymiser.pseudonym``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from connectors.base import RawItem, SurveyRef
from listener.errors import ConfigError
from listener.logging import get_logger
from listener.privacy.keys import Pseudonymiser
from listener.privacy.mask import mask_data
from listener.privacy.scrub import scrub_item
from listener.store.db import Store
from listener.store.items import author_hash, content_hash, fingerprint
from listener.store.models import (
    AlertRow,
    EvidenceRow,
    ItemRow,
    PrivacyStateRow,
    QuarantineRow,
    SourceRow,
    StatementRow,
)

log = get_logger("listener.privacy")
_CHUNK = 1000


@dataclass
class Converted:
    items: int = 0
    """Items whose author, text or ids changed."""
    authors: int = 0
    """Distinct authors re-keyed (their statements and evidence follow)."""
    reprocess: int = 0
    """Items whose text was masked: processed again, since their statements' spans moved."""
    other: int = 0
    """Statements, quarantined rows, alerts and sources' errors masked."""


def ensure(
    store: Store, pseudonyms: Pseudonymiser, now: datetime | None = None
) -> Converted | None:
    """Record the key on a new database, refuse a different one, convert a legacy database.

    Returns what was converted (None when there was nothing to convert). Two processes starting
    together convert once: the second waits on the lock and finds the work done.
    """
    now = now or datetime.now(UTC)
    with store.exclusive("privacy"), store.session() as session:
        row = session.get(PrivacyStateRow, 1)
        if row is None:  # the migration inserts it; be safe with a hand-made database
            row = PrivacyStateRow(id=1, legacy=False)
            session.add(row)
        if row.key_check is not None and row.key_check != pseudonyms.check:
            raise ConfigError(
                [
                    "privacy: the author key is not the one this database's authors were hashed "
                    "with (privacy.author_key_env / privacy.author_key_file)"
                ],
                hint="give the service its previous key; a new key would count every author "
                "again as someone new (to start afresh, use a new database)",
            )
        converted = convert(session, pseudonyms) if row.legacy else None
        if converted is not None or row.key_check is None:
            row.legacy, row.key_check, row.updated_at = False, pseudonyms.check, now
    if converted is not None:
        log.info(
            "privacy: stored data converted",
            items=converted.items,
            authors=converted.authors,
            reprocess=converted.reprocess,
            other=converted.other,
        )
    return converted


def convert(session: Session, pseudonyms: Pseudonymiser) -> Converted:
    """Mask the text and key the author digests of data stored before this version."""
    done = Converted()
    rekeyed: dict[str, str] = {}
    items: Table = ItemRow.__table__  # type: ignore[assignment]
    last = 0
    while True:
        rows = session.execute(
            select(items).where(items.c.id > last).order_by(items.c.id).limit(_CHUNK)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        changes = [c for c in (_item_change(r, pseudonyms, rekeyed) for r in rows) if c]
        done.items += len(changes)
        done.reprocess += sum(1 for c in changes if c["processed_key"] is None)
        if changes:
            session.execute(
                update(items).where(items.c.id == bindparam("row_id")),
                changes,
            )
    done.authors = len(rekeyed)
    pairs = [{"old": old, "new": new} for old, new in rekeyed.items()]
    for row_type in (StatementRow, EvidenceRow):
        table: Table = row_type.__table__  # type: ignore[assignment]
        for start in range(0, len(pairs), _CHUNK):
            session.execute(
                update(table)
                .where(table.c.author_key == bindparam("old"))
                .values(author_key=bindparam("new")),
                pairs[start : start + _CHUNK],
            )
    done.other += _mask_column(session, StatementRow, ("text", "theme"))
    done.other += _mask_column(session, QuarantineRow, ("excerpt", "reason"))
    done.other += _mask_column(session, SourceRow, ("last_error", "disabled_reason"))
    done.other += _mask_column(session, AlertRow, ("theme", "summary", "quotes", "detail"))
    return done


def _item_change(
    row: Any, pseudonyms: Pseudonymiser, rekeyed: dict[str, str]
) -> dict[str, Any] | None:
    """The values ingest would store today for this row, or None when they are the same."""
    survey = SurveyRef(**row.survey) if row.survey else None
    scrubbed = scrub_item(
        RawItem(
            external_id=row.external_id,
            text=row.text,
            title=row.title,
            url=row.url,
            kind=row.kind,
            prompt=row.prompt,
            segment=row.segment or {},
            survey=survey,
        ),
        pseudonyms,
    )
    author = None
    if row.author_hash is not None:
        if row.author_hash not in rekeyed:
            rekeyed[row.author_hash] = author_hash(pseudonyms.keyed(row.author_hash)) or ""
        author = rekeyed[row.author_hash]
    question = scrubbed.survey.question_id if scrubbed.survey is not None else None
    new = {
        "external_id": scrubbed.external_id,
        "author_hash": author,
        "title": scrubbed.title,
        "text": scrubbed.text,
        "url": scrubbed.url,
        "segment": dict(scrubbed.segment),
        "survey": scrubbed.survey.as_dict() if scrubbed.survey is not None else None,
        "content_hash": content_hash(scrubbed),
        "fingerprint": fingerprint(author, row.kind, question, scrubbed.title, scrubbed.text),
    }
    if all(getattr(row, k) == v for k, v in new.items()):
        return None
    reread = (scrubbed.text, scrubbed.title) != (row.text, row.title)
    new["processed_key"] = None if reread else row.processed_key
    return {"row_id": row.id, **new}


def _mask_column(session: Session, row_type: type[Any], columns: tuple[str, ...]) -> int:
    """Mask the text (or JSON) ``columns`` of every row of a table; returns rows changed."""
    table: Table = row_type.__table__
    changed = 0
    last = 0
    while True:
        rows = session.execute(
            select(table.c.id, *(table.c[c] for c in columns))
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return changed
        last = rows[-1].id
        updates = []
        for row in rows:
            values = {c: mask_data(getattr(row, c)) for c in columns}
            if any(values[c] != getattr(row, c) for c in columns):
                updates.append({"row_id": row.id, **values})
        if updates:
            session.execute(update(table).where(table.c.id == bindparam("row_id")), updates)
            changed += len(updates)
