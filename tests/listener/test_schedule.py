"""The one next-run rule: intervals keep their cadence however late a run was picked up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from listener.schedule import next_run
from listener.source_config import SourceSpec

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_an_interval_counts_from_when_the_run_was_due() -> None:
    spec = SourceSpec(name="s", type="feed", every="10m")
    late = NOW - timedelta(seconds=4)  # picked up 4 s after it was due
    assert next_run(spec, NOW, due=late) == late + timedelta(minutes=10)
    assert next_run(spec, NOW) == NOW + timedelta(minutes=10)  # never run: from now
    long_ago = NOW - timedelta(hours=3)  # the daemon was down: no burst of catch-up runs
    assert next_run(spec, NOW, due=long_ago) == NOW + timedelta(minutes=10)
    very_late = NOW - timedelta(minutes=8)  # the next run still waits half an interval
    assert next_run(spec, NOW, due=very_late) == NOW + timedelta(minutes=5)
    backoff = NOW + timedelta(hours=1)
    assert next_run(spec, NOW, not_before=backoff, due=late) == backoff


def test_cron_and_the_default() -> None:
    cron = SourceSpec(name="s", type="feed", cron="0 * * * *")
    assert next_run(cron, NOW + timedelta(minutes=1)) == NOW + timedelta(hours=1)
    bare = SourceSpec(name="s", type="feed")
    assert next_run(bare, NOW) == NOW + timedelta(hours=1)
