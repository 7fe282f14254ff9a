"""Where the author key comes from, and a database that refuses a different one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from listener.config import load_config
from listener.errors import ConfigError
from listener.privacy import state
from listener.privacy.keys import Pseudonymiser, pseudonymiser
from listener.store.db import Store
from listener.store.items import author_hash
from tests.listener.privacy.data import write_config


def test_the_key_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_AUTHOR_KEY", "k" * 32)
    config = load_config(
        write_config(tmp_path, "sqlite:///x.db", "privacy: {author_key_env: MY_AUTHOR_KEY}\n")
    )
    assert pseudonymiser(config).key == b"k" * 32
    assert not (tmp_path / "data" / "author.key").exists()
    assert "k" * 32 not in repr(pseudonymiser(config))


def test_sqlite_without_a_key_generates_one_beside_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LISTENER_AUTHOR_KEY", raising=False)
    config = load_config(write_config(tmp_path, "sqlite:///x.db"))
    first = pseudonymiser(config)
    key_file = tmp_path / "data" / "author.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.key) == 64
    assert pseudonymiser(load_config(tmp_path / "listener.yaml")).key == first.key  # reused


def test_postgres_without_a_key_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LISTENER_AUTHOR_KEY", raising=False)
    config = load_config(write_config(tmp_path, "postgresql+psycopg://u@db.invalid/listener"))
    with pytest.raises(ConfigError) as raised:
        pseudonymiser(config)
    assert raised.value.exit_code == 2
    assert "LISTENER_AUTHOR_KEY is not set" in raised.value.problems[0]
    assert "export LISTENER_AUTHOR_KEY=" in (raised.value.hint or "")


def test_a_mounted_key_file_serves_postgres_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LISTENER_AUTHOR_KEY", raising=False)
    (tmp_path / "secret").write_text("s" * 40 + "\n")
    config = load_config(
        write_config(
            tmp_path, "postgresql+psycopg://u@db.invalid/l", "privacy: {author_key_file: secret}\n"
        )
    )
    assert pseudonymiser(config).key == b"s" * 40


def test_a_short_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LISTENER_AUTHOR_KEY", "short")
    with pytest.raises(ConfigError, match="has 5 characters"):
        pseudonymiser(load_config(write_config(tmp_path, "sqlite:///x.db")))


def test_the_hash_is_keyed() -> None:
    one, other = Pseudonymiser(b"a" * 32), Pseudonymiser(b"b" * 32)
    assert one.stored_author("Jo") == one.stored_author(" jo ")  # normalised as before
    assert one.stored_author("Jo") != other.stored_author("Jo")
    assert one.stored_author("Jo") != author_hash("Jo")
    assert one.stored_author(None) is None


def test_the_database_refuses_another_key(store: Store) -> None:
    assert state.ensure(store, Pseudonymiser(b"a" * 32)) is None  # a new database: recorded
    state.ensure(store, Pseudonymiser(b"a" * 32))  # the same key again: fine
    with pytest.raises(ConfigError, match="not the one this database"):
        state.ensure(store, Pseudonymiser(b"b" * 32))


def test_a_missing_key_is_refused_before_the_schema_is_touched(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run refused for its missing key must leave the database as it found it (it used to
    migrate an empty database first, then refuse)."""
    from sqlalchemy import create_engine, inspect

    from listener.service import Service

    monkeypatch.delenv("LISTENER_AUTHOR_KEY", raising=False)
    service = Service(load_config(write_config(tmp_path, postgres_url)))
    try:
        with pytest.raises(ConfigError, match="LISTENER_AUTHOR_KEY is not set"):
            service.upgrade()
    finally:
        service.store.dispose()
    engine = create_engine(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
