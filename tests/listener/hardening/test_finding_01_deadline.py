"""Issue 11, finding 1: a slow response defeated the timeout, and slow sources starved the rest.

Every request now has one deadline (connect + headers + body) that the client enforces while
bytes still arrive; the daemon gives each source its own worker, so four trickling feeds cannot
hold back a healthy one. Before, these tests hung until pytest-timeout ended them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import ConnectorError
from connectors.http import HttpClient
from tests.connectors.loopback import LoopbackServer, Reply
from tests.listener.hardening.helpers import TrickleServer, daemon, rss, wait_for, write_config


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(where: str) -> None:
    sleeps: list[float] = []
    with (
        TrickleServer(where, interval=0.05) as server,
        HttpClient(
            "t", timeout=1.0, max_retries=1, sleep=sleeps.append, allow_private_networks=True
        ) as client,
        pytest.raises(ConnectorError) as raised,
    ):
        client.get(server.url)
    assert "timed out" in str(raised.value)
    assert "within 1 s" in str(raised.value)
    assert server.connections == 2  # the first attempt and one retry, each ended by its deadline
    assert len(sleeps) == 1


def _healthy_runs(events: list[dict[str, object]]) -> int:
    return sum(1 for e in events if e.get("event") == "source fetched" and e["source"] == "healthy")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_four_trickling_feeds_do_not_starve_a_healthy_one(tmp_path: Path) -> None:
    body = rss([("a-1", "Late payments", "Chasing late payments eats my Friday.")])
    with (
        TrickleServer("body", interval=0.2) as trickle,
        LoopbackServer({"/feed.xml": Reply(body=body)}) as healthy,
    ):
        slow = [
            {
                "name": f"slow-{n}",
                "type": "feed",
                "every": "1m",
                "urls": [trickle.url.replace("feed.xml", f"{n}.xml")],
                "timeout": 2,
                "allow_private_networks": True,
            }
            for n in range(4)
        ]
        good = {
            "name": "healthy",
            "type": "feed",
            "every": "2s",
            "urls": [healthy.url("/feed.xml")],
            "allow_private_networks": True,
        }
        config = write_config(tmp_path, [*slow, good])
        log = tmp_path / "daemon.log"
        with daemon(config, log):
            events = wait_for(log, lambda ev: _healthy_runs(ev) >= 3, timeout=150)
        assert trickle.connections >= 4  # all four slow sources were being fetched meanwhile
        failed = [e for e in events if e.get("event") == "source failed"]
        assert all("timed out" in str(e["error"]) for e in failed)
