"""/readyz: may this instance take work? Database reachable, schema at head, scheduler alive.

Unlike /healthz (is the process alive?), readiness fails while the database is away, so a load
balancer or an orchestrator holds back without restarting a daemon that will recover by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from listener.dberrors import summary
from listener.errors import ListenerError
from listener.store.db import Store, current_revision, head_revision

DATABASE_TIMEOUT = 3.0
"""Seconds a probe waits for the database: a probe must answer, not hang with it."""
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz")


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
    future = _checks.submit(current_revision, store.engine)
    try:
        result.schema = future.result(timeout=DATABASE_TIMEOUT)
    except FutureTimeout:
        result.reasons.append(f"database: no answer within {DATABASE_TIMEOUT:g}s")
    except ListenerError as exc:
        result.reasons.append(f"database: {exc.message}")
    except SQLAlchemyError as exc:
        result.reasons.append(f"database: {summary(exc)}")
    else:
        if result.schema != head_revision():
            result.reasons.append(
                f"schema: at {result.schema or 'nothing'}, code expects {head_revision()}"
                " (run `listener db upgrade`)"
            )
    problem = scheduler_problem()
    if problem is not None:
        result.reasons.append(f"scheduler: {problem}")
    return result
