"""The socket layer under ``HttpClient``: one deadline per request, and only vetted addresses.

httpx's timeouts apply to each socket operation, so a server that trickles a byte every second
never trips them and holds a request for as long as it likes. Here every connect, TLS handshake,
read and write gets at most the time left until the request's deadline (connect + headers +
body), so the whole request ends on time however the bytes arrive.

The same layer connects only to addresses ``netpolicy.vet`` accepted, resolving the name once and
connecting to exactly those addresses: a name cannot resolve to a public address when checked
and to a private one when connected (DNS rebinding). httpx offers no way to hand httpcore a
network backend, so the pool is built here and put under httpx's own transport.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from connectors.netpolicy import vet

Deadline = Callable[[], float | None]
"""The monotonic time the current request must be done by (None: no request in flight)."""


def remaining(deadline: Deadline, timeout: float | None) -> float | None:
    """The smaller of ``timeout`` and the time left; raises ReadTimeout once it is gone."""
    end = deadline()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, remaining(self._deadline, timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, remaining(self._deadline, timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wait = remaining(self._deadline, timeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, wait), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend with the request deadline, and (``vetting``) the address policy.

    The backend of a proxy pool does not vet: the proxy is the operator's choice, and the
    target behind it was vetted when the request was made (``HttpClient``'s request hook).
    """

    def __init__(self, deadline: Deadline, *, allow_private: bool, vetting: bool = True) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline
        self._allow_private = allow_private
        self._vetting = vetting
        self.shown: Callable[[], tuple[str, bool]] = lambda: ("", False)
        """The URL being requested and whether it is a redirect target (for messages)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = [host]
        if self._vetting:
            shown, redirect = self.shown()
            addresses = vet(
                host,
                port,
                allow_private=self._allow_private,
                shown=shown or host,
                redirect=redirect,
            )
            if not addresses:
                raise httpcore.ConnectError(f"could not resolve {host}")
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=remaining(self._deadline, timeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:  # try the next address, as browsers do
                error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by listener")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process (certifi's roots), built when the first https connection
    needs it: building one costs more CPU than a whole 304 poll over plain http."""
    return httpx.create_ssl_context()


class _PoolTransport(httpx.HTTPTransport):
    """httpx's transport (request/response mapping, exception translation) over our pool."""

    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        # Deliberately not super().__init__(): it would build a pool without our backend.
        self._pool = pool


class GuardedTransport(httpx.BaseTransport):
    """Direct connections through a vetting backend; HTTP(S) proxies from the environment
    (``https_proxy``, ``no_proxy``...) through a deadline-only one."""

    def __init__(self, deadline: Deadline, *, allow_private: bool) -> None:
        self.direct_backend = GuardedBackend(deadline, allow_private=allow_private)
        # http:// needs no TLS context: the https pool (and the context) are built on first use.
        self._direct = _PoolTransport(httpcore.ConnectionPool(network_backend=self.direct_backend))
        self._direct_tls: _PoolTransport | None = None
        self._lock = threading.Lock()
        proxies = urllib.request.getproxies()
        self._proxied: dict[str, _PoolTransport] = {}
        proxy_backend = GuardedBackend(deadline, allow_private=True, vetting=False)
        for scheme in ("http", "https"):
            url = proxies.get(scheme) or proxies.get("all")
            if url and url.startswith(("http://", "https://")):
                proxy = httpx.URL(url)
                pool = httpcore.HTTPProxy(
                    proxy_url=httpcore.URL(
                        scheme=proxy.raw_scheme,
                        host=proxy.raw_host,
                        port=proxy.port,
                        target=proxy.raw_path,
                    ),
                    proxy_auth=(proxy.username, proxy.password) if proxy.username else None,
                    ssl_context=tls_context(),
                    network_backend=proxy_backend,
                )
                self._proxied[scheme] = _PoolTransport(pool)

    def _tls(self) -> _PoolTransport:
        with self._lock:
            if self._direct_tls is None:
                self._direct_tls = _PoolTransport(
                    httpcore.ConnectionPool(
                        ssl_context=tls_context(), network_backend=self.direct_backend
                    )
                )
            return self._direct_tls

    def proxied(self, url: httpx.URL) -> bool:
        return url.scheme in self._proxied and not urllib.request.proxy_bypass(url.host)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.proxied(request.url):
            return self._proxied[request.url.scheme].handle_request(request)
        if request.url.scheme == "https":
            return self._tls().handle_request(request)
        return self._direct.handle_request(request)

    def close(self) -> None:
        self._direct.close()
        if self._direct_tls is not None:
            self._direct_tls.close()
        for transport in self._proxied.values():
            transport.close()
