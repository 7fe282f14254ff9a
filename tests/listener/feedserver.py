"""RSS feeds on loopback that note every request: which feed, and when."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.listener.hardening.helpers import rss

ENTRIES = 3
"""Entries in every feed (and in every page of one)."""


class FeedServer:
    """``/f{feed}.xml`` (or ``/f{feed}-{page}.xml``) holds ENTRIES entries with ids unique to
    that path. Feeds in ``slow`` answer after ``delay`` seconds. ``requests``: (feed, time)."""

    def __init__(self, slow: frozenset[int] = frozenset(), delay: float = 0.0) -> None:
        self.requests: list[tuple[int, float]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.strip("/").removesuffix(".xml").removeprefix("f")
                feed = int(name.split("-")[0])
                outer.requests.append((feed, time.monotonic()))
                if feed in slow:
                    time.sleep(delay)
                body = rss([(f"f{name}-{i}", f"Post {i}", f"Chasing late payment {name}.{i}.")
                            for i in range(ENTRIES)])  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, feed: int, page: int | None = None) -> str:
        path = f"f{feed}" if page is None else f"f{feed}-{page}"
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}.xml"

    def count(self, start: float, end: float) -> int:
        return sum(1 for _, at in list(self.requests) if start <= at < end)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
