"""One log line when the database goes away and one when it is back, however many jobs notice.

Every job that touches the database may see the same outage (twenty sources, the heartbeat, the
digest): they report here, and only the change of state is logged, with how long it lasted.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from listener import dberrors
from listener.logging import get_logger

log = get_logger("listener.database")
BACKOFF_START = 1.0
BACKOFF_MAX = 30.0


class Outage:
    """Whether the database is reachable, as the daemon's jobs last saw it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._since is not None

    def lost(self, exc: SQLAlchemyError) -> float:
        """Record a failure; returns how long to wait before trying again (doubling, capped)."""
        with self._lock:
            self._failures += 1
            first = self._since is None
            if first:
                self._since = time.monotonic()
            wait = min(BACKOFF_MAX, BACKOFF_START * 2.0 ** min(self._failures - 1, 10))
        if first:
            log.error("database connection lost; retrying with backoff", **dberrors.describe(exc))
        return wait

    def restored(self) -> None:
        with self._lock:
            since, self._since, self._failures = self._since, None, 0
        if since is not None:
            log.warning(
                "database connection restored", down_seconds=round(time.monotonic() - since, 1)
            )


OUTAGE = Outage()
"""The process's one view of the database (the runner and the daemon report to it)."""
