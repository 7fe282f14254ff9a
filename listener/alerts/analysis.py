"""One week's drift, read from the store: every finding, and every cell's figures.

The persona cells, the uncovered themes and the segment mix are each evaluated over the weeks up
to the one reported (earlier weeks only set baselines and episode state), so the result is a
pure function of what is stored: re-running it gives the same findings and the same alert keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from listener.alerts.workspace import (
    Frame,
    persona_workspace,
    segment_counts,
    theme_workspace,
)
from listener.drift.config import DriftConfig
from listener.drift.detect import evaluate
from listener.drift.model import CellKey, Finding, WeekResult
from listener.drift.segments import segment_findings
from listener.drift.themes import ThemeGroup
from listener.personas import PersonaSet
from listener.weeks import weeks_ending

HISTORY_WEEKS = 30
"""Weeks read before the reported one: baselines, trend windows, dispersion and episodes."""


@dataclass(frozen=True)
class Analysis:
    week: str
    weeks: list[str]
    persona: WeekResult
    """Persona cells: figures of every cell, findings of the week."""
    emerging: list[Finding]
    segments: list[Finding]
    themes: dict[CellKey, ThemeGroup] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return [*self.persona.findings, *self.emerging, *self.segments]

    @property
    def claims(self) -> list[Finding]:
        """The findings to stand behind this week: one per cell and direction, not withheld.
        Each belongs to an episode; the alerts layer alerts each episode once."""
        return [f for f in self.findings if not f.withheld]


def analyse(session: Session, personas: PersonaSet, drift: DriftConfig, week: str) -> Analysis:
    weeks = weeks_ending(week, HISTORY_WEEKS)
    frame = Frame(session, weeks)
    cells = persona_workspace(session, frame, personas, drift.segment_tags)
    persona = _last(evaluate(cells, drift), week, frame)
    recent = weeks[-drift.trend_weeks :]
    workspace, groups = theme_workspace(session, frame, recent, drift.emerging_min_authors)
    emerging: list[Finding] = []
    if workspace.cells:
        themes = _last(evaluate(workspace, drift, report_from=len(weeks)), week, frame)
        emerging = [
            replace(f, kind="emerging")
            for f in themes.findings
            if f.kind in ("rising", "trend_up")
            and f.count >= drift.emerging_min_authors
            and (f.ratio is None or f.ratio >= drift.emerging_min_ratio)
        ]
    return Analysis(
        week=week,
        weeks=weeks,
        persona=persona,
        emerging=sorted(emerging, key=lambda f: (-(f.ratio or 1e9), -f.count)),
        segments=_segment_episodes(session, personas, drift, weeks),
        themes=groups,
    )


def _last(results: list[WeekResult], week: str, frame: Frame) -> WeekResult:
    if results and results[-1].week == week:
        return results[-1]
    return WeekResult(
        week=week, cells={}, findings=[], degraded={}, volume=int(frame.volume[:, -1].sum())
    )


SEGMENT_LOOKBACK = 12
"""Weeks looked back to find where a segment-drift episode began."""


def _segment_episodes(
    session: Session, personas: PersonaSet, drift: DriftConfig, weeks: list[str]
) -> list[Finding]:
    """This week's segment drift, each dated to the start of its run of weekly findings."""
    span = drift.trend_weeks + SEGMENT_LOOKBACK
    counts = segment_counts(session, weeks[-span:], personas)
    now = segment_findings(counts, weeks, weeks[-1], drift)
    history = {
        back: {
            (f.cell.persona, f.cell.attribute)
            for f in segment_findings(counts, weeks, weeks[-1 - back], drift)
        }
        for back in range(1, SEGMENT_LOOKBACK + 1)
    }
    out = []
    for f in now:
        key, start, gap = (f.cell.persona, f.cell.attribute), 0, 0
        for back in range(1, SEGMENT_LOOKBACK + 1):
            if key in history[back]:
                start, gap = back, 0
            else:
                gap += 1
                if gap > drift.cooldown_weeks:
                    break
        out.append(replace(f, alert=start == 0, episode=weeks[-1 - start]))
    return out
