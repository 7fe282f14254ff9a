"""The database URL from the config: made absolute, and checked without ever being echoed.

A URL may carry a password from the environment, so problems describe it and never show it.
For SQLite, ``check`` also asks whether the file's folder exists or can be created: a value that
passes ``check`` must not crash ``run``.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from listener.folders import creatable_problem

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
    url = with_driver(url)
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        path = url[len(prefix) :]
        if not path.startswith("/"):
            return prefix + str(resolve(path))
    return url


POSTGRES_DRIVER = "psycopg"
"""The one PostgreSQL driver listener is tested with (psycopg 3, the `postgres` extra)."""


def with_driver(url: str) -> str:
    """A plain postgresql:// URL (or postgres://, as hosting platforms write it) names our
    driver: SQLAlchemy's default would be psycopg2, and it knows no postgres:// at all."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return f"postgresql+{POSTGRES_DRIVER}://{url[len(plain) :]}"
    return url


def database_url_problem(url: str, raising: bool = False) -> str | None:
    """What is wrong with a database URL, or None (``raising``: as a ValueError). The checks
    a run would fail on later, a missing driver among them, are made here, so `check` finds them."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    problem: str | None = None
    try:
        parsed = make_url(with_driver(url))
        parsed.get_dialect()
    except ArgumentError:
        problem = "not a database URL; use e.g. sqlite:///data/listener.db or "
        problem += "postgresql+psycopg://user@host:5432/listener"
    except NoSuchModuleError:
        problem = "unknown kind of database; use sqlite:/// or postgresql+psycopg://"
    except ValueError:
        problem = "the port is not a number; write host:5432 (the port after the last ':')"
    else:
        problem = _backend_problem(parsed.get_backend_name(), parsed.get_driver_name())
        if problem is None and parsed.drivername == "sqlite":
            problem = _sqlite_folder_problem(parsed.database)
    if problem is not None and raising:
        raise ValueError(problem)
    return problem


def _backend_problem(backend: str, driver: str) -> str | None:
    if backend not in ("sqlite", "postgresql"):
        return (
            f"listener runs on SQLite and PostgreSQL, not {backend}; use sqlite:///PATH or "
            f"postgresql+{POSTGRES_DRIVER}://user@host:5432/listener"
        )
    if backend == "postgresql" and driver != POSTGRES_DRIVER:
        return (
            f"the {driver} driver is not supported; write postgresql+{POSTGRES_DRIVER}:// "
            "(psycopg 3: pip install 'listener[postgres]')"
        )
    if backend == "postgresql" and find_spec(POSTGRES_DRIVER) is None:
        return f"{POSTGRES_DRIVER} is not installed; pip install 'listener[postgres]'"
    return None


def _sqlite_folder_problem(database: str | None) -> str | None:
    if not database or database == ":memory:" or not Path(database).is_absolute():
        return None  # relative paths are resolved against the config file first
    folder = Path(database).parent
    problem = creatable_problem(folder)
    return None if problem is None else f"the SQLite file's folder {folder} {problem}"
