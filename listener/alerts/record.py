"""Evaluating complete weeks once and storing their alerts, each under a stable key.

The key hashes the finding's kind, cell and week (an alert starts an episode, so the week is
the episode's), so evaluating a week again, after a restart or in a second process, finds the
same keys and stores nothing twice. Weeks missed while the daemon was down are evaluated when it
comes back (up to MAX_CATCH_UP of them); a fresh install starts with the last complete week
rather than alerting on all history at once. Only complete weeks are evaluated, and a week with
no voices at all is not recorded as evaluated: its data may still come (a source catching up,
an import), and it is judged when it does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from listener.alerts.analysis import Analysis, analyse
from listener.alerts.quotes import pick
from listener.alerts.text import Labels, headline, summary
from listener.config import Config
from listener.drift.model import CellKey, Finding
from listener.drift.themes import name_of
from listener.personas import PersonaSet
from listener.store import series
from listener.store.db import Store
from listener.store.models import AlertRow, DriftRunRow, StatementRow
from listener.weeks import iso_week, shift, weeks_ending

MAX_CATCH_UP = 8
QUOTES_PER_ALERT = 3


def alert_key(f: Finding) -> str:
    """One key per episode: the direction, the cell and the week the episode began. Evaluating
    a week again (after a restart, in another process, or the next week while the change goes
    on) finds the same key, so an episode is alerted once."""
    cell = f.cell
    family = "segment" if f.kind == "segment_drift" else f.direction
    parts = (family, cell.persona, cell.attribute, cell.kind, cell.segment, f.episode or f.week)
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def last_complete_week(now: datetime, config: Config) -> str:
    return shift(iso_week(now, config.tz), -1)


def is_complete(week: str, now: datetime, config: Config) -> bool:
    """Whether ``week`` has ended (in the configured timezone): only then is it evaluated."""
    return week <= last_complete_week(now, config)


def due_weeks(store: Store, config: Config, now: datetime) -> list[str]:
    """Complete weeks to evaluate, oldest first, within the last MAX_CATCH_UP: those after the
    newest evaluated week, and an earlier one left unevaluated for want of data once statements
    of it have come (an import, a source catching up). Weeks before the window's first
    evaluated one are history from before the install, never alerted on."""
    last = last_complete_week(now, config)
    window = weeks_ending(last, MAX_CATCH_UP)
    with store.session() as session:  # (a run of a later week, recorded by an older release
        # before weeks had to be complete, must not hold back the weeks before it)
        newest = session.scalar(select(func.max(DriftRunRow.week)).where(DriftRunRow.week <= last))
        if newest is None:
            return [last]
        recorded = set(
            session.scalars(select(DriftRunRow.week).where(DriftRunRow.week.in_(window)))
        )
        # a gap lies between evaluated weeks of the window: weeks before the first of them are
        # history from before the install (or before a week someone asked for by hand)
        first = min(recorded, default=newest)
        gaps = [w for w in window if first < w < newest and w not in recorded]
        filled = [w for w in gaps if _has_statements(session, w)]
    return filled + [w for w in window if w > newest]


def _has_statements(session: Session, week: str) -> bool:
    return (
        session.scalar(select(StatementRow.id).where(StatementRow.week == week).limit(1))
        is not None
    )


class Evaluated:
    """A week's analysis with the names, quotes and sentences people see."""

    def __init__(self, session: Session, config: Config, analysis: Analysis) -> None:
        self.analysis = analysis
        self.personas = config.personas
        theme_rows = series.theme_quotes(
            session,
            [t for group in analysis.themes.values() for t in group.themes],
            analysis.weeks[-config.service.drift.trend_weeks :],
            QUOTES_PER_ALERT,
        )
        self.theme_quotes: dict[CellKey, list[dict[str, Any]]] = {}
        names: dict[str, str] = {}
        for cell, group in analysis.themes.items():
            rows = [r for theme in group.themes for r in theme_rows.get(theme, [])]
            picked = pick(rows, QUOTES_PER_ALERT)
            self.theme_quotes[cell] = picked
            names[group.leader] = name_of(group, [q["text"] for q in picked])
        self.labels = Labels(self.personas, names)
        self._session = session

    def quotes(self, finding: Finding, limit: int = QUOTES_PER_ALERT) -> list[dict[str, Any]]:
        if finding.cell.persona == "":
            return self.theme_quotes.get(finding.cell, [])[:limit]
        window = _weeks_between(self.analysis.weeks, finding.window)
        return cell_quotes(self._session, self.personas, [finding.cell], window, limit).get(
            finding.cell, []
        )


def _weeks_between(weeks: Sequence[str], window: tuple[str, str]) -> list[str]:
    return [w for w in weeks if window[0] <= w <= window[1]]


def cell_quotes(
    session: Session,
    personas: PersonaSet,
    cells: Iterable[CellKey],
    weeks: Sequence[str],
    limit: int,
) -> dict[CellKey, list[dict[str, Any]]]:
    """Quotes of persona cells (a roll-up quotes its attributes), in one query."""
    members: dict[CellKey, list[tuple[str, str]]] = {}
    for cell in cells:
        persona = personas.get(cell.persona)
        members[cell] = [
            (persona.id, attribute.id)
            for kind, attribute in persona.attributes()
            if cell.attribute in (None, attribute.id) and cell.kind in (None, kind)
        ]
    wanted = sorted({pair for pairs in members.values() for pair in pairs})
    rows = series.attribute_quotes(session, wanted, weeks, limit)
    return {
        cell: pick([r for pair in pairs for r in rows.get(pair, [])], limit)
        for cell, pairs in members.items()
    }


def evaluate_week(store: Store, config: Config, week: str, now: datetime) -> list[AlertRow]:
    """Analyse ``week`` (a complete one), store its new alerts, mark it evaluated unless it had
    no data at all; return the week's alerts."""
    if not is_complete(week, now, config):
        raise ValueError(f"{week} is not complete yet: it cannot be evaluated")
    with store.exclusive("evaluate"):  # two processes at once: one evaluates, then the other
        return _evaluate_week(store, config, week, now)


def _evaluate_week(store: Store, config: Config, week: str, now: datetime) -> list[AlertRow]:
    with store.session() as session:
        analysis = analyse(session, config.personas, config.service.drift, week)
        if analysis.persona.no_data:  # nothing to judge yet, and nothing recorded as judged
            return stored_alerts(session, week)
        evaluated = Evaluated(session, config, analysis)
        known = set(
            session.scalars(
                select(AlertRow.key).where(
                    AlertRow.key.in_([alert_key(f) for f in analysis.claims])
                )
            )
        )
        rows = [_row(f, evaluated, now) for f in analysis.claims if alert_key(f) not in known]
    for row in rows:
        try:
            with store.session() as session:
                session.add(row)
        except IntegrityError:
            pass  # evaluated before (a restart, another process): the stored alert stands
    with store.session() as session:
        run = session.get(DriftRunRow, week)
        if run is None:
            session.add(DriftRunRow(week=week, evaluated_at=now, alerts=len(rows)))
        else:
            run.evaluated_at, run.alerts = now, len(rows)
        return stored_alerts(session, week)


def stored_alerts(session: Session, week: str) -> list[AlertRow]:
    """The alerts stored for ``week``, in the order they were found."""
    return list(
        session.scalars(select(AlertRow).where(AlertRow.week == week).order_by(AlertRow.id))
    )


def was_evaluated(store: Store, week: str) -> bool:
    with store.session() as session:
        return session.get(DriftRunRow, week) is not None


def _row(f: Finding, evaluated: Evaluated, now: datetime) -> AlertRow:
    cell = f.cell
    theme = evaluated.labels.cell(cell) if cell.persona == "" else None
    return AlertRow(
        key=alert_key(f),
        kind=f.kind,
        persona_id=cell.persona or None,
        attribute_id=cell.attribute if cell.persona else None,
        attribute_kind=cell.kind,
        theme=theme,
        segment=cell.segment,
        week=f.week,
        window_start=f.window[0],
        count=f.count,
        mentions=f.mentions,
        expected=f.expected,
        p_value=f.p_value,
        q_value=f.q_value,
        summary=summary(f, evaluated.labels),
        quotes=evaluated.quotes(f),
        detail={
            **f.detail,
            "baseline_count": f.baseline,
            "window": list(f.window),
            "episode": f.episode or f.week,
            "headline": headline(f, evaluated.labels),
            "negative": evaluated.labels.negative(cell),
        },
        created_at=now,
    )
