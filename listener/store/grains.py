"""The weekly counts drift, `report` and `status` read: one definition of each, as a query.

A grain is a grouped count over one ISO-week window: its key columns, a source, a week,
distinct authors (``author_key``, so one loud poster or one answer matching twice stays one
voice) and rows. listener.store.rollup keeps each grain's rows for complete weeks and runs the
query live for the others, so both always give the same answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select

from listener.store.models import EvidenceRow, StatementRow


@dataclass(frozen=True)
class Grain:
    name: str
    model: type[EvidenceRow] | type[StatementRow]
    keys: tuple[str, ...]
    """Columns of the key, named as in both the counted table and ``week_counts``."""
    by_source: bool = True
    """False: one count over all sources (stored and returned with source 0)."""
    where: tuple[ColumnElement[bool], ...] = ()

    def query(self, weeks: Sequence[str]) -> Select[Any]:
        """The live count: key columns, source_id, week, authors, mentions."""
        m = self.model
        keys = [getattr(m, key) for key in self.keys]
        source = m.source_id if self.by_source else literal(0)
        groups = [*keys, m.source_id] if self.by_source else keys
        return (
            select(
                *keys,
                source.label("source_id"),
                m.week,
                func.count(m.author_key.distinct()).label("authors"),
                func.count().label("mentions"),
            )
            .where(m.week.in_(weeks), *self.where)
            .group_by(*groups, m.week)
        )


ATTRIBUTE = Grain("attribute", EvidenceRow, ("persona_id", "attribute_id", "kind"))
"""Per (persona, attribute, kind) × source × week."""
ATTRIBUTE_SEGMENT = Grain(
    "attribute_segment", EvidenceRow, ("persona_id", "attribute_id", "kind", "segment_key")
)
"""Per (persona, attribute, kind, segment JSON) × source × week, for per-segment series."""
PERSONA_KIND = Grain("persona_kind", EvidenceRow, ("persona_id", "kind"))
"""Per (persona, kind) × source × week: distinct authors over its pains (or aspirations)."""
PERSONA = Grain("persona", EvidenceRow, ("persona_id",))
"""Per persona × source × week: distinct authors over all its attributes (stale personas)."""
SEGMENT = Grain("segment", EvidenceRow, ("persona_id", "attribute_id", "segment_key"), False)
"""Per (persona, attribute, segment JSON) × week, over all sources (segment drift)."""
VOICES = Grain("voices", StatementRow, ())
"""Distinct authors with any statement per (source, week): the volume counts are shares of."""
THEME = Grain(
    "theme",
    StatementRow,
    ("kind", "theme"),
    where=(StatementRow.matched.is_(False), StatementRow.theme != ""),
)
"""Per (kind, theme) × source × week, for statements no persona attribute matched."""

GRAINS = (ATTRIBUTE, ATTRIBUTE_SEGMENT, PERSONA_KIND, PERSONA, SEGMENT, VOICES, THEME)

DEFINITION = "064d407515518b6b"
"""Fingerprint of the grains above (:func:`fingerprint`), stored with each week counted: a week
counted under another is read live and rebuilt. A test fails when the grains change and this
does not; set it to the value the test prints (no migration is needed). A SQLAlchemy release
that renders the queries differently changes it too: harmless, the weeks are rebuilt once."""


def fingerprint() -> str:
    """The grains' names, keys and compiled live queries, hashed (16 hex digits)."""
    digest = hashlib.sha256()
    for grain in GRAINS:
        digest.update(f"{grain.name}|{grain.keys}|{grain.by_source}|".encode())
        digest.update(str(grain.query(["2000-W01"])).encode())
    return digest.hexdigest()[:16]
