"""Issue 11, finding 2: a 705-byte YAML alias bomb took 8 GB; a self-referencing anchor crashed.

Both config and personas files are measured before they are built: alias expansion has a small
budget and nothing may contain itself. Each case runs `listener check` as a real process under a
1 GiB address-space limit, so the old behaviour (expanding the bomb) fails instead of swapping.
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest

from tests.listener.hardening.helpers import PERSONAS, listener_command

LIMIT = 1 << 30


def _bomb(levels: int = 9, width: int = 10) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def _check(config: Path) -> subprocess.CompletedProcess[str]:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run(
        listener_command("check", "--no-connect", "-c", str(config)),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit_memory,
    )


@pytest.mark.timeout(180)
def test_an_alias_bomb_in_the_config_is_refused_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "listener.yaml"
    config.write_text(f"personas: {PERSONAS}\nsources: []\n" + _bomb(), encoding="utf-8")
    assert len(config.read_bytes()) < 1000
    result = _check(config)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "aliases expand to" in result.stderr and "alias bomb" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(180)
def test_an_alias_bomb_in_the_personas_file_is_refused_with_exit_2(tmp_path: Path) -> None:
    personas = tmp_path / "personas.yaml"
    personas.write_text(PERSONAS.read_text(encoding="utf-8") + _bomb(), encoding="utf-8")
    config = tmp_path / "listener.yaml"
    config.write_text(f"personas: {personas}\nsources: []\n", encoding="utf-8")
    result = _check(config)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"personas: {personas}: aliases expand to" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "document",
    [
        "segment: &loop {channel: *loop}\n",
        "urls: &loop [a.xml, *loop]\n",
    ],
)
def test_a_self_referencing_anchor_is_refused_with_exit_2(tmp_path: Path, document: str) -> None:
    config = tmp_path / "listener.yaml"
    source = "sources:\n  - name: s\n    type: feed\n    every: 1h\n    "
    config.write_text(f"personas: {PERSONAS}\n{source}{document}", encoding="utf-8")
    result = _check(config)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "line 6: an alias refers to the value that contains it" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_few_ordinary_aliases_are_still_fine(tmp_path: Path) -> None:
    config = tmp_path / "listener.yaml"
    config.write_text(
        f"personas: {PERSONAS}\n"
        "sources:\n"
        "  - {name: a, type: feed, every: 1h, urls: [a.xml], segment: &tags {channel: blog}}\n"
        "  - {name: b, type: feed, every: 1h, urls: [b.xml], segment: *tags}\n",
        encoding="utf-8",
    )
    result = _check(config)
    assert result.returncode == 0, result.stderr
    assert "2 sources" in result.stdout
