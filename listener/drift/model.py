"""What drift detection reads and returns: weekly counts per cell and source, and findings.

Pure data: the store fills a :class:`Workspace`, the detector turns it into :class:`Finding`s and
per-cell :class:`CellWeek` figures; nothing here touches a database or a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from listener.drift.config import UP, FindingKind


@dataclass(frozen=True, slots=True, order=True)
class CellKey:
    """What a series counts: one persona attribute, or a persona's roll-up.

    ``attribute`` None with a ``kind``: all of the persona's pains (or aspirations) together;
    ``kind`` None too: all of the persona's evidence (for stale personas). ``segment`` is
    "tag=value" for a per-segment series.
    """

    persona: str
    attribute: str | None
    kind: str | None
    segment: str | None = None

    @property
    def is_rollup(self) -> bool:
        return self.attribute is None


IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass
class Workspace:
    """Weekly counts of consecutive weeks (oldest first; the last is the newest complete week).

    ``volume[s, w]``: distinct authors with any statement in source ``s`` that week (the voices the
    cells' counts are a share of). ``authors[c, s, w]`` and ``mentions[c, s, w]``: distinct authors
    and evidence rows of cell ``c``. ``unhealthy[s, w]``: the source was failing or paused.
    """

    weeks: list[str]
    sources: list[str]
    cells: list[CellKey]
    volume: FloatArray
    authors: FloatArray
    mentions: FloatArray
    unhealthy: BoolArray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))

    def __post_init__(self) -> None:
        shape = (len(self.sources), len(self.weeks))
        if self.unhealthy.size == 0:
            self.unhealthy = np.zeros(shape, dtype=bool)
        if self.volume.shape != shape or self.unhealthy.shape != shape:
            raise ValueError(f"volume and unhealthy must be sources x weeks {shape}")
        if self.authors.shape != (len(self.cells), *shape) or self.mentions.shape != (
            len(self.cells),
            *shape,
        ):
            raise ValueError("authors and mentions must be cells x sources x weeks")

    def index(self, week: str) -> int:
        return self.weeks.index(week)


@dataclass(frozen=True)
class Finding:
    """One claim about one cell in one week, with the numbers of the test behind it.

    ``count``/``mentions``/``expected`` are over ``window`` (one week for rising/fading, several
    for trends). ``alert`` is True when it passes every threshold and starts a new episode;
    ``withheld`` says why a finding that passed is not alerted (e.g. a degraded source).
    """

    kind: FindingKind
    cell: CellKey
    week: str
    window: tuple[str, str]
    count: int
    mentions: int
    expected: float
    baseline: float
    p_value: float
    q_value: float | None
    alert: bool = True
    """It starts a new episode (no finding in this direction in the cool-down weeks before)."""
    withheld: str | None = None
    episode: str = ""
    """The week the cell's run of findings in this direction began: one alert per episode."""
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.count / self.expected if self.expected > 0 else None

    @property
    def direction(self) -> str:
        return "up" if self.kind in UP or self.kind in ("emerging", "segment_drift") else "down"


@dataclass(frozen=True)
class CellWeek:
    """One cell's figures for the tested week: what the digest prints for it, moving or not."""

    cell: CellKey
    authors: int
    mentions: int
    expected: float
    p_value: float | None
    q_value: float | None
    detectable_ratio: float | None
    """The smallest rise this cell's volume could show on its own ("needs >= 3x to show")."""
    degraded_sources: tuple[str, ...]
    """Sources feeding this cell that were degraded this week: its figures are incomplete."""
    series: tuple[int, ...]
    """Distinct authors per week, oldest first, ending with the tested week."""

    @property
    def ratio(self) -> float | None:
        return self.authors / self.expected if self.expected > 0 else None


@dataclass(frozen=True)
class WeekResult:
    week: str
    cells: dict[CellKey, CellWeek]
    findings: list[Finding]
    degraded: dict[str, str]
    """Source → why its volume this week cannot be trusted (outage, pause, low volume)."""
    volume: int
    """Voices (distinct authors with a statement) this week, all sources."""

    @property
    def alerts(self) -> list[Finding]:
        return [f for f in self.findings if f.alert]

    @property
    def no_data(self) -> bool:
        return self.volume == 0
