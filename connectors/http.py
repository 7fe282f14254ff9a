"""Polite HTTP for connectors: deadlines, a size cap, Retry-After and backoff in one place.

Every connector that talks HTTP goes through ``HttpClient`` so that the same manners hold
everywhere: a user agent that names us, one deadline per request however slowly the bytes
arrive, a hard cap on the *decompressed* body (a gzip bomb is aborted while streaming, not
after), public addresses only unless the source opts in (``netpolicy``), retries with
exponential backoff and full jitter for transient trouble, the server's own Retry-After
honoured, and errors that say what to do without ever showing credentials (query strings and
user-info are stripped from URLs in messages, headers are never echoed).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import httpx

from connectors.base import ConnectorContext, ConnectorError
from connectors.configs.network import NetworkConfig
from connectors.http_body import Inflater
from connectors.http_session import HttpSession, SharedSessions
from connectors.http_status import (
    HttpStatusError,
    Retryable,
    parse_retry_after,
    status_error,
)
from connectors.urls import safe_url

__all__ = [
    "HttpClient",
    "HttpConnector",
    "HttpResponse",
    "HttpSession",
    "HttpStatusError",
    "NetworkConfig",
    "SharedSessions",
    "parse_retry_after",
    "safe_url",
]

_PERMANENT_REDIRECTS = frozenset({301, 308})
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


class _TooLarge(Exception):
    pass


class HttpClient:
    """A small, polite HTTP GET client shared by connectors (one per connector run)."""

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
        allow_private_networks: bool = False,
        session: HttpSession | None = None,
    ) -> None:
        """``timeout`` is the deadline of each request attempt: connect, headers and body.
        ``session``: connections to reuse (kept by ``SharedSessions``), else the client's own."""
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
        self.allow_private_networks = allow_private_networks
        self._owned = session is None
        self._session = session or HttpSession(user_agent, allow_private_networks)
        self._call = self._session.call
        self._client = self._session.client

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
        """Close the client's own connections; a shared session stays open for the next poll."""
        if self._owned:
            self._session.close()

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
            except Retryable as retry:
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
        self._call.hop = 0
        self._call.deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream(
                "GET",
                url,
                headers=dict(headers or {}),
                params=dict(params or {}),
                timeout=httpx.Timeout(self.timeout),
            ) as response:
                status = response.status_code
                if status == 304 or 200 <= status < 300:
                    body = self._read_capped(response, shown)
                    return HttpResponse(
                        status=status,
                        url=str(response.url),
                        headers=response.headers,
                        body=body,
                        permanent_redirect=_permanent_target(response),
                    )
                raise status_error(response, self.max_retries)
        except _TooLarge:
            raise ConnectorError(
                f"{shown} sent more than {self.max_bytes:,} bytes (after decompression)",
                hint="raise max_bytes for this source if the document is really that large",
            ) from None
        except httpx.TimeoutException as exc:
            raise Retryable(
                ConnectorError(
                    f"{shown} timed out: no complete answer within {self.timeout:g} s "
                    f"({exc.__class__.__name__}) after {self.max_retries} retries",
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
            raise Retryable(
                ConnectorError(
                    f"could not reach {shown} ({exc.__class__.__name__}) after "
                    f"{self.max_retries} retries",
                    hint="check the host name, the network and any proxy settings",
                )
            ) from None
        finally:
            self._call.deadline = None

    def _read_capped(self, response: httpx.Response, shown: str) -> bytes:
        """The body, decompressed here in bounded steps: never more than max_bytes in memory
        (see ``Inflater``); the transport ends the read at the request's deadline."""
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        declared = response.headers.get("Content-Length", "")
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > self.max_bytes:
            raise _TooLarge
        inflater = Inflater(encoding, shown)
        chunks: list[bytes] = []
        total = 0
        for raw in response.iter_raw(_RAW_CHUNK):
            for piece in inflater.feed(raw, self.max_bytes - total + 1):
                total += len(piece)
                if total > self.max_bytes:
                    raise _TooLarge
                chunks.append(piece)
        return b"".join(chunks)


def _permanent_target(response: httpx.Response) -> str | None:
    """The URL a leading run of 301/308 redirects pointed to, or None."""
    hops = [*response.history, response]
    target: str | None = None
    for hop, nxt in itertools.pairwise(hops):
        if hop.status_code not in _PERMANENT_REDIRECTS:
            break
        target = str(nxt.url)
    return target


ConfigT = TypeVar("ConfigT", bound=NetworkConfig)


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
        shared = self.context.sessions
        private = self.config.allow_private_networks
        return HttpClient(
            self.context.user_agent,
            sleep=self.context.sleep,
            allow_private_networks=private,
            session=(
                shared.get(self.context.source_name, self.context.user_agent, private)
                if shared is not None
                else None
            ),
            **settings,
        )
