"""Serving a ``Receiver`` over HTTP with the standard library: its own port, or another server's.

``deliver(handler, receiver)`` turns one ``BaseHTTPRequestHandler`` request into a receiver call,
so the daemon's health server can hand it its POSTs. It refuses a body over the cap from its
``Content-Length`` alone, before reading it (413), and a body without a length (411).
``WebhookServer`` is a ready-made ThreadingHTTPServer for a port of the webhooks' own.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from listener.logging import get_logger
from listener.webhooks.receiver import Receiver

log = get_logger("listener.webhooks")


def deliver(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    """Answer the handler's current request through the receiver."""
    length_header = handler.headers.get("Content-Length")
    headers = {k: v for k, v in handler.headers.items()}
    if handler.command == "POST" and length_header is None:
        _send(handler, 411, {"Content-Type": "application/json"}, b'{"error": "length required"}')
        return
    try:
        length = int(length_header or 0)
    except ValueError:
        length = -1
    if length < 0:
        _send(handler, 400, {"Content-Type": "application/json"}, b'{"error": "bad length"}')
        return
    if length > receiver.max_body_bytes:
        # answer from the header, without reading the body; the route counts the refusal
        status, head, body = receiver.too_large(handler.command, handler.path)
        handler.close_connection = True
        _send(handler, status, {**head, "Connection": "close"}, body)
        return
    raw = handler.rfile.read(length) if length else b""
    status, head, body = receiver.handle(handler.command, handler.path, headers, raw)
    _send(handler, status, head, body)


def _send(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class WebhookServer:
    """The receiver on a port of its own (127.0.0.1 unless configured)."""

    def __init__(self, receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                try:
                    deliver(self, receiver)
                except Exception:  # the database may be down: the sender retries on a 5xx
                    log.exception("webhook delivery failed", path=self.path)
                    self.close_connection = True
                    _send(
                        self,
                        503,
                        {"Content-Type": "application/json"},
                        b'{"error": "not stored, try again"}',
                    )

            do_GET = do_PUT = do_DELETE = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                """Deliveries are logged by the receiver, without their bodies."""

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> WebhookServer:
        self._thread.start()
        log.info("webhooks listening", port=self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
