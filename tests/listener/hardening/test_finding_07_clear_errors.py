"""Issue 11, finding 7: tracebacks instead of exit 2, and values that passed `check` but crashed.

Each mistake runs the real `listener` process: exit code 2, a message naming the file and key
and saying how to fix it, and no traceback; duplicate YAML keys are an error, not last-wins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.dburl import database_url_problem, with_driver
from tests.listener.hardening.helpers import PERSONAS, run_cli

SOURCE = "sources:\n  - {name: s, type: feed, every: EVERY, urls: [a.xml]}\n"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "listener.yaml"
    path.write_text(f"personas: {PERSONAS}\n{text}", encoding="utf-8")
    return path


def _refused(config: Path, *command: str) -> str:
    result = run_cli(*command, "-c", str(config), timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "hint:" in result.stderr
    return result.stderr


def test_deep_nesting_is_a_config_error(tmp_path: Path) -> None:
    config = _config(tmp_path, "segment: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nested too deeply" in _refused(config, "check", "--no-connect")


def test_moderate_nesting_beyond_the_limit_names_the_line(tmp_path: Path) -> None:
    config = _config(tmp_path, "sources: []\nx: " + "[" * 60 + "]" * 60 + "\n")
    assert "line 3: nested deeper than 50 levels" in _refused(config, "check", "--no-connect")


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    config = _config(tmp_path, "sources: []\n")
    config.write_bytes(config.read_bytes() + b"# caf\xe9 au lait\n")
    assert "line 3: not UTF-8 text (byte 0xe9)" in _refused(config, "check", "--no-connect")


def test_an_unknown_log_level_is_refused_before_it_reaches_logging(tmp_path: Path) -> None:
    config = _config(tmp_path, "sources: []\nlog_level: verbose\n")
    stderr = _refused(config, "run", "--once")
    assert "log_level: not a log level; use one of debug, info, warning" in stderr
    assert "VERBOSE" not in stderr


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ("1000000000d", "the longest interval is 366d"),
        ("0.2s", "the shortest interval is 1s"),
    ],
)
def test_an_interval_the_scheduler_cannot_hold_fails_check(
    tmp_path: Path, every: str, message: str
) -> None:
    config = _config(tmp_path, SOURCE.replace("EVERY", every))
    assert f"sources[0].every: '{every}': {message}" in _refused(config, "check", "--no-connect")
    assert message in _refused(config, "run", "--once")


def test_a_database_url_with_a_bad_port_fails_check(tmp_path: Path) -> None:
    config = _config(
        tmp_path, "sources: []\ndatabase: postgresql+psycopg://u:pw-xyz@127.0.0.1:5432:99/x\n"
    )
    stderr = _refused(config, "check", "--no-connect")
    assert "database: the port is not a number" in stderr
    assert "pw-xyz" not in stderr  # the URL is described, never echoed
    assert "the port is not a number" in _refused(config, "run", "--once")


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("mysql://root:pw-xyz@127.0.0.1/x", "listener runs on SQLite and PostgreSQL, not mysql"),
        ("postgresql+psycopg2://u:pw-xyz@127.0.0.1/x", "the psycopg2 driver is not supported"),
    ],
)
def test_a_database_listener_cannot_use_fails_check_as_it_fails_the_run(
    tmp_path: Path, url: str, advice: str
) -> None:
    """`check` said ok, and `run` exited 1 with advice for PostgreSQL whatever the database was."""
    config = _config(tmp_path, f"sources: []\ndatabase: {url}\n")
    for command in (("check", "--no-connect"), ("status",), ("run", "--once")):
        stderr = _refused(config, *command)
        assert f"{config}: database: {advice}" in stderr
        assert "pw-xyz" not in stderr


def test_a_plain_postgresql_url_means_the_psycopg_driver() -> None:
    assert with_driver("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert with_driver("postgres://u:pw@h:5432/db") == "postgresql+psycopg://u:pw@h:5432/db"
    assert with_driver("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert with_driver("sqlite:///x.db") == "sqlite:///x.db"
    assert database_url_problem("postgresql://u@127.0.0.1/db") is None  # psycopg is installed


def test_an_sqlite_file_under_a_folder_that_cannot_exist_fails_check(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    config = _config(tmp_path, f"sources: []\ndatabase: sqlite:///{blocker}/sub/listener.db\n")
    stderr = _refused(config, "check", "--no-connect")
    assert f"database: the SQLite file's folder {blocker}/sub cannot be created" in stderr
    assert "cannot be created" in _refused(config, "run", "--once")


def test_an_outbox_under_a_file_fails_check_as_it_fails_the_run(tmp_path: Path) -> None:
    """`check` said ok for an outbox that `run` then refused (a newcomer's trial)."""
    blocker = tmp_path / "afile"
    blocker.write_text("a file where a folder should be\n")
    config = _config(tmp_path, f"sources: []\ndigest: {{outbox: {blocker}/outbox}}\n")
    stderr = _refused(config, "check", "--no-connect")
    assert f"digest.outbox: {blocker}/outbox cannot be created: {blocker} is a file" in stderr
    assert not (blocker.parent / "data").exists()  # check judged, and created nothing
    assert "digest.outbox" in _refused(config, "run", "--once")


def test_an_sqlite_file_under_a_missing_folder_is_created(tmp_path: Path) -> None:
    config = _config(tmp_path, f"sources: []\ndatabase: sqlite:///{tmp_path}/new/dir/l.db\n")
    result = run_cli("run", "--once", "-c", str(config), timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "dir" / "l.db").is_file()


def test_duplicate_keys_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        "sources:\n  - name: s\n    type: feed\n    every: 1h\n    urls: [a.xml]\n    every: 5m\n",
    )
    stderr = _refused(config, "check", "--no-connect")
    assert "line 7: the key 'every' is given twice in one mapping (first on line 5)" in stderr


def test_a_duplicate_key_in_the_personas_file_is_an_error(tmp_path: Path) -> None:
    personas = tmp_path / "personas.yaml"
    personas.write_text(PERSONAS.read_text(encoding="utf-8") + "synonyms: {}\n")
    config = tmp_path / "listener.yaml"
    config.write_text(f"personas: {personas}\nsources: []\n", encoding="utf-8")
    assert "the key 'synonyms' is given twice" in _refused(config, "check", "--no-connect")


def test_an_unknown_log_level_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    config = _config(tmp_path, "sources: []\n")
    result = run_cli("--log-level", "verbose", "check", "--no-connect", "-c", str(config))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'verbose' is not one of" in result.stderr
