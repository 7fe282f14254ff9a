"""E-mail through an SMTP server, step by step, so the hand-over moment is known.

smtplib's ``send_message`` does MAIL, RCPT and DATA in one call; here they are separate, and the
claim is marked "handing over" just before DATA. A failure up to RCPT is safe to retry; an error
*reply* to DATA means the server did not take the message (also safe); a connection that breaks
or times out during DATA may have delivered it, and is reported as such.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from listener.config import SmtpConfig
from listener.delivery.errors import MaybeSent, NotSent
from listener.errors import ListenerError
from listener.logging import get_logger

log = get_logger("listener.delivery.smtp")


def send_email(
    message: EmailMessage,
    smtp: SmtpConfig,
    recipients: Sequence[str],
    handing_over: Callable[[], None],
) -> str:
    """Send; return the accepted Message-ID. Credentials come from the environment only."""
    username, password = _env(smtp.username_env), _env(smtp.password_env)
    where = f"{smtp.host}:{smtp.port}"
    client_cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    try:
        client = client_cls(smtp.host, smtp.port, timeout=smtp.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise NotSent(
            f"could not connect to the SMTP server {where}: {exc}",
            hint="check smtp.host, smtp.port and that the server is up",
        ) from exc
    try:
        _prepare(client, smtp, username, password, where)
        _envelope(client, smtp.from_address, recipients, where)
        handing_over()
        body = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        reply: bytes | str
        try:
            code, reply = client.data(body)
        except smtplib.SMTPResponseException as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        except (OSError, smtplib.SMTPException) as exc:
            raise MaybeSent(
                f"the connection to {where} broke while handing the message over: {exc}",
                hint="check whether it arrived; resend with --force if it did not",
            ) from exc
        if code != 250:
            raise NotSent(
                f"the SMTP server {where} did not take the message: {code} {_text(reply)}",
                hint="check smtp.from and the recipients",
                permanent=500 <= code < 600,
            )
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException) as exc:  # after acceptance: the mail is gone
            log.debug("SMTP QUIT failed", error=str(exc))
            client.close()
    return str(message["Message-ID"])


def _prepare(
    client: smtplib.SMTP, smtp: SmtpConfig, username: str | None, password: str | None, where: str
) -> None:
    try:
        client.ehlo_or_helo_if_needed()
        if smtp.starttls and not smtp.ssl:
            client.starttls()
            client.ehlo()
        if username and password:
            client.login(username, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise NotSent(
            f"the SMTP server {where} refused the credentials: {exc.smtp_code}",
            hint="check the variables named by smtp.username_env and smtp.password_env",
            permanent=True,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise NotSent(f"SMTP conversation with {where} failed: {exc}") from exc


def _envelope(client: smtplib.SMTP, sender: str, recipients: Sequence[str], where: str) -> None:
    try:
        code, reply = client.mail(sender)
        if code != 250:
            client.rset()
            raise NotSent(
                f"the SMTP server {where} refused the sender {sender}: {code} {_text(reply)}",
                hint="check smtp.from",
                permanent=500 <= code < 600,
            )
        refused = {}
        for recipient in recipients:
            code, reply = client.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, _text(reply))
    except (OSError, smtplib.SMTPException) as exc:
        raise NotSent(f"SMTP conversation with {where} failed: {exc}") from exc
    if refused and len(refused) == len(recipients):
        client.rset()
        codes = {code for code, _ in refused.values()}
        raise NotSent(
            f"the SMTP server {where} refused every recipient: {refused}",
            hint="check the recipient addresses in the config",
            permanent=all(500 <= c < 600 for c in codes),
        )
    if refused:
        log.warning("some recipients were refused", refused=sorted(refused))


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


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
