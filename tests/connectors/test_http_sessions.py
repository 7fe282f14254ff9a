"""HTTP connections kept across polls: a feed polled again reuses its keep-alive connection
(one TCP connection for many 304s, counted by a real loopback server), a run without shared
sessions opens its own, closing the sessions closes the connections, and plain-http polling
never builds a TLS context."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.base import ConnectorContext
from connectors.feed import FeedConfig, FeedConnector
from connectors.http import SharedSessions
from connectors.http_transport import tls_context

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><guid>1</guid><title>Invoices</title><description>Chasing late payments.</description>
<pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


class CountingServer(ThreadingHTTPServer):
    """Counts the TCP connections it accepts; answers a feed, then 304 to its ETag."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests = 0
        self.lock = threading.Lock()

    def get_request(self) -> Any:
        accepted = super().get_request()
        with self.lock:
            self.connections += 1
        return accepted


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: CountingServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests += 1
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", '"v1"')
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(RSS)))
        self.end_headers()
        self.wfile.write(RSS)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def server() -> Iterator[CountingServer]:
    httpd = CountingServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _poll(server: CountingServer, sessions: SharedSessions | None, polls: int) -> None:
    """``polls`` runs of a new connector each time, as the daemon's runner makes them."""
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    config = FeedConfig(urls=[url], allow_private_networks=True)
    cursor: Any = None
    for _ in range(polls):
        context = ConnectorContext(source_name="feed", sessions=sessions)
        for batch in FeedConnector(config, context).fetch(cursor):
            cursor = batch.cursor


def test_polls_with_shared_sessions_reuse_one_connection(server: CountingServer) -> None:
    sessions = SharedSessions()
    _poll(server, sessions, polls=6)
    assert server.requests == 6
    assert server.connections == 1
    sessions.close()
    _poll(server, sessions, polls=1)  # closed: the next poll connects again
    assert server.connections == 2
    sessions.close()


def test_polls_without_shared_sessions_connect_each_time(server: CountingServer) -> None:
    _poll(server, None, polls=3)
    assert (server.requests, server.connections) == (3, 3)


def test_sources_do_not_share_a_session() -> None:
    sessions = SharedSessions()
    a = sessions.get("a", "agent", False)
    assert sessions.get("a", "agent", False) is a
    assert sessions.get("b", "agent", False) is not a
    assert sessions.get("a", "agent", True) is not a  # network policy changed: a new one
    sessions.close()


def test_plain_http_polls_build_no_tls_context(server: CountingServer) -> None:
    tls_context.cache_clear()
    sessions = SharedSessions()
    _poll(server, sessions, polls=2)
    _poll(server, None, polls=1)
    sessions.close()
    assert tls_context.cache_info().currsize == 0
