"""Sending stored alerts to their sinks, each alert to each sink once (listener.delivery).

Sinks: ``email`` (one message per alert to ``alerts.email``, through SMTP or, without it, into
the outbox folder as ``alert-<week>-<key>.eml``) and ``webhook:<name>`` for each webhook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import partial
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from listener.alerts.config import WebhookSinkConfig
from listener.config import Config
from listener.delivery import claims
from listener.delivery.claims import Claim
from listener.delivery.deliver import Outcome, deliver
from listener.delivery.errors import NotSent
from listener.delivery.outbox import write_outbox
from listener.delivery.smtp import send_email
from listener.delivery.webhook import post_webhook
from listener.store.db import Store
from listener.store.models import AlertRow

CHANNEL = "alert"
_templates = Environment(
    loader=PackageLoader("listener.alerts", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def alert_json(row: AlertRow, delivered: Sequence[str]) -> dict[str, Any]:
    """The shape `listener alerts --json` prints (and the json webhook format sends)."""
    return {
        "key": row.key,
        "kind": row.kind,
        "persona": row.persona_id,
        "attribute": row.attribute_id,
        "theme": row.theme,
        "segment": row.segment,
        "week": row.week,
        "count": row.mentions,
        "authors": row.count,
        "baseline": round(row.expected, 3),
        "ratio": round(row.count / row.expected, 3) if row.expected > 0 else None,
        "p_value": row.p_value,
        "q_value": row.q_value,
        "quotes": row.quotes,
        "delivered": list(delivered),
    }


def delivered_to(store: Store, keys: Sequence[str]) -> dict[str, list[str]]:
    """Alert key → the sinks it was sent to."""
    out: dict[str, list[str]] = {key: [] for key in keys}
    for row in claims.rows(store, CHANNEL, list(keys)):
        if row.status == "sent":
            out.setdefault(row.subject, []).append(row.sink)
    return out


@dataclass(frozen=True)
class Sink:
    name: str
    send: Callable[[AlertRow, Claim, Callable[[], None]], str]
    email: bool = False


def sinks(config: Config) -> list[Sink]:
    service = config.service
    out: list[Sink] = []
    if service.alerts.email:
        out.append(Sink("email", lambda row, held, over: _email(row, held, over, config), True))
    for webhook in service.alerts.webhooks:
        out.append(Sink(f"webhook:{webhook.name}", _webhook_sender(webhook)))
    return out


def send_alerts(
    store: Store, config: Config, weeks: Sequence[str], resend: str | None = None
) -> list[Outcome]:
    """Send every alert of ``weeks`` of the configured kinds to every sink not yet done.

    ``resend``: an alert key whose uncertain or failed deliveries a person decided to repeat.
    """
    kinds = set(config.service.alerts.kinds)
    query = select(AlertRow).order_by(AlertRow.id)
    query = query.where(AlertRow.key == resend) if resend else query.where(AlertRow.week.in_(weeks))
    with store.session() as session:
        rows = list(session.scalars(query))
    repeat = set()
    if resend:
        done = claims.rows(store, CHANNEL, [resend])
        repeat = {r.sink for r in done if r.status in ("uncertain", "failed")}
    outcomes = []
    for row in rows:
        if row.kind not in kinds:
            continue
        for sink in sinks(config):
            if resend and sink.name not in repeat:
                continue
            outcomes.append(
                deliver(
                    store,
                    CHANNEL,
                    row.key,
                    sink.name,
                    partial(_bound, sink, row),
                    message_id=make_msgid(domain="listener.local") if sink.email else None,
                    lease=timedelta(seconds=config.service.delivery.lease_seconds),
                    force=bool(resend),
                )
            )
    return outcomes


def _bound(sink: Sink, row: AlertRow, held: Claim, handing_over: Callable[[], None]) -> str:
    return sink.send(row, held, handing_over)


def _message(row: AlertRow, config: Config, message_id: str | None) -> EmailMessage:
    smtp = config.service.smtp
    message = EmailMessage()
    message["Subject"] = f"Listener alert: {row.summary[:150]}"
    message["From"] = smtp.from_address if smtp else "listener@localhost"
    message["To"] = ", ".join(config.service.alerts.email)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain="listener.local")
    message.set_content(_templates.get_template("alert.txt").render(a=row))
    message.add_alternative(_templates.get_template("alert.html").render(a=row), subtype="html")
    return message


def _email(row: AlertRow, held: Claim, handing_over: Callable[[], None], config: Config) -> str:
    message = _message(row, config, held.message_id)
    smtp = config.service.smtp
    if smtp is None:
        handing_over()
        return str(write_outbox(message, config.outbox, f"alert-{row.week}-{row.key[:12]}"))
    return send_email(message, smtp, config.service.alerts.email, handing_over)


def _webhook_sender(
    webhook: WebhookSinkConfig,
) -> Callable[[AlertRow, Claim, Callable[[], None]], str]:
    def send(row: AlertRow, held: Claim, handing_over: Callable[[], None]) -> str:
        url = webhook.url or os.environ.get(webhook.url_env or "")
        if not url:
            raise NotSent(
                f"webhook {webhook.name}: environment variable {webhook.url_env} is not set",
                hint=f"export {webhook.url_env} in the service's environment",
                permanent=True,
            )
        secret = os.environ.get(webhook.secret_env) if webhook.secret_env else None
        if webhook.secret_env and not secret:
            raise NotSent(
                f"webhook {webhook.name}: environment variable {webhook.secret_env} is not set",
                hint="export the signing secret, or remove secret_env from the config",
                permanent=True,
            )
        body = json.dumps(_payload(row, webhook.format), ensure_ascii=False).encode()
        return post_webhook(
            url,
            body,
            name=webhook.name,
            delivery_id=row.key,
            secret=secret,
            timeout=webhook.timeout,
            handing_over=handing_over,
        )

    return send


def _payload(row: AlertRow, format_: str) -> dict[str, Any]:
    quotes = [f"> {q['text']}" for q in row.quotes]
    text = "\n".join([row.summary, *quotes])
    if format_ == "json":
        return {"text": text, "alert": alert_json(row, [])}
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack(row.summary)}*"}}
    ]
    if quotes:
        quoted = "\n".join(f"> {_slack(q['text'])}" for q in row.quotes)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quoted}})
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"week {row.week} · {row.kind}"}],
        }
    )
    return {"text": text, "blocks": blocks}


def _slack(text: str) -> str:
    """Slack's mrkdwn needs &, < and > escaped (its documented control characters)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
