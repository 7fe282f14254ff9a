"""Per-source health and counts: what `listener status` prints and /metrics exports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from listener.config import Config
from listener.delivery.claims import unsettled
from listener.secrets import mask_data
from listener.store import leases, quarantine, reports
from listener.store import sources as source_state
from listener.store.db import current_revision, head_revision, safe_url
from listener.store.models import SourceRow
from listener.store.webhooks import route_status

if TYPE_CHECKING:
    from listener.store.db import Store


def current_processed_key(config: Config) -> str:
    """The key items are processed under now (see Processor.key), without loading spaCy."""
    from listener.analysis import processed_key as key

    nlp = config.service.nlp
    return key(nlp.model, nlp.semantic, config.personas.version)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def collect_status(config: Config, store: Store) -> dict[str, Any]:
    """Takes the store, not the Service: the service imports the NLP and the scheduler, which
    `listener status` never needs (it must start fast)."""
    revision = current_revision(store.engine)
    base: dict[str, Any] = {"database": safe_url(store.engine), "schema": revision}
    if revision != head_revision():
        rows: dict[str, SourceRow] = {}
        counts: dict[int, reports.SourceCounts] = {}
        total = reports.Totals(0, 0, 0)
        kept_aside: dict[str, int] = {}
        deliveries: list[dict[str, Any]] = []
        routes: list[dict[str, Any]] = []
        instances: list[dict[str, Any]] = []
    else:
        with store.session() as session:
            rows = {row.name: row for row in session.scalars(select(SourceRow))}
            counts = reports.per_source_counts(session, current_processed_key(config))
            total = reports.totals_of(counts)
            kept_aside = quarantine.counts_per_source(session)
            deliveries = unsettled(session)
            routes = route_status(session)
            instances = _instances(session, rows.values(), config, datetime.now(UTC))
    now = datetime.now(UTC)
    sources = []
    for source in config.sources:
        row = rows.get(source.name)
        count = counts.get(row.id) if row is not None else None
        sources.append(
            {
                "name": source.name,
                "type": source.spec.type,
                "enabled": source.spec.enabled,
                "health": source_state.health(row, now) if row is not None else "never-run",
                "items": count.items if count else 0,
                "statements": count.statements if count else 0,
                "evidence": count.evidence if count else 0,
                "pending": count.pending if count else 0,
                "other_language": count.other_language if count else 0,
                "quarantined": kept_aside.get(source.name, 0),
                "newest_item_at": _iso(count.newest_item_at) if count else None,
                "last_attempt_at": _iso(row.last_attempt_at) if row else None,
                "last_success_at": _iso(row.last_success_at) if row else None,
                "consecutive_failures": row.consecutive_failures if row else 0,
                "last_error": row.last_error if row else None,
                "next_run_at": _iso(row.next_run_at) if row else None,
                "disabled_reason": row.disabled_reason if row else None,
                "lease": _lease(row, now) if row else None,
                "last_run_by": row.last_run_by if row else None,
            }
        )
    # Errors stored before they were masked, or quoting a secret registered since: mask again.
    masked: dict[str, Any] = mask_data(
        {
            "totals": total.as_dict(),
            "sources": sources,
            "deliveries": deliveries,
            "webhooks": routes,
            "instances": instances,
            **base,
        }
    )
    return masked


def _lease(row: SourceRow, now: datetime) -> dict[str, Any] | None:
    """The source's current run: who holds it and until when (``expired``: its holder died
    or lost the database, and the next instance to look takes it)."""
    if row.acquired_by is None:
        return None
    until = row.acquired_until
    expired = until is None or until < now
    return {"holder": row.acquired_by, "until": _iso(until), "expired": expired}


def _instances(
    session: Session, sources: Iterable[SourceRow], config: Config, now: datetime
) -> list[dict[str, Any]]:
    """Each daemon on this database: its heartbeat, whether it looks alive, what it holds."""
    window = timedelta(seconds=config.service.leases.duration_seconds)
    holding: dict[str, list[str]] = {}
    for row in sorted(sources, key=lambda row: row.name):
        if row.acquired_by is not None:
            holding.setdefault(row.acquired_by, []).append(row.name)
    return [
        {
            "id": row.id,
            "hostname": row.hostname,
            "pid": row.pid,
            "started_at": _iso(row.started_at),
            "heartbeat_at": _iso(row.heartbeat_at),
            "alive": row.heartbeat_at >= now - window,
            "leases": holding.get(row.id, []),
        }
        for row in leases.instances(session)
    ]
