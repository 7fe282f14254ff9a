"""What drift detection reads and returns: weekly counts per cell and source, and findings.

Pure data: the store fills a :class:`Workspace`, the detector turns it into :class:`Finding`s and
per-cell :class:`CellWeek` figures; nothing here touches a database or a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

FindingKind = Literal[
    "rising", "fading", "trend_up", "trend_down", "stale_persona", "emerging", "segment_drift"
]
FINDING_KINDS: tuple[FindingKind, ...] = (
    "rising",
    "fading",
    "trend_up",
    "trend_down",
    "stale_persona",
    "emerging",
    "segment_drift",
)
UP: frozenset[str] = frozenset({"rising", "trend_up"})
DOWN: frozenset[str] = frozenset({"fading", "trend_down", "stale_persona"})


class DriftConfig(BaseModel):
    """Thresholds of the detector (``drift:`` in the config).

    The defaults were chosen by ``bench/bench_drift.py`` (see bench/README.md): on synthetic
    workspaces without drift they keep false alerts under 1 per 100 attribute-weeks, outage
    weeks included, while keeping the recall targets.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    baseline_weeks: int = Field(default=8, ge=2, le=52)
    """Complete weeks before the tested window that set the expected rate."""
    min_baseline_weeks: int = Field(default=3, ge=1)
    """A source needs this many usable baseline weeks before its counts are tested."""
    fdr: float = Field(default=0.3, gt=0, lt=1)
    """Benjamini–Hochberg false-discovery rate across all cells and tests of a week."""
    max_p: float = Field(default=0.01, gt=0, le=1)
    """A finding's own p-value must also be at most this: with many real changes in one week BH
    loosens its threshold, and this keeps the false alerts per attribute-week bounded anyway."""
    rise_min_count: int = Field(default=5, ge=1)
    rise_min_ratio: float = Field(default=1.5, gt=1)
    fade_min_expected: float = Field(default=5.0, gt=0)
    fade_max_ratio: float = Field(default=0.67, gt=0, lt=1)
    trend_weeks: int = Field(default=4, ge=2, le=26)
    """Slow change: the last this many weeks pooled against the baseline weeks before them."""
    trend_min_ratio: float = Field(default=1.3, gt=1)
    trend_max_ratio: float = Field(default=0.77, gt=0, lt=1)
    cusum_weeks: int = Field(default=6, ge=2, le=26)
    """Sustained change: the CUSUM runs over this many weeks, against the baseline before them."""
    cusum_up: float = Field(default=1.75, gt=1)
    cusum_down: float = Field(default=0.5, gt=0, lt=1)
    cooldown_weeks: int = Field(default=2, ge=0)
    """A cell's next alert in the same direction needs this many quiet weeks first."""
    thin_expected: float = Field(default=3.0, ge=0)
    """Cells expecting fewer authors a week are also tested rolled up to their persona."""
    degraded_volume_share: float = Field(default=0.5, gt=0, lt=1)
    """A source-week with less volume than this share of its median is degraded."""
    degraded_share_of_expected: float = Field(default=0.25, gt=0, le=1)
    """A fade is withheld when degraded sources usually bring this share of the cell's count."""
    stale_weeks: int = Field(default=6, ge=2)
    """A persona with no evidence for this many weeks (after having some) is stale."""
    emerging_min_authors: int = Field(default=5, ge=2)
    emerging_min_ratio: float = Field(default=2.0, gt=1)
    segment_min_authors: int = Field(default=5, ge=2)
    segment_min_share: float = Field(default=0.6, gt=0.5, lt=1)
    """Segment drift: at least this share of a cell's recent authors are outside its persona."""
    segment_tags: list[str] = Field(default_factory=list)
    """Segment tags (e.g. company_size) whose values get series of their own, so a change in one
    segment shows; each adds tests, so name only the tags that matter."""
    simulations: int = Field(default=2000, ge=100)
    """Bootstrap draws per CUSUM p-value."""
    seed: int = 20261123

    @model_validator(mode="after")
    def _windows_fit(self) -> DriftConfig:
        if self.min_baseline_weeks > self.baseline_weeks:
            raise ValueError("min_baseline_weeks cannot exceed baseline_weeks")
        return self


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
