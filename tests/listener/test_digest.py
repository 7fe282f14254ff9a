"""The weekly digest: due dates, SMTP delivery to a real server (aiosmtpd), never twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from click.testing import CliRunner

from listener.cli import main
from listener.config import load_config
from listener.digest.deliver import due_week, run_digest
from listener.store.db import Store
from listener.store.models import DigestRunRow
from tests.listener.helpers import copy_example, free_port

BERLIN = ZoneInfo("Europe/Berlin")
EXAMPLE_SMTP_COMMENT = (
    "# smtp: {host: smtp.example.com, port: 587, starttls: true, from: listener@example.com,\n"
    "#        username_env: SMTP_USER, password_env: SMTP_PASSWORD}"
)


def test_due_week_is_this_week_after_the_scheduled_moment() -> None:
    monday_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
    monday_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert due_week(monday_9, BERLIN, "mon 08:00") == "2026-W48"
    assert due_week(monday_7, BERLIN, "mon 08:00") == "2026-W47"  # last week's, not yet sent
    assert due_week(monday_9, BERLIN, "fri 17:30") == "2026-W47"


class _Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[bytes] = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def, override]
        self.messages.append(message.as_bytes())


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_digest_is_sent_by_smtp_once(tmp_path: Path, smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    config_path = copy_example(
        tmp_path,
        {
            EXAMPLE_SMTP_COMMENT: (
                f"smtp: {{host: 127.0.0.1, port: {port}, starttls: false, "
                "from: listener@example.com}"
            )
        },
    )
    result = CliRunner().invoke(
        main,
        [
            "--log-level",
            "warning",
            "run",
            "--once",
            "-c",
            str(config_path),
            "--as-of",
            "2026-11-23T12:00",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "digest 2026-W48 sent" in result.stdout
    assert len(inbox.messages) == 1
    message = message_from_bytes(inbox.messages[0])
    assert message["To"] == "marketing@example.com"
    assert message["Subject"] == "Listener digest: 2026-W47"
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= parts
    assert not (tmp_path / "outbox").exists()  # with SMTP configured nothing goes to the outbox

    config = load_config(config_path)
    store = Store(config.database_url)
    again = run_digest(store, config, datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    assert again.status == "already-done"
    assert len(inbox.messages) == 1


def test_unreachable_smtp_fails_the_claim_so_it_is_retried(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here
    config_path = copy_example(
        tmp_path,
        {
            EXAMPLE_SMTP_COMMENT: (
                f"smtp: {{host: 127.0.0.1, port: {port}, starttls: false, "
                "from: l@example.com, timeout: 2}"
            )
        },
    )
    config = load_config(config_path)
    store = Store(config.database_url)
    store.upgrade()
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    from listener.errors import ListenerError

    with pytest.raises(ListenerError) as raised:
        run_digest(store, config, now)
    assert f"127.0.0.1:{port}" in str(raised.value)
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert run_digest(store, config, now).status == "sent"
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


class _BadQuit(_Inbox):
    async def handle_QUIT(self, server, session, envelope):  # type: ignore[no-untyped-def]
        return "421 closing, but your message is queued"


class _RefusesRecipients(_Inbox):
    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        return "550 5.1.1 no such mailbox"


def _smtp_config(tmp_path: Path, port: int) -> Path:
    return copy_example(
        tmp_path,
        {
            EXAMPLE_SMTP_COMMENT: f"smtp: {{host: 127.0.0.1, port: {port}, starttls: false, "
            "from: l@example.com, timeout: 5}"
        },
    )


@pytest.mark.parametrize(
    ("handler_cls", "status", "delivered"),
    [(_BadQuit, "sent", 1), (_RefusesRecipients, "failed", 0)],
)
def test_smtp_outcomes_decide_whether_the_week_is_retried(
    tmp_path: Path, handler_cls: type[_Inbox], status: str, delivered: int
) -> None:
    port = free_port()
    handler = handler_cls()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = load_config(_smtp_config(tmp_path, port))
        store = Store(config.database_url)
        store.upgrade()
        now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        if status == "sent":  # a bad answer to QUIT after the message was accepted
            assert run_digest(store, config, now).status == "sent"
        else:  # nothing was handed over: the week stays open for the next try
            from listener.errors import ListenerError

            with pytest.raises(ListenerError, match="refused"):
                run_digest(store, config, now)
        with store.session() as session:
            row = session.query(DigestRunRow).one()
            assert row.status == status
        store.dispose()
    finally:
        controller.stop()
    assert len(handler.messages) == delivered


def test_a_future_week_is_refused_without_force(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    result = CliRunner().invoke(main, ["digest", "-c", str(config), "--week", "2099-W01"])
    assert result.exit_code == 1
    assert "not due yet" in result.stderr and "--force" in result.stderr
