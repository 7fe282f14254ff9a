"""systemd's notify protocol: READY=1 after migrations and scheduling, WATCHDOG=1 from the
scheduler, against a real daemon process and a datagram socket the test binds as systemd would."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from listener.sdnotify import Notifier
from listener.store.db import head_revision
from tests.listener.deploy.daemon import example_config, start, stop


def _receive(sock: socket.socket, wanted: str, timeout: float) -> list[str]:
    """Datagrams until one holds the line ``wanted``; all of them, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            message = sock.recv(4096).decode()
        except TimeoutError:
            break
        seen.append(message)
        if wanted in message.splitlines():
            return seen
    raise AssertionError(f"no {wanted} within {timeout}s; received {seen}")


@pytest.mark.slow
def test_daemon_sends_ready_after_migrations_then_watchdog_pings(tmp_path: Path) -> None:
    config, _port = example_config(tmp_path)
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(address)
        log = tmp_path / "daemon.log"
        env = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000"}  # ping every second
        process = start(config, log, env)
        try:
            first = _receive(sock, "READY=1", timeout=120)
            # READY=1 only once the schema is at head (the daemon migrates before it).
            engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'listener.db'}")
            with engine.connect() as connection:
                revision = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert revision.scalar() == head_revision()
            engine.dispose()
            assert '"listener started"' in log.read_text()
            assert not any("WATCHDOG=1" in m for m in first[:-1]), "watchdog before READY"
            started = time.monotonic()
            _receive(sock, "WATCHDOG=1", timeout=10)
            _receive(sock, "WATCHDOG=1", timeout=10)
            # two pings at half the 2 s watchdog: well under the period systemd would wait
            assert time.monotonic() - started < 4.0
            assert process.poll() is None
        finally:
            code = stop(process)
        assert code == 0, log.read_text()[-2000:]
        assert any("STOPPING=1" in m for m in _drain(sock))


def _drain(sock: socket.socket) -> list[str]:
    sock.settimeout(0.5)
    out = []
    try:
        while True:
            out.append(sock.recv(4096).decode())
    except TimeoutError:
        return out


def test_abstract_socket_address_and_watchdog_pid() -> None:
    """``@name`` is Linux's abstract namespace; a WATCHDOG_PID of another process is not ours."""
    name = f"listener-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        notifier = Notifier({"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "30000000"})
        assert notifier.watchdog_seconds == 30.0
        notifier.ready("3 sources scheduled")
        assert sock.recv(4096) == b"READY=1\nSTATUS=3 sources scheduled"
    other = Notifier({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"})
    assert other.watchdog_seconds is None or os.getpid() == 1


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.send("READY=1") is False
