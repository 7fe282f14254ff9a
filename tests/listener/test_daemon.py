"""`listener run` as a real process: starts, fetches, stops on SIGTERM, resumes from cursors."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from listener.cli import main
from tests.listener.deploy.daemon import wait_for_log as _wait_for
from tests.listener.helpers import copy_example, free_port

STOP_LIMIT = 5.0


def _status(config: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        main, ["--log-level", "warning", "status", "--json", "-c", str(config)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "listener", "--log-json", "run", "-c", str(config)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
    )


def _stop(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return code, time.monotonic() - started


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_a_restart_resumes_from_cursors(tmp_path: Path) -> None:
    config = copy_example(tmp_path)
    port = free_port()
    config.write_text(config.read_text() + f"\nhealth: {{host: 127.0.0.1, port: {port}}}\n")
    survey = config.parent / "examples" / "surveys" / "nps.csv"
    log = tmp_path / "daemon.log"

    first = _start(config, log)
    _wait_for(log, '"processed"', 1)
    _wait_for(log, '"source fetched"', 2)
    _wait_for(log, '"digest delivered"', 1)  # after the first pass, not before it
    assert list((tmp_path / "outbox").glob("digest-*.eml"))
    lines = log.read_text().splitlines()
    order = [json.loads(line)["event"] for line in lines if line.startswith("{")]
    assert order.index("digest delivered") > max(
        i for i, event in enumerate(order) if event == "source fetched"
    )
    health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json()["sources"] == {"smb-forums": "ok", "nps-q4": "ok"}
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert 'listener_stored{kind="items"}' in metrics
    assert 'listener_source_health{health="ok",source="nps-q4"} 1.0' in metrics
    code, took = _stop(first)
    assert code == 0, log.read_text()[-2000:]
    assert took < STOP_LIMIT, f"took {took:.1f}s to stop"
    assert '"listener stopped"' in log.read_text()
    before = _status(config)
    assert before["totals"]["items"] > 0

    # One new survey response arrives while the daemon is down.
    with survey.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    new_row = list(rows[-1])
    new_row[rows[0].index("Response ID")] = "zz-new-response"
    with survey.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(new_row)

    log2 = tmp_path / "daemon2.log"
    second = _start(config, log2)
    _wait_for(log2, '"source fetched"', 2)
    code, took = _stop(second)
    assert code == 0 and took < STOP_LIMIT
    fetched = [
        json.loads(line) for line in log2.read_text().splitlines() if '"source fetched"' in line
    ]
    added = {entry["source"]: entry["added"] for entry in fetched}
    assert added["smb-forums"] == 0, "unchanged feeds must not be re-ingested"
    assert added["nps-q4"] >= 1, "the appended response was not picked up"
    after = _status(config)
    assert after["totals"]["items"] == before["totals"]["items"] + added["nps-q4"]
