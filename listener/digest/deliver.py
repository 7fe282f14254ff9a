"""When the digest is due, claiming it once, and sending it (SMTP) or writing it (outbox).

The claim is a unique (week, audience) row: two processes, or a restart after a crash, cannot
send the same week twice. Only a digest that failed before it was handed over is retried.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from listener.config import Config, SmtpConfig, parse_weekly_schedule
from listener.digest.build import Digest, build_digest
from listener.digest.render import render_html, render_text
from listener.errors import ListenerError
from listener.logging import get_logger
from listener.store.db import Store
from listener.store.models import DigestRunRow
from listener.weeks import iso_week, shift, week_start

log = get_logger("listener.digest")
AUDIENCE = "default"


def due_week(now: datetime, tz: ZoneInfo, schedule: str) -> str:
    """The latest week whose scheduled digest moment has passed at ``now``.

    Before this week's moment that is last week: a daemon that was down then still sends it.
    """
    weekday, at = parse_weekly_schedule(schedule)
    week = iso_week(now, tz)
    moment = datetime.combine(week_start(week) + timedelta(days=weekday), at, tzinfo=tz)
    return week if now >= moment else shift(week, -1)


@dataclass(frozen=True)
class DigestResult:
    week: str
    status: str
    """written | sent | already-done (then ``previous`` says how: written, sent, claimed...)"""
    location: str | None = None
    evidence: int = 0
    previous: str | None = None


def describe(result: DigestResult) -> str:
    """One sentence for people: what happened to the week's digest and what to do."""
    if result.status in ("written", "sent"):
        return f"digest {result.week} {result.status}: {result.location}"
    previous = result.previous
    if previous in ("written", "sent"):
        return f"digest for {result.week} already {previous}: {result.location}"
    if previous == "unknown":
        return (
            f"digest for {result.week}: the SMTP connection broke after hand-over; check the "
            f"inbox, then resend with `listener digest --week {result.week} --force`"
        )
    return (
        f"digest for {result.week} is claimed by another run (in progress, or interrupted: "
        f"then resend with `listener digest --week {result.week} --force`)"
    )


class DeliveryUncertain(ListenerError):
    """The SMTP conversation broke after the message was handed over: it may have gone out."""


def run_digest(
    store: Store,
    config: Config,
    now: datetime | None = None,
    *,
    force_week: str | None = None,
    force: bool = False,
) -> DigestResult:
    """Send or write the due digest if nobody has yet (``force``: again, on purpose)."""
    now = now or datetime.now(UTC)
    week = force_week or due_week(now, config.tz, config.service.digest.schedule)
    claimed, previous = _claim(store, week, now, force)
    if not claimed:
        return DigestResult(
            week=week,
            status="already-done",
            location=previous.location if previous else None,
            previous=previous.status if previous else None,
        )
    try:
        with store.session() as session:
            settings = config.service.digest
            digest = build_digest(session, config.personas, week, settings.weeks, settings.quotes)
        message = compose(digest, config)
        if config.service.smtp is not None:
            location = send_smtp(message, config.service.smtp)
            status = "sent"
        else:
            location = str(write_outbox(message, render_html(digest), config.outbox, week))
            status = "written"
    except DeliveryUncertain as exc:
        _finish(store, week, "unknown", None, str(exc))  # never retried on its own: no doubles
        raise
    except Exception as exc:
        _finish(store, week, "failed", None, str(exc))  # not handed over: retried next time
        raise
    _finish(store, week, status, location, None)
    return DigestResult(
        week=week, status=status, location=location, evidence=digest.evidence_in_week
    )


def _claim(store: Store, week: str, now: datetime, force: bool) -> tuple[bool, DigestRunRow | None]:
    """Take the week's digest: a new row, a failed one, or (forced) any. A claim left by a crash
    is not taken over silently, since it may have been sent; `listener digest --force` resends."""
    try:
        with store.session() as session:
            session.add(
                DigestRunRow(week=week, audience=AUDIENCE, status="claimed", claimed_at=now)
            )
        return True, None
    except IntegrityError:
        pass
    with store.session() as session:
        query = update(DigestRunRow).where(
            DigestRunRow.week == week, DigestRunRow.audience == AUDIENCE
        )
        if not force:
            query = query.where(DigestRunRow.status == "failed")
        taken = session.execute(query.values(status="claimed", claimed_at=now, error=None))
        if cast("CursorResult[Any]", taken).rowcount:
            return True, None
        previous = session.scalars(
            select(DigestRunRow).where(DigestRunRow.week == week, DigestRunRow.audience == AUDIENCE)
        ).one()
    return False, previous


def _finish(store: Store, week: str, status: str, location: str | None, error: str | None) -> None:
    with store.session() as session:
        session.execute(
            update(DigestRunRow)
            .where(DigestRunRow.week == week, DigestRunRow.audience == AUDIENCE)
            .values(status=status, location=location, error=error, finished_at=datetime.now(UTC))
        )


def compose(digest: Digest, config: Config) -> EmailMessage:
    settings = config.service.digest
    smtp = config.service.smtp
    message = EmailMessage()
    message["Subject"] = settings.subject.format(week=digest.reported_week)
    message["From"] = smtp.from_address if smtp else "listener@localhost"
    message["To"] = ", ".join(settings.recipients) or "undisclosed-recipients:;"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="listener.local")
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message


def write_outbox(message: EmailMessage, html: str, outbox: Path, week: str) -> Path:
    """Write ``digest-<week>.eml`` and ``.html`` atomically (temp file, then rename)."""
    outbox.mkdir(parents=True, exist_ok=True)
    eml = outbox / f"digest-{week}.eml"
    for path, data in ((outbox / f"digest-{week}.html", html.encode()), (eml, message.as_bytes())):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return eml


def send_smtp(message: EmailMessage, smtp: SmtpConfig) -> str:
    """Send; return the Message-ID. Credentials come from the environment, never the file."""
    username = _env(smtp.username_env)
    password = _env(smtp.password_env)
    client_cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    handed_over = accepted = False
    try:
        with client_cls(smtp.host, smtp.port, timeout=smtp.timeout) as client:
            if smtp.starttls and not smtp.ssl:
                client.starttls()
            if username and password:
                client.login(username, password)
            handed_over = True
            refused = client.send_message(message)
            accepted = True
            if refused:
                log.warning("some digest recipients were refused", refused=sorted(refused))
    except (OSError, smtplib.SMTPException) as exc:
        if accepted:  # e.g. QUIT answered badly: the message is already on its way
            log.warning("SMTP error after the digest was accepted", error=str(exc))
        elif isinstance(
            exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused | smtplib.SMTPDataError
        ) or (not handed_over and isinstance(exc, smtplib.SMTPResponseException)):
            raise ListenerError(
                f"the SMTP server {smtp.host}:{smtp.port} refused the digest: {exc}",
                hint="check smtp.from, the recipients and the credentials' environment variables",
            ) from exc
        elif handed_over:
            raise DeliveryUncertain(
                f"the connection to {smtp.host}:{smtp.port} broke while sending the digest: {exc}",
                hint="check whether it arrived; resend with `listener digest --week W --force`",
            ) from exc
        else:
            raise ListenerError(
                f"could not send the digest through {smtp.host}:{smtp.port}: {exc}",
                hint="check smtp.host/port/starttls and the credentials' environment variables",
            ) from exc
    return str(message["Message-ID"])


def _env(name: str | None) -> str | None:
    if name is None:
        return None
    value = os.environ.get(name)
    if value is None:
        raise ListenerError(
            f"smtp: environment variable {name} is not set",
            hint=f"export {name} in the service's environment, or remove it from the config",
        )
    return value
