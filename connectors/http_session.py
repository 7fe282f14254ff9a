"""The connections an ``HttpClient`` keeps between requests, and the rules every request obeys.

An ``HttpSession`` holds the httpx client, its connection pool and the guarded transport;
building them costs most of a 304 poll's CPU, so ``SharedSessions`` keeps one per source for the
life of the daemon. Its request hook applies to every request and redirect hop: the target is
noted for messages, vetted when a proxy resolves it, and our own headers stay with the origin.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from connectors.http_transport import GuardedTransport
from connectors.netpolicy import vet
from connectors.urls import safe_url

# httpx logs every request URL at INFO, query string (and any api_key in it) included. Keep it
# quiet unless the application configured that logger on purpose.
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)


class HttpSession:
    """What a client keeps between requests: the httpx client, its connection pool (keep-alive)
    and the guarded transport. Building them costs most of a 304 poll's CPU, so the daemon keeps
    one per source across polls (``SharedSessions``); settings that vary per poll (deadline,
    size cap, retries) stay with ``HttpClient``."""

    def __init__(self, user_agent: str, allow_private_networks: bool) -> None:
        # The transport sees the current request through ``call`` alone, not through a client:
        # no reference cycle, so a closed session is freed at once, not by GC.
        self.call = call = threading.local()
        transport = GuardedTransport(
            lambda: getattr(call, "deadline", None), allow_private=allow_private_networks
        )
        transport.direct_backend.shown = lambda: getattr(call, "target", ("", False))
        self.client = httpx.Client(
            # Only what Inflater can bound: no br/zstd even when those packages are installed.
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=True,
            max_redirects=10,
            transport=transport,
            trust_env=False,  # proxies from the environment: GuardedTransport; no ~/.netrc
            event_hooks={"request": [_request_hook(call, transport, allow_private_networks)]},
        )

    def close(self) -> None:
        self.client.close()


class SharedSessions:
    """One ``HttpSession`` per source for the life of a process, closed on shutdown.

    A source's polls run one at a time (one scheduler job each), so a session is never used by
    two threads at once. A source whose user agent or network policy changed gets a new one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[tuple[str, bool], HttpSession]] = {}

    def get(self, source: str, user_agent: str, allow_private_networks: bool) -> HttpSession:
        settings = (user_agent, allow_private_networks)
        with self._lock:
            known = self._sessions.get(source)
            if known is not None and known[0] == settings:
                return known[1]
            if known is not None:
                known[1].close()
            session = HttpSession(user_agent, allow_private_networks)
            self._sessions[source] = (settings, session)
            return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for _, session in sessions:
            session.close()


def _request_hook(
    call: threading.local, transport: GuardedTransport, allow_private: bool
) -> Callable[[httpx.Request], None]:
    """What happens to every request, redirects included: note the target for messages, vet it
    when a proxy will resolve it (direct connections are vetted where they connect), and drop
    our own headers when it leaves the origin (httpx strips only Authorization; Discourse's
    Api-Key must not follow a redirect to another host either). A closure, not a method: the
    client must not be part of a reference cycle (see HttpSession.__init__)."""

    def on_request(request: httpx.Request) -> None:
        hop = getattr(call, "hop", 0)
        call.hop = hop + 1
        shown = safe_url(str(request.url))
        call.target = (shown, hop > 0)
        if transport.proxied(request.url):
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            vet(request.url.host, port, allow_private=allow_private, shown=shown, redirect=hop > 0)
        origin = getattr(call, "origin", None)
        if (
            origin is not None
            and (request.url.scheme, request.url.host, request.url.port) != origin
        ):
            for name in getattr(call, "headers", ()):
                request.headers.pop(name, None)

    return on_request
