"""The daemon's HTTP endpoint: /healthz (liveness), /readyz (readiness), /metrics (Prometheus)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry

from listener.health import runtime
from listener.health.metrics import ActivityCollector, StatusCollector, StatusSource
from listener.health.readiness import Readiness
from listener.logging import get_logger
from listener.secrets import mask_data
from listener.store.activity import Activity
from listener.webhooks.receiver import Receiver
from listener.webhooks.server import deliver

log = get_logger("listener.health")
T = TypeVar("T")


class CachedStatus(Generic[T]):
    """Status read at most every ``ttl`` seconds: scrapes and probes must not load the database."""

    def __init__(self, status: Callable[[], T], ttl: float = 15.0) -> None:
        self._status = status
        self._ttl = ttl
        self._lock = threading.Lock()
        self._value: T | None = None
        self._read_at = 0.0

    def __call__(self) -> T:
        with self._lock:
            if self._value is None or time.monotonic() - self._read_at > self._ttl:
                self._value = self._status()
                self._read_at = time.monotonic()
            return self._value


class HealthServer:
    """A small threaded HTTP server; `alive` says whether the scheduler is running."""

    def __init__(
        self,
        host: str,
        port: int,
        status: StatusSource,
        alive: Callable[[], bool],
        receiver: Receiver | None = None,
        ready: Callable[[], Readiness] | None = None,
        activity: Callable[[], Activity] | None = None,
    ) -> None:
        """``receiver``: webhook routes answered on this port too (POST); ``ready``: the checks
        behind /readyz (never cached: a probe must see the database go); ``activity``: the
        database's counters for /metrics."""
        status = CachedStatus(status)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StatusCollector(status))
        if activity is not None:
            registry.register(ActivityCollector(CachedStatus(activity)))
        for collector in runtime.COLLECTORS:
            registry.register(collector)
        handler = _handler(registry, status, alive, receiver, ready)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("health endpoint listening", port=self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(
    registry: CollectorRegistry,
    status: StatusSource,
    alive: Callable[[], bool],
    receiver: Receiver | None,
    ready: Callable[[], Readiness] | None,
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if receiver is None:
                self._send(405, "text/plain", b"no webhooks are configured on this port\n")
                return
            deliver(self, receiver)

        def do_GET(self) -> None:
            try:
                if self.path.split("?")[0] == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, generate_latest(registry))
                elif self.path.split("?")[0] == "/healthz":
                    self._healthz()
                elif self.path.split("?")[0] == "/readyz" and ready is not None:
                    self._readyz(ready)
                else:
                    self._send(404, "text/plain", b"try /healthz, /readyz or /metrics\n")
            except Exception as exc:  # the database may be down: say so, do not crash the thread
                log.warning("health request failed", path=self.path, error=str(exc))
                self._send(503, "application/json", json.dumps({"status": "error"}).encode())

        def _healthz(self) -> None:
            data = status()
            running = alive()
            sources = {s["name"]: s["health"] for s in data["sources"]}
            body = {
                "status": "ok" if running else "stopping",
                "time": datetime.now(UTC).isoformat(),
                "sources": sources,
                "totals": data["totals"],
            }
            self._send(200 if running else 503, "application/json", json.dumps(body).encode())

        def _readyz(self, ready: Callable[[], Readiness]) -> None:
            result = ready()
            body = json.dumps(mask_data(result.as_dict())).encode()
            self._send(200 if result.ready else 503, "application/json", body)

        def _send(self, code: int, content_type: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes every few seconds would drown the log; errors are logged above."""

    return Handler
