"""Database errors, described without customer text.

A driver's message and SQLAlchemy's rendering of it carry the statement's parameters and the
server's DETAIL line (``Key (external_id)=(...)``, the text of a survey answer): neither may reach
a log or a stored error. What is kept: the error's class, the driver's class and SQLSTATE, the
statement's shape (SQL with its placeholders, string literals blanked) and where in our code it
happened, which is what an operator needs to tell a lost connection from a bug.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)

_LITERAL = re.compile(r"'(?:[^']|'')*'")
_SPACE = re.compile(r"\s+")
SHAPE_LENGTH = 240
_LIBRARIES = frozenset({"sqlalchemy", "alembic", "psycopg"})


def database_error(exc: BaseException | None) -> SQLAlchemyError | None:
    """The SQLAlchemy error in ``exc``'s chain (itself, its cause or its context), if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, SQLAlchemyError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def statement_shape(statement: str | None) -> str | None:
    """The SQL on one line, string literals blanked, cut to a readable length."""
    if not statement:
        return None
    text = _SPACE.sub(" ", _LITERAL.sub("'?'", statement)).strip()
    return text if len(text) <= SHAPE_LENGTH else text[: SHAPE_LENGTH - 1] + "…"


def describe(exc: SQLAlchemyError) -> dict[str, Any]:
    """Log fields for a database error: class, driver class, SQLSTATE, statement, our frames."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    fields: dict[str, Any] = {"error": type(exc).__name__}
    if orig is not None:
        fields["driver_error"] = type(orig).__name__
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if sqlstate:
            fields["sqlstate"] = str(sqlstate)
    if isinstance(exc, StatementError):
        fields["statement"] = statement_shape(exc.statement)
    frames = [
        f"{_ours(f.filename)}:{f.lineno} in {f.name}"
        for f in traceback.extract_tb(exc.__traceback__)
        if _ours(f.filename)
    ]
    if frames:
        fields["at"] = frames[-6:]
    return fields


def _ours(filename: str) -> str | None:
    """``listener/store/items.py`` for a file of this package (not of a library), else None."""
    parts = Path(filename).parts
    if "listener" not in parts or _LIBRARIES.intersection(parts):
        return None
    start = len(parts) - 1 - parts[::-1].index("listener")
    return "/".join(parts[start:])


def summary(exc: SQLAlchemyError) -> str:
    """One line for stored errors and command output: what failed, never the data."""
    fields = describe(exc)
    driver = fields.get("driver_error")
    what = f"{fields['error']}" + (f" ({driver})" if driver else "")
    state = f", SQLSTATE {fields['sqlstate']}" if "sqlstate" in fields else ""
    return f"database error {what}{state}"


def is_disconnect(exc: SQLAlchemyError) -> bool:
    """A lost or refused connection (server restarted, backend terminated, network gone), as
    opposed to a statement the database rejected: worth a quick retry, not a bug report."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


_REFUSED_STATES = frozenset({"57014", "55P03", "40P01", "40001"})
"""PostgreSQL: query cancelled (statement_timeout), lock not available, deadlock, serialization."""


def is_refused(exc: SQLAlchemyError) -> bool:
    """The database answered and refused this statement for now (a timeout, a lock held by
    another writer): the connection is fine, and the same work can simply wait for its next run.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _REFUSED_STATES:
        return True
    return type(orig).__module__ == "sqlite3" and "locked" in str(orig)
