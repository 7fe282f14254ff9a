"""Source leases on both databases: one holder at a time, expiry, renewal, a lost lease."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from listener.cli import main
from listener.config import load_config
from listener.daemon import Daemon
from listener.errors import ConfigError
from listener.runner import run_source
from listener.service import Service
from listener.store import leases
from listener.store.db import Store
from listener.store.leases import Lease, LostLease
from listener.store.models import InstanceRow, ItemRow, SourceRow
from listener.store.sources import get_or_create
from tests.listener.hardening.helpers import rss, write_config

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
A, B = Lease("host-a:1:aaaa"), Lease("host-b:2:bbbb")


def _sources(store: Store, *names: str) -> None:
    with store.session() as session:
        for name in names:
            get_or_create(session, name, "feed")


def _row(store: Store, name: str) -> SourceRow:
    with store.session() as session:
        return session.scalars(select(SourceRow).where(SourceRow.name == name)).one()


def test_a_due_source_is_taken_by_one_instance_until_its_lease_runs_out(store: Store) -> None:
    _sources(store, "s1", "s2")
    with store.session() as session:
        assert leases.claim_due(session, ["s1"], A, NOW, 5) == ["s1"]
    with store.session() as session:
        assert leases.claim_due(session, ["s1", "s2"], B, NOW + timedelta(seconds=29), 5) == ["s2"]
    row = _row(store, "s1")
    assert (row.acquired_by, row.acquired_until) == (A.owner, NOW + A.duration)
    with store.session() as session:  # A died: after its lease, B takes over
        assert leases.claim_due(session, ["s1"], B, NOW + timedelta(seconds=31), 5) == ["s1"]
    with pytest.raises(LostLease), store.session() as session:
        leases.hold(session, _row(store, "s1").id, A, NOW + timedelta(seconds=32))
    assert _row(store, "s1").acquired_by == B.owner


def test_renewal_keeps_a_long_run_and_release_frees_it(store: Store) -> None:
    _sources(store, "s1")
    with store.session() as session:
        leases.claim_due(session, ["s1"], A, NOW, 1)
    with store.session() as session:
        assert leases.renew(session, A, NOW + timedelta(seconds=25)) == 1
    with store.session() as session:  # 40 s after the claim, but 15 s after the renewal
        assert leases.claim_due(session, ["s1"], B, NOW + timedelta(seconds=40), 1) == []
    with store.session() as session:
        leases.release(session, "s1", B.owner)  # not B's to give back
        assert leases.claim_due(session, ["s1"], B, NOW + timedelta(seconds=41), 1) == []
        leases.release(session, "s1", A.owner)
        assert leases.claim_due(session, ["s1"], B, NOW + timedelta(seconds=41), 1) == ["s1"]


def test_only_due_sources_are_taken_and_at_most_the_limit(store: Store) -> None:
    _sources(store, "s1", "s2", "s3")
    with store.session() as session:
        session.scalars(select(SourceRow).where(SourceRow.name == "s1")).one().next_run_at = (
            NOW + timedelta(minutes=5)
        )
    with store.session() as session:
        taken = leases.claim_due(session, ["s1", "s2", "s3"], A, NOW, 1)
    assert len(taken) == 1 and taken[0] in ("s2", "s3")
    with store.session() as session:
        rest = leases.claim_due(session, ["s1", "s2", "s3"], B, NOW, 5)
    assert sorted(taken + rest) == ["s2", "s3"]


def test_threads_racing_for_twenty_sources_take_each_once(store: Store) -> None:
    names = [f"s{i}" for i in range(20)]
    _sources(store, *names)
    taken: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def take(owner: str) -> None:
        barrier.wait()
        got: list[str] = []
        for _ in range(10):
            with store.session() as session:
                rest = [n for n in names if n not in got]  # as the daemon's running set
                got += leases.claim_due(session, rest, Lease(owner), NOW, 3)
        taken[owner] = got

    threads = [threading.Thread(target=take, args=(f"i{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [name for got in taken.values() for name in got]
    assert sorted(every) == sorted(names), taken


def test_a_batch_is_not_committed_by_an_instance_whose_lease_was_taken(
    store: Store, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss([("g1", "late payments", "Chasing late payments again.")]))
    url = store.engine.url.render_as_string(hide_password=False)
    config = load_config(
        write_config(
            tmp_path,
            [{"name": "f", "type": "feed", "every": "1h", "urls": [str(feed)]}],
            database=url,
        )
    )
    _sources(store, "f")
    with store.session() as session:
        leases.claim_due(session, ["f"], B, datetime.now(UTC), 1)  # B holds it, not A
    run = run_source(store, config, config.source("f"), lease=A)
    assert (run.status, run.error) == ("skipped", "lease lost")
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ItemRow)) == 0
    with store.session() as session:
        leases.release(session, "f", B.owner)
        leases.claim_due(session, ["f"], A, datetime.now(UTC), 1)
    assert run_source(store, config, config.source("f"), lease=A).counts.added == 1


def test_first_pass_waits_for_every_source(store: Store) -> None:
    _sources(store, "s1", "s2")
    with store.session() as session:
        assert not leases.first_pass_done(session, ["s1", "s2"], NOW)
        for row in session.scalars(select(SourceRow)):
            row.next_run_at = NOW + timedelta(minutes=1)
    with store.session() as session:
        assert leases.first_pass_done(session, ["s1", "s2"], NOW)
        assert not leases.first_pass_done(session, ["s1", "s2", "s3"], NOW)  # s3 never ran
        assert not leases.first_pass_done(session, ["s1", "s2"], NOW + timedelta(minutes=2))


def test_status_shows_each_instance_its_heartbeat_and_what_it_holds(
    store: Store, tmp_path: Path
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    sources = [
        {"name": n, "type": "feed", "every": "1h", "urls": [str(tmp_path / "x.xml")]} for n in "ab"
    ]
    path = write_config(tmp_path, sources, database=url)
    daemon = Daemon(Service(load_config(path)))
    daemon.join()  # alone: both sources due now
    with store.session() as session:
        assert leases.claim_due(session, ["a"], daemon.lease, datetime.now(UTC), 1) == ["a"]
        dead = datetime.now(UTC) - timedelta(minutes=5)
        session.add(InstanceRow(id="gone:9:dead", hostname="gone", pid=9, started_at=dead,
                                heartbeat_at=dead))  # fmt: skip
    result = CliRunner().invoke(
        main, ["--log-level", "warning", "status", "--json", "-c", str(path)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_name = {s["name"]: s for s in data["sources"]}
    assert by_name["a"]["lease"]["holder"] == daemon.lease.owner
    assert by_name["a"]["lease"]["expired"] is False
    assert by_name["b"]["lease"] is None
    instances = {i["id"]: i for i in data["instances"]}
    assert instances[daemon.lease.owner]["alive"] is True
    assert instances[daemon.lease.owner]["leases"] == ["a"]
    assert instances["gone:9:dead"]["alive"] is False
    table = CliRunner().invoke(main, ["--log-level", "warning", "status", "-c", str(path)])
    assert daemon.lease.owner in table.stdout and "LEASE" in table.stdout
    assert "gone:9:dead: heartbeat" in table.stdout and "looks dead" in table.stdout
    daemon._leave()
    with store.session() as session:
        assert session.get(InstanceRow, daemon.lease.owner) is None
        assert _row(store, "a").acquired_by is None
    daemon.service.close()


def test_a_second_instance_joining_does_not_make_everything_due_again(
    store: Store, tmp_path: Path
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    path = write_config(
        tmp_path,
        [{"name": "a", "type": "feed", "every": "1h", "urls": [str(tmp_path / "x.xml")]}],
        database=url,
    )
    first = Daemon(Service(load_config(path)), instance="first")
    first.join()
    later = datetime.now(UTC) + timedelta(minutes=30)
    with store.session() as session:
        row = session.scalars(select(SourceRow)).one()
        row.next_run_at, row.config_hash = later, _hash(load_config(path), "a")
    second = Daemon(Service(load_config(path)), instance="second")
    second.join()  # first is alive: the stored schedule stands
    assert _row(store, "a").next_run_at == later
    first._leave()
    third = Daemon(Service(load_config(path)), instance="third")
    third.join()  # second still beats
    assert _row(store, "a").next_run_at == later
    second._leave()
    third._leave()
    alone = Daemon(Service(load_config(path)), instance="alone")
    alone.join()  # alone again: fetch at start, as one daemon always did
    assert _row(store, "a").next_run_at is None
    for daemon in (first, second, third, alone):
        daemon.service.close()


def _hash(config: object, name: str) -> str:
    from listener.config import Config
    from listener.runner import source_hash

    assert isinstance(config, Config)
    return source_hash(config.source(name))


def test_lease_settings_are_validated_with_the_fix(tmp_path: Path) -> None:
    path = write_config(tmp_path, [], leases={"duration": "10s", "poll": "6s"})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "leases" in str(caught.value) and "at most half" in str(caught.value)
    path = write_config(tmp_path, [], leases={"duration": "soon"})
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "leases.duration" in str(caught.value)
    defaults = load_config(write_config(tmp_path, [])).service.leases
    assert (defaults.duration_seconds, defaults.poll_seconds) == (30, 1)


def test_metrics_name_each_unexpired_lease_and_its_holder(store: Store) -> None:
    from listener.store.activity import LeaseHolder, lease_holders

    _sources(store, "s1", "s2")
    with store.session() as session:
        leases.claim_due(session, ["s1"], A, NOW, 5)
    with store.session() as session:
        assert lease_holders(session, NOW + timedelta(seconds=1)) == [
            LeaseHolder("source:s1", A.owner)
        ]
        assert lease_holders(session, NOW + A.duration + timedelta(seconds=1)) == []
