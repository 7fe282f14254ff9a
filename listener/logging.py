"""structlog everywhere: JSON lines for services, readable lines on a terminal, secrets masked.

Stdlib loggers (connectors, APScheduler, httpx) are routed through the same processors, so one
redaction step covers every line the daemon prints.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

from listener.secrets import MASK, is_secret_name, mask_data

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Values of secret-named fields, and every registered secret anywhere (listener.secrets)."""
    for key, value in list(event.items()):
        if is_secret_name(key) and value not in (None, ""):
            event[key] = MASK
        else:
            event[key] = mask_data(value)
    return event


def scrub_database_errors(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A traceback through a database error prints the statement's parameters and the server's
    DETAIL (customer text): such an error is logged as its class, SQLSTATE, statement shape and
    our frames instead (listener.dberrors)."""
    exc_info = event.get("exc_info")
    if not exc_info or "sqlalchemy" not in sys.modules:
        return event  # no exception, or none that can be a database error
    from listener.dberrors import database_error, describe

    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
    found = database_error(error) if isinstance(error, BaseException) else None
    if found is not None:
        del event["exc_info"]
        event["database_error"] = describe(found)
    return event


def _import_structlog() -> Any:
    """structlog, without the rich library it imports for coloured tracebacks when rich is
    installed (spaCy brings it): a twentieth of `listener status`'s start-up, for tracebacks
    that ``format_exc_info`` below renders as plain text, redactable, before any renderer."""
    if "structlog" in sys.modules or "rich" in sys.modules:
        import structlog

        return structlog
    sys.modules["rich"] = None  # type: ignore[assignment]  # an import of rich fails at once
    try:
        import structlog
    finally:
        if sys.modules.get("rich", 0) is None:  # not replaced meanwhile by another thread
            del sys.modules["rich"]
    return structlog


def configure(level: str = "info", json_output: bool | None = None) -> None:
    # here, not at the top: `listener --help` needs no logging library
    structlog = _import_structlog()

    if json_output is None:
        json_output = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        scrub_database_errors,
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,  # again, last: tracebacks are text only from here on
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "prawcore", "urllib3", "alembic", "spacy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _identity(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    return event


def get_logger(name: str) -> Any:
    return _import_structlog().get_logger(name)
