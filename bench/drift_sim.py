"""Synthetic drift workspaces for bench_drift.py: what the detector must find, and must not.

Each workspace is 40 attributes x 26 weeks over three sources with volumes of their own: a forum
(about two thirds of the voices, with 1–2 week outages that cut the total by about 60 %), a
survey that arrives in waves, and a steady feed. Attribute base rates are log-uniform in 0.5–30
distinct authors a week, split over the sources unevenly; weekly counts are mildly
over-dispersed (a gamma-Poisson mixture: the rate varies by 10 % from week to week, so the
variance is 1.1x Poisson at 10 a week and 1.3x at 30). Drift runs
inject, into half of the attributes, one of: a one-week spike (x2 or x3), a slow climb (+15 % a
week for 6 weeks, then holding), a gradual fade (-18 % a week for 6 weeks, to x0.3, then
holding: the climb's multiplicative mirror) or a level
shift (x2 from the onset on). Onsets fall in weeks 12–20, so every change has a full baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from listener.drift.model import CellKey, Workspace

WEEKS = 26
ATTRIBUTES = 40
SOURCES = ("forum", "survey", "feed")
FIRST_SCORED_WEEK = 12
SHAPES = ("spike_x2", "spike_x3", "slow_climb", "gradual_fade", "level_shift")
DISPERSION_CV = 0.10


@dataclass(frozen=True)
class Injection:
    attribute: int
    shape: str
    onset: int
    base_rate: float
    """The attribute's mean count a week at mean volumes."""
    expected: float
    """Its mean count without the change where it is judged: the spike's week, or the mean over
    the onset and the four weeks after it (what "at >= 5 expected a week" refers to)."""

    @property
    def direction(self) -> str:
        return "down" if self.shape == "gradual_fade" else "up"

    @property
    def last_week(self) -> int:
        """The last week an alert in this cell can be credited to the change."""
        if self.shape.startswith("spike"):
            return self.onset + 1
        return self.onset + 6


@dataclass(frozen=True)
class Simulated:
    workspace: Workspace
    injections: tuple[Injection, ...]
    outage_weeks: frozenset[int]
    base_rates: np.ndarray


def multiplier(shape: str, onset: int, weeks: int = WEEKS) -> np.ndarray:
    """The rate multiplier of one injected change, per week."""
    m = np.ones(weeks)
    after = np.arange(weeks) - onset
    if shape == "spike_x2":
        m[onset] = 2.0
    elif shape == "spike_x3":
        m[onset] = 3.0
    elif shape == "slow_climb":
        m[onset:] = 1.15 ** np.minimum(after[onset:] + 1, 6)
    elif shape == "gradual_fade":  # the climb's mirror: multiplicative, to x0.3 in 6 weeks
        m[onset:] = 0.3 ** (np.minimum(after[onset:] + 1, 6) / 6)
    elif shape == "level_shift":
        m[onset:] = 2.0
    return m


def simulate(seed: int, drift: bool, attributes: int = ATTRIBUTES) -> Simulated:
    """One workspace; ``attributes`` cells (40, or a small personas file's 10)."""
    rng = np.random.default_rng(seed)
    volume = _volumes(rng)
    outage = volume[0] < 0.3 * np.median(volume[0])
    unhealthy = np.zeros_like(volume, dtype=bool)
    if rng.random() < 0.5:  # half the time the health history knows about the outage
        unhealthy[0] = outage
    base = np.exp(rng.uniform(np.log(0.5), np.log(30.0), attributes))
    mix = rng.dirichlet(np.ones(len(SOURCES)), attributes)  # (A, S)
    # Rates per voice at each source's mean volume, so that a survey wave brings its share.
    per_voice = base[:, None] * mix / volume.mean(axis=1)[None, :]  # (A, S)
    factors = np.ones((attributes, WEEKS))
    unchanged = (per_voice[:, :, None] * volume[None, :, :]).sum(axis=1)  # (A, W)
    injections: list[Injection] = []
    if drift:
        for a in np.flatnonzero(rng.random(attributes) < 0.5):
            shape = SHAPES[rng.integers(len(SHAPES))]
            onset = int(rng.integers(FIRST_SCORED_WEEK, 21))
            factors[a] = multiplier(shape, onset)
            span = 1 if shape.startswith("spike") else 5
            expected = float(unchanged[a, onset : onset + span].mean())
            injections.append(Injection(int(a), shape, onset, float(base[a]), expected))
    means = per_voice[:, :, None] * volume[None, :, :] * factors[:, None, :]
    shape_k = 1.0 / DISPERSION_CV**2
    noisy = means * rng.gamma(shape_k, 1.0 / shape_k, means.shape)
    authors = rng.poisson(noisy).astype(float)
    mentions = authors + rng.poisson(0.1 * authors)
    cells = [CellKey("p", f"a{a}", "pain") for a in range(attributes)]
    workspace = Workspace(
        weeks=[f"2026-W{w + 1:02d}" for w in range(WEEKS)],
        sources=list(SOURCES),
        cells=cells,
        # voices with any statement: those about other things, and each cell's own authors
        volume=volume + authors.sum(axis=0),
        authors=authors,
        mentions=mentions,
        unhealthy=unhealthy,
    )
    return Simulated(workspace, tuple(injections), frozenset(np.flatnonzero(outage)), base)


def _volumes(rng: np.random.Generator) -> np.ndarray:
    weeks = np.arange(WEEKS)
    forum = rng.normal(400, 30, WEEKS)
    for _ in range(int(rng.integers(1, 3))):  # 1-2 outages of 1-2 weeks
        start = int(rng.integers(4, WEEKS - 2))
        forum[start : start + int(rng.integers(1, 3))] *= 0.08
    survey = rng.normal(15, 4, WEEKS)
    phase = int(rng.integers(0, 6))
    waves = (weeks - phase) % 6 == 0
    survey[waves] += rng.normal(220, 30, int(waves.sum()))
    feed = rng.normal(150, 15, WEEKS)
    return np.maximum(np.vstack([forum, survey, feed]), 0).round()
