"""HTTP statuses as ConnectorErrors, and Retry-After: ``HttpClient``'s words for trouble."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connectors.base import ConnectorError
from connectors.urls import safe_url

RETRY_AFTER_STATUSES = frozenset({429, 503})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpStatusError(ConnectorError):
    """A ConnectorError caused by an HTTP status; ``status`` lets callers tell 410 from 403."""

    def __init__(self, status: int, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


class Retryable(Exception):
    """A transient failure; ``retry_after`` is the server's wish when it gave one."""

    def __init__(self, error: ConnectorError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def status_error(response: httpx.Response, retries: int) -> Exception:
    """The error for a status other than 2xx/304: retryable or not, with a hint."""
    status = response.status_code
    final = safe_url(str(response.url))
    if status in RETRY_AFTER_STATUSES:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        verb = "rate-limited us" if status == 429 else "is unavailable"
        return Retryable(
            HttpStatusError(
                status,
                f"{final} {verb} (HTTP {status})",
                hint="the source asked us to slow down; it will be retried later"
                if status == 429
                else "the server is overloaded or down; it will be retried later",
                retry_after=wait,
            ),
            retry_after=wait,
        )
    if 500 <= status < 600:
        return Retryable(
            HttpStatusError(
                status,
                f"{final} answered HTTP {status} after {retries} retries",
                hint="the server is failing; it will be retried later",
            )
        )
    if status in (401, 403):
        return HttpStatusError(
            status,
            f"{final} refused access (HTTP {status})",
            hint="check the credentials (API key, token, username) in the environment "
            "and that they may read this resource",
            permanent=True,
        )
    if status == 404:
        return HttpStatusError(
            status,
            f"{final} was not found (HTTP 404)",
            hint="check the URL in the config; the resource may have moved",
        )
    if status == 410:
        return HttpStatusError(
            status,
            f"{final} is gone for good (HTTP 410)",
            hint="remove it from the config; the publisher retired it",
            permanent=True,
        )
    return HttpStatusError(
        status,
        f"{final} answered HTTP {status}",
        hint="check the URL and parameters in the config",
        permanent=400 <= status < 500 and status not in (408, 425),
    )
