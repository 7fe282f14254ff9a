"""What the weekly digest says, assembled from the week's analysis and the stored alerts.

Order, as a marketing lead reads it: what changed since the last digest (plain sentences with
their numbers); each persona's evidence trend with its movers first (sentence, small chart,
quotes) and the steady attributes folded into one line; emerging themes; negative personas (as
warnings, not demand); the sources' health. A week without data says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from listener.alerts.analysis import analyse
from listener.alerts.record import Evaluated
from listener.alerts.text import Labels, summary
from listener.config import Config
from listener.drift.config import DOWN
from listener.drift.model import CellKey, CellWeek, Finding
from listener.store import reports
from listener.store import sources as source_state
from listener.store.models import AlertRow, SourceRow
from listener.weeks import shift

MAX_CHANGES = 12


@dataclass(frozen=True)
class Mover:
    label: str
    kind: str
    """pain | aspiration"""
    finding: str
    """rising, fading, trend_up, ..."""
    sentence: str
    series: tuple[int, ...]
    quotes: list[dict[str, Any]]
    incomplete: str | None = None

    @property
    def up(self) -> bool:
        return self.finding not in DOWN


@dataclass(frozen=True)
class Steady:
    label: str
    kind: str
    per_week: float
    note: str | None
    """Why a fall is not claimed, or that its figures are incomplete."""
    detectable: float | None = None
    """The smallest rise its volume could show (thin data said plainly)."""
    expected: float = 0.0


@dataclass(frozen=True)
class PersonaView:
    id: str
    name: str
    negative: bool
    series: tuple[int, ...]
    this_week: int
    movers: list[Mover]
    steady: list[Steady]
    notes: list[str] = field(default_factory=list)
    """Persona-level findings: stale, or all pains together moving."""

    @property
    def thin(self) -> str | None:
        """One plain sentence on how large a change the steady lines could have shown."""
        known = sorted((s.detectable, s.expected) for s in self.steady if s.detectable is not None)
        if not known or known[0][0] < 2:
            return None
        (low, at_low), (high, at_high) = known[0], known[-1]
        if len(known) == 1 or high - low < 0.5:
            return f"at these volumes a line needs ≥ {low:.1f}× its usual level to show"
        return (
            f"at these volumes a line needs ≥ {low:.1f}× its usual level to show "
            f"(at {at_low:.1f} a week), up to {high:.1f}× (at {at_high:.1f} a week)"
        )


@dataclass(frozen=True)
class ThemeView:
    name: str
    kind: str
    sentence: str
    quotes: list[dict[str, Any]]


@dataclass(frozen=True)
class SourceView:
    name: str
    health: str
    note: str | None


@dataclass(frozen=True)
class Digest:
    week: str
    """The week reported on."""
    since: str
    """The first week whose alerts are listed under "what changed" (after the last digest)."""
    weeks: list[str]
    """The weeks the charts show, oldest first."""
    subject: str
    changes: list[str]
    personas: list[PersonaView]
    negatives: list[PersonaView]
    themes: list[ThemeView]
    sources: list[SourceView]
    voices: int
    totals: reports.Totals

    @property
    def no_data(self) -> bool:
        return self.voices == 0


def build_digest(session: Session, config: Config, week: str, since: str | None = None) -> Digest:
    drift = config.service.drift
    analysis = analyse(session, config.personas, drift, week)
    evaluated = Evaluated(session, config, analysis)
    labels = evaluated.labels
    result = analysis.persona
    chart_weeks = analysis.weeks[-config.service.digest.weeks :]
    since = since or week
    by_cell: dict[CellKey, list[Finding]] = {}
    for f in result.findings:
        by_cell.setdefault(f.cell, []).append(f)
    # A week without any data says so once, at the top; every line repeating that its figures
    # are incomplete would bury it.
    cells = result.cells
    if result.no_data:
        cells = {cell: replace(w, degraded_sources=()) for cell, w in cells.items()}
    views = [
        _persona_view(persona.id, config, cells, by_cell, evaluated, labels)
        for persona in config.personas.personas
    ]
    themes = [
        ThemeView(
            labels.cell(f.cell),
            f.cell.kind or "pain",
            summary(f, labels),
            evaluated.quotes(f, config.service.digest.quotes),
        )
        for f in analysis.emerging
    ]
    rows = _alert_rows(session, since, week)
    changes = [row.summary if row.week == week else f"{row.week}: {row.summary}" for row in rows]
    heads = [str(row.detail.get("headline", "")) for row in rows if row.week == week][:2]
    headline = "; ".join(heads) or (
        "no data this week" if result.no_data else "no significant change"
    )
    subject = config.service.digest.subject.format(week=week, headline=headline)
    return Digest(
        week=week,
        since=since,
        weeks=chart_weeks,
        subject=subject,
        changes=changes[:MAX_CHANGES],
        personas=[v for v in views if not v.negative],
        negatives=[v for v in views if v.negative],
        themes=themes,
        sources=_sources(session, config, result.degraded),
        voices=result.volume,
        totals=reports.totals(session),
    )


def _alert_rows(session: Session, since: str, week: str) -> list[AlertRow]:
    """Alerts since the last digest, the reported week's first; negative personas' after."""
    rows = session.scalars(
        select(AlertRow)
        .where(AlertRow.week >= since, AlertRow.week <= week)
        .order_by(AlertRow.week.desc(), AlertRow.id)
    )
    return sorted(rows, key=lambda r: (r.week != week, bool(r.detail.get("negative"))))


def _persona_view(
    persona_id: str,
    config: Config,
    cells: dict[CellKey, CellWeek],
    by_cell: dict[CellKey, list[Finding]],
    evaluated: Evaluated,
    labels: Labels,
) -> PersonaView:
    persona = config.personas.get(persona_id)
    shown, quotes = config.service.digest.weeks, config.service.digest.quotes
    whole = cells.get(CellKey(persona.id, None, None))
    movers: list[Mover] = []
    steady: list[Steady] = []
    for kind, attribute in persona.attributes():
        cell = CellKey(persona.id, attribute.id, kind)
        figures = cells.get(cell)
        found = [f for f in by_cell.get(cell, []) if not f.withheld]
        if found:
            f = found[0]
            movers.append(
                Mover(
                    label=attribute.label,
                    kind=kind,
                    finding=f.kind,
                    sentence=summary(f, labels, warn=False),  # its section says it
                    series=figures.series[-shown:] if figures else (),
                    quotes=evaluated.quotes(f, quotes),
                    incomplete=_incomplete(figures),
                )
            )
            continue
        baseline = config.service.drift.baseline_weeks
        steady.append(_steady(attribute.label, kind, figures, by_cell.get(cell, []), baseline))
    notes = [
        summary(f, labels, warn=False).removeprefix(f"{persona.name}: ")
        for cell_key, found in by_cell.items()
        if cell_key.persona == persona.id and cell_key.attribute is None
        for f in found
        if not f.withheld
    ]
    return PersonaView(
        id=persona.id,
        name=persona.name,
        negative=persona.negative,
        series=whole.series[-shown:] if whole else (),
        this_week=whole.authors if whole else 0,
        movers=sorted(movers, key=lambda m: (not m.up, m.label)),
        steady=steady,
        notes=notes,
    )


def _steady(
    label: str, kind: str, figures: CellWeek | None, withheld: list[Finding], weeks: int
) -> Steady:
    if figures is None:
        return Steady(label, kind, 0.0, None)
    series = figures.series[-(weeks + 1) : -1] or figures.series  # the baseline weeks
    per_week = sum(series) / len(series) if series else 0.0
    notes = [f"a fall is not claimed: {withheld[0].withheld}"] if withheld else []
    incomplete = _incomplete(figures)
    if incomplete:
        notes.append(incomplete)
    return Steady(
        label,
        kind,
        per_week,
        "; ".join(notes) or None,
        figures.detectable_ratio,
        figures.expected,
    )


def _incomplete(figures: CellWeek | None) -> str | None:
    if figures is None or not figures.degraded_sources:
        return None
    return f"figures incomplete: {', '.join(figures.degraded_sources)} degraded this week"


def _sources(session: Session, config: Config, degraded: dict[str, str]) -> list[SourceView]:
    rows = {row.name: row for row in session.scalars(select(SourceRow))}
    views = []
    for source in config.sources:
        row = rows.get(source.name)
        health = source_state.health(row) if row is not None else "never-run"
        note = degraded.get(source.name) or (row.last_error if row is not None else None)
        if not source.spec.enabled:
            health, note = "disabled", "disabled in the config"
        views.append(SourceView(source.name, health, note))
    return views


def previous_week(week: str) -> str:
    return shift(week, -1)
