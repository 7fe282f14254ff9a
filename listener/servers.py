"""The daemon's listening side: the health endpoint and the webhook receiver, on one port or two.

Started before any job runs, so that a port already in use fails the start with a fix to try.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listener.errors import ListenerError
from listener.health.server import HealthServer
from listener.service import Service
from listener.webhooks.receiver import Receiver
from listener.webhooks.server import WebhookServer


def start_servers(
    service: Service, alive: Callable[[], bool], scheduler_problem: Callable[[], str | None]
) -> list[HealthServer | WebhookServer]:
    """The health endpoint and the webhook receiver (on its port or its own), if configured.

    Started before any job runs, so a port already in use fails the start cleanly.
    """
    from listener.health.readiness import check
    from listener.health.status import collect_status
    from listener.store.activity import read_activity

    health, hooks = service.config.service.health, service.config.service.webhooks
    receiver = Receiver(hooks, service.store, service.pseudonyms) if hooks is not None else None
    shared = receiver if hooks is not None and hooks.port is None else None
    servers: list[HealthServer | WebhookServer] = []
    if health is not None:
        servers.append(
            _listen(
                "health",
                health.host,
                health.port,
                lambda: HealthServer(
                    health.host,
                    health.port,
                    status=lambda: collect_status(service.config, service.store),
                    alive=alive,
                    receiver=shared,
                    ready=lambda: check(service.store, scheduler_problem),
                    activity=lambda: read_activity(service.store),
                ),
            )
        )
    if receiver is not None and hooks is not None and hooks.port is not None:
        port = hooks.port
        servers.append(
            _listen("webhooks", hooks.host, port, lambda: WebhookServer(receiver, hooks.host, port))
        )
    for server in servers:
        server.start()
    return servers


def _listen(what: str, host: str, port: int, make: Callable[[], Any]) -> Any:
    try:
        return make()
    except OSError as exc:
        raise ListenerError(
            f"{what}: cannot listen on {host}:{port}: {exc.strerror}",
            hint=f"change {what}.port in the config, or stop what uses that port",
        ) from exc
