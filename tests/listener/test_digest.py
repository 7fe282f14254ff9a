"""The weekly digest: the week it reports on, SMTP delivery to a real server (aiosmtpd), once."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from click.testing import CliRunner
from sqlalchemy import update

from listener.cli import main
from listener.cli.digest import refuse_to_send
from listener.config import load_config
from listener.digest.send import due_week, run_digest
from listener.store.db import Store
from listener.store.models import DeliveryRow
from tests.listener.helpers import copy_example, free_port

BERLIN = ZoneInfo("Europe/Berlin")
EXAMPLE_SMTP_COMMENT = (
    "# smtp: {host: smtp.example.com, port: 587, starttls: true, from: listener@example.com,\n"
    "#        username_env: SMTP_USER, password_env: SMTP_PASSWORD}"
)
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_due_week_is_the_week_reported_on() -> None:
    monday_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, Monday of W48
    monday_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert due_week(monday_9, BERLIN, "mon 08:00") == "2026-W47"
    assert due_week(monday_7, BERLIN, "mon 08:00") == "2026-W46"  # W47's is not due yet
    assert due_week(monday_9, BERLIN, "fri 17:30") == "2026-W46"


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


def _smtp_config(tmp_path: Path, port: int, timeout: int = 5) -> Path:
    return copy_example(
        tmp_path,
        {
            EXAMPLE_SMTP_COMMENT: f"smtp: {{host: 127.0.0.1, port: {port}, starttls: false, "
            f"from: listener@example.com, timeout: {timeout}}}"
        },
    )


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--log-level", "warning", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_digest_is_sent_by_smtp_once(tmp_path: Path, smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    config_path = _smtp_config(tmp_path, port)
    code, out, err = _cli("run", "--once", "-c", str(config_path), "--as-of", "2026-11-23T12:00")
    assert code == 0, err
    assert "digest 2026-W47 sent" in out
    assert len(inbox.messages) == 1
    message = message_from_bytes(inbox.messages[0])
    assert message["To"] == "marketing@example.com"
    assert message["Subject"].startswith("Listener 2026-W47")
    assert message.get_content_type() == "multipart/alternative"
    assert not (tmp_path / "outbox").exists()  # with SMTP configured nothing goes to the outbox

    config = load_config(config_path)
    store = Store(config.database_url)
    again = run_digest(store, config, NOW)
    assert again.status == "already-sent"
    assert len(inbox.messages) == 1
    store.dispose()


def test_an_unreachable_server_is_retried_later_with_the_same_message_id(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    config = load_config(_smtp_config(tmp_path, port, timeout=2))
    store = Store(config.database_url)
    store.upgrade()
    first = run_digest(store, config, NOW)
    assert first.status == "pending" and f"127.0.0.1:{port}" in (first.outcome.error or "")
    with store.session() as session:
        row = session.query(DeliveryRow).one()
        assert row.next_attempt_at is not None and row.next_attempt_at > datetime.now(UTC)
        message_id = row.message_id
    assert run_digest(store, config, NOW).status == "pending"  # not before its backoff ends
    with store.session() as session:  # as if the backoff had run out
        session.execute(update(DeliveryRow).values(next_attempt_at=None))
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert run_digest(store, config, NOW).status == "sent"
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert email.message_from_bytes(inbox.messages[0])["Message-ID"] == message_id
    store.dispose()


class _BadQuit(_Inbox):
    async def handle_QUIT(self, server, session, envelope):  # type: ignore[no-untyped-def]
        return "421 closing, but your message is queued"


class _RefusesRecipients(_Inbox):
    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        return "550 5.1.1 no such mailbox"


@pytest.mark.parametrize(
    ("handler_cls", "status", "delivered"),
    [(_BadQuit, "sent", 1), (_RefusesRecipients, "failed", 0)],
)
def test_smtp_answers_decide_what_the_claim_becomes(
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
        result = run_digest(store, config, NOW)
        assert result.status == status
        if status == "failed":  # a permanent refusal: kept as failed, not retried on its own
            assert "refused every recipient" in (result.outcome.error or "")
        with store.session() as session:
            assert session.query(DeliveryRow).one().status == status
        store.dispose()
    finally:
        controller.stop()
    assert len(handler.messages) == delivered


def test_a_future_week_is_refused_even_with_send(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    for extra in ([], ["--send"]):
        code, _, err = _cli("digest", "-c", str(config), "--week", "2099-W01", *extra)
        assert code == 2
        assert "2099-W01 is not over yet" in err and "--preview" in err


def test_a_complete_week_before_its_moment_needs_send_and_an_incomplete_one_is_refused(
    tmp_path: Path,
) -> None:
    config = load_config(copy_example(tmp_path))  # Europe/Berlin, "mon 08:00"
    monday_7 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin: W47 over, not due
    early = refuse_to_send("2026-W47", monday_7, config, asked=False)
    assert early is not None and "not due yet (the latest due is 2026-W46)" in early.message
    assert early.hint and "--send" in early.hint
    assert refuse_to_send("2026-W47", monday_7, config, asked=True) is None  # sent early: fine
    assert refuse_to_send("2026-W46", monday_7, config, asked=False) is None  # due
    current = refuse_to_send("2026-W48", monday_7, config, asked=True)
    assert current is not None and "2026-W48 is not over yet" in current.message


def test_preview_renders_without_claiming_and_send_sends_once(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    code, out, err = _cli("run", "--once", "-c", str(config), "--as-of", "2026-11-09T12:00")
    assert code == 0, err
    preview = tmp_path / "preview"
    code, out, err = _cli(
        "digest", "-c", str(config), "--week", "2026-W47", "--preview", str(preview)
    )
    assert code == 0, err
    assert sorted(p.name for p in preview.iterdir()) == [
        "digest-2026-W47.eml",
        "digest-2026-W47.html",
        "digest-2026-W47.txt",
    ]
    assert "Listener digest for week 2026-W47" in (preview / "digest-2026-W47.txt").read_text()
    assert not (tmp_path / "outbox" / "digest-2026-W47.eml").exists()  # nothing was sent
    code, out, err = _cli("digest", "-c", str(config), "--week", "2026-W47", "--send")
    assert code == 0, err
    assert "digest 2026-W47 written" in out
    code, out, err = _cli("digest", "-c", str(config), "--week", "2026-W47", "--send")
    assert code == 0, err
    assert "digest for 2026-W47 already written" in out
    code, _, err = _cli(
        "digest", "-c", str(config), "--week", "2026-W47", "--preview", "x", "--send"
    )
    assert code == 2 and "cannot be combined" in err


def test_bad_week_names_the_form(tmp_path: Path) -> None:
    code, _, err = _cli("digest", "-c", str(copy_example(tmp_path)), "--week", "47")
    assert code == 2 and "is not an ISO week" in err and "2026-W47" in err
