"""Issue 11, finding 10: two `run --once` at once failed (`table alembic_version already exists`
on a fresh database; an IntegrityError traceback and `source survey: failed` on a migrated one).

Migrations take a lock, and runs of one source are serialised across processes: the second waits
for the first and continues from its cursor. Real processes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from listener.store.db import Store, head_revision
from listener.store.models import ItemRow
from tests.connectors.loopback import LoopbackServer, Reply
from tests.listener.hardening.helpers import REPO, listener_command, rss, write_config

_UPGRADE_AT_THE_SIGNAL = """
import sys, time
from pathlib import Path
from listener.store.db import Store
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
store = Store(sys.argv[1])
print(store.upgrade())
"""


@pytest.mark.timeout(120)
def test_two_processes_migrating_a_fresh_database_at_once_both_succeed(
    store_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _UPGRADE_AT_THE_SIGNAL, store_url, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for _ in range(3)
    ]
    time.sleep(2.0)  # all three are importing, then polling for the signal
    go.touch()
    outcomes = [p.communicate(timeout=100) for p in processes]
    for process, (_, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err[-3000:]
    assert sum("(None, " in out for out, _ in outcomes) == 1  # exactly one created the schema
    store = Store(store_url)
    from listener.store.db import current_revision

    assert current_revision(store.engine) == head_revision()
    store.dispose()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_two_runs_of_one_source_at_once_are_serialised_not_failed(
    store_url: str, tmp_path: Path
) -> None:
    body = rss([(f"p-{i}", f"Post {i}", f"Chasing late payment number {i}.") for i in range(40)])
    # Both processes read the (empty) cursor, then wait for the slow feed: without a lock both
    # insert the same 40 items and one of them fails on the unique key.
    with LoopbackServer({"/feed.xml": Reply(body=body, delay=3.0)}) as server:
        source = {
            "name": "forum",
            "type": "feed",
            "every": "1h",
            "urls": [server.url("/feed.xml")],
            "allow_private_networks": True,
        }
        config = write_config(tmp_path, [source], database=store_url)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = listener_command("--log-level", "warning", "run", "--once", "-c", str(config))
        processes = [
            subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
                cwd=REPO,
            )
            for _ in range(2)
        ]
        outcomes = [p.communicate(timeout=240) for p in processes]
    for process, (out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err[-3000:]
        assert "Traceback" not in err and "failed" not in err, err[-3000:]
        assert out.startswith("listener: "), out
    summaries = sorted(out for out, _ in outcomes)
    assert any("40 items added" in s for s in summaries), summaries
    store = Store(store_url)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 40
    store.dispose()
