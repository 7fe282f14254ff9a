"""The daemon survives its PostgreSQL backends being terminated mid-run.

Five sources of four feed pages each (a committed batch per page, answered slowly), a daemon
process, and ``pg_terminate_backend`` on all of its connections three times while it fetches
and processes. It must stay up, say once that the connection was lost and once that it is
back per outage, and end with every entry stored once and processed once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from listener.store.models import ItemRow, SourceRow
from tests.listener.feedserver import ENTRIES, FeedServer
from tests.listener.hardening.helpers import (
    assert_processed_once,
    daemon,
    log_events,
    wait_for,
    write_config,
)

SOURCES, PAGES = 5, 4
TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.mark.postgres
@pytest.mark.timeout(400)
def test_terminated_backends_mid_run_lose_and_repeat_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    with FeedServer(slow=frozenset(range(SOURCES)), delay=0.4) as server:
        sources = [
            {
                "name": f"s{n}",
                "type": "feed",
                "every": "4s",
                "urls": [server.url(n, page) for page in range(PAGES)],
                "allow_private_networks": True,
            }
            for n in range(SOURCES)
        ]
        config = write_config(
            tmp_path, sources, database=postgres_url, leases={"duration": "6s", "poll": "1s"}
        )
        log = tmp_path / "daemon.log"
        admin = create_engine(postgres_url, pool_pre_ping=True)
        with daemon(config, log) as process:
            wait_for(log, lambda e: any(x["event"] == "listener started" for x in e), 240)
            wait_for(log, lambda e: len(server.requests) >= SOURCES, 60)  # fetching now
            # An idle pooled connection that was terminated is replaced by pre-ping without an
            # error (nothing was lost, nothing to log); only a connection in use fails, and the
            # daemon's transactions last milliseconds. So terminate every 0.1 s until one
            # termination caught the daemon using its connection (at most 20 s), at least 3 times.
            terminated = rounds = 0
            until = time.monotonic() + 20
            while rounds < 3 or (time.monotonic() < until and not _lost(log_events(log))):
                with admin.connect() as connection:
                    terminated += connection.execute(TERMINATE).scalar() or 0
                rounds += 1
                time.sleep(0.1)
            assert terminated >= 3, "no backend of the daemon was terminated"
            last = datetime.now(UTC)
            deadline = time.monotonic() + 180
            done = False
            while not done and time.monotonic() < deadline:  # every source fetched since, in full
                with admin.connect() as connection:  # and every entry processed
                    fetched = connection.scalars(select(SourceRow.last_success_at)).all()
                    pending = connection.scalar(
                        select(func.count())
                        .select_from(ItemRow)
                        .where(ItemRow.processed_key.is_(None))
                    )
                done = len(fetched) == SOURCES and all(t and t > last for t in fetched)
                done = done and pending == 0
                time.sleep(0.5)
            assert done, log.read_text()[-3000:]
            assert process.poll() is None, "the daemon exited"
        events = log_events(log)
        with admin.connect() as connection:
            assert (
                connection.scalar(select(func.count()).select_from(ItemRow))
                == SOURCES * PAGES * ENTRIES
            )
            assert_processed_once(connection)
        admin.dispose()
        lost = _lost(events)
        back = [x for x in events if x["event"] == "database connection restored"]
        assert 1 <= len(lost) <= rounds, lost  # at most one line per termination
        assert len(back) == len(lost), (lost, back)
        assert not [x for x in events if x["event"] == "job failed"], "a traceback was logged"
        assert "listener stopped" in {x["event"] for x in events}


def _lost(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for x in events if x["event"].startswith("database connection lost")]
