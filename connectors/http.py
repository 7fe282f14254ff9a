"""Polite HTTP for connectors: timeouts, a size cap, Retry-After and backoff in one place.

Every connector that talks HTTP goes through ``HttpClient`` so that the same manners hold
everywhere: a user agent that names us, a hard cap on the *decompressed* body (a gzip bomb is
aborted while streaming, not after), retries with exponential backoff and full jitter for
transient trouble, the server's own Retry-After honoured, and errors that say what to do
without ever showing credentials (query strings and user-info are stripped from URLs in
messages, headers are never echoed).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from connectors.base import ConnectorConfig, ConnectorContext, ConnectorError

# httpx logs every request URL at INFO, query string (and any api_key in it) included. Keep it
# quiet unless the application configured that logger on purpose.
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)

_PERMANENT_REDIRECTS = frozenset({301, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_RAW_CHUNK = 16_384


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A successful (2xx) or not-modified (304) answer, body fully read and decompressed."""

    status: int
    url: str
    headers: Mapping[str, str]
    body: bytes
    permanent_redirect: str | None = None
    """The URL to use from now on when the chain started with 301/308 redirects."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def safe_url(url: str) -> str:
    """``url`` without user-info and query values: fit for logs and error messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    query = "…" if parts.query else ""
    return urlunsplit((parts.scheme, host, parts.path, query, ""))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
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


class _TooLarge(Exception):
    pass


class _Retryable(Exception):
    """A transient failure; ``retry_after`` is the server's wish when it gave one."""

    def __init__(self, error: ConnectorError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class HttpClient:
    """A small, polite HTTP GET client shared by connectors (one per connector instance)."""

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10_000_000,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[float], float] | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_retries = max(0, max_retries)
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        # Looked up at call time, so a test's patched time.sleep applies to clients made inside.
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))
        self._jitter = jitter or (lambda cap: random.uniform(0.0, cap))
        self._client = httpx.Client(
            # Only what _Inflater can bound: no br/zstd even when those packages are installed.
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=10,
            event_hooks={"request": [self._drop_headers_off_origin]},
        )
        self._call = threading.local()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def backoff_delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, base * 2**attempt] (attempt counts from 0)."""
        return self._jitter(self.backoff_base * (2**attempt))

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> HttpResponse:
        """GET ``url``; 2xx and 304 are returned, everything else raises ConnectorError."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ConnectorError(
                f"cannot fetch {safe_url(url)!r}: only http and https URLs are supported",
                hint="use an http(s) URL, or a local file path where the connector allows one",
                permanent=True,
            )
        attempt = 0
        while True:
            try:
                return self._get_once(url, headers, params)
            except _Retryable as retry:
                wait: float
                if retry.retry_after is not None:
                    if retry.retry_after > self.max_retry_after or attempt >= self.max_retries:
                        retry.error.retry_after = retry.retry_after
                        raise retry.error from None
                    wait = retry.retry_after
                else:
                    if attempt >= self.max_retries:
                        raise retry.error from None
                    wait = self.backoff_delay(attempt)
                self._sleep(wait)
                attempt += 1

    def get_json(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """GET and decode JSON; a 304 yields None."""
        merged = {"Accept": "application/json", **(headers or {})}
        response = self.get(url, headers=merged, params=params)
        if response.not_modified:
            return None
        try:
            return json.loads(response.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConnectorError(
                f"{safe_url(response.url)} did not answer with JSON ({exc.__class__.__name__})",
                hint="check that the URL points at the API endpoint, not a web page",
            ) from None

    def _drop_headers_off_origin(self, request: httpx.Request) -> None:
        """httpx strips only Authorization on a cross-origin redirect; our callers' own headers
        (Discourse's Api-Key) must not follow a redirect to another host either."""
        origin = getattr(self._call, "origin", None)
        here = (request.url.scheme, request.url.host, request.url.port)
        if origin is not None and here != origin:
            for name in getattr(self._call, "headers", ()):
                request.headers.pop(name, None)

    def _get_once(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
    ) -> HttpResponse:
        shown = safe_url(url)
        first = httpx.URL(url)
        self._call.origin = (first.scheme, first.host, first.port)
        self._call.headers = tuple(headers or ())
        deadline = time.monotonic() + self.timeout * 3
        try:
            with self._client.stream(
                "GET", url, headers=dict(headers or {}), params=dict(params or {})
            ) as response:
                status = response.status_code
                if status == 304 or 200 <= status < 300:
                    body = self._read_capped(response, shown, deadline)
                    return HttpResponse(
                        status=status,
                        url=str(response.url),
                        headers=response.headers,
                        body=body,
                        permanent_redirect=_permanent_target(response),
                    )
                raise self._status_error(response, shown)
        except _TooLarge:
            raise ConnectorError(
                f"{shown} sent more than {self.max_bytes:,} bytes (after decompression)",
                hint="raise max_bytes for this source if the document is really that large",
            ) from None
        except httpx.TimeoutException as exc:
            raise _Retryable(
                ConnectorError(
                    f"{shown} timed out ({exc.__class__.__name__}) after {self.max_retries} "
                    "retries",
                    hint="the server is slow or unreachable; raise timeout or try later",
                )
            ) from None
        except httpx.TooManyRedirects:
            raise ConnectorError(
                f"{shown} redirected too many times",
                hint="open the URL in a browser and configure the final address",
            ) from None
        except httpx.DecodingError as exc:
            raise ConnectorError(
                f"{shown} sent a body that could not be decompressed ({exc.__class__.__name__})",
                hint="the server's Content-Encoding is broken; report it to the site owner",
            ) from None
        except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
                raise ConnectorError(
                    f"cannot fetch {shown}: {exc.__class__.__name__}",
                    hint="check the URL in the config",
                    permanent=True,
                ) from None
            raise _Retryable(
                ConnectorError(
                    f"could not reach {shown} ({exc.__class__.__name__}) after "
                    f"{self.max_retries} retries",
                    hint="check the host name, the network and any proxy settings",
                )
            ) from None

    def _read_capped(self, response: httpx.Response, shown: str, deadline: float) -> bytes:
        """The body, decompressed here in bounded steps: never more than max_bytes in memory.

        httpx would inflate each network chunk whole (64 KB of a gzip bomb is 64 MB), so the
        raw stream is read and zlib is asked for at most the remaining budget at a time.
        """
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        declared = response.headers.get("Content-Length", "")
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > self.max_bytes:
            raise _TooLarge
        inflater = _Inflater(encoding, shown)
        chunks: list[bytes] = []
        total = 0
        for raw in response.iter_raw(_RAW_CHUNK):
            for piece in inflater.feed(raw, self.max_bytes - total + 1):
                total += len(piece)
                if total > self.max_bytes:
                    raise _TooLarge
                chunks.append(piece)
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"{shown} is sending too slowly")
        return b"".join(chunks)

    def _status_error(self, response: httpx.Response, shown: str) -> Exception:
        status = response.status_code
        final = safe_url(str(response.url))
        if status in _RETRY_AFTER_STATUSES:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            verb = "rate-limited us" if status == 429 else "is unavailable"
            return _Retryable(
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
            return _Retryable(
                HttpStatusError(
                    status,
                    f"{final} answered HTTP {status} after {self.max_retries} retries",
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


class _Inflater:
    """Content-Encoding gzip/deflate/identity, inflated at most ``budget`` bytes per call."""

    def __init__(self, encoding: str, shown: str) -> None:
        self._shown = shown
        self._raw_deflate_tried = False
        if encoding in ("", "identity"):
            self._zlib: Any = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            raise ConnectorError(
                f"{shown} answered with an unsupported Content-Encoding {encoding[:40]!r}",
                hint="the server ignored our Accept-Encoding; report it to the site owner",
            )

    def feed(self, data: bytes, budget: int) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        while data:
            try:
                out = self._zlib.decompress(data, max(1, budget))
            except zlib.error:
                if self._raw_deflate_tried or self._zlib.eof:
                    raise ConnectorError(
                        f"{self._shown} sent a body that could not be decompressed",
                        hint="the server's Content-Encoding is broken; report it to the site owner",
                    ) from None
                self._raw_deflate_tried = True  # some servers send deflate without zlib header
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_deflate_tried = True
            budget -= len(out)
            if out:
                yield out
            if self._zlib.eof:
                rest = self._zlib.unused_data
                if not rest:
                    return
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)  # concatenated gzip members
                data = rest
            else:
                data = self._zlib.unconsumed_tail


def _permanent_target(response: httpx.Response) -> str | None:
    """The URL a leading run of 301/308 redirects pointed to, or None."""
    hops = [*response.history, response]
    target: str | None = None
    for hop, nxt in itertools.pairwise(hops):
        if hop.status_code not in _PERMANENT_REDIRECTS:
            break
        target = str(nxt.url)
    return target


ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)


class HttpConnector(Generic[ConfigT]):
    """What the HTTP connectors share: their config and context, and one client per run.

    A test may pass its own ``http`` client (to record the waits); it is then left open.
    """

    def __init__(
        self, config: ConfigT, context: ConnectorContext, *, http: HttpClient | None = None
    ) -> None:
        self.config = config
        self.context = context
        self._http = http

    def _client(self, **settings: Any) -> contextlib.AbstractContextManager[HttpClient]:
        if self._http is not None:
            return contextlib.nullcontext(self._http)
        return HttpClient(self.context.user_agent, sleep=self.context.sleep, **settings)
