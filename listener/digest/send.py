"""When the digest is due, and sending it once: by SMTP, or into the outbox folder.

A digest is named by the week it reports on (file, subject, title, ``--week``); it is due at the
configured moment of the week after. A daemon that was down at that moment sends it when it comes
back. The claim in ``deliveries`` makes a second process, a restart or a repeated command a no-op;
``force`` resends on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from listener.alerts.record import evaluate_week, is_complete, was_evaluated
from listener.config import Config
from listener.delivery.claims import Claim
from listener.delivery.deliver import Outcome, deliver
from listener.delivery.outbox import write_outbox
from listener.delivery.smtp import send_email
from listener.digest.build import Digest, build_digest
from listener.digest.render import render_html, render_text
from listener.durations import parse_weekly_schedule
from listener.store.db import Store
from listener.store.models import DeliveryRow
from listener.weeks import iso_week, shift, week_start

CHANNEL = "digest"


def due_week(now: datetime, tz: ZoneInfo, schedule: str) -> str:
    """The latest reported week whose digest moment (in the week after it) has passed."""
    weekday, at = parse_weekly_schedule(schedule)
    current = iso_week(now, tz)
    moment = datetime.combine(week_start(current) + timedelta(days=weekday), at, tzinfo=tz)
    return shift(current, -1) if now >= moment else shift(current, -2)


def sink(config: Config) -> str:
    return "email" if config.service.smtp is not None else "outbox"


@dataclass(frozen=True)
class DigestResult:
    week: str
    sink: str
    outcome: Outcome

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def location(self) -> str | None:
        return self.outcome.location


def describe(result: DigestResult) -> str:
    """One sentence for people: what happened to the week's digest and what to do."""
    done = "written" if result.sink == "outbox" else "sent"
    status, week = result.status, result.week
    where = result.location or ""
    if status == "sent":
        return f"digest {week} {done}: {where}"
    if status == "already-sent":
        return f"digest for {week} already {done}: {where}"
    if status == "busy":
        return f"digest for {week} is being sent by another run"
    if status == "uncertain":
        return (
            f"digest for {week}: the connection broke while handing it over; check the inbox, "
            f"then resend with `listener digest --week {week} --force` if it did not arrive"
        )
    if status == "pending":
        return f"digest for {week} not sent yet, will retry: {result.outcome.error}"
    return f"digest for {week} failed: {result.outcome.error}"


def ensure_evaluated(store: Store, config: Config, week: str, now: datetime) -> None:
    """The digest lists the week's alerts: evaluate the week first if nobody has (a week not
    over yet is shown as it stands, and evaluated once it is complete)."""
    if is_complete(week, now, config) and not was_evaluated(store, week):
        evaluate_week(store, config, week, now)


def last_sent_before(store: Store, week: str) -> str | None:
    with store.session() as session:
        return session.scalar(
            select(func.max(DeliveryRow.subject)).where(
                DeliveryRow.channel == CHANNEL,
                DeliveryRow.status == "sent",
                DeliveryRow.subject < week,
            )
        )


def compose(digest: Digest, config: Config, message_id: str | None = None) -> EmailMessage:
    settings, smtp = config.service.digest, config.service.smtp
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = smtp.from_address if smtp else "listener@localhost"
    message["To"] = ", ".join(settings.recipients) or "undisclosed-recipients:;"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="listener.local")
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest), subtype="html")
    return message


def run_digest(
    store: Store,
    config: Config,
    now: datetime | None = None,
    *,
    week: str | None = None,
    force: bool = False,
) -> DigestResult:
    """Send or write the digest of ``week`` (default: the due one) unless it was done."""
    now = now or datetime.now(UTC)
    week = week or due_week(now, config.tz, config.service.digest.schedule)
    ensure_evaluated(store, config, week, now)
    target = sink(config)

    def send(held: Claim, handing_over: Callable[[], None]) -> str:
        previous = last_sent_before(store, week)
        since = shift(previous, 1) if previous else week
        with store.session() as session:
            digest = build_digest(session, config, week, since)
        message = compose(digest, config, held.message_id)
        if target == "outbox":
            handing_over()
            return str(write_outbox(message, config.outbox, f"digest-{week}", render_html(digest)))
        smtp = config.service.smtp
        assert smtp is not None
        recipients = config.service.digest.recipients
        return send_email(message, smtp, recipients, handing_over)

    outcome = deliver(
        store,
        CHANNEL,
        week,
        target,
        send,
        message_id=make_msgid(domain="listener.local"),
        force=force,
        lease=timedelta(seconds=config.service.delivery.lease_seconds),
    )
    return DigestResult(week, target, outcome)


def preview(store: Store, config: Config, week: str, folder: Path, now: datetime) -> list[Path]:
    """Render the week's digest into ``folder`` (.html, .txt, .eml) without sending or claiming."""
    ensure_evaluated(store, config, week, now)
    with store.session() as session:
        digest = build_digest(session, config, week, week)
    folder.mkdir(parents=True, exist_ok=True)
    html, text = folder / f"digest-{week}.html", folder / f"digest-{week}.txt"
    html.write_text(render_html(digest), encoding="utf-8")
    text.write_text(render_text(digest), encoding="utf-8")
    eml = folder / f"digest-{week}.eml"
    eml.write_bytes(compose(digest, config).as_bytes())
    return [html, text, eml]
