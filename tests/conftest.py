"""Shared fixtures: a migrated store on SQLite always, and on PostgreSQL when configured.

PostgreSQL tests run when LISTENER_TEST_POSTGRES_URL names a server we may create databases on;
each test session gets its own throw-away database, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from listener.store.db import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("LISTENER_SHARED_DATA", REPO.parent / "shared" / "data"))
POSTGRES_URL = os.environ.get("LISTENER_TEST_POSTGRES_URL")
TEST_AUTHOR_KEY = "listener-tests-author-key-0123456789"
# Authors are stored as a keyed hash; on PostgreSQL the key must be given (listener.privacy.keys).
# Tests of the key's own rules unset it with monkeypatch.
os.environ.setdefault("LISTENER_AUTHOR_KEY", TEST_AUTHOR_KEY)


def pytest_report_header() -> list[str]:
    return [
        "postgres store tests: "
        + (f"on ({POSTGRES_URL})" if POSTGRES_URL else "off (set LISTENER_TEST_POSTGRES_URL)"),
        f"shared data: {SHARED_DATA if SHARED_DATA.is_dir() else 'absent'}",
    ]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database on the configured server for this test session, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL store tests need LISTENER_TEST_POSTGRES_URL (see .ci/run)")
    admin_url = make_url(POSTGRES_URL)
    name = f"listener_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with an empty schema, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'listener.db'}"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database with an empty schema (for PostgreSQL-only tests)."""
    engine = create_engine(postgres_database)
    with engine.begin() as connection:  # each test starts from an empty schema
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_database


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    s.upgrade()
    yield s
    s.dispose()


REQUIRED_IN_CI = {
    "postgres": "LISTENER_REQUIRE_POSTGRES",
    "shared_data": "LISTENER_REQUIRE_SHARED_DATA",
    "browser": "LISTENER_REQUIRE_BROWSER",
}
"""Marker → the variable with which CI says: these tests must run here, a skip is a failure."""
_skipped: dict[str, list[str]] = {marker: [] for marker in REQUIRED_IN_CI}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        for marker in REQUIRED_IN_CI:
            if marker in report.keywords:
                _skipped[marker].append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for marker, variable in REQUIRED_IN_CI.items():
        if os.environ.get(variable) == "1" and _skipped[marker]:
            session.config.get_terminal_writer().line(
                f"FAILED: {len(_skipped[marker])} tests marked {marker} were skipped although "
                f"{variable}=1 (first: {_skipped[marker][0]})",
                red=True,
            )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
