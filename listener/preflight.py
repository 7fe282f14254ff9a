"""Before a run: can listener write where it must? A read-only or full folder is named at start
(exit code 2), not found as a traceback half-way through a batch or a digest."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from listener.config import Config
from listener.errors import ConfigError
from listener.folders import creatable_problem

PROBE_BYTES = 64 * 1024
"""Written and synced once per folder: a full disk refuses data, not always an empty file."""


def state_folders(config: Config) -> list[tuple[str, Path]]:
    """(config key, folder) for each folder a run writes: the SQLite file's, the outbox's."""
    folders: list[tuple[str, Path]] = []
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        key = "database" if config.service.database else "data_dir"
        folders.append((key, Path(url.database).parent))
    if config.service.smtp is None:
        folders.append(("digest.outbox", config.outbox))
    return folders


def check_writable(config: Config) -> None:
    """Raise ConfigError naming every state folder that cannot be created or written."""
    problems = []
    for key, folder in state_folders(config):
        problem = _write_problem(folder)
        if problem is not None:
            problems.append(f"{config.path}: {key}: {folder} {problem}")
    if problems:
        raise ConfigError(
            problems,
            hint="give the service's user write access and free space there (systemd: "
            "StateDirectory=; containers: a writable volume), or point the key elsewhere",
        )


def folder_problems(config: Config) -> list[str]:
    """What ``check_writable`` would find, judged without creating or writing anything (for
    `listener check`)."""
    problems = []
    for key, folder in state_folders(config):
        problem = creatable_problem(folder)
        if problem is not None:
            problems.append(f"{config.path}: {key}: {folder} {problem}")
    return problems


def _write_problem(folder: Path) -> str | None:
    probe = folder / f".listener-write-check-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as handle:
            handle.write(b"\0" * PROBE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return f"is not writable: {exc.strerror or exc}"
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return None
