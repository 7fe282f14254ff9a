"""Issue 11, finding 12: a feed whose entries change id on every fetch stored the same posts again
on every run (evidence counted six times).

Within a source an item is recognised by a content fingerprint (who said it, what kind, to which
question, the words) as well as by its id. Different people saying the same words stay apart.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from alembic import command
from sqlalchemy import func, select, text

from listener.config import load_config
from listener.runner import run_source
from listener.store.db import Store, _alembic_config
from listener.store.items import fingerprint
from listener.store.models import ItemRow
from tests.connectors.loopback import LoopbackServer, RecordedRequest, Reply
from tests.listener.hardening.helpers import rss, write_config

POSTS = [
    ("Late payments", "Chasing late payments eats my Friday."),
    ("VAT", "Doing the VAT return every quarter is painful."),
    ("Receipts", "Please add a way to snap receipts."),
    ("Bank", "Reconciling the bank takes most of Tuesday."),
    ("Reminders", "Sending reminders by hand is awkward."),
]


def test_entries_with_a_new_id_on_every_fetch_are_stored_once(store: Store, tmp_path: Path) -> None:
    fetches = itertools.count()

    def fresh_ids(_request: RecordedRequest) -> Reply:
        n = next(fetches)
        return Reply(
            body=rss([(f"urn:fetch-{n}:{i}", t, body) for i, (t, body) in enumerate(POSTS)])
        )

    with LoopbackServer({"/feed.xml": fresh_ids}) as server:
        source = {
            "name": "forum",
            "type": "feed",
            "every": "30m",
            "urls": [server.url("/feed.xml")],
            "allow_private_networks": True,
        }
        url = store.engine.url.render_as_string(hide_password=False)
        config = load_config(write_config(tmp_path, [source], database=url))
        runs = [run_source(store, config, config.source("forum")) for _ in range(6)]
    assert next(fetches) == 6  # six fetches, each with new ids
    assert [r.counts.added for r in runs] == [5, 0, 0, 0, 0, 0]
    assert [r.counts.duplicates for r in runs] == [0, 5, 5, 5, 5, 5]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 5


def test_the_same_words_from_different_people_are_different_items(store: Store) -> None:
    from connectors.base import RawItem, SurveyRef
    from listener.store.items import ingest_batch
    from listener.store.sources import get_or_create

    def answer(response: str, question: str = "q1") -> RawItem:
        ref = SurveyRef("nps", "Hardest part?", question, response)
        return RawItem(f"{response}:{question}", "Nothing.", kind="response", survey=ref)

    items = [
        answer("r1"),
        answer("r2"),
        answer("r1", "q2"),
        RawItem("p1", "Nothing.", author="ann"),
    ]
    with store.session() as session:
        source = get_or_create(session, "nps", "survey_file")
        counts = ingest_batch(session, source, items, None)
    assert (counts.added, counts.duplicates) == (4, 0)
    with store.session() as session:
        source = get_or_create(session, "nps", "survey_file")
        again = [RawItem("p2", "Nothing.", author="ann"), RawItem("p3", "Nothing.", author="bob")]
        counts = ingest_batch(session, source, again, None)
    assert (counts.added, counts.duplicates) == (1, 1)  # ann said it already, bob had not


def test_the_migration_fills_fingerprints_of_stored_items(store_url: str) -> None:
    store = Store(store_url)
    command.upgrade(_alembic_config(store.engine), "0003")
    with store.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO sources (name, type, consecutive_failures) VALUES ('f', 'feed', 0)")
        )
        connection.execute(
            text(
                "INSERT INTO items (source_id, external_id, kind, author_hash, title, text, "
                "fetched_at, segment, content_hash) VALUES (1, 'old-id', 'post', 'abc', "
                "'Bank', 'Reconciling  the bank.', CURRENT_TIMESTAMP, '{}', 'h')"
            )
        )
    store.upgrade()
    with store.session() as session:
        (row,) = session.scalars(select(ItemRow))
        assert row.fingerprint == fingerprint("abc", "post", None, "Bank", "Reconciling the bank.")
    store.dispose()
