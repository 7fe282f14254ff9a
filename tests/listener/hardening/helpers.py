"""What the hardening tests share: hostile servers on loopback, a config on disk, a daemon process.

The servers speak real TCP: ``TrickleServer`` answers HTTP one byte at a time (in the status
line, or in the body) for as long as the client stays; the feed helpers write RSS documents.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
PERSONAS = REPO / "tests" / "fixtures" / "personas.yaml"


class TrickleServer:
    """HTTP on 127.0.0.1 that sends a byte every ``interval`` seconds, never finishing.

    ``where="headers"``: the status line itself trickles; ``"body"``: complete headers that
    announce a large body, then the body trickles. Counts the connections it served.
    """

    def __init__(self, where: str = "body", interval: float = 0.1) -> None:
        self.where = where
        self.interval = interval
        self.connections = 0
        self.hung_up = 0
        self._stop = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.connections += 1
                sock: socket.socket = self.request
                sock.settimeout(5)
                try:
                    sock.recv(65536)  # the request; its content does not matter
                    if outer.where == "body":
                        sock.sendall(
                            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                            b"Content-Length: 500000\r\n\r\n<rss>"
                        )
                        chunk = b" "
                    else:
                        chunk = b"H"
                    while not outer._stop.wait(outer.interval):
                        sock.sendall(chunk)
                except OSError:
                    outer.hung_up += 1

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/feed.xml"

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


def rss(entries: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 document of (guid, title, text) entries."""
    items = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><title>{title}</title>"
        f"<description>{text}</description>"
        f"<pubDate>Mon, 16 Nov 2026 10:00:00 GMT</pubDate></item>"
        for guid, title, text in entries
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
    ).encode()


def write_config(tmp_path: Path, sources: list[dict[str, Any]], **extra: Any) -> Path:
    """A config file in tmp_path: SQLite beside it unless ``database`` is given."""
    settings: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'listener.db'}",
        "personas": str(PERSONAS),
        "timezone": "UTC",
        "digest": {"outbox": str(tmp_path / "outbox"), "recipients": ["m@example.com"]},
        "sources": sources,
        **extra,
    }
    path = tmp_path / "listener.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def listener_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "listener", *args]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``listener ARGS`` as a real process (stdout and stderr kept apart)."""
    return subprocess.run(
        listener_command(*args),
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        cwd=REPO,
    )


@contextmanager
def daemon(
    config: Path, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``listener run`` in the background, logging JSON lines into ``log``; SIGTERM at the end."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            listener_command("--log-json", "run", "-c", str(config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            cwd=REPO,
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def log_events(log: Path) -> list[dict[str, Any]]:
    events = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    return events


def wait_for(log: Path, predicate: Any, timeout: float = 120.0) -> list[dict[str, Any]]:
    """The log's events once ``predicate(events)`` holds; fails with the log's tail if never."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = log_events(log) if log.exists() else []
        if predicate(events):
            return events
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
    raise AssertionError(f"the daemon never got there; log tail:\n{tail}")


def assert_processed_once(connection: Any) -> None:
    """No statement stored twice for one item (a repeated processing), and some stored."""
    from sqlalchemy import func, select

    from listener.store.models import StatementRow

    twice = connection.execute(
        select(StatementRow.item_id, StatementRow.start, StatementRow.kind)
        .group_by(StatementRow.item_id, StatementRow.start, StatementRow.kind)
        .having(func.count() > 1)
    ).all()
    assert twice == [], "an item was processed twice"
    assert connection.scalar(select(func.count()).select_from(StatementRow)) > 0
