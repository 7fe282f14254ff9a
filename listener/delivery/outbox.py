"""The outbox folder: where mail goes while no SMTP server is configured (a newcomer's default)."""

from __future__ import annotations

import os
from email.message import EmailMessage
from pathlib import Path

from listener.delivery.errors import NotSent


def write_outbox(message: EmailMessage, outbox: Path, stem: str, html: str | None = None) -> Path:
    """Write ``<stem>.eml`` (and ``<stem>.html`` for a browser) atomically: temp file, rename."""
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        eml = outbox / f"{stem}.eml"
        files = [(eml, message.as_bytes())]
        if html is not None:
            files.insert(0, (outbox / f"{stem}.html", html.encode()))
        for path, data in files:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
    except OSError as exc:
        raise NotSent(
            f"cannot write to the outbox {outbox}: {exc.strerror}",
            hint="check that digest.outbox is a writable folder (or configure smtp)",
        ) from exc
    return eml
