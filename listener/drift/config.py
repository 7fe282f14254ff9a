"""The ``drift:`` config and the names of findings: no numpy, so that loading a config (and
`listener status`) does not pay for the numerical stack."""

from __future__ import annotations

from typing import Literal

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
    max_p: float = Field(default=0.009, gt=0, le=1)
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
