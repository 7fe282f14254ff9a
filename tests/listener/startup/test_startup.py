"""Start-up: `listener --help` and `listener status` load no NLP and no Alembic, and the
schema revisions they read without Alembic are Alembic's own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from listener.store.db import MIGRATIONS, Store, current_revision, head_revision

ROOT = Path(__file__).resolve().parents[3]


def _imported(args: list[str], cwd: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "listener", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }


def test_help_imports_neither_spacy_nor_the_database_layer(tmp_path: Path) -> None:
    modules = _imported(["--help"], tmp_path)
    assert "listener.cli" in modules
    assert not {"spacy", "sqlalchemy", "alembic", "structlog", "numpy"} & modules


@pytest.mark.slow
def test_status_imports_no_spacy_alembic_or_unused_connectors(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    config = tmp_path / "config" / "listener.example.yaml"
    store = Store(f"sqlite:///{tmp_path / 'data' / 'listener.db'}")
    (tmp_path / "data").mkdir(exist_ok=True)
    store.upgrade()
    store.dispose()
    modules = _imported(["status", "-c", str(config)], tmp_path)
    assert "listener.health.status" in modules
    unused = {"spacy", "alembic", "apscheduler", "jinja2", "numpy"}
    connector_libraries = {"httpx", "feedparser", "praw", "openpyxl"}  # config: CONFIGS alone
    assert not (unused | connector_libraries) & modules


def test_head_revision_is_alembics_head() -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_current_revision_is_alembics_reading(store: Store, store_url: str) -> None:
    with store.engine.connect() as connection:
        expected = MigrationContext.configure(connection).get_current_revision()
    assert current_revision(store.engine) == expected == head_revision()
    empty = Store(store_url)
    with empty.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    assert current_revision(empty.engine) is None
    empty.dispose()
