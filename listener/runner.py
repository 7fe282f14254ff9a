"""Running one source once: fetch, store batch by batch, record health.

Each batch and the cursor after it are committed together, so a crash or a stop between batches
loses nothing and repeats nothing; a failure is recorded on the source, never raised to the caller,
so one broken source cannot stop the others. One run of a source at a time, across processes (a
daemon beside a `run --once`): the second waits for the first and continues from its cursor. A
database failure asks for a retry soon: the source may be half-ingested (a lost connection
sooner still, and it is logged once per outage, not once per source). Under a lease (the daemon
beside other instances, listener.store.leases) every batch renews it in its own transaction: an
instance whose lease was taken over stops without committing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from connectors.base import ConnectorContext, ConnectorError
from connectors.http import SharedSessions
from connectors.registry import REGISTRY
from listener import dberrors
from listener.config import Config
from listener.instance import INSTANCE_ID
from listener.logging import get_logger
from listener.outage import OUTAGE
from listener.privacy.keys import pseudonymiser
from listener.privacy.scrub import scrub_items, scrub_rejects
from listener.schedule import next_run
from listener.secrets import mask
from listener.source_config import Source
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.items import IngestCounts, ingest_batch
from listener.store.leases import Lease, LostLease, hold
from listener.store.models import SourceRow
from listener.store.quarantine import store_rejects
from listener.weeks import iso_week

log = get_logger("listener.runner")
USER_AGENT = "listener/0.1 (customer-feedback listener)"
RETRY_SOON_SECONDS = 60.0
"""After a database error, when the daemon tries the source again (not a whole interval)."""
DISCONNECT_RETRY_SECONDS = 5.0
"""After a lost connection (a server restart, a terminated backend): sooner, as it is no bug."""


@dataclass
class SourceRun:
    name: str
    status: str
    """ok | degraded | failed | skipped"""
    counts: IngestCounts = field(default_factory=IngestCounts)
    """What was committed (a batch whose transaction failed is not counted)."""
    batches: int = 0
    error: str | None = None
    retry_in: float | None = None
    """Seconds until the source should run again, sooner than its schedule (database errors)."""


def source_hash(source: Source) -> str:
    return source_state.config_hash(
        {
            "spec": source.spec.model_dump(mode="json"),
            "own": source.connector.model_dump(mode="json"),
        }
    )


def _stoppable_sleep(stop: threading.Event | None) -> Callable[[float], None]:
    """A retry wait that ends, with an error, as soon as the daemon is asked to stop."""

    def sleep(seconds: float) -> None:
        if stop is None:
            time.sleep(seconds)
        elif stop.wait(seconds):
            raise ConnectorError("stopped while waiting to retry", hint="it resumes on restart")

    return sleep


def run_source(
    store: Store,
    config: Config,
    source: Source,
    stop: threading.Event | None = None,
    now: datetime | None = None,
    sessions: SharedSessions | None = None,
    lease: Lease | None = None,
) -> SourceRun:
    """Run the source now. ``sessions``: HTTP connections to keep across runs (the Service's),
    so a poll every few seconds reuses its keep-alive connection. ``lease``: the daemon holds the
    source's lease and every batch must renew it (another instance may have taken it over);
    `run --once` runs without one."""
    now = now or datetime.now(UTC)
    run = SourceRun(source.name, "ok")
    try:
        with store.exclusive(f"source-{source.name}"):
            return _run(store, config, source, stop, now, run, sessions, lease)
    except LostLease:
        log.warning("source lease lost; another instance continues", source=source.name)
        return SourceRun(source.name, "skipped", run.counts, run.batches, "lease lost")
    except SQLAlchemyError as exc:
        return _database_failed(store, config, source, run, exc, now)


def _database_failed(
    store: Store,
    config: Config,
    source: Source,
    run: SourceRun,
    exc: SQLAlchemyError,
    now: datetime,
) -> SourceRun:
    """The database failed mid-run: log what failed (never the data), record it if the database
    lets us, and ask for a retry soon rather than after a whole interval."""
    retry = RETRY_SOON_SECONDS
    if dberrors.is_disconnect(exc):
        OUTAGE.lost(exc)  # logged once for the whole outage
        retry = DISCONNECT_RETRY_SECONDS
        log.info("source interrupted by the database", source=source.name, batches=run.batches)
    else:
        log.error("database error", source=source.name, **dberrors.describe(exc))
    run.status, run.retry_in = "failed", retry
    run.error = f"{dberrors.summary(exc)} after {run.batches} stored batches; retried soon"
    soon = now + timedelta(seconds=retry)
    try:
        with store.session() as session:
            row = source_state.get_or_create(session, source.name, source.spec.type)
            source_state.record_failure(row, now, run.error)
            scheduled = min(soon, next_run(source.spec, now, config.tz) or soon)
            row.next_run_at = max(scheduled, row.next_attempt_at or scheduled)
            source_state.record_week(session, row.id, iso_week(now, config.tz), "failures")
    except SQLAlchemyError as again:
        log.warning("could not record the failure", source=source.name, error=type(again).__name__)
    return run


def _run(
    store: Store,
    config: Config,
    source: Source,
    stop: threading.Event | None,
    now: datetime,
    run: SourceRun,
    sessions: SharedSessions | None = None,
    lease: Lease | None = None,
) -> SourceRun:
    with store.session() as session:
        row = source_state.get_or_create(
            session, source.name, source.spec.type, source_hash(source)
        )
        gate = source_state.may_run(row, now)
        week = iso_week(now, config.tz)
        if not gate.open:
            source_state.record_week(session, row.id, week, "skipped")
            # not due again before its schedule (or backoff) says: skipped once per interval
            row.next_run_at = next_run(source.spec, now, config.tz, row.next_attempt_at)
            log.info("source skipped", source=source.name, reason=gate.reason)
            return SourceRun(source.name, "skipped", error=gate.reason)
        source_state.record_attempt(row, now)
        row.last_run_by = lease.owner if lease is not None else INSTANCE_ID
        cursor, source_id, due = row.cursor, row.id, row.next_run_at
    context = ConnectorContext(
        source_name=source.name,
        base_dir=config.base_dir,
        user_agent=USER_AGENT,
        sleep=_stoppable_sleep(stop),
        stopping=stop.is_set if stop is not None else (lambda: False),
        sessions=sessions,
    )
    connector = REGISTRY[source.spec.type](source.connector, context)
    pseudonyms = pseudonymiser(config)

    def record(outcome: Callable[[SourceRow], None], failed: bool = False) -> None:
        """Apply one health outcome (success, partial, failure), count it in the week's health
        history and store the next run time."""
        with store.session() as session:
            row = session.get_one(SourceRow, source_id)
            outcome(row)
            row.next_run_at = next_run(source.spec, now, config.tz, row.next_attempt_at, due)
            source_state.record_week(
                session, source_id, week, "failures" if failed else "successes"
            )

    try:
        batches = connector.fetch(cursor)
        try:
            for batch in batches:
                with store.session() as session:
                    if lease is not None:
                        hold(session, source_id, lease, datetime.now(UTC))
                    row = session.get_one(SourceRow, source_id)
                    items = scrub_items(batch.items, pseudonyms)  # before anything is stored
                    counts = ingest_batch(session, row, items, batch.cursor, source.spec.segment)
                    counts.quarantined += store_rejects(session, row, scrub_rejects(batch.rejected))
                run.counts += counts  # only once committed: the summary says what was stored
                run.batches += 1
                if stop is not None and stop.is_set():
                    log.info("stopping between batches", source=source.name)
                    break
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
    except (SQLAlchemyError, LostLease):
        raise  # run_source records it (and asks for a retry soon), or leaves it to the new holder
    except ConnectorError as exc:
        if stop is not None and stop.is_set():
            return _stopped(run)
        error = mask(str(exc))
        if exc.partial:
            run.status, run.error = "degraded", error
            record(lambda row: source_state.record_partial(row, now, error))
            log.warning("source partly failed", source=source.name, error=error)
            return run
        run.status, run.error = "failed", error
        permanent, retry_after = exc.permanent, exc.retry_after
        record(
            lambda row: source_state.record_failure(
                row, now, error, permanent=permanent, retry_after=retry_after
            ),
            failed=True,
        )
        log.warning("source failed", source=source.name, error=error, permanent=permanent)
        return run
    except Exception as exc:  # a connector bug must not take the daemon down
        crash = mask(f"unexpected {type(exc).__name__}: {exc}")[:500]
        run.status, run.error = "failed", crash
        record(lambda row: source_state.record_failure(row, now, crash), failed=True)
        log.exception("source crashed", source=source.name)
        return run
    if stop is not None and stop.is_set():  # ended early: neither a success nor a failure
        return _stopped(run)
    record(lambda row: source_state.record_success(row, now))
    log.info(
        "source fetched",
        source=source.name,
        batches=run.batches,
        added=run.counts.added,
        updated=run.counts.updated,
        quarantined=run.counts.quarantined,
        unchanged=run.counts.unchanged,
    )
    return run


def _stopped(run: SourceRun) -> SourceRun:
    log.info("source stopped mid-fetch", source=run.name)
    return SourceRun(run.name, "skipped", run.counts, run.batches, "stopped")
