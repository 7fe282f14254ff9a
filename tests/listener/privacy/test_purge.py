"""Must-show 6: `listener purge --author` erases that author's items, statements and evidence,
through the real CLI (a process of its own) on SQLite and PostgreSQL; and after a run no e-mail
address, phone number or handle of the test data is left anywhere in the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from listener.privacy.keys import Pseudonymiser
from listener.store.db import Store
from listener.store.models import AlertRow, EvidenceRow, ItemRow, StatementRow
from tests.conftest import TEST_AUTHOR_KEY
from tests.listener.helpers import REPO
from tests.listener.privacy.data import ALICE, BOB, PERSONAL, every_text, write_config

PSEUDONYMS = Pseudonymiser(TEST_AUTHOR_KEY.encode())


def cli(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LISTENER_AUTHOR_KEY": TEST_AUTHOR_KEY}
    return subprocess.run(
        [sys.executable, "-m", "listener", *args, "-c", str(config)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def by_author(store: Store, handle: str) -> dict[str, int]:
    key = PSEUDONYMS.stored_author(handle)
    with store.session() as session:
        return {
            "items": session.scalar(select(func.count()).where(ItemRow.author_hash == key)) or 0,
            "statements": session.scalar(select(func.count()).where(StatementRow.author_key == key))
            or 0,
            "evidence": session.scalar(select(func.count()).where(EvidenceRow.author_key == key))
            or 0,
        }


def totals(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {
            name: session.scalar(select(func.count()).select_from(row)) or 0
            for name, row in (
                ("items", ItemRow),
                ("statements", StatementRow),
                ("evidence", EvidenceRow),
            )
        }


def test_purge_author_through_the_cli(store: Store, store_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, store_url)
    ran = cli("run", "--once", config=config)
    assert ran.returncode == 0, ran.stderr
    alice, bob, before = by_author(store, ALICE), by_author(store, BOB), totals(store)
    assert alice["items"] == 2 and alice["statements"] >= 2 and alice["evidence"] >= 2, alice
    assert bob["items"] == 1 and bob["evidence"] >= 1, bob

    dry = cli("purge", "--author", ALICE, "--dry-run", "--json", config=config)
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)["counts"]
    assert {k: planned[k] for k in alice} == alice
    assert by_author(store, ALICE) == alice and totals(store) == before  # nothing changed

    done = cli("purge", "--author", ALICE, config=config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"erased: {alice['items']} items, {alice['statements']} statements, "
        f"{alice['evidence']} evidence,"
    ), done.stdout
    assert by_author(store, ALICE) == {"items": 0, "statements": 0, "evidence": 0}
    assert by_author(store, BOB) == bob  # nobody else's
    assert totals(store) == {k: before[k] - alice[k] for k in before}

    again = cli("purge", "--author", ALICE, config=config)
    assert again.stdout.startswith("erased: 0 items, 0 statements, 0 evidence"), again.stdout


def test_no_personal_detail_of_the_data_is_stored(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, store_url)
    ran = cli("run", "--once", config=config)
    assert ran.returncode == 0, ran.stderr
    with store.session() as session:
        texts = every_text(session)
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 5
        quarantined = [v for t, c, v in texts if t == "quarantine" and c == "excerpt"]
    assert quarantined and "[e-mail]" in quarantined[0]  # the ragged row, kept masked
    assert any("[e-mail]" in v for t, c, v in texts if (t, c) == ("items", "text"))
    assert any("[phone]" in v for t, c, v in texts if (t, c) == ("items", "text"))
    leaks = [
        (table, column, detail)
        for table, column, value in texts
        for detail in PERSONAL
        if detail.lower() in value.lower()
    ]
    assert leaks == []
    # the authors are neither stored as they are nor as an unkeyed hash (found by hashing names)
    from listener.store.items import author_hash

    values = {value for _, _, value in texts}
    assert author_hash(ALICE) not in values and author_hash(BOB) not in values


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "purge needs --source, --author or --before"),
        (("--source", "nope"), "--source 'nope': no such source"),
        (("--before", "yesterday"), "Invalid value for '--before'"),
        (("--author", " "), "--author is empty"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'listener.db'}")
    result = cli("purge", *args, config=config)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_purge_source_and_before_also_erase_alert_quotes(store: Store) -> None:
    """A stored alert quoting an erased statement loses that quote (and keeps its counts)."""
    from datetime import UTC, datetime

    from listener.alerts.quotes import quote_text
    from listener.privacy.purge import Selection, purge
    from listener.store.models import SourceRow

    now = datetime(2026, 11, 2, tzinfo=UTC)
    with store.session() as session:
        source = SourceRow(name="forum", type="feed")
        session.add(source)
        session.flush()
        for n, when in enumerate((datetime(2026, 10, 1, tzinfo=UTC), now)):
            item = ItemRow(
                source_id=source.id,
                external_id=f"e{n}",
                kind="post",
                text=f"Chasing late payments, take {n}.",
                fetched_at=when,
                created_at=when,
                content_hash=str(n),
                segment={},
            )
            session.add(item)
            session.flush()
            session.add(
                StatementRow(
                    item_id=item.id,
                    source_id=source.id,
                    author_key=f"item:{item.id}",
                    kind="pain",
                    text=item.text,
                    start=0,
                    end=len(item.text),
                    theme="chase late payment",
                    week="2026-W40",
                )
            )
        session.add(
            AlertRow(
                key="k1",
                kind="rising",
                week="2026-W44",
                window_start="2026-W44",
                count=2,
                mentions=2,
                expected=0.5,
                p_value=0.001,
                summary="Chasing late payments: 2 people",
                quotes=[
                    {"text": quote_text(f"Chasing late payments, take {n}."), "source": "forum"}
                    for n in (0, 1)
                ],
                created_at=now,
            )
        )
    with store.session() as session:
        dry = purge(session, Selection(before=datetime(2026, 10, 15, tzinfo=UTC)), PSEUDONYMS, True)
    assert dry == {"items": 1, "statements": 1, "evidence": 0, "alert_quotes": 1, "quarantine": 0}
    with store.session() as session:
        done = purge(session, Selection(before=datetime(2026, 10, 15, tzinfo=UTC)), PSEUDONYMS)
    assert done == dry
    with store.session() as session:
        alert = session.scalars(select(AlertRow)).one()
        assert [q["text"] for q in alert.quotes] == ["Chasing late payments, take 1."]
        assert alert.count == 2
    with store.session() as session:
        assert purge(session, Selection(source="forum"), PSEUDONYMS)["items"] == 1
    with store.session() as session:
        assert session.scalars(select(AlertRow)).one().quotes == []
