"""The sinks against real servers: webhooks over loopback HTTP, e-mail through aiosmtpd."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from listener.config import SmtpConfig
from listener.delivery.errors import MaybeSent, NotSent
from listener.delivery.smtp import send_email
from listener.delivery.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, post_webhook
from tests.listener.helpers import free_port


class _Hook(ThreadingHTTPServer):
    def __init__(
        self, status: int = 200, delay: float = 0.0, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.delay, self.extra = status, delay, headers or {}
        self.received: list[tuple[dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), _HookHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up mid-answer (the timeout test) is expected here."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _HookHandler(BaseHTTPRequestHandler):
    server: _Hook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        if self.server.delay:
            threading.Event().wait(self.server.delay)
        self.send_response(self.server.status)
        for name, value in self.server.extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook(request: pytest.FixtureRequest) -> Iterator[_Hook]:
    server = _Hook(**getattr(request, "param", {}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _post(url: str, **kwargs: Any) -> str:
    options: dict[str, Any] = {
        "name": "slack",
        "delivery_id": "abc",
        "secret": None,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return post_webhook(url, b'{"text": "hi"}', handing_over=lambda: None, **options)


def test_a_signed_post_verifies_on_the_receiving_side(hook: _Hook) -> None:
    assert _post(hook.url, secret="s3cret") == "HTTP 200"
    headers, body = hook.received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected and headers[DELIVERY_HEADER] == "abc"
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("hook", "permanent", "retry_after"),
    [
        ({"status": 503, "headers": {"Retry-After": "120"}}, False, 120.0),
        ({"status": 404}, True, None),
    ],
    indirect=["hook"],
)
def test_http_errors_say_whether_to_retry(
    hook: _Hook, permanent: bool, retry_after: float | None
) -> None:
    with pytest.raises(NotSent) as raised:
        _post(hook.url)
    assert raised.value.permanent is permanent and raised.value.retry_after == retry_after


def test_nothing_listening_is_not_sent() -> None:
    with pytest.raises(NotSent, match="could not connect"):
        _post(f"http://127.0.0.1:{free_port()}/hook")


@pytest.mark.parametrize("hook", [{"delay": 3.0}], indirect=True)
def test_a_receiver_that_times_out_after_reading_may_have_processed_it(hook: _Hook) -> None:
    with pytest.raises(MaybeSent):
        _post(hook.url, timeout=0.5)
    assert len(hook.received) == 1  # it did arrive: resending blindly would duplicate it


class _Stalls:
    """Takes the message, then never answers DATA (a hung server)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        await asyncio.sleep(5)
        return "250 OK"


def test_smtp_hand_over_comes_before_data_and_a_stall_is_uncertain() -> None:
    from email.message import EmailMessage

    port = free_port()
    handler = _Stalls()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    order: list[str] = []
    try:
        message = EmailMessage()
        message["Subject"], message["Message-ID"] = "x", "<m@x>"
        message.set_content("body")
        smtp = SmtpConfig.model_validate(
            {"host": "127.0.0.1", "port": port, "starttls": False, "from": "l@x", "timeout": 1}
        )
        with pytest.raises(MaybeSent, match="handing the message over"):
            send_email(message, smtp, ["a@example.com"], lambda: order.append("hand-over"))
    finally:
        controller.stop()
    assert order == ["hand-over"] and len(handler.messages) == 1
