"""What the weekly digest says: counts per persona attribute, trend against the baseline, quotes.

A pure assembly of stored figures; rendering and delivery live beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from listener.personas import PersonaSet
from listener.store import reports
from listener.weeks import shift, weeks_ending


@dataclass(frozen=True)
class AttributeLine:
    persona_id: str
    attribute_id: str
    label: str
    kind: str
    count: int
    """Evidence in the reported week."""
    baseline: float
    """Mean per week over the weeks before it."""
    series: list[int]
    quotes: list[reports.Quote]

    @property
    def ratio(self) -> float | None:
        return self.count / self.baseline if self.baseline else None

    @property
    def trend(self) -> str:
        if self.baseline == 0:
            return "new" if self.count else "quiet"
        ratio = self.count / self.baseline
        if ratio >= 1.5:
            return "rising"
        if ratio <= 0.5:
            return "fading"
        return "steady"


@dataclass(frozen=True)
class PersonaSection:
    persona_id: str
    name: str
    negative: bool
    lines: list[AttributeLine]

    @property
    def total(self) -> int:
        return sum(line.count for line in self.lines)


@dataclass(frozen=True)
class Digest:
    week: str
    """The week the digest is sent in."""
    reported_week: str
    """The complete week it reports on (the one before)."""
    weeks: list[str]
    sections: list[PersonaSection]
    new_themes: list[tuple[str, str, int]]
    totals: reports.Totals
    evidence_in_week: int = field(default=0)


def build_digest(
    session: Session, personas: PersonaSet, week: str, history_weeks: int, quotes_per_line: int
) -> Digest:
    reported = shift(week, -1)
    weeks = weeks_ending(reported, history_weeks)
    counts = reports.weekly_counts(session, weeks)
    sections: list[PersonaSection] = []
    evidence_in_week = 0
    for persona in personas.personas:
        lines = []
        for kind, attribute in persona.attributes():
            per_week = counts.get((persona.id, attribute.id, kind), {})
            series = [per_week.get(w, 0) for w in weeks]
            before = series[:-1]
            lines.append(
                AttributeLine(
                    persona_id=persona.id,
                    attribute_id=attribute.id,
                    label=attribute.label,
                    kind=kind,
                    count=series[-1],
                    baseline=sum(before) / len(before) if before else 0.0,
                    series=series,
                    quotes=reports.quotes(session, persona.id, attribute.id, weeks, quotes_per_line)
                    if sum(series)
                    else [],
                )
            )
            evidence_in_week += series[-1]
        lines.sort(key=lambda line: (-line.count, -sum(line.series), line.label))
        sections.append(PersonaSection(persona.id, persona.name, persona.negative, lines))
    return Digest(
        week=week,
        reported_week=reported,
        weeks=weeks,
        sections=sections,
        new_themes=reports.unmatched_themes(session, [reported], limit=10),
        totals=reports.totals(session),
        evidence_in_week=evidence_in_week,
    )
