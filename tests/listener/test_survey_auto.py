"""A folder of two tools' exports and no columns named: check shows the choice, run reads it all."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from listener.cli import main
from listener.store.db import Store
from listener.store.models import ItemRow

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "connectors" / "surveys"
PERSONAS = REPO / "tests" / "fixtures" / "personas.yaml"
HARDEST = "What is the hardest part of your week?"


def stored(tmp_path: Path) -> int:
    store = Store(f"sqlite:///{tmp_path / 'listener.db'}")
    try:
        with store.session() as session:
            return int(session.scalar(select(func.count()).select_from(ItemRow)) or 0)
    finally:
        store.dispose()


def test_check_prints_the_mapping_and_run_reads_every_answer_once(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    shutil.copy(FIXTURES / "surveymonkey.csv", exports)
    shutil.copy(FIXTURES / "qualtrics.xlsx", exports)
    config = tmp_path / "listener.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path / 'listener.db'}\n"
        f"personas: {PERSONAS}\n"
        f"digest: {{outbox: {tmp_path / 'outbox'}}}\n"
        "sources:\n"
        "  - name: surveys\n"
        "    type: survey_file\n"
        "    every: 1h\n"
        "    path: exports\n"
        "    settle_seconds: 0\n"
    )
    cli = CliRunner()
    checked = cli.invoke(main, ["check", "-c", str(config)])
    assert checked.exit_code == 0, checked.output
    assert "surveys: columns chosen from the data (paste to pin them):" in checked.output
    pasted = "\n".join(line[2:] for line in checked.output.splitlines() if line.startswith("  "))
    keys = yaml.safe_load(pasted)
    assert keys["text_columns"] == [
        "Q2",
        HARDEST,
        "Which tool do you use for invoicing today? - Other (please specify)",
    ]
    assert keys["segment_columns"]["Company size"] == "company_size"
    assert 'skipped "IP Address": survey tool metadata' in checked.output

    first = cli.invoke(main, ["run", "--once", "-c", str(config)])
    assert first.exit_code == 0, first.output
    assert "listener: 5 items added" in first.output  # 2 Qualtrics answers, 3 SurveyMonkey
    assert stored(tmp_path) == 5
    again = cli.invoke(main, ["run", "--once", "-c", str(config)])
    assert "nothing new" in again.output and stored(tmp_path) == 5

    # the same survey exported again, five responses longer
    export = (FIXTURES / "surveymonkey.csv").read_bytes()  # CRLF, as SurveyMonkey writes
    more = "".join(
        f"1145203679{n:02d},431877210,10/08/2026 10:0{n}:00 AM,10/08/2026 10:1{n}:00 AM,"
        f"198.51.100.{n},,,,,Closing the month takes {n} evenings of copying numbers.,"
        "Spreadsheets,,11-50,Belgium\r\n"
        for n in range(5)
    )
    (exports / "surveymonkey.csv").write_bytes(export + more.encode())
    third = cli.invoke(main, ["run", "--once", "-c", str(config)])
    assert third.exit_code == 0, third.output
    assert "listener: 5 items added (0 updated)" in third.output
    assert stored(tmp_path) == 10
