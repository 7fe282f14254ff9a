"""Weekly counts for drift detection, aggregated in SQL from the indexed evidence and statements.

Every query reads a window of ISO weeks and returns plain rows; listener.alerts turns them into
a drift workspace. Counts are distinct authors (``author_key``) as well as rows, so one loud
poster or one answer matching twice stays one voice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, column, func, literal, select, true, tuple_, values
from sqlalchemy.orm import Session

from listener.store.models import EvidenceRow, ItemRow, SourceRow, SourceWeekRow, StatementRow


@dataclass(frozen=True, slots=True)
class CountRow:
    key: tuple[Any, ...]
    source_id: int
    week: str
    authors: int
    mentions: int


def sources(session: Session) -> dict[int, str]:
    return {row[0]: row[1] for row in session.execute(select(SourceRow.id, SourceRow.name))}


def voices(session: Session, weeks: Sequence[str]) -> dict[tuple[int, str], int]:
    """Distinct authors with any statement, per (source, week): the volume counts are shares of."""
    rows = session.execute(
        select(
            StatementRow.source_id,
            StatementRow.week,
            func.count(StatementRow.author_key.distinct()),
        )
        .where(StatementRow.week.in_(weeks))
        .group_by(StatementRow.source_id, StatementRow.week)
    )
    return {(source_id, week): n for source_id, week, n in rows}


def _counts(session: Session, query: Any, width: int) -> list[CountRow]:
    return [
        CountRow(tuple(row[:width]), row[width], row[width + 1], row[width + 2], row[width + 3])
        for row in session.execute(query)
    ]


def attribute_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (persona, attribute, kind) × source × week."""
    e = EvidenceRow
    query = (
        select(
            e.persona_id,
            e.attribute_id,
            e.kind,
            e.source_id,
            e.week,
            func.count(e.author_key.distinct()),
            func.count(),
        )
        .where(e.week.in_(weeks))
        .group_by(e.persona_id, e.attribute_id, e.kind, e.source_id, e.week)
    )
    return _counts(session, query, 3)


def attribute_segment_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (persona, attribute, kind, segment JSON) × source × week, for per-segment series."""
    e = EvidenceRow
    query = (
        select(
            e.persona_id,
            e.attribute_id,
            e.kind,
            e.segment_key,
            e.source_id,
            e.week,
            func.count(e.author_key.distinct()),
            func.count(),
        )
        .where(e.week.in_(weeks))
        .group_by(e.persona_id, e.attribute_id, e.kind, e.segment_key, e.source_id, e.week)
    )
    return _counts(session, query, 4)


def persona_counts(session: Session, weeks: Sequence[str], by_kind: bool) -> list[CountRow]:
    """Per persona (and kind, when ``by_kind``) × source × week: distinct authors over all of
    its attributes, for roll-ups and stale personas."""
    e = EvidenceRow
    kind = e.kind if by_kind else literal(None).label("kind")
    group = (e.persona_id, e.kind) if by_kind else (e.persona_id,)
    query = (
        select(
            e.persona_id,
            kind,
            e.source_id,
            e.week,
            func.count(e.author_key.distinct()),
            func.count(),
        )
        .where(e.week.in_(weeks))
        .group_by(*group, e.source_id, e.week)
    )
    return _counts(session, query, 2)


def segment_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (persona, attribute, segment JSON) × week (source 0: not split by source)."""
    e = EvidenceRow
    query = (
        select(
            e.persona_id,
            e.attribute_id,
            e.segment_key,
            literal(0),
            e.week,
            func.count(e.author_key.distinct()),
            func.count(),
        )
        .where(e.week.in_(weeks))
        .group_by(e.persona_id, e.attribute_id, e.segment_key, e.week)
    )
    return _counts(session, query, 3)


def theme_counts(session: Session, weeks: Sequence[str]) -> list[CountRow]:
    """Per (kind, theme) × source × week, for statements no persona attribute matched."""
    s = StatementRow
    query = (
        select(
            s.kind,
            s.theme,
            s.source_id,
            s.week,
            func.count(s.author_key.distinct()),
            func.count(),
        )
        .where(s.week.in_(weeks), s.matched.is_(False), s.theme != "")
        .group_by(s.kind, s.theme, s.source_id, s.week)
    )
    return _counts(session, query, 2)


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
