"""ISO weeks in the configured time zone: the unit every count, trend and digest speaks in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


def iso_week(moment: datetime, tz: ZoneInfo) -> str:
    """ "2026-W47" for the week that holds ``moment`` in zone ``tz``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    """The Monday of an ISO week string."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def shift(week: str, weeks: int) -> str:
    monday = week_start(week) + timedelta(weeks=weeks)
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


def weeks_ending(week: str, count: int) -> list[str]:
    """``count`` consecutive weeks, oldest first, the last being ``week``."""
    return [shift(week, -offset) for offset in range(count - 1, -1, -1)]
