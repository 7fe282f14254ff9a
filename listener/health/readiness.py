"""/readyz: may this instance take work? Database reachable, schema at head, scheduler alive.

Unlike /healthz (is the process alive?), readiness fails while the database is away, so a load
balancer or an orchestrator holds back without restarting a daemon that will recover by itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from listener.dberrors import summary
from listener.errors import ListenerError
from listener.store.db import Store, current_revision, head_revision

DATABASE_TIMEOUT = 3.0
"""Seconds a probe waits for the database: a probe must answer, not hang with it."""


@dataclass
class Readiness:
    reasons: list[str] = field(default_factory=list)
    schema: str | None = None

    @property
    def ready(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not-ready",
            "reasons": self.reasons,
            "schema": self.schema,
            "head": head_revision(),
        }


def check(store: Store, scheduler_problem: Callable[[], str | None]) -> Readiness:
    """Every check, each failure as a reason an operator can act on."""
    result = Readiness()
    schema, problem = _schema_within(store, DATABASE_TIMEOUT)
    if problem is not None:
        result.reasons.append(f"database: {problem}")
    else:
        result.schema = schema
        if schema != head_revision():
            result.reasons.append(
                f"schema: at {result.schema or 'nothing'}, code expects {head_revision()}"
                " (run `listener db upgrade`)"
            )
    problem = scheduler_problem()
    if problem is not None:
        result.reasons.append(f"scheduler: {problem}")
    return result


def _schema_within(store: Store, timeout: float) -> tuple[str | None, str | None]:
    """(revision, None), or (None, why not). Asked on a daemon thread, so a database that never
    answers costs the probe ``timeout`` and cannot hold the process at exit."""
    answer: list[tuple[str | None, str | None]] = []

    def ask() -> None:
        try:
            answer.append((current_revision(store.engine), None))
        except ListenerError as exc:
            answer.append((None, exc.message))
        except SQLAlchemyError as exc:
            answer.append((None, summary(exc)))

    thread = threading.Thread(target=ask, name="readyz", daemon=True)
    thread.start()
    thread.join(timeout)
    return answer[0] if answer else (None, f"no answer within {timeout:g}s")
