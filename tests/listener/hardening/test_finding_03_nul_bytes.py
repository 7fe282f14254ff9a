"""Issue 11, finding 3: one NUL byte blocked a survey for good on PostgreSQL (DataError every run),
the summary counted items that were never stored, and the logged traceback carried the text.

Text is made storable in the store's ingest (NUL removed, lone surrogates replaced), so SQLite
and PostgreSQL store the same thing; counts are of committed batches only.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from sqlalchemy import func, select

from connectors.base import Batch, RawItem, Rejected, SurveyRef
from listener.store.db import Store
from listener.store.items import ingest_batch
from listener.store.models import ItemRow, QuarantineRow
from listener.store.quarantine import store_rejects
from listener.store.sources import get_or_create
from tests.listener.hardening.helpers import PERSONAS, run_cli

HOSTILE = "Late\x00 payments \ud83d again"


def test_nul_and_lone_surrogates_are_stored_alike_on_both_databases(store: Store) -> None:
    item = RawItem(
        external_id="id\x00-1",
        text=HOSTILE,
        title="ti\x00tle",
        author="someone\x00",
        segment={"size\x00": "1-10\x00"},
        survey=SurveyRef("nps\x00", "Hardest part?\x00", "q1", "r\x001"),
        kind="response",
    )
    batch = Batch((item,), {"etag": "v\x001"}, (Rejected("f.csv", "bad\x00 row", 3, "x\x00y"),))
    with store.session() as session:
        source = get_or_create(session, "nps", "survey_file")
        counts = ingest_batch(session, source, batch.items, batch.cursor)
        store_rejects(session, source, batch.rejected)
    assert counts.added == 1
    with store.session() as session:
        row = session.scalars(select(ItemRow)).one()
        assert (row.external_id, row.text, row.title) == (
            "id-1",
            "Late payments \ufffd again",
            "title",
        )
        assert row.segment == {"size": "1-10"}
        assert row.survey == {
            "survey": "nps",
            "question": "Hardest part?",
            "question_id": "q1",
            "response_id": "r1",
        }
        assert row.source_id == source.id
        reject = session.scalars(select(QuarantineRow)).one()
        assert (reject.reason, reject.excerpt) == ("bad row", "xy")
    with store.session() as session:  # the same item again is recognised, not added
        source = get_or_create(session, "nps", "survey_file")
        assert source.cursor == {"etag": "v1"}
        assert ingest_batch(session, source, batch.items, batch.cursor).unchanged == 1


def test_a_survey_with_a_nul_byte_is_stored_whole_and_counted_as_stored(
    store_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "nps.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Response ID", "Feedback", "Submitted At"])
        for n in range(1500):
            text = f"Invoice run {n} takes all evening." + ("\x00" if n == 1234 else "")
            writer.writerow([f"r{n}", text, "2026-11-16 10:00:00"])
    config = tmp_path / "listener.yaml"
    config.write_text(
        f"database: {store_url}\npersonas: {PERSONAS}\ntimezone: UTC\n"
        f"digest: {{outbox: {tmp_path / 'outbox'}}}\n"
        "sources:\n"
        "  - {name: nps, type: survey_file, every: 1h, path: nps.csv, text_columns: [Feedback],\n"
        "     settle_seconds: 0}\n",
        encoding="utf-8",
    )
    result = run_cli("--log-json", "run", "--once", "-c", str(config))
    assert result.returncode == 0, result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    added = re.search(r"listener: (\d+) items added", summary)
    stored = re.search(r"stored (\d+) items", summary)
    assert added and stored, summary
    assert added.group(1) == stored.group(1) == "1500", summary
    assert "Invoice run" not in result.stderr  # no customer text in any log line
    again = run_cli("run", "--once", "-c", str(config))
    assert again.returncode == 0 and "nothing new" in again.stdout
    check = Store(store_url)
    with check.session() as session:
        texts = session.scalars(select(ItemRow.text).where(ItemRow.external_id.like("r1234:%")))
        assert list(texts) == ["Invoice run 1234 takes all evening."]
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 1500
    check.dispose()
