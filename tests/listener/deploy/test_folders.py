"""A read-only or full state folder stops `listener run` at start with a message naming the key
and folder, and exit code 2, not a traceback half-way through a batch.

Root ignores file modes, so as root the command runs without the capabilities that bypass them
(setpriv), as a service user would; the full folder is a tiny tmpfs, which only root can mount.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.listener.helpers import copy_example

ROOT = os.geteuid() == 0
AS_SERVICE_USER = (
    ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--inh-caps=-all"]
    if ROOT
    else []
)


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    command = [*AS_SERVICE_USER, sys.executable, "-m", "listener", "run", "--once"]
    return subprocess.run(
        [*command, "-c", str(config)], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def _assert_named(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: "), result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert "hint:" in result.stderr


def test_sqlite_in_a_read_only_folder(tmp_path: Path, read_only: Path) -> None:
    if ROOT and shutil.which("setpriv") is None:
        pytest.fail("running as root needs setpriv (util-linux) to drop DAC override")
    config = copy_example(
        tmp_path, {"database: sqlite:///../data/listener.db": f"database: sqlite:///{read_only}/db"}
    )
    _assert_named(_run(config), "database", str(read_only), "not writable")


def test_an_existing_database_whose_folder_became_read_only(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    first = _run(config)
    assert first.returncode == 0, first.stderr
    data = tmp_path / "data"
    data.chmod(0o555)  # SQLite's WAL needs to create files beside the database
    try:
        _assert_named(_run(config), "database", str(data), "not writable")
    finally:
        data.chmod(0o755)


def test_outbox_read_only(tmp_path: Path, read_only: Path) -> None:
    config = copy_example(tmp_path, {"outbox: ../outbox": f"outbox: {read_only}/outbox"})
    _assert_named(_run(config), "digest.outbox", f"{read_only}/outbox")


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs to fill needs root")
def test_full_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(data)], check=True)
    try:
        with (data / "filler").open("wb", buffering=0) as handle, contextlib.suppress(OSError):
            while True:  # to the last block
                handle.write(b"\0" * 4096)
        config = copy_example(tmp_path)
        _assert_named(_run(config), "database", str(data), "No space left")
    finally:
        subprocess.run(["umount", str(data)], check=True)
