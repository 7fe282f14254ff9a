"""The database URL from the config: made absolute, and checked without ever being echoed.

A URL may carry a password from the environment, so problems describe it and never show it.
For SQLite, ``check`` also asks whether the file's folder exists or can be created: a value that
passes ``check`` must not crash ``run``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from listener.config import ServiceConfig


def resolve_database_url(service: ServiceConfig, base_dir: Path) -> str:
    """The database URL with a relative SQLite path (or the default file) made absolute."""

    def resolve(path: Path | str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (base_dir / p).resolve()

    url = service.database
    if not url:
        return f"sqlite:///{resolve(service.data_dir) / 'listener.db'}"
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        path = url[len(prefix) :]
        if not path.startswith("/"):
            return prefix + str(resolve(path))
    return url


def database_url_problem(url: str, raising: bool = False) -> str | None:
    """What is wrong with a database URL, or None (``raising``: as a ValueError)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    problem: str | None = None
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except ArgumentError:
        problem = "not a database URL; use e.g. sqlite:///data/listener.db or "
        problem += "postgresql+psycopg://user@host:5432/listener"
    except NoSuchModuleError:
        problem = "unknown kind of database; use sqlite:/// or postgresql+psycopg://"
    except ValueError:
        problem = "the port is not a number; write host:5432 (the port after the last ':')"
    else:
        problem = _sqlite_folder_problem(parsed.database) if parsed.drivername == "sqlite" else None
    if problem is not None and raising:
        raise ValueError(problem)
    return problem


def _sqlite_folder_problem(database: str | None) -> str | None:
    if not database or database == ":memory:" or not Path(database).is_absolute():
        return None  # relative paths are resolved against the config file first
    folder = Path(database).parent
    ancestor = folder
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"the SQLite file's folder {folder} cannot be created: {ancestor} is a file"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        what = "is not writable" if ancestor == folder else f"cannot be created in {ancestor}"
        return f"the SQLite file's folder {folder} {what}"
    return None
