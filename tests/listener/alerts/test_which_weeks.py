"""Which weeks get evaluated: complete ones only, and a week without data not for good.

Found by a newcomer's trial: `listener alerts --week` of the current or a future week recorded
it as evaluated (and the daemon then took every week before it as done), and a week asked for
before its data was imported stayed "nothing moved" after the import.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from listener.alerts.record import due_weeks, is_complete, last_complete_week
from listener.cli import main
from listener.config import load_config
from listener.store.db import Store
from listener.store.models import DriftRunRow
from listener.weeks import shift
from tests.listener.helpers import copy_example


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--log-level", "warning", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _runs(config_path: Path) -> list[str]:
    store = Store(load_config(config_path).database_url)
    try:
        with store.session() as session:
            return list(session.scalars(select(DriftRunRow.week).order_by(DriftRunRow.week)))
    finally:
        store.dispose()


def test_a_week_not_over_yet_is_refused_and_not_recorded(tmp_path: Path) -> None:
    config_path = copy_example(tmp_path)
    config = load_config(config_path)
    last = last_complete_week(datetime.now(UTC), config)
    for week in (shift(last, 1), "2099-W10"):  # the current week, and one far ahead
        code, _, err = _cli("alerts", "-c", str(config_path), "--week", week)
        assert code == 2, err
        assert f"{week} is not over yet" in err and last in err
    code, _, err = _cli("digest", "-c", str(config_path), "--week", "2099-W10", "--preview",
                        str(tmp_path / "preview"))  # fmt: skip
    assert code == 0, err  # a preview of a week not over shows it as it stands, says so...
    assert "note: 2099-W10 is not over yet" in err
    assert _runs(config_path) == []  # ...and none of it counts as an evaluated week


def test_a_digest_of_a_week_not_over_yet_is_not_sent(tmp_path: Path) -> None:
    """Sent early, it would be claimed: the real digest of that week would never go out."""
    config_path = copy_example(tmp_path)
    current = shift(last_complete_week(datetime.now(UTC), load_config(config_path)), 1)
    for extra in (["--send"], ["--force"], []):
        code, _, err = _cli("digest", "-c", str(config_path), "--week", current, *extra)
        assert code == 2, err
        assert f"{current} is not over yet" in err and "--preview" in err
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").iterdir())


def test_a_week_written_without_its_leading_zero_is_that_week(tmp_path: Path) -> None:
    """Weeks are compared as text: "2026-W7" sorted after "2026-W48" and was not over yet."""
    config_path = copy_example(tmp_path)
    code, out, err = _cli("alerts", "-c", str(config_path), "--week", "2026-W7")
    assert code == 0, err
    assert "2026-W07" in out and "2026-W7:" not in out


def test_a_week_is_complete_when_it_has_ended_in_the_configured_zone(tmp_path: Path) -> None:
    config = load_config(copy_example(tmp_path))  # Europe/Berlin
    sunday_late_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert is_complete("2026-W48", sunday_late_utc, config)
    assert not is_complete("2026-W48", datetime(2026, 11, 29, 22, 30, tzinfo=UTC), config)
    assert not is_complete("2026-W49", sunday_late_utc, config)


def test_a_week_asked_for_before_its_data_came_is_judged_when_it_comes(tmp_path: Path) -> None:
    config_path = copy_example(tmp_path)
    code, out, err = _cli("alerts", "-c", str(config_path), "--week", "2026-W47")
    assert code == 0, err
    assert "2026-W47: no data" in out  # not "nothing moved": nothing was there to move
    assert _runs(config_path) == []

    code, out, err = _cli("run", "--once", "-c", str(config_path), "--as-of", "2026-11-23T12:00")
    assert code == 0, err
    assert "alerts: 1 for 2026-W47" in out
    code, out, err = _cli("alerts", "-c", str(config_path), "--week", "2026-W47")
    assert code == 0, err
    assert "2026-W47: 1 alert" in out and "[rising]" in out
    assert "(no alert channel configured)" in out  # the example names no alert sinks
    assert _runs(config_path) == ["2026-W47"]


def test_a_later_week_recorded_by_an_older_release_holds_no_week_back(tmp_path: Path) -> None:
    config = load_config(copy_example(tmp_path))
    store = Store(config.database_url)
    try:
        store.upgrade()
        now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        with store.session() as session:
            session.add(DriftRunRow(week="2026-W45", evaluated_at=now, alerts=0))
            session.add(DriftRunRow(week="2099-W10", evaluated_at=now, alerts=0))
        assert due_weeks(store, config, now) == ["2026-W46", "2026-W47"]
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(DriftRunRow)) == 2
    finally:
        store.dispose()


def test_an_empty_week_before_an_evaluated_one_is_judged_when_its_data_comes(
    tmp_path: Path,
) -> None:
    """W46 had no data when W45 and W47 were evaluated; an import then brings W46's answers."""
    config_path = copy_example(tmp_path)
    config = load_config(config_path)
    store = Store(config.database_url)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    try:
        store.upgrade()
        with store.session() as session:
            for week in ("2026-W40", "2026-W45", "2026-W47"):
                session.add(DriftRunRow(week=week, evaluated_at=now, alerts=0))
        assert due_weeks(store, config, now) == []  # W46 is empty: nothing to judge
    finally:
        store.dispose()
    code, _, err = _cli("run", "--once", "-c", str(config_path), "--as-of", "2026-11-23T12:00")
    assert code == 0, err
    # the example's data reach back to W42: the empty weeks between evaluated ones are judged
    # now (W41 and earlier have no statements; W39 and before are from before the install)
    assert _runs(config_path) == [
        "2026-W40",
        "2026-W42",
        "2026-W43",
        "2026-W44",
        "2026-W45",
        "2026-W46",
        "2026-W47",
    ]


def test_history_before_the_install_stays_unjudged_after_an_old_week_is_asked_for(
    tmp_path: Path,
) -> None:
    """A week asked for by hand long ago (`alerts --week 2026-W30`) must not make the imported
    history between it and the install look like weeks the daemon missed."""
    config_path = copy_example(tmp_path)
    code, _, err = _cli("run", "--once", "-c", str(config_path), "--as-of", "2026-11-23T12:00")
    assert code == 0, err
    assert _runs(config_path) == ["2026-W47"]  # a fresh install starts with the last week
    config = load_config(config_path)
    store = Store(config.database_url)
    try:
        now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        with store.session() as session:
            session.add(DriftRunRow(week="2026-W30", evaluated_at=now, alerts=0))
        assert due_weeks(store, config, now) == []  # W42-W46 hold statements, but are history
    finally:
        store.dispose()
