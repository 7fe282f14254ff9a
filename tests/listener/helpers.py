"""Test helpers: a private copy of the bundled example config, so runs write into tmp_path."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = REPO / "config" / "listener.example.yaml"


def copy_example(tmp_path: Path, replace: dict[str, str] | None = None) -> Path:
    """Copy config/ to tmp_path/config; the example's ../data and ../outbox land in tmp_path."""
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target, ignore=shutil.ignore_patterns("data", "outbox"))
    config = target / "listener.example.yaml"
    text = config.read_text()
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text)
    return config


def free_port() -> int:
    """A free loopback port (aiosmtpd cannot take port 0: see design.md)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
