"""Issue 11, finding 11: a source half-ingested when the database failed waited a whole interval,
database-error tracebacks in logs carried customer text, and with SMTP down `run --once` printed
no summary line.

The database's refusal here is real: a trigger on the items table (SQLite and PostgreSQL) rejects
one post, as a lost connection or a full disk would reject a batch.
"""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from listener.config import Config, load_config
from listener.daemon import Daemon
from listener.logging import configure, get_logger
from listener.runner import RETRY_SOON_SECONDS, run_source
from listener.service import Service
from listener.store.db import Store
from listener.store.leases import Lease, claim_due
from listener.store.models import ItemRow, SourceRow
from tests.listener.hardening.helpers import PERSONAS, rss, run_cli, write_config

CUSTOMER_TEXT = "Our bookkeeper Ms Ferreira-Lindqvist quit over the invoicing mess"


def _refuse_poison(store: Store) -> None:
    if store.engine.dialect.name == "sqlite":
        statements = [
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON items WHEN NEW.title LIKE 'poison%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
        ]
    else:
        statements = [
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
            "IF NEW.title LIKE 'poison%' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_poison BEFORE INSERT ON items FOR EACH ROW "
            "EXECUTE FUNCTION refuse_poison()",
        ]
    with store.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _allow_poison(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "DROP TRIGGER refuse_poison"
                + ("" if store.engine.dialect.name == "sqlite" else " ON items")
            )
        )


def _three_feeds(tmp_path: Path, database: str) -> Config:
    """A source of three local feed files (a batch each); the second holds the poison post."""
    files = []
    for n in range(3):
        entries = [
            (f"f{n}-{i}", f"Post {n}.{i}", f"Chasing late payment {n}.{i}.") for i in range(4)
        ]
        if n == 1:
            entries.append((f"f{n}-poison", "poison post", CUSTOMER_TEXT))
        path = tmp_path / f"feed{n}.xml"
        path.write_bytes(rss(entries))
        files.append(str(path))
    source = {"name": "forum", "type": "feed", "every": "1h", "urls": files}
    return load_config(write_config(tmp_path, [source], database=database))


def test_a_half_ingested_source_is_retried_soon_and_its_log_has_no_customer_text(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("info", json_output=True)  # here: capsys captures from the test's call on
    config = _three_feeds(tmp_path, store.engine.url.render_as_string(hide_password=False))
    _refuse_poison(store)
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    run = run_source(store, config, config.source("forum"), now=now)
    assert (run.status, run.batches, run.counts.added) == ("failed", 1, 4)
    assert run.retry_in == RETRY_SOON_SECONDS
    assert run.error is not None and run.error.startswith("database error")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 4  # as counted
        row = session.scalars(select(SourceRow)).one()
        assert row.next_run_at == now + timedelta(seconds=RETRY_SOON_SECONDS)
        assert row.last_error == run.error
    err = capsys.readouterr().err
    assert CUSTOMER_TEXT not in err and "Ferreira" not in err
    (line,) = [json.loads(x) for x in err.splitlines() if '"database error"' in x]
    assert line["statement"].startswith("INSERT INTO items")
    assert line["error"].endswith("Error") and line["driver_error"]

    _allow_poison(store)  # the database is back: the retry finishes what was left
    again = run_source(store, config, config.source("forum"), now=now + timedelta(minutes=1))
    assert (again.status, again.counts.added) == ("ok", 9)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 13


def test_the_daemon_schedules_the_retry_a_minute_out(store: Store, tmp_path: Path) -> None:
    """The retry is the source's stored next run (the one rule every instance reads), and the
    lease is given back, so whichever instance asks after that minute runs it."""
    config = _three_feeds(tmp_path, store.engine.url.render_as_string(hide_password=False))
    _refuse_poison(store)
    daemon = Daemon(Service(config))
    daemon.join()
    before = datetime.now(UTC)
    with store.session() as session:
        assert claim_due(session, ["forum"], daemon.lease, before, 1) == ["forum"]
    daemon._source_job("forum")
    with store.session() as session:
        row = session.scalars(select(SourceRow)).one()
        when, holder = row.next_run_at, row.acquired_by
    assert when is not None and holder is None
    assert before + timedelta(seconds=55) < when < datetime.now(UTC) + timedelta(seconds=65)
    with store.session() as session:  # not due before then, for this instance or any other
        assert claim_due(session, ["forum"], Lease("other"), datetime.now(UTC), 1) == []
        assert claim_due(session, ["forum"], Lease("other"), when, 1) == ["forum"]
    daemon.service.close()


def test_any_logged_traceback_through_a_database_error_is_scrubbed(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure("info", json_output=True)
    _refuse_poison(store)
    from listener.store.sources import get_or_create

    try:
        with store.session() as session:
            source = get_or_create(session, "s", "feed")
            session.add(
                ItemRow(
                    source_id=source.id,
                    external_id="x",
                    kind="post",
                    title="poison",
                    text=CUSTOMER_TEXT,
                    fetched_at=datetime.now(UTC),
                    segment={},
                    content_hash="h",
                )
            )
    except Exception:
        get_logger("test").exception("job failed")
    err = capsys.readouterr().err
    assert "job failed" in err and "database_error" in err
    assert CUSTOMER_TEXT not in err and "Traceback" not in err


def _silent_server() -> socket.socket:
    """A TCP server that accepts and never says a word (an SMTP server that hangs)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


@pytest.mark.parametrize("server", ["down", "silent"])
def test_with_smtp_down_run_once_still_prints_its_summary(tmp_path: Path, server: str) -> None:
    silent = _silent_server()
    port = silent.getsockname()[1]
    if server == "down":
        silent.close()
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([("p-1", "Late", "Chasing late payments eats my Friday.")]))
    source = {"name": "forum", "type": "feed", "every": "1h", "urls": [str(feed)]}
    smtp = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "from": "l@example.com",
        "timeout": 2,
    }
    config = write_config(tmp_path, [source], smtp=smtp)
    try:
        result = run_cli("run", "--once", "-c", str(config), "--as-of", "2026-11-23T12:00")
    finally:
        silent.close()
    assert "Traceback" not in result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert re.match(r"listener: 1 items added .*; stored 1 items", summary), summary
    assert "digest for 2026-W47 not sent yet, will retry" in summary
    assert PERSONAS.is_file()
