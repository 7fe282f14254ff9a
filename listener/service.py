"""The daemon's parts wired from one config: store, NLP, matcher, processor; and one full pass."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy.exc import SQLAlchemyError

from connectors.http import SharedSessions
from listener import dberrors
from listener.alerts.record import due_weeks, evaluate_week
from listener.alerts.send import send_alerts
from listener.config import Config
from listener.delivery.deliver import Outcome
from listener.digest.send import DigestResult, run_digest
from listener.health.runtime import observe_processing
from listener.logging import get_logger
from listener.privacy import retention
from listener.privacy import state as privacy_state
from listener.privacy.keys import Pseudonymiser, pseudonymiser
from listener.privacy.retention import Blanked
from listener.processing import ProcessCounts, Processor, Progress
from listener.runner import SourceRun, run_source
from listener.store import rollup
from listener.store.db import Store
from listener.store.leases import Lease
from listener.weeks import iso_week, shift, weeks_ending

log = get_logger("listener.service")

RECOUNT_EVERY = 600.0
"""Seconds between rebuilds of the kept weekly counts after processing. A feed that keeps
bringing items of a past week would otherwise recount that week after every poll (1.7 s at 10 M
evidence rows); meanwhile the week is counted live, and the alerts and the digest rebuild first."""


class Service:
    """Everything a run needs, built once; the NLP is loaded only when first used."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store = Store(config.database_url)
        self.sessions = SharedSessions()
        """HTTP connections kept across polls, closed with the service."""
        self.recount_every = RECOUNT_EVERY
        self._recounted: float | None = None  # time.monotonic() of the last rebuild done

    @cached_property
    def processor(self) -> Processor:
        from listener.matching import PersonaMatcher
        from listener.nlp import Extractor

        started = time.monotonic()
        nlp_config = self.config.service.nlp
        extractor = Extractor(model=nlp_config.model, semantic=nlp_config.semantic)
        matcher = PersonaMatcher(self.config.personas, extractor.nlp, semantic=nlp_config.semantic)
        log.info("nlp loaded", seconds=round(time.monotonic() - started, 1))
        return Processor(
            extractor,
            matcher,
            self.config.personas,
            self.config.tz,
            batch_size=nlp_config.batch_size,
            # torch's OpenMP threads do not survive a fork: the semantic path stays in-process
            workers=0 if nlp_config.semantic else nlp_config.workers,
        )

    @property
    def pseudonyms(self) -> Pseudonymiser:
        """The author key (a config error when it is missing where it must be given)."""
        return pseudonymiser(self.config)

    def upgrade(self) -> None:
        """Migrate the schema, then check the author key against the database (converting
        data stored before masking, once). A missing key is refused before the migration: a
        run that cannot go on must leave the database as it found it."""
        pseudonyms = self.pseudonyms
        before, after = self.store.upgrade()
        if before != after:
            log.info("database upgraded", before=before, after=after)
        privacy_state.ensure(self.store, pseudonyms)

    def fetch(
        self, name: str, stop: threading.Event | None = None, lease: Lease | None = None
    ) -> SourceRun:
        source = self.config.source(name)
        return run_source(
            self.store, self.config, source, stop, sessions=self.sessions, lease=lease
        )

    def process(
        self,
        on_progress: Progress | None = None,
        stop: threading.Event | None = None,
        wait: bool = True,
    ) -> ProcessCounts:
        started = time.monotonic()
        counts = self.processor.process_pending(self.store, on_progress, stop, wait)
        observe_processing(
            time.monotonic() - started, counts.items, counts.statements, counts.evidence
        )
        last = self._recounted
        if last is None or time.monotonic() - last >= self.recount_every:
            self.count_weeks(stop=stop)
        return counts

    def count_weeks(
        self, now: datetime | None = None, stop: threading.Event | None = None
    ) -> list[str]:
        """Rebuild the kept counts of complete weeks that changed (listener.store.rollup):
        after processing (at most every ``recount_every`` seconds), and before the alerts and
        the digest read them.

        Readers are right without it (changed weeks are counted live), so a statement the
        database refuses (a lock timeout, a ``statement_timeout``) is logged and the job goes
        on; a lost connection is raised, as every job raises it, for the outage handling."""
        before = iso_week(now or datetime.now(UTC), self.config.tz)
        try:
            weeks = rollup.rebuild(self.store, before, stop=stop)
        except SQLAlchemyError as exc:
            refused = dberrors.is_refused(exc)
            if dberrors.is_disconnect(exc) and not refused:
                raise
            # refused: tried again after the next processing; anything else is a bug to report
            report = log.warning if refused else log.error
            report("weekly counts not rebuilt; read live meanwhile", **dberrors.describe(exc))
            return []
        self._recounted = time.monotonic()
        if weeks:
            log.info("weekly counts rebuilt", weeks=len(weeks), first=weeks[0], last=weeks[-1])
        return weeks

    def alerts(self, now: datetime | None = None) -> AlertsResult:
        """Evaluate the complete weeks not yet evaluated, store their alerts, send what is due
        (also earlier alerts whose delivery failed before and is due for a retry)."""
        now = now or datetime.now(UTC)
        self.count_weeks(now)
        weeks = due_weeks(self.store, self.config, now)
        stored = {week: len(evaluate_week(self.store, self.config, week, now)) for week in weeks}
        recent = weeks_ending(shift(iso_week(now, self.config.tz), -1), RETRY_WEEKS)
        outcomes = send_alerts(self.store, self.config, sorted(set(recent) | set(weeks)))
        return AlertsResult(stored, outcomes)

    def retention(
        self, days: int | None = None, now: datetime | None = None, dry_run: bool = False
    ) -> Blanked | None:
        """Blank raw text past ``days`` (default ``retention.raw_text_days``; None: keep it)."""
        days = days or self.config.service.retention.raw_text_days
        if days is None:
            return None
        with self.store.session() as session:
            blanked = retention.apply(session, days, now, dry_run)
        if not dry_run and (blanked.items or blanked.quarantine):
            log.info(
                "retention: old text blanked", items=blanked.items, quarantine=blanked.quarantine
            )
        return blanked

    def digest(self, now: datetime | None = None) -> DigestResult:
        self.count_weeks(now)
        return run_digest(self.store, self.config, now)

    def close(self) -> None:
        self.sessions.close()
        self.store.dispose()


RETRY_WEEKS = 8
"""Alerts of this many recent weeks are retried when their delivery failed before."""


@dataclass(frozen=True)
class AlertsResult:
    evaluated: dict[str, int]
    """Week → alerts it holds."""
    outcomes: list[Outcome]

    @property
    def sent(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "sent")

    @property
    def problems(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status in ("pending", "failed", "uncertain")]


@dataclass
class PassResult:
    runs: list[SourceRun] = field(default_factory=list)
    processed: ProcessCounts = field(default_factory=ProcessCounts)
    alerts: AlertsResult | None = None
    digest: DigestResult | None = None

    @property
    def added(self) -> int:
        return sum(run.counts.added for run in self.runs)

    @property
    def updated(self) -> int:
        return sum(run.counts.updated for run in self.runs)

    @property
    def failed(self) -> list[SourceRun]:
        return [run for run in self.runs if run.status == "failed"]
