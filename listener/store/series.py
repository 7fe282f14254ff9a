"""What drift reads: weekly counts, source health and quotes, over a window of ISO weeks.

The counts are the grains of listener.store.grains, kept per complete week by
listener.store.rollup; every function returns plain rows, and listener.alerts turns them into a
drift workspace.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, column, func, select, true, tuple_, values
from sqlalchemy.orm import Session

from listener.store import grains, rollup
from listener.store.models import EvidenceRow, ItemRow, SourceRow, SourceWeekRow, StatementRow
from listener.store.rollup import CountRow


def sources(session: Session) -> dict[int, str]:
    return {row[0]: row[1] for row in session.execute(select(SourceRow.id, SourceRow.name))}


def voices(session: Session, weeks: Sequence[str]) -> dict[tuple[int, str], int]:
    """Distinct authors with any statement, per (source, week): the volume counts are shares of."""
    return {(r.source_id, r.week): r.authors for r in rollup.counts(session, grains.VOICES, weeks)}


def attribute_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (persona, attribute, kind) × source × week."""
    return rollup.counts(session, grains.ATTRIBUTE, weeks)


def attribute_segment_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (persona, attribute, kind, segment JSON) × source × week, for per-segment series."""
    return rollup.counts(session, grains.ATTRIBUTE_SEGMENT, weeks)


def persona_counts(session: Session, weeks: Sequence[str], by_kind: bool) -> list[CountRow]:
    """Per persona (and kind, when ``by_kind``: key (persona, kind), else (persona,)) × source ×
    week: distinct authors over all of its attributes, for roll-ups and stale personas."""
    return rollup.counts(session, grains.PERSONA_KIND if by_kind else grains.PERSONA, weeks)


def segment_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (persona, attribute, segment JSON) × week (source 0: not split by source)."""
    return rollup.counts(session, grains.SEGMENT, weeks)


def theme_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (kind, theme) × source × week, for statements no persona attribute matched."""
    return rollup.counts(session, grains.THEME, weeks)


@dataclass(frozen=True, slots=True)
class HealthWeek:
    attempts: int
    successes: int
    failures: int
    skipped: int

    @property
    def unhealthy(self) -> bool:
        """Most runs that week failed or were held back (backing off, paused)."""
        return self.failures + self.skipped > self.successes


def health_weeks(session: Session, weeks: Sequence[str]) -> dict[tuple[int, str], HealthWeek]:
    w = SourceWeekRow
    rows = session.execute(
        select(w.source_id, w.week, w.attempts, w.successes, w.failures, w.skipped).where(
            w.week.in_(weeks)
        )
    )
    return {(r[0], r[1]): HealthWeek(r[2], r[3], r[4], r[5]) for r in rows}


@dataclass(frozen=True)
class QuoteRow:
    persona_id: str
    attribute_id: str
    text: str
    url: str | None
    source: str
    source_type: str
    external_id: str
    title: str | None
    created_at: datetime | None
    score: float
    item_id: int
    week: str
    survey: dict[str, str] | None = None
    """A survey answer's {survey, question, question_id, response_id}."""


def attribute_quotes(
    session: Session, cells: Sequence[tuple[str, str]], weeks: Sequence[str], limit: int
) -> dict[tuple[str, str], list[QuoteRow]]:
    """The strongest quotes of several attributes over ``weeks`` (score, then newest first),
    ``limit * 4`` candidates each, in one query.

    The query takes each (attribute, week)'s strongest rows straight from the quotes index
    (``ix_evidence_quotes``), so the work grows with the quotes asked for, not with the evidence
    held; the per-attribute candidates are the strongest of those, merged here.
    """
    if not cells or limit <= 0 or not weeks:
        return {}
    keep = limit * 4
    ranked = _strongest_per_week(session, sorted(set(cells)), sorted(set(weeks)), keep)
    query = (
        select(
            ranked.c.persona_id,
            ranked.c.attribute_id,
            StatementRow.text,
            ItemRow.url,
            SourceRow.name,
            SourceRow.type,
            ItemRow.external_id,
            ItemRow.title,
            ItemRow.created_at,
            ranked.c.score,
            ranked.c.item_id,
            ranked.c.week,
            ItemRow.survey,
            ranked.c.id,
        )
        .join(StatementRow, StatementRow.id == ranked.c.statement_id)
        .join(ItemRow, ItemRow.id == ranked.c.item_id)
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
    )
    found: dict[tuple[str, str], list[tuple[float, int, QuoteRow]]] = {}
    for row in session.execute(query):
        found.setdefault((row[0], row[1]), []).append((row[9], row[13], QuoteRow(*row[:13])))
    return {
        cell: [quote for _, _, quote in sorted(rows, key=lambda r: (-r[0], -r[1]))[:keep]]
        for cell, rows in found.items()
    }


def _strongest_per_week(
    session: Session, cells: list[tuple[str, str]], weeks: list[str], keep: int
) -> Any:
    """Up to ``keep`` evidence rows per (persona, attribute, week), strongest and newest first.

    PostgreSQL: a LATERAL probe of the quotes index per (cell, week), each stopping after
    ``keep`` rows. SQLite has no LATERAL: a window function over the same index's order (a
    local file, where reading the window's index entries is cheap)."""
    e = EvidenceRow
    columns = (e.id, e.persona_id, e.attribute_id, e.statement_id, e.item_id, e.score, e.week)
    strongest = (e.score.desc(), e.id.desc())
    if session.get_bind().dialect.name == "postgresql":
        wanted = (
            values(
                column("persona_id", String),
                column("attribute_id", String),
                column("week", String),
                name="wanted",
            )
            .data([(p, a, w) for p, a in cells for w in weeks])
            .alias("wanted")
        )
        probe = (
            select(*columns)
            .where(
                e.persona_id == wanted.c.persona_id,
                e.attribute_id == wanted.c.attribute_id,
                e.week == wanted.c.week,
            )
            .order_by(*strongest)
            .limit(keep)
            .lateral("strongest")
        )
        return select(probe).select_from(wanted).join(probe, true()).subquery("ranked")
    rank = func.row_number().over(
        partition_by=(e.persona_id, e.attribute_id, e.week), order_by=strongest
    )
    personas = sorted({p for p, _ in cells})
    attributes = sorted({a for _, a in cells})
    windowed = (
        select(*columns, rank.label("rank"))
        .where(e.persona_id.in_(personas), e.attribute_id.in_(attributes), e.week.in_(weeks))
        .subquery("windowed")
    )
    wanted_pairs = tuple_(windowed.c.persona_id, windowed.c.attribute_id).in_(cells)
    return (
        select(*(windowed.c[c.key] for c in columns))
        .where(windowed.c.rank <= keep, wanted_pairs)
        .subquery("ranked")
    )


def theme_quotes(
    session: Session, themes: Sequence[str], weeks: Sequence[str], limit: int
) -> dict[str, list[QuoteRow]]:
    """Quotes of unmatched statements with the given themes, newest first, per theme."""
    if not themes or limit <= 0:
        return {}
    s = StatementRow
    ranked = (
        select(
            s.id,
            s.theme,
            s.item_id,
            s.week,
            func.row_number().over(partition_by=s.theme, order_by=s.id.desc()).label("rank"),
        )
        .where(s.week.in_(weeks), s.matched.is_(False), s.theme.in_(themes))
        .subquery()
    )
    query = (
        select(
            ranked.c.theme,
            StatementRow.text,
            ItemRow.url,
            SourceRow.name,
            SourceRow.type,
            ItemRow.external_id,
            ItemRow.title,
            ItemRow.created_at,
            ranked.c.item_id,
            ranked.c.week,
            ItemRow.survey,
        )
        .join(StatementRow, StatementRow.id == ranked.c.id)
        .join(ItemRow, ItemRow.id == ranked.c.item_id)
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
        .where(ranked.c.rank <= limit * 4)
    )
    out: dict[str, list[QuoteRow]] = {}
    for (
        theme,
        text,
        url,
        name,
        type_,
        ext,
        title,
        created,
        item_id,
        week,
        survey,
    ) in session.execute(query):
        out.setdefault(theme, []).append(
            QuoteRow(
                "", theme, text, url, name, type_, ext, title, created, 1.0, item_id, week, survey
            )
        )
    return out
