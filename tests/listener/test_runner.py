"""Running sources: a 500 streak opens the circuit for that source only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from listener.config import Config, load_config
from listener.runner import run_source
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.models import SourceRow
from tests.connectors.loopback import LoopbackServer, Reply
from tests.listener.helpers import copy_example


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)  # the HTTP client's backoff between retries
    return slept


def _example_with_feed(tmp_path: Path, url: str) -> tuple[Config, Store]:
    """The bundled example whose feed source reads only ``url``, on a migrated store."""
    example_feeds = (
        "      - examples/feeds/smb-forum.xml\n      - examples/feeds/bookkeeping-blog.atom"
    )
    loopback = f"      - {url}\n    allow_private_networks: true"  # a loopback test server
    config = load_config(copy_example(tmp_path, {example_feeds: loopback}))
    store = Store(config.database_url)
    store.upgrade()
    return config, store


def test_a_500_streak_opens_the_circuit_for_that_source_only(
    tmp_path: Path, no_sleep: list[float]
) -> None:
    with LoopbackServer({"/feed.xml": Reply(status=500, body="down")}) as server:
        config, store = _example_with_feed(tmp_path, server.url("/feed.xml"))
        feed, survey = config.source("smb-forums"), config.source("nps-q4")
        now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        runs = [run_source(store, config, feed, now=now + timedelta(seconds=i)) for i in range(3)]
        assert [r.status for r in runs] == ["failed"] * 3
        assert no_sleep, "the HTTP client did not back off between retries"
        requests_after_streak = len(server.requests)

        skipped = run_source(store, config, feed, now=now + timedelta(seconds=10))
        assert skipped.status == "skipped" and "backing off" in (skipped.error or "")
        assert len(server.requests) == requests_after_streak  # an open circuit sends nothing

        other = run_source(store, config, survey, now=now + timedelta(seconds=10))
        assert other.status == "ok" and other.counts.added > 0

        with store.session() as session:
            row = session.query(SourceRow).filter_by(name="smb-forums").one()
            assert row.consecutive_failures == 3 and "500" in (row.last_error or "")
            assert source_state.health(row, now + timedelta(seconds=10)) == "backing-off"
            assert row.next_run_at is not None and row.next_run_at >= row.next_attempt_at  # type: ignore[operator]
            reopen = row.next_attempt_at
        assert reopen is not None

        server.route(
            "/feed.xml", Reply(body=(config.base_dir / "examples/feeds/smb-forum.xml").read_bytes())
        )
        healed = run_source(store, config, feed, now=reopen + timedelta(seconds=1))
        assert healed.status == "ok" and healed.counts.added == 23  # the whole example feed
        with store.session() as session:
            row = session.query(SourceRow).filter_by(name="smb-forums").one()
            assert source_state.health(row, reopen) == "ok"
        store.dispose()


def test_a_stop_during_a_retry_wait_ends_the_fetch_at_once(tmp_path: Path) -> None:
    import threading

    stop = threading.Event()

    def busy(_request: object) -> Reply:
        stop.set()  # SIGTERM arrives while the source is asked to wait 30 s
        return Reply(status=503, headers={"Retry-After": "30"})

    with LoopbackServer({"/feed.xml": busy}) as server:
        config, store = _example_with_feed(tmp_path, server.url("/feed.xml"))
        run = run_source(store, config, config.source("smb-forums"), stop=stop)
        assert run.status == "skipped" and run.error == "stopped"
        assert len(server.requests) == 1
        with store.session() as session:
            row = session.query(SourceRow).filter_by(name="smb-forums").one()
            assert row.consecutive_failures == 0  # a stop is not the source's fault
        store.dispose()
