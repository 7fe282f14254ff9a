"""The long-running service: source runs taken by lease from the database, and the digest.

Signals only set a flag. Jobs look at it between batches, and every batch is committed with its
cursor, so stopping at any moment loses nothing; a restart continues from the stored cursors.
Several daemons may share one database (the same config on each): a lease loop beats this
instance's heartbeat, renews its leases and takes the sources that are due and free
(listener.store.leases); each taken run goes to the worker pool. APScheduler alone would run
every job in every process (design.md), so it only drives the digest here, whose sends are
claimed in the database (listener.delivery.claims). A lost database connection is retried with
backoff, logged once when it goes and once when it is back.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError
from structlog.contextvars import bound_contextvars

from listener import dberrors
from listener.instance import INSTANCE_ID
from listener.logging import get_logger
from listener.outage import OUTAGE
from listener.runner import source_hash
from listener.sdnotify import Notifier
from listener.servers import start_servers
from listener.service import Service
from listener.store import leases
from listener.store.sources import get_or_create

log = get_logger("listener.daemon")
STOP_GRACE_SECONDS = 4.0
DELIVERY_INTERVAL_SECONDS = 120
RETENTION_INTERVAL_SECONDS = 86400
HEARTBEAT_SECONDS = 5.0
"""How often the scheduler proves it runs jobs, without a systemd watchdog (which sets its own)."""


def worker_count(service: Service) -> int:
    """A worker per enabled source, plus the digest job, its first-pass catch-up and the one
    run that processes after its fetch (the others find the processing lock taken and end): a
    slow source (a trickling server holds a request until its deadline) never delays another."""
    return sum(1 for s in service.config.sources if s.spec.enabled) + 3


class Daemon:
    def __init__(
        self, service: Service, max_workers: int | None = None, instance: str = INSTANCE_ID
    ) -> None:
        self.service = service
        self.stop = threading.Event()
        self.started_at = datetime.now(UTC)
        config = service.config.service.leases
        self.lease = leases.Lease(instance, timedelta(seconds=config.duration_seconds))
        self.poll_seconds = config.poll_seconds
        self._enabled = [s.name for s in service.config.sources if s.spec.enabled]
        self._running: set[str] = set()
        self._runs = itertools.count(1)
        self._first_pass_done = False
        self._lease_thread: threading.Thread | None = None
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(max_workers or worker_count(service)),
                "heartbeat": ThreadPoolExecutor(1),  # never queued behind a slow source
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone=UTC,
        )
        self._busy = 0
        self._busy_lock = threading.Condition()
        self.notifier = Notifier()
        watchdog = self.notifier.watchdog_seconds
        self.heartbeat_seconds = watchdog / 2 if watchdog else HEARTBEAT_SECONDS
        self._heartbeat_at: float | None = None

    def join(self) -> None:
        """Register this instance and its sources. Alone on the database it makes every source
        due (a daemon fetches at start); joining live peers it takes its share of their schedule.
        Under a lock, so two instances starting at once do not both think they are alone."""
        config, now = self.service.config, datetime.now(UTC)
        with self.service.store.exclusive("instances"), self.service.store.session() as session:
            peers = [
                row.id
                for row in leases.alive(session, now, self.lease.duration)
                if row.id != self.lease.owner
            ]
            changed = []
            for source in config.sources:
                if not source.spec.enabled:
                    log.info("source disabled in config", source=source.name)
                    continue
                row = get_or_create(session, source.name, source.spec.type)
                if row.config_hash != source_hash(source):
                    changed.append(source.name)  # its schedule may have changed: run it now
            leases.make_due(session, changed if peers else self._enabled)
            leases.beat(session, now, self.started_at, self.lease.owner)
        log.info("instance joined", instance=self.lease.owner, peers=len(peers))

    def schedule(self) -> None:
        self.scheduler.add_job(
            self._guarded(self._digest_job),
            # every few minutes: alerts go out soon after a week completes, a failed delivery is
            # retried when its backoff ends, and a daemon that was down catches up
            trigger=IntervalTrigger(seconds=DELIVERY_INTERVAL_SECONDS, timezone=UTC),
            id="digest",
            name="weekly digest",
            replace_existing=True,
        )
        if self.service.config.service.retention.raw_text_days is not None:  # blanks old text
            self.scheduler.add_job(
                self._guarded(self._retention_job),
                trigger=IntervalTrigger(seconds=RETENTION_INTERVAL_SECONDS, timezone=UTC),
                id="retention",
                name="retention",
                replace_existing=True,
                next_run_time=datetime.now(UTC) + timedelta(seconds=60),
            )

    def tick(self) -> float:
        """One round of the lease loop: heartbeat, renew, take what is due. Returns the seconds
        until the next round (longer, doubling, while the database is unreachable)."""
        now = datetime.now(UTC)
        try:
            with self.service.store.session() as session:
                leases.beat(session, now, self.started_at, self.lease.owner)
                leases.renew(session, self.lease, now)
                peers = len(leases.alive(session, now, self.lease.duration))
            with self._busy_lock:
                running = set(self._running)
            # a fair share per round, so instances starting together split the sources; what
            # is left stays due and is taken by whoever asks next
            share = -(-len(self._enabled) // max(1, peers)) - len(running)
            with self.service.store.session() as session:
                taken = leases.claim_due(
                    session, [n for n in self._enabled if n not in running], self.lease, now, share
                )
            if not self._first_pass_done:
                self._check_first_pass()
        except SQLAlchemyError as exc:
            return OUTAGE.lost(exc)
        OUTAGE.restored()
        for name in taken:
            with self._busy_lock:
                self._running.add(name)
            # an id per run: the previous run of this source may still be processing in its
            # thread after giving the lease back, and one job id runs one at a time
            self.scheduler.add_job(
                self._guarded(self._source_job),
                args=[name],
                id=f"source:{name}:{next(self._runs)}",
                name=name,
            )
        return self.poll_seconds

    def _lease_loop(self) -> None:
        wait = 0.0
        while not self.stop.wait(wait):
            try:
                wait = self.tick()
            except Exception:  # never let the loop die: the instance would hold nothing
                log.exception("lease round failed")
                wait = self.poll_seconds

    def _guarded(self, job: Callable[..., None]) -> Callable[..., None]:
        def run(*args: Any) -> None:
            if self.stop.is_set():
                return
            with self._busy_lock:
                self._busy += 1
            try:
                # every log line of this run, its failure's too, carries its run id
                with bound_contextvars(run_id=uuid.uuid4().hex[:12], job=job.__name__):
                    try:
                        job(*args)
                    except SQLAlchemyError as exc:
                        if dberrors.is_disconnect(exc):
                            OUTAGE.lost(exc)  # the lease loop retries and says when it is back
                        else:
                            log.exception("job failed")
                    except Exception:
                        log.exception("job failed")
            finally:
                with self._busy_lock:
                    self._busy -= 1
                    self._busy_lock.notify_all()

        run.__name__ = job.__name__
        return run

    def _source_job(self, name: str) -> None:
        try:
            # a retry after a database error is due at its stored next_run_at (runner)
            self.service.fetch(name, self.stop, self.lease)
        finally:
            self._release(name)  # the processing below is everyone's, not this source's
        try:
            # Always, not only after news: items left pending by a stop, a crash or a personas
            # change are picked up by whichever source runs next.
            counts = self.service.process(stop=self.stop, wait=False)
            if counts.items:
                log.info(
                    "processed",
                    items=counts.items,
                    statements=counts.statements,
                    evidence=counts.evidence,
                )
        finally:
            if not self._first_pass_done:
                self._check_first_pass()

    def _retention_job(self) -> None:
        self.service.retention()

    def _release(self, name: str) -> None:
        """Give the lease back (if the database is away it simply runs out)."""
        try:
            with self.service.store.session() as session:
                leases.release(session, name, self.lease.owner)
        except SQLAlchemyError as exc:
            OUTAGE.lost(exc)
        finally:
            with self._busy_lock:
                self._running.discard(name)

    def _check_first_pass(self) -> None:
        """Once every source ran (here or on a peer) since this instance started, catch up on
        a due digest; before that a digest would report stale counts."""
        with self.service.store.session() as session:
            done = leases.first_pass_done(session, self._enabled, self.started_at)
        with self._busy_lock:
            first, self._first_pass_done = done and not self._first_pass_done, done
        if first and not self.stop.is_set():
            self.scheduler.add_job(
                self._guarded(self._digest_job), id="digest-first", replace_existing=True
            )

    def _digest_job(self) -> None:
        if self.stop.is_set() or not self._first_pass_done:
            return
        # Wait for a processor at work (another worker's try-lock may have left it the backlog)
        # and take what is still pending, so the digest counts everything fetched.
        self.service.process(stop=self.stop)
        if self.stop.is_set():
            return
        alerts = self.service.alerts()
        for week, count in alerts.evaluated.items():
            log.info("week evaluated", week=week, alerts=count)
        if self.stop.is_set():
            return
        result = self.service.digest()
        if result.status == "sent":
            log.info(
                "digest delivered", week=result.week, sink=result.sink, location=result.location
            )

    def run_forever(self, install_signals: bool = True) -> int:
        """Block until SIGTERM/SIGINT; return how many jobs were left running (0 = clean)."""
        if install_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._on_signal)
        self.service.upgrade()
        # before any job runs: a taken port fails cleanly
        servers = start_servers(self.service, self.alive, self.scheduler_problem)
        self.join()
        self.schedule()
        self._schedule_heartbeat()
        self.scheduler.start()
        self._lease_thread = threading.Thread(target=self._lease_loop, name="leases", daemon=True)
        self._lease_thread.start()
        log.info(
            "listener started", sources=len(self.service.config.sources), instance=self.lease.owner
        )
        self.notifier.ready(f"{len(self.service.config.sources)} sources scheduled")
        while not self.stop.wait(1.0):
            pass
        log.info("stopping")
        self.notifier.stopping()
        for server in servers:
            server.stop()
        self.scheduler.shutdown(wait=False)
        self._lease_thread.join(timeout=STOP_GRACE_SECONDS)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        with self._busy_lock:
            while self._busy and time.monotonic() < deadline:
                self._busy_lock.wait(max(0.0, deadline - time.monotonic()))
            abandoned = self._busy
        if abandoned:
            # Only an uncommitted batch is lost; its cursor did not advance, so it comes again.
            # Its leases run out on their own and a peer (or the restart) takes them.
            log.warning("leaving in-flight jobs behind", jobs=abandoned)
        else:
            self._leave()
            self.service.close()
        log.info("listener stopped")
        return abandoned

    def _leave(self) -> None:
        try:
            with self.service.store.session() as session:
                leases.leave(session, self.lease.owner)
        except SQLAlchemyError as exc:
            log.warning("could not leave the instances table", error=type(exc).__name__)

    def _schedule_heartbeat(self) -> None:
        """A job that feeds the systemd watchdog: if the scheduler stops running jobs, systemd
        stops hearing from it and restarts the unit; /readyz reads the same heartbeat."""
        self.scheduler.add_job(
            self._heartbeat,
            trigger=IntervalTrigger(seconds=self.heartbeat_seconds, timezone=UTC),
            id="heartbeat",
            name="heartbeat",
            executor="heartbeat",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )

    def _heartbeat(self) -> None:
        self._heartbeat_at = time.monotonic()
        if self.notifier.watchdog_seconds is not None:
            self.notifier.watchdog()

    def alive(self) -> bool:
        """For /healthz: the scheduler runs and no stop was asked for."""
        return self.scheduler.running and not self.stop.is_set()

    def scheduler_problem(self) -> str | None:
        """Why the scheduler does not count as alive, or None (for /readyz)."""
        if self.stop.is_set():
            return "stopping"
        if not self.scheduler.running:
            return "not running"
        if self._heartbeat_at is None:
            return "no heartbeat yet"
        age = time.monotonic() - self._heartbeat_at
        if age > 3 * self.heartbeat_seconds:
            return f"last heartbeat {age:.0f}s ago (expected every {self.heartbeat_seconds:g}s)"
        return None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal received", signal=signal.Signals(signum).name)
        self.stop.set()
