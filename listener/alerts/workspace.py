"""From stored counts to drift workspaces: persona cells, theme cells, segment counts.

Cells follow the personas file: every attribute, each persona's pains and aspirations rolled up
(for attributes too thin to test alone), and each persona as a whole (for stale personas).
Volumes are the sources' distinct voices per week; source health comes from the per-week
history the runner keeps.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy.orm import Session

from listener.drift.model import CellKey, Workspace
from listener.drift.segments import SegmentCounts
from listener.drift.themes import ThemeGroup, group_themes
from listener.personas import PersonaSet
from listener.store import series
from listener.store.rollup import CountRow


def persona_cells(personas: PersonaSet) -> list[CellKey]:
    cells: list[CellKey] = []
    for persona in personas.personas:
        kinds = []
        for kind, attribute in persona.attributes():
            cells.append(CellKey(persona.id, attribute.id, kind))
            if kind not in kinds:
                kinds.append(kind)
        cells += [CellKey(persona.id, None, kind) for kind in kinds]
        cells.append(CellKey(persona.id, None, None))
    return cells


class Frame:
    """The sources and weeks of a window, and the volume and health every workspace shares."""

    def __init__(self, session: Session, weeks: Sequence[str]) -> None:
        self.weeks = list(weeks)
        self.source_ids = sorted(series.sources(session))
        names = series.sources(session)
        self.source_names = [names[i] for i in self.source_ids]
        self._s = {source_id: i for i, source_id in enumerate(self.source_ids)}
        self._w = {week: i for i, week in enumerate(self.weeks)}
        shape = (len(self.source_ids), len(self.weeks))
        self.volume = np.zeros(shape)
        for (source_id, week), n in series.voices(session, self.weeks).items():
            if source_id in self._s and week in self._w:
                self.volume[self._s[source_id], self._w[week]] = n
        self.unhealthy = np.zeros(shape, dtype=bool)
        for (source_id, week), health in series.health_weeks(session, self.weeks).items():
            if source_id in self._s and week in self._w:
                self.unhealthy[self._s[source_id], self._w[week]] = health.unhealthy

    def workspace(
        self, cells: list[CellKey], rows: Iterable[tuple[CellKey, CountRow]]
    ) -> Workspace:
        index = {cell: c for c, cell in enumerate(cells)}
        shape = (len(cells), len(self.source_ids), len(self.weeks))
        authors, mentions = np.zeros(shape), np.zeros(shape)
        for cell, row in rows:
            c = index.get(cell)
            s = self._s.get(row.source_id)
            w = self._w.get(row.week)
            if c is None or s is None or w is None:
                continue
            authors[c, s, w] += row.authors
            mentions[c, s, w] += row.mentions
        return Workspace(
            weeks=self.weeks,
            sources=self.source_names,
            cells=cells,
            volume=self.volume.copy(),
            authors=authors,
            mentions=mentions,
            unhealthy=self.unhealthy.copy(),
        )


def persona_workspace(
    session: Session, frame: Frame, personas: PersonaSet, segment_tags: Sequence[str] = ()
) -> Workspace:
    """Every persona cell, plus one per attribute and value of each of ``segment_tags``."""
    cells = persona_cells(personas)
    weeks = frame.weeks
    rows: list[tuple[CellKey, CountRow]] = []
    known = set(cells)
    for row in series.attribute_counts(session, weeks):
        persona, attribute, kind = row.key
        rows.append((CellKey(persona, attribute, kind), row))
    if segment_tags:
        extra: set[CellKey] = set()
        for row in series.attribute_segment_counts(session, weeks):
            persona, attribute, kind, segment_key = row.key
            if CellKey(persona, attribute, kind) not in known:
                continue  # an attribute the personas no longer have
            segment = json.loads(segment_key)
            for tag in segment_tags:
                if tag in segment:
                    cell = CellKey(persona, attribute, kind, f"{tag}={segment[tag]}")
                    extra.add(cell)
                    rows.append((cell, row))
        cells = cells + sorted(extra)
    for row in series.persona_counts(session, weeks, by_kind=True):
        persona, kind = row.key
        rows.append((CellKey(persona, None, kind), row))
    for row in series.persona_counts(session, weeks, by_kind=False):
        rows.append((CellKey(row.key[0], None, None), row))
    return frame.workspace(cells, rows)


def theme_workspace(
    session: Session, frame: Frame, recent_weeks: Sequence[str], min_authors: int
) -> tuple[Workspace, dict[CellKey, ThemeGroup]]:
    """Uncovered themes grouped into wordings of one problem, as cells of their own.

    Only groups with at least ``min_authors`` distinct authors in the recent weeks are kept:
    the others could not become a finding, and leaving them out keeps the test family honest.
    """
    rows = series.theme_counts(session, frame.weeks)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    recent: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        kind, theme = row.key
        totals[(kind, theme)] += row.authors
        if row.week in recent_weeks:
            recent[(kind, theme)] += row.authors
    groups = group_themes(totals)
    member: dict[tuple[str, str], ThemeGroup] = {}
    for group in groups:
        for theme in group.themes:
            member[(group.kind, theme)] = group
    recent_by_group: dict[str, int] = defaultdict(int)
    for (kind, theme), n in recent.items():
        recent_by_group[member[(kind, theme)].leader] += n
    kept = [g for g in groups if recent_by_group[g.leader] >= min_authors]
    cells = [CellKey("", group.leader, group.kind) for group in kept]
    by_cell = dict(zip(cells, kept, strict=True))
    leader_cell = {(g.kind, g.leader): c for c, g in by_cell.items()}
    cell_rows = []
    for row in rows:
        group = member[(row.key[0], row.key[1])]
        cell = leader_cell.get((group.kind, group.leader))
        if cell is not None:
            cell_rows.append((cell, row))
    return frame.workspace(cells, cell_rows), by_cell


def segment_counts(
    session: Session, weeks: Sequence[str], personas: PersonaSet
) -> list[SegmentCounts]:
    by_cell: dict[tuple[str, str], dict[tuple[str, str], int]] = defaultdict(dict)
    for row in series.segment_counts(session, weeks):
        persona, attribute, segment_key = row.key
        bucket = by_cell[(persona, attribute)]
        bucket[(segment_key, row.week)] = bucket.get((segment_key, row.week), 0) + row.authors
    out = []
    for persona in personas.personas:
        for kind, attribute in persona.attributes():
            counts = by_cell.get((persona.id, attribute.id))
            if counts:
                cell = CellKey(persona.id, attribute.id, kind)
                out.append(SegmentCounts(cell, persona.segment, counts))
    return out
