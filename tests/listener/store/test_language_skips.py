"""Only the personas' language becomes evidence; `status` says how many items were skipped."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from listener.cli import main
from listener.runner import run_source
from listener.service import Service
from listener.store.db import Store
from listener.store.models import ItemRow
from tests.listener.store.test_quarantine import survey_config

ANSWERS = [
    ("r1", "Chasing late payments eats my Friday."),
    ("r2", "Bitte XRechnung unterstützen."),
    ("r3", "Die Rechnungen kommen immer zu spät und niemand antwortet auf meine E-Mails."),
    ("r4", "The export to our accounting tool keeps failing."),
]


def _export(path: Path) -> None:
    lines = ["Response ID,Submitted At,Feedback,Company size"]
    lines += [f"{rid},2026-10-05 10:00:00,{text},1-10" for rid, text in ANSWERS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_items_in_another_language_are_stored_as_skipped_and_counted(
    store: Store, tmp_path: Path
) -> None:
    config = survey_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    _export(tmp_path / "exports" / "nps.csv")
    run_source(store, config, config.source("nps"))
    service = Service(config)
    service.store = store
    service.process()
    with store.session() as session:
        skipped = dict(session.execute(select(ItemRow.text, ItemRow.skipped)).all())
    assert skipped[ANSWERS[1][1]] == "language"
    assert skipped[ANSWERS[2][1]] == "language"
    assert skipped[ANSWERS[0][1]] is None and skipped[ANSWERS[3][1]] is None


def test_status_says_how_many_items_were_skipped_as_another_language(tmp_path: Path) -> None:
    config = survey_config(tmp_path, f"sqlite:///{tmp_path / 'l.db'}")
    _export(tmp_path / "exports" / "nps.csv")
    service = Service(config)
    service.upgrade()
    service.fetch("nps")
    service.process()
    service.store.dispose()
    cli = CliRunner()
    args = ["-c", str(config.path)]
    status = cli.invoke(main, ["status", *args, "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["sources"][0]["other_language"] == 2
    text = cli.invoke(main, ["status", *args]).output
    assert "skipped as another language than the personas': 2 items" in text
    assert "  nps: 2" in text
