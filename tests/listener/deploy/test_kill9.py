"""kill -9 in the middle of ingestion, and of processing; a restart ends where a clean run ends:
the same items, statements and evidence, none lost, none twice (compared key by key)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.listener.helpers import copy_example

ROWS = 1500
"""Survey responses (two answers each): long enough a run to be killed in the middle of."""
QUESTIONS = (
    "What is the hardest part of your week?",
    "If you could wave a magic wand, what would our product do for you?",
)
KEYS = {
    "items": "SELECT s.name, i.external_id, i.content_hash FROM items i "
    "JOIN sources s ON s.id = i.source_id",
    "statements": 'SELECT i.external_id, st.kind, st.start, st."end", st.theme, st.week '
    "FROM statements st JOIN items i ON i.id = st.item_id",
    "evidence": "SELECT i.external_id, st.start, e.persona_id, e.attribute_id, e.kind, e.week "
    "FROM evidence e JOIN statements st ON st.id = e.statement_id JOIN items i ON i.id = e.item_id",
}


def _survey(example: Path, target: Path) -> None:
    with example.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        for n in range(ROWS):
            row = dict(rows[n % len(rows)])
            row["Response ID"] = f"r{n:06d}"
            writer.writerow(row)


def _config(tmp_path: Path, database: str) -> Path:
    example = copy_example(tmp_path)
    survey = example.parent / "big.csv"
    _survey(example.parent / "examples" / "surveys" / "nps.csv", survey)
    prompts = {QUESTIONS[0]: "pain", QUESTIONS[1]: "aspiration"}
    config = example.parent / "kill9.yaml"
    config.write_text(
        f"database: {database}\n"
        "timezone: Europe/Berlin\n"
        "personas: personas.example.yaml\n"
        "sources:\n"
        "  - {name: big-survey, type: survey_file, every: 1h, path: big.csv,\n"
        f"     text_columns: {list(QUESTIONS)!r}, prompts: {prompts!r},\n"
        "     id_column: Response ID, time_column: Submitted At}\n"
        "digest: {schedule: 'mon 08:00', recipients: [m@example.com], outbox: ../outbox}\n"
    )
    return config


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "listener", "--log-json", "run", "--once", "-c", str(config)]
    return subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _finish(config: Path, log: Path) -> None:
    process = _start(config, log)
    assert process.wait(timeout=240) == 0, log.read_text()[-3000:]


def _keys(url: str) -> dict[str, Counter[tuple[object, ...]]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        keys = {
            name: Counter(tuple(row) for row in connection.execute(text(query)))
            for name, query in KEYS.items()
        }
    engine.dispose()
    return keys


def _counts(url: str) -> tuple[int, int, int]:
    """(items, items still to process, statements), or zeros before the schema exists."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            items = connection.execute(text("SELECT count(*) FROM items")).scalar_one()
            pending = connection.execute(
                text("SELECT count(*) FROM items WHERE processed_key IS NULL")
            ).scalar_one()
            statements = connection.execute(text("SELECT count(*) FROM statements")).scalar_one()
            return items, pending, statements
    except Exception:  # tables not created yet, or SQLite busy: ask again
        return 0, 0, 0
    finally:
        engine.dispose()


def _empty(url: str, tmp_path: Path) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        assert parsed.database is not None
        for path in Path(parsed.database).parent.glob(Path(parsed.database).name + "*"):
            path.unlink()
    else:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    for path in (tmp_path / "outbox").glob("*"):
        path.unlink()


@pytest.mark.slow
@pytest.mark.timeout(600)  # three runs of a few thousand items; PostgreSQL on a loaded machine
@pytest.mark.parametrize("phase", ["ingestion", "processing"])
def test_kill_9_then_restart_equals_a_clean_run(store_url: str, tmp_path: Path, phase: str) -> None:
    config = _config(tmp_path, store_url)
    log = tmp_path / "run.log"
    _finish(config, log)
    clean = _keys(store_url)
    total = sum(clean["items"].values())
    assert ROWS < total <= 2 * ROWS and sum(clean["evidence"].values()) > 0
    assert max(clean["statements"].values()) == 1, "a clean run stores each statement once"

    _empty(store_url, tmp_path)
    process = _start(config, log)
    deadline = time.monotonic() + 240
    killed_at: tuple[int, int, int] | None = None
    while time.monotonic() < deadline and process.poll() is None:
        items, pending, statements = _counts(store_url)
        mid_ingestion = 0 < items < total
        mid_processing = items == total and 0 < pending < total and statements > 0
        if (phase == "ingestion" and mid_ingestion) or (phase == "processing" and mid_processing):
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            killed_at = (items, pending, statements)
            break
        time.sleep(0.02)
    assert killed_at is not None, f"the run ended before it could be killed in {phase}"
    assert process.returncode == -signal.SIGKILL

    _finish(config, log)
    after = _keys(store_url)
    for name in KEYS:
        assert after[name] == clean[name], (
            f"{name} after kill -9 at {killed_at} and a restart differ from a clean run: "
            f"{sum(after[name].values())} vs {sum(clean[name].values())}, "
            f"missing {list((clean[name] - after[name]).items())[:3]}, "
            f"extra {list((after[name] - clean[name]).items())[:3]}"
        )
