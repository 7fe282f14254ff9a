"""Engines, sessions and migrations. Alembic owns the schema; the daemon upgrades on start."""

from __future__ import annotations

import ast
import fcntl
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from listener.dburl import database_url_problem, with_driver
from listener.errors import ConfigError, ListenerError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent / "migrations"
_MEMORY_LOCKS: dict[str, threading.Lock] = {}


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; SQLite gets WAL, foreign keys and a busy timeout.

    Statement parameters (customer text) are kept out of every database error's message.
    """
    problem = database_url_problem(url)
    if problem is not None:
        raise ConfigError([f"database: {problem}"], hint="fix `database:` in the config")
    parsed = make_url(with_driver(url))
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(
                    [f"database: cannot create {Path(database).parent} ({exc.strerror})"],
                    hint="point `database:` (or `data_dir:`) at a folder listener may write",
                ) from None
        engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        # pre-ping: a pooled connection the server dropped (restart, terminated backend) is
        # replaced at checkout instead of failing the job that drew it
        return create_engine(
            parsed,
            pool_pre_ping=True,
            hide_parameters=True,
            connect_args=_unset(parsed.query, {"connect_timeout": 10}),
        )
    except ImportError as exc:  # found by database_url_problem, but not importable (no libpq)
        raise ConfigError(
            [f"database: the {parsed.drivername} driver cannot be loaded ({exc})"],
            hint="install the extra, which brings its own libpq: pip install 'listener[postgres]'",
        ) from exc


LOCK_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 20,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "options": "-c tcp_keepalives_idle=20 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
}
"""A lock connection's TCP keepalives, both ways: a waiter notices a vanished server, and the
server frees the lock of a vanished holder (its machine died), within about 35 s, not hours."""


def _unset(query: Any, defaults: dict[str, Any]) -> dict[str, Any]:
    """The defaults the URL does not set itself (an operator's own settings win)."""
    return {key: value for key, value in defaults.items() if key not in query}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL (readers never wait for the writer) with ``synchronous=NORMAL``: a commit is not
    synced, only checkpoints are, so a power cut may lose the last commits but never leaves
    the database inconsistent; a lost batch is fetched again with its cursor and a lost chunk
    stays pending (each was one transaction), so nothing is stored or counted twice.

    Checkpoints every 10 000 pages (40 MB of WAL) instead of 1 000: each one syncs and copies
    the changed pages into the database, and a bulk ingest of 100 k items had one every two or
    three batches (a fifth of its time, most of it rewriting the same index pages). A 64 MB page
    cache per connection (default 2 MB) keeps the indexes of a few hundred thousand items in
    memory; it is an upper bound, filled only as pages are read."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def safe_url(engine: Engine) -> str:
    """The URL with its password masked, for logs and status."""
    return engine.url.render_as_string(hide_password=True)


def _alembic_config(engine: Engine | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # alembic only when migrating

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest migration. Returns (before, after) revisions."""
    from alembic import command

    before = current_revision(engine)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    return before, head_revision()


def _unreachable(engine: Engine, exc: OperationalError) -> ListenerError:
    return ListenerError(
        f"cannot reach the database at {safe_url(engine)}: {exc.orig}",
        hint="check `database:` in the config and that the server is running",
    )


VERSION_TABLE = "alembic_version"


def current_revision(engine: Engine) -> str | None:
    """The schema's revision, read from Alembic's version table without importing Alembic
    (its dialect modules cost `listener status` a few hundred milliseconds)."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return None
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except OperationalError as exc:
        raise _unreachable(engine, exc) from exc
    if len(rows) > 1:
        raise ListenerError(
            f"the database has {len(rows)} schema revisions at once",
            hint="the migrations branched: run `listener db upgrade` from one version",
        )
    return str(rows[0][0]) if rows else None


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration shipped with this code (read once: it cannot change while running):
    the one revision no other names as its ``down_revision``, read from the files' text (a test
    checks it equals Alembic's own answer)."""
    revisions: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = _assignments(path.read_text(encoding="utf-8"))
        if "revision" in found:
            revisions[str(found["revision"])] = found.get("down_revision")
    downs = {down for down in revisions.values() if down is not None}
    heads = [revision for revision in revisions if revision not in downs]
    if len(heads) != 1:
        raise ListenerError(f"the shipped migrations have {len(heads)} heads: {sorted(heads)}")
    return heads[0]


def _assignments(source: str) -> dict[str, str | None]:
    """Module-level ``revision = "..."`` and ``down_revision = ...`` of a migration file."""
    out: dict[str, str | None] = {}
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else None
        if isinstance(node, ast.AnnAssign):
            target = node.target
        value = getattr(node, "value", None)
        if (
            isinstance(target, ast.Name)
            and target.id in ("revision", "down_revision")
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str | None)
        ):
            out[target.id] = value.value
    return out


def require_current_schema(engine: Engine) -> None:
    """Commands that only read refuse to guess at an old schema."""
    if current_revision(engine) != head_revision():
        raise ListenerError(
            "the database schema is not up to date",
            hint="run `listener db upgrade` (the daemon also upgrades on start)",
        )


def _unlock(conn: Connection, key: int) -> None:
    """Release an advisory lock. If the lock's connection was lost (a terminated backend, a
    server restart) the server freed the lock with the session: nothing to release, and the
    work done under it must not fail for that."""
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise


class Store:
    """An engine and a session factory: the one handle the rest of the daemon passes around."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._lock_engine: Engine | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def exclusive(self, name: str, wait: bool = True) -> Iterator[bool]:
        """A lock held across threads *and* processes (the daemon beside a `run --once`).

        Yields whether it was taken: with ``wait=False`` a busy lock yields False at once, so a
        worker thread never sits blocked (the holder picks up its work anyway).
        PostgreSQL: a session advisory lock on its own autocommit connection, outside the pool
        (a worker per source may hold one while its fetch runs). SQLite: flock on a file beside
        the database.
        """
        if self.engine.dialect.name == "postgresql":
            key = zlib.crc32(f"listener:{name}".encode())
            function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
            if self._lock_engine is None:
                self._lock_engine = create_engine(
                    self.engine.url,
                    poolclass=NullPool,
                    hide_parameters=True,
                    connect_args=_unset(
                        self.engine.url.query, {"connect_timeout": 10, **LOCK_KEEPALIVES}
                    ),
                )
            with self._lock_engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as conn:
                taken = conn.execute(text(f"SELECT {function}(:key)"), {"key": key}).scalar()
                taken = True if wait else bool(taken)
                try:
                    yield taken
                finally:
                    if taken:
                        _unlock(conn, key)
            return
        database = self.engine.url.database
        if not database or database == ":memory:":
            lock = _MEMORY_LOCKS.setdefault(name, threading.Lock())
            taken = lock.acquire(blocking=wait)
            try:
                yield taken
            finally:
                if taken:
                    lock.release()
            return
        with open(f"{database}.{name}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def upgrade(self) -> tuple[str | None, str]:
        """Migrate under a lock: two processes starting on a fresh database would otherwise
        both create the tables (`table alembic_version already exists`)."""
        try:
            with self.exclusive("migrate"):
                return upgrade(self.engine)
        except OperationalError as exc:  # the lock's own connection could not be made
            raise _unreachable(self.engine, exc) from exc

    def dispose(self) -> None:
        self.engine.dispose()
        if self._lock_engine is not None:
            self._lock_engine.dispose()
