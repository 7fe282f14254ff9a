"""Issue 11, finding 9: `Retry-After: 999999` backed a source off for 11.6 days after one answer.

A source's wish to wait is honoured up to the same 6 h cap as failures, and `status` says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from listener.cli import main
from listener.config import load_config
from listener.runner import run_source
from listener.store.db import Store
from listener.store.models import SourceRow
from tests.connectors.loopback import LoopbackServer, Reply
from tests.listener.hardening.helpers import write_config


@pytest.mark.parametrize(
    ("header", "note"),
    [("999999", "asked to wait 11.6 days (Retry-After); capped at 6 h"), ("1e400", None)],
)
def test_a_huge_retry_after_is_capped_at_six_hours_and_status_says_so(
    tmp_path: Path, header: str, note: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda _seconds: None)  # the client's own short backoff
    with LoopbackServer(
        {"/feed.xml": Reply(status=429, headers={"Retry-After": header})}
    ) as server:
        source = {
            "name": "blog",
            "type": "feed",
            "every": "30m",
            "urls": [server.url("/feed.xml")],
            "allow_private_networks": True,
        }
        config = load_config(write_config(tmp_path, [source]))
        store = Store(config.database_url)
        store.upgrade()
        now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        run = run_source(store, config, config.source("blog"), now=now)
    assert run.status == "failed"
    with store.session() as session:
        row = session.query(SourceRow).one()
        error = row.last_error or ""
    store.dispose()
    if note is not None:
        assert row.next_attempt_at == now + timedelta(hours=6)
        assert note in error
        status = CliRunner().invoke(main, ["status", "-c", str(config.path)])
        assert note in status.stdout
    else:  # not a usable number of seconds: as if none was given (the usual backoff)
        assert row.next_attempt_at is None  # the first failure does not open the circuit
        assert "rate-limited us (HTTP 429)" in error
