"""The webhook receiver: HTTP semantics without an HTTP server, so any server can mount it.

``handle(method, path, headers, body)`` answers ``(status, headers, body)``. A delivery is
checked in this order: route (404), method (405), size (413), signature (401), payload (400/422);
nothing is stored for any of these, and each is counted on its route. A genuine delivery's items
are stored as items of the source named by the route, with the route's counters, in one
transaction that commits *before* the 2xx is returned: a crash after the answer loses nothing,
and a crash before it makes the sender deliver again. The same event delivered twice is stored
once (items are keyed by the response's id). No NLP runs here: the daemon's normal processing
picks the items up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from listener import secrets
from listener.errors import ConfigError
from listener.logging import get_logger
from listener.privacy.keys import Pseudonymiser
from listener.privacy.scrub import scrub_items, scrub_rejects
from listener.store import sources as source_state
from listener.store.db import Store
from listener.store.items import ingest_batch
from listener.store.models import SourceRow
from listener.store.quarantine import store_rejects
from listener.store.webhooks import ensure_route, record_delivery, record_rejection
from listener.webhooks.config import GenericRoute, TypeformRoute, WebhooksConfig
from listener.webhooks.events import (
    BadEvent,
    Parsed,
    generic_items,
    signature_header,
    typeform_items,
    verified,
)

log = get_logger("listener.webhooks")

Response = tuple[int, dict[str, str], bytes]


def _answer(code: int, **data: object) -> Response:
    body = json.dumps(data).encode()
    return code, {"Content-Type": "application/json"}, body


@dataclass(frozen=True)
class _Mounted:
    route: TypeformRoute | GenericRoute
    secret: str
    source_id: int


class Receiver:
    """Routes from a ``webhooks:`` section, bound to a store. Thread-safe: one per process."""

    def __init__(
        self,
        config: WebhooksConfig,
        store: Store,
        pseudonyms: Pseudonymiser,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        missing = [
            f"webhooks.routes[{i}] ({r.name}): environment variable {r.secret_env} is not set"
            for i, r in enumerate(config.routes)
            if not env.get(r.secret_env)
        ]
        if missing:
            raise ConfigError(missing, hint="export each route's secret (the sender signs with it)")
        self.config = config
        self.store = store
        self.pseudonyms = pseudonyms
        self.max_body_bytes = config.max_body_bytes
        self._routes: dict[str, _Mounted] = {}
        with store.session() as session:
            for route in config.routes:
                secret = env[route.secret_env]
                secrets.register(secret)
                row = source_state.get_or_create(session, route.name, f"webhook:{route.type}", None)
                ensure_route(session, route.name, route.type)
                self._routes[route.url_path] = _Mounted(route, secret, row.id)

    def paths(self) -> list[str]:
        return sorted(self._routes)

    def _mounted(self, method: str, path: str) -> _Mounted | Response:
        mounted = self._routes.get(path.split("?", 1)[0].rstrip("/") or "/")
        if mounted is None:
            return _answer(404, error="no webhook route here", routes=self.paths())
        if method.upper() != "POST":
            status, head, payload = _answer(405, error="webhooks are delivered with POST")
            return status, {**head, "Allow": "POST"}, payload
        return mounted

    def too_large(self, method: str, path: str) -> Response:
        """The answer to a request whose declared length is over the cap (body left unread)."""
        mounted = self._mounted(method, path)
        if not isinstance(mounted, _Mounted):
            return mounted
        return self._reject(mounted.route, 413, f"body over {self.max_body_bytes} bytes")

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        mounted = self._mounted(method, path)
        if not isinstance(mounted, _Mounted):
            return mounted
        route = mounted.route
        if len(body) > self.max_body_bytes:
            return self._reject(route, 413, f"body over {self.max_body_bytes} bytes")
        lower = {k.lower(): v for k, v in headers.items()}
        given = lower.get(signature_header(route).lower(), "")
        if not verified(route, mounted.secret, body, given):
            reason = "invalid signature" if given else f"missing {signature_header(route)} header"
            return self._reject(route, 401, reason)
        try:
            parsed = (
                typeform_items(route, body)
                if isinstance(route, TypeformRoute)
                else (generic_items(route, body))
            )
        except BadEvent as exc:
            return self._reject(route, exc.status, exc.reason)
        return self._store(mounted, parsed)

    def _store(self, mounted: _Mounted, parsed: Parsed) -> Response:
        route = mounted.route
        for attempt in (1, 2):  # a concurrent delivery of the same event may insert first
            try:
                with self.store.session() as session:
                    source = session.get_one(SourceRow, mounted.source_id)
                    items = scrub_items(parsed.items, self.pseudonyms)  # before storing
                    counts = ingest_batch(session, source, items, None, route.segment)
                    store_rejects(session, source, scrub_rejects(parsed.rejected))
                    duplicate = bool(parsed.items) and counts.added == 0 and counts.updated == 0
                    record_delivery(session, route.name, counts.added, duplicate)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        log.info(
            "webhook delivery stored",
            route=route.name,
            added=counts.added,
            updated=counts.updated,
            duplicate=duplicate,
        )
        return _answer(
            200,
            status="duplicate" if duplicate else "stored",
            added=counts.added,
            updated=counts.updated,
            rejected=len(parsed.rejected),
        )

    def _reject(self, route: TypeformRoute | GenericRoute, status: int, reason: str) -> Response:
        with self.store.session() as session:
            record_rejection(session, route.name, status, reason, datetime.now(UTC))
        log.warning("webhook delivery refused", route=route.name, status=status, reason=reason)
        return _answer(status, error=reason)
