"""Webhooks: a JSON POST (Slack-compatible), optionally signed with HMAC-SHA256.

The body is signed as sent: ``X-Listener-Signature-256: sha256=<hex>`` of the raw bytes with the
shared secret, and ``X-Listener-Delivery`` carries a stable id so a receiver can drop a repeat.
A request that never reached the server (connect errors) is safe to retry; one that broke after
it was sent may have been processed, and is reported as such.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

import httpx

from listener.delivery.errors import MaybeSent, NotSent

SIGNATURE_HEADER = "X-Listener-Signature-256"
DELIVERY_HEADER = "X-Listener-Delivery"
USER_AGENT = "listener/0.1 (trend alerts)"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(
    url: str,
    body: bytes,
    *,
    name: str,
    delivery_id: str,
    secret: str | None,
    timeout: float,
    handing_over: Callable[[], None],
    client: httpx.Client | None = None,
) -> str:
    """POST ``body``; return a short description of the answer (stored as the location)."""
    headers: dict[str, str] = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        DELIVERY_HEADER: delivery_id,
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    owned = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    try:
        handing_over()
        try:
            response = http.post(url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise NotSent(f"webhook {name}: could not connect: {exc}") from exc
        except httpx.HTTPError as exc:
            raise MaybeSent(
                f"webhook {name}: the request broke after it was sent: {type(exc).__name__}",
                hint="check the receiver; resend with --force if it did not arrive",
            ) from exc
    finally:
        if owned:
            http.close()
    return _judge(name, response.status_code, response.headers)


def _judge(name: str, status: int, headers: Mapping[str, str]) -> str:
    if 200 <= status < 300:
        return f"HTTP {status}"
    retry_after = _seconds(headers.get("Retry-After"))
    if status in (408, 425, 429) or status >= 500:
        raise NotSent(f"webhook {name}: HTTP {status}", retry_after=retry_after)
    raise NotSent(
        f"webhook {name}: HTTP {status}",
        hint="check the webhook's url and secret in the config",
        permanent=True,
    )


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
