"""SMTP down, then up: the digest of a real `run --once` is sent once, by a real aiosmtpd server
started only after the first attempt was refused."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.listener.helpers import copy_example, free_port

EXAMPLE_SMTP_COMMENT = (
    "# smtp: {host: smtp.example.com, port: 587, starttls: true, from: listener@example.com,\n"
    "#        username_env: SMTP_USER, password_env: SMTP_PASSWORD}"
)


class _Down:
    """A server in maintenance: greets with 421 and hangs up, counting who tried."""

    def __init__(self, port: int) -> None:
        self.refused = threading.Event()
        self.connections = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with client:
                client.sendall(b"421 4.3.2 down for maintenance\r\n")
            self.connections += 1
            self.refused.set()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(envelope.content)
        return "250 OK"


def _run_once(config: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "listener", "--log-level", "warning", "run", "--once"]
    return subprocess.Popen(
        [*command, "--as-of", "2026-11-23T12:00", "-c", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_smtp_down_then_up_sends_the_digest_once(store_url: str, tmp_path: Path) -> None:
    port = free_port()
    config = copy_example(
        tmp_path,
        {
            "database: sqlite:///../data/listener.db": f"database: {store_url}",
            EXAMPLE_SMTP_COMMENT: f"smtp: {{host: 127.0.0.1, port: {port}, starttls: false, "
            "from: listener@example.com, timeout: 5}",
        },
    )
    down = _Down(port)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    process = _run_once(config)
    try:
        assert down.refused.wait(timeout=120), "the digest never tried the server"
        down.close()
        controller.start()  # up before the run's next try (2 s later)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "digest 2026-W47 sent" in out, out + err
        assert down.connections == 1
        assert len(inbox.messages) == 1
        assert message_from_bytes(inbox.messages[0])["Subject"].startswith("Listener 2026-W47")

        again = _run_once(config)  # a later run (or a restart) does not send it again
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert "digest 2026-W47 sent" not in out, out
        assert len(inbox.messages) == 1
    finally:
        if process.poll() is None:
            process.kill()
        down.close()
        controller.stop()
