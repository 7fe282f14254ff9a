"""Rejected rows are stored with the batch, once, and shown by status and `listener quarantine`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from connectors.base import Rejected
from listener.cli import main
from listener.config import Config, load_config
from listener.runner import run_source
from listener.store.db import Store
from listener.store.models import ItemRow, QuarantineRow, SourceRow
from listener.store.quarantine import counts_per_source, quarantined, store_rejects
from tests.connectors.test_survey_rejects import hundred_rows_three_bad

PERSONAS = Path(__file__).resolve().parents[2] / "fixtures" / "personas.yaml"


def survey_config(tmp_path: Path, database: str, extra: str = "") -> Config:
    exports = tmp_path / "exports"
    exports.mkdir(exist_ok=True)
    path = tmp_path / "listener.yaml"
    path.write_text(
        f"database: {database}\n"
        f"personas: {PERSONAS}\n"
        "sources:\n"
        "  - name: nps\n"
        "    type: survey_file\n"
        "    every: 1h\n"
        "    path: exports\n"
        "    text_columns: [Feedback]\n"
        "    settle_seconds: 0\n"
        "    batch_size: 40\n" + extra
    )
    return load_config(path)


def test_three_bad_rows_among_a_hundred_are_quarantined_once(store: Store, tmp_path: Path) -> None:
    config = survey_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    hundred_rows_three_bad(tmp_path / "exports" / "nps.csv")
    run = run_source(store, config, config.source("nps"))
    assert (run.status, run.counts.added, run.counts.quarantined) == ("ok", 97, 3)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 97
        rows = quarantined(session)
        assert counts_per_source(session) == {"nps": 3}
    assert sorted((r["file"], r["row"]) for r in rows) == [
        ("nps.csv", 20),
        ("nps.csv", 50),
        ("nps.csv", 80),
    ]
    by_row = {r["row"]: r for r in rows}
    assert by_row[20]["reason"] == "ragged row: 6 fields where the header has 4"
    assert by_row[50]["reason"].startswith("duplicate response id 'r7'")
    assert by_row[80]["reason"].startswith("no response id and no answer text")
    assert by_row[20]["excerpt"].startswith("r20,")
    # the same file read again from the start (a new config clears the cursor): not doubled
    again = survey_config(
        tmp_path, store.engine.url.render_as_string(hide_password=False), "    day_first: true\n"
    )
    rerun = run_source(store, again, again.source("nps"))
    assert (rerun.counts.added, rerun.counts.quarantined, rerun.counts.unchanged) == (0, 0, 97)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(QuarantineRow)) == 3


def test_rejects_are_part_of_the_batch_transaction(store: Store) -> None:
    """A batch that fails to store leaves neither its items' cursor nor its rejects behind."""
    with store.session() as session:
        source = SourceRow(name="s", type="survey_file", consecutive_failures=0)
        session.add(source)
        session.flush()
        source_id = source.id
    reject = Rejected("a.csv", "ragged row: 3 fields where the header has 2", 4, "1,2,3\n")
    try:
        with store.session() as session:
            row = session.get_one(SourceRow, source_id)
            assert store_rejects(session, row, [reject, reject]) == 1
            raise RuntimeError("the batch failed after its rejects were added")
    except RuntimeError:
        pass
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(QuarantineRow)) == 0
        row = session.get_one(SourceRow, source_id)
        assert store_rejects(session, row, [reject]) == 1
    with store.session() as session:
        row = session.get_one(SourceRow, source_id)
        assert store_rejects(session, row, [reject]) == 0  # seen again: not doubled
        other = Rejected("a.csv", reject.reason, 5, "1,2,3\n")
        assert store_rejects(session, row, [other]) == 1  # another row with the same fault


def test_status_and_the_quarantine_command_show_them(tmp_path: Path) -> None:
    config = survey_config(tmp_path, f"sqlite:///{tmp_path / 'l.db'}")
    store = Store(config.database_url)
    store.upgrade()
    hundred_rows_three_bad(tmp_path / "exports" / "nps.csv")
    run_source(store, config, config.source("nps"))
    store.dispose()
    cli = CliRunner()
    args = ["-c", str(config.path)]
    listed = cli.invoke(main, ["quarantine", *args, "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)["quarantined"]
    assert [(r["source"], r["file"]) for r in data] == [("nps", "nps.csv")] * 3
    assert {r["row"] for r in data} == {20, 50, 80}
    assert all(r["reason"] for r in data)
    table = cli.invoke(main, ["quarantine", *args, "--source", "nps"])
    assert table.exit_code == 0, table.output
    assert "ragged row: 6 fields where the header has 4" in table.output
    assert "3 quarantined records" in table.output
    unknown = cli.invoke(main, ["quarantine", *args, "--source", "nope"])
    assert unknown.exit_code == 2 and "'nope' is not a source" in unknown.output
    status = cli.invoke(main, ["status", *args, "--json"])
    assert json.loads(status.output)["sources"][0]["quarantined"] == 3
    status_text = cli.invoke(main, ["status", *args]).output
    assert "nps: 3 (listener quarantine --source nps)" in status_text
