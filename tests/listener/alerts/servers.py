"""Real peers for the alert tests: an SMTP server (aiosmtpd) and a webhook receiver over HTTP.

Both can be told to hold a message after they received it (before answering), so a test can
kill the sender at the worst moment: after the far side has the message, before the sender
heard back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.listener.helpers import free_port


class Inbox:
    """aiosmtpd handler: keeps every message; with ``hold`` set, stalls before answering DATA."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.hold = threading.Event()  # set: hold DATA answers until ``release``
        self.release = threading.Event()
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        self.received.set()
        while self.hold.is_set() and not self.release.is_set():
            await asyncio.sleep(0.05)
        return "250 OK: queued"

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(m, policy=default) for m in self.messages]  # type: ignore[misc]

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.parsed()]


@contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        inbox.release.set()
        controller.stop()


class Hook(ThreadingHTTPServer):
    """Records POSTs (headers, body); with ``hold`` set, answers only after ``release``."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.hold = threading.Event()
        self.release = threading.Event()
        self.received = threading.Event()
        super().__init__(("127.0.0.1", 0), _HookHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/alerts"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender killed mid-request leaves a broken pipe: expected in the crash tests."""


class _HookHandler(BaseHTTPRequestHandler):
    server: Hook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((dict(self.headers), body))
        self.server.received.set()
        while self.server.hold.is_set() and not self.server.release.is_set():
            threading.Event().wait(0.05)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def webhook_server() -> Iterator[Hook]:
    server = Hook()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
