"""The long-running service: one APScheduler job per source, one for the weekly digest.

Signals only set a flag. Jobs look at it between batches, and every batch is committed with its
cursor, so stopping at any moment loses nothing; a restart continues from the stored cursors.
Run one daemon per database: APScheduler does not coordinate across processes (see design.md),
and the digest claim in the database is what makes a second one harmless.
"""

from __future__ import annotations

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
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from structlog.contextvars import bound_contextvars

from listener.errors import ListenerError
from listener.health.server import HealthServer
from listener.logging import get_logger
from listener.schedule import trigger as source_trigger
from listener.sdnotify import Notifier
from listener.service import Service
from listener.webhooks.receiver import Receiver
from listener.webhooks.server import WebhookServer

log = get_logger("listener.daemon")
STOP_GRACE_SECONDS = 4.0
DELIVERY_INTERVAL_SECONDS = 120
HEARTBEAT_SECONDS = 5.0
"""How often the scheduler proves it runs jobs, without a systemd watchdog (which sets its own)."""


def worker_count(service: Service) -> int:
    """A worker per enabled source, plus the digest job and a one-off retry: a source that is
    slow (a trickling server holds a request until its deadline) never delays another's run."""
    return sum(1 for s in service.config.sources if s.spec.enabled) + 2


class Daemon:
    def __init__(self, service: Service, max_workers: int | None = None) -> None:
        self.service = service
        self.stop = threading.Event()
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
        self._awaiting_first_run = {s.name for s in service.config.sources if s.spec.enabled}
        self.notifier = Notifier()
        watchdog = self.notifier.watchdog_seconds
        self.heartbeat_seconds = watchdog / 2 if watchdog else HEARTBEAT_SECONDS
        self._heartbeat_at: float | None = None

    def schedule(self) -> None:
        config = self.service.config
        for source in config.sources:
            if not source.spec.enabled:
                log.info("source disabled in config", source=source.name)
                continue
            self.scheduler.add_job(
                self._guarded(self._source_job),
                trigger=source_trigger(source.spec, config.tz),
                args=[source.name],
                id=f"source:{source.name}",
                name=source.name,
                replace_existing=True,
                next_run_time=datetime.now(UTC),  # fetch at start, then on schedule
            )
        self.scheduler.add_job(
            self._guarded(self._digest_job),
            # every few minutes: alerts go out soon after a week completes, a failed delivery is
            # retried when its backoff ends, and a daemon that was down catches up
            trigger=IntervalTrigger(seconds=DELIVERY_INTERVAL_SECONDS, timezone=UTC),
            id="digest",
            name="weekly digest",
            replace_existing=True,
        )

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
            run = self.service.fetch(name, self.stop)
            if run.retry_in is not None and not self.stop.is_set():
                self._retry_soon(name, run.retry_in)
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
            with self._busy_lock:
                first_pass_done = bool(self._awaiting_first_run)
                self._awaiting_first_run.discard(name)
                first_pass_done = first_pass_done and not self._awaiting_first_run
        if first_pass_done and not self.stop.is_set():
            self._digest_job()  # catch up on a due digest now that the first pass is in

    def _retry_soon(self, name: str, seconds: float) -> None:
        """A one-off run of the source (its database work failed half-way), besides its
        schedule; the source's lock keeps the two from running at once."""
        log.info("source retried soon", source=name, seconds=seconds)
        self.scheduler.add_job(
            self._guarded(self._source_job),
            trigger=DateTrigger(datetime.now(UTC) + timedelta(seconds=seconds), timezone=UTC),
            args=[name],
            id=f"retry:{name}",
            name=f"{name} (retry)",
            replace_existing=True,
        )

    def _digest_job(self) -> None:
        if self.stop.is_set():
            return
        with self._busy_lock:
            if self._awaiting_first_run:
                return  # a digest built before the first fetch would report stale counts
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
        servers = self._start_servers()  # before any job runs: a taken port fails cleanly
        self.schedule()
        self._schedule_heartbeat()
        self.scheduler.start()
        log.info("listener started", sources=len(self.service.config.sources))
        self.notifier.ready(f"{len(self.service.config.sources)} sources scheduled")
        while not self.stop.wait(1.0):
            pass
        log.info("stopping")
        self.notifier.stopping()
        for server in servers:
            server.stop()
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        with self._busy_lock:
            while self._busy and time.monotonic() < deadline:
                self._busy_lock.wait(max(0.0, deadline - time.monotonic()))
            abandoned = self._busy
        if abandoned:
            # Only an uncommitted batch is lost; its cursor did not advance, so it comes again.
            log.warning("leaving in-flight jobs behind", jobs=abandoned)
        else:
            self.service.close()
        log.info("listener stopped")
        return abandoned

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

    def _start_servers(self) -> list[HealthServer | WebhookServer]:
        """The health endpoint and the webhook receiver (on its port or its own), if configured.

        Started before any job runs, so a port already in use fails the start cleanly.
        """
        from listener.health.readiness import check
        from listener.health.status import collect_status
        from listener.store.activity import read_activity

        health, hooks = self.service.config.service.health, self.service.config.service.webhooks
        receiver = Receiver(hooks, self.service.store) if hooks is not None else None
        shared = receiver if hooks is not None and hooks.port is None else None
        servers: list[HealthServer | WebhookServer] = []
        if health is not None:
            servers.append(
                _listen(
                    "health",
                    health.host,
                    health.port,
                    lambda: HealthServer(
                        health.host,
                        health.port,
                        status=lambda: collect_status(self.service),
                        alive=lambda: self.scheduler.running and not self.stop.is_set(),
                        receiver=shared,
                        ready=lambda: check(self.service.store, self.scheduler_problem),
                        activity=lambda: read_activity(self.service.store),
                    ),
                )
            )
        if receiver is not None and hooks is not None and hooks.port is not None:
            port = hooks.port
            servers.append(
                _listen(
                    "webhooks", hooks.host, port, lambda: WebhookServer(receiver, hooks.host, port)
                )
            )
        for server in servers:
            server.start()
        return servers

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal received", signal=signal.Signals(signum).name)
        self.stop.set()


def _listen(what: str, host: str, port: int, make: Callable[[], Any]) -> Any:
    try:
        return make()
    except OSError as exc:
        raise ListenerError(
            f"{what}: cannot listen on {host}:{port}: {exc.strerror}",
            hint=f"change {what}.port in the config, or stop what uses that port",
        ) from exc
