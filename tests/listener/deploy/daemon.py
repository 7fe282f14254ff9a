"""A `listener run` process for deploy tests: started with a given environment, logs to a file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.listener.helpers import copy_example, free_port


def example_config(tmp_path: Path, database: str | None = None) -> tuple[Path, int]:
    """The bundled example with a health port (and the given database URL)."""
    config = copy_example(tmp_path)
    port = free_port()
    text = config.read_text() + f"\nhealth: {{host: 127.0.0.1, port: {port}}}\n"
    if database is not None:
        text = text.replace("database: sqlite:///../data/listener.db", f"database: {database}")
    config.write_text(text)
    return config, port


def start(
    config: Path, log: Path, env: dict[str, str] | None = None, *args: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "listener", "--log-json", "run", *args, "-c", str(config)],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )


def wait_for_log(log: Path, needle: str, count: int = 1, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text(errors="replace").count(needle) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not {count}x in {log}:\n{log.read_text()[-3000:]}")


def wait_for_http(url: str, code: int, timeout: float = 60.0) -> httpx.Response:
    """Poll ``url`` until it answers ``code``; the last answer otherwise fails the test."""
    deadline = time.monotonic() + timeout
    last: httpx.Response | str = "no answer"
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=10)
            if last.status_code == code:
                return last
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.3)
    detail = last.text if isinstance(last, httpx.Response) else last
    raise AssertionError(f"{url} did not answer {code} within {timeout}s: {detail}")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
