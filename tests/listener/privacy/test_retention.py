"""Retention blanks old raw text and keeps everything drift, the digest and alerts count on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from listener.cli import main
from listener.config import load_config
from listener.daemon import Daemon
from listener.service import Service
from listener.store import series
from listener.store.items import pending
from listener.store.models import ItemRow, QuarantineRow, StatementRow
from listener.weeks import weeks_ending
from tests.listener.privacy.data import write_config

NOW = datetime(2027, 1, 15, 12, tzinfo=UTC)  # 40 days later: the quarantine of today too
WEEKS = weeks_ending("2026-W48", 10)


def learnt(service: Service) -> tuple[object, ...]:
    """What drift and the digest read: voices, per-attribute counts, quotes."""
    with service.store.session() as session:
        cells = sorted({(r.key[0], r.key[1]) for r in series.attribute_counts(session, WEEKS)})
        quotes = series.attribute_quotes(session, cells, WEEKS, 5)
        return (
            series.voices(session, WEEKS),
            sorted(
                (r.key, r.week, r.authors, r.mentions)
                for r in series.attribute_counts(session, WEEKS)
            ),
            {cell: sorted(q.text for q in rows) for cell, rows in quotes.items()},
            session.scalar(select(func.count()).select_from(StatementRow)),
        )


def test_old_text_goes_and_what_was_learnt_stays(store_url: str, tmp_path: Path) -> None:
    service = Service(
        load_config(write_config(tmp_path, store_url, "retention: {raw_text_days: 40}\n"))
    )
    try:
        service.upgrade()
        for source in service.config.sources:
            service.fetch(source.name)
        with service.store.session() as session:  # one item arrives late, not yet read
            late = session.scalars(select(ItemRow).order_by(ItemRow.id.desc())).first()
            assert late is not None
            late_id = late.id
        service.process()
        with service.store.session() as session:
            session.get_one(ItemRow, late_id).processed_key = None
        before = learnt(service)
        assert before[3]  # statements were found

        blanked = service.retention(now=NOW)
        assert blanked is not None and blanked.items == 4 and blanked.quarantine == 1
        assert learnt(service) == before
        with service.store.session() as session:
            items = session.scalars(select(ItemRow).order_by(ItemRow.id)).all()
            assert [(i.text, i.title) for i in items if i.id != late_id] == [("", None)] * 4
            assert session.get_one(ItemRow, late_id).text  # unread: kept until processed
            assert all(i.content_hash and i.author_hash for i in items if i.kind == "post")
            assert session.scalars(select(QuarantineRow.excerpt)).all() == [""]
            # a personas or extractor change re-reads only the items that still have text
            assert session.scalar(select(func.count()).where(pending("other:key"))) == 1
        assert service.retention(now=NOW).items == 0  # type: ignore[union-attr]
        # re-fetching the same posts stores nothing again and brings no text back
        for source in service.config.sources:
            assert service.fetch(source.name).counts.added == 0
        assert learnt(service) == before
    finally:
        service.close()


def test_cli_and_daemon_job(tmp_path: Path) -> None:
    config_path = write_config(
        tmp_path, f"sqlite:///{tmp_path / 'l.db'}", "retention: {raw_text_days: 40}\n"
    )
    result = CliRunner().invoke(main, ["retention", "--dry-run", "-c", str(config_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("would blank the text of 0 items and 0 quarantined rows")
    service = Service(load_config(config_path))
    try:
        daemon = Daemon(service)
        daemon.schedule()
        job = daemon.scheduler.get_job("retention")
        assert job is not None and job.trigger.interval.total_seconds() == 86400
    finally:
        service.close()


def test_no_period_is_a_usage_error(tmp_path: Path) -> None:
    config_path = write_config(tmp_path, f"sqlite:///{tmp_path / 'l.db'}")
    result = CliRunner().invoke(main, ["retention", "-c", str(config_path)])
    assert result.exit_code == 2
    assert "retention.raw_text_days" in result.output
