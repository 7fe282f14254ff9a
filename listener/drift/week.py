"""The tests of one week over every cell: fits, exact tests, CUSUMs and their q-values.

See listener.drift.detect for what is decided from them. Baselines: the ``baseline_weeks`` before
the tested weeks, reaching further back for a bursty source; isolated spikes already reported are
left out of baselines and tested windows alike.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from listener.drift.config import DriftConfig
from listener.drift.expected import LOCAL_WEEKS, Fit, fit, inverse_shape
from listener.drift.model import BoolArray, FloatArray, Workspace
from listener.drift.stats import (
    benjamini_hochberg,
    conditional_test,
    cusum,
    cusum_p_value,
    extremes,
)

FAMILIES = (("rise", "fall"), ("trend_up", "trend_down"), ("stale_slow", "stale_none"))
"""Benjamini–Hochberg families: this week's changes, the trends, the stale personas. Each answers
its own question, and FDR is controlled within each (with max_p bounding every single test).
A member is one direction of one cell (a one-sided p-value), and only a direction that some
outcome could claim given the totals the exact test conditions on (:meth:`Test.claimable`):
Tarone's (1990) point that a discrete test which cannot reach the threshold spends none of the
error budget, here with ``max_p`` as the fixed cut-off (Gilbert, 2005, carries it to the FDR).
The screen reads the totals and the volumes only; the volumes are the other voices', which move
with the cell's own count by its share of them, as in the test itself."""
MAX_SPIKE_RUN = 2
"""Consecutive rising weeks still treated as a spike (left out of baselines); longer = a level."""
DISPERSION_WEEKS = 26
"""Weeks of history the over-dispersion is estimated from (more than a baseline: it is one
number for all cells, and a steadier estimate than eight weeks give)."""
SERIES_WEEKS = 26
"""Weeks of each cell's series kept for charts (the digest shows the last few)."""
MAX_BASELINE_WEEKS = 26
"""How far back a bursty source's baseline may reach."""
BURST_REACH = 1.0
CUSUM_FLOOR = 1.0
"""CUSUM statistics at or below this are not bootstrapped: their p-value is far above any FDR
level (they count as p = 1, which cannot change which other tests BH rejects)."""


@dataclass(frozen=True)
class Test:
    """One test over all cells: the fit it used and its one-sided p-values."""

    name: str
    fitted: Fit
    first: int  # index of the first tested week
    p_up: FloatArray
    p_down: FloatArray
    start: np.ndarray | None = None  # CUSUM: where each cell's run begins within the window
    can_rise: BoolArray | None = None  # exact tests: see claimable
    can_fall: BoolArray | None = None

    def claimable(self, up: bool) -> BoolArray:
        """Cells where some split of the totals the test conditions on could make a finding in
        that direction: its minimum effect met and its p-value at most ``max_p``."""
        can = self.can_rise if up else self.can_fall
        assert can is not None, f"{self.name} is not an exact test"
        return can


class WeekTests:
    """The tests of week ``t`` over all cells (listener.drift.detect decides the findings)."""

    def __init__(
        self,
        workspace: Workspace,
        config: DriftConfig,
        t: int,
        trusted: BoolArray,
        degraded: BoolArray,
        rising: BoolArray,
        rng: np.random.Generator,
        changed: BoolArray | None = None,
    ) -> None:
        self.ws, self.config, self.t = workspace, config, t
        self.trusted, self.degraded, self.rng = trusted, degraded, rng
        self.excluded = isolated_spikes(rising, t)
        self.persona_all = np.array([c.kind is None for c in workspace.cells], dtype=bool)
        history = range(max(0, t - DISPERSION_WEEKS), t)
        not_noise = self.excluded if changed is None else self.excluded | near(changed, t)
        self.inv_k = inverse_shape(workspace, history, trusted, not_noise)
        self.sudden = self._exact("sudden", 1, ~self.persona_all)
        self.slow = self._exact("slow", config.trend_weeks, np.ones(len(workspace.cells), bool))
        self.stale = self._exact("stale", config.stale_weeks, self.persona_all)
        self.cusum_up, self.cusum_down = self._cusum()
        # A trend is claimed when both views of it agree: the pooled window and the CUSUM.
        # The larger of their p-values is a valid p-value for "both" (an intersection-union
        # test), and noise that fools one of them rarely fools the other.
        ones = np.ones(len(workspace.cells))
        slow = self.slow
        # The pair's p-value is never below the pooled test's, so the pooled test's claimable
        # cells hold every cell where the pair could be claimed.
        self.trend_up = replace(
            slow, name="trend_up", p_up=np.maximum(slow.p_up, self.cusum_up.p_up), p_down=ones
        )
        self.trend_down = replace(
            slow,
            name="trend_down",
            p_up=ones,
            p_down=np.maximum(slow.p_down, self.cusum_down.p_down),
        )
        testable = self.sudden.fitted.usable.any(axis=1) & (
            (self.sudden.fitted.observed_total + self.sudden.fitted.baseline_total) > 0
        )
        attributes, personas = testable & ~self.persona_all, testable & self.persona_all
        hypotheses = (
            ("rise", self.sudden, attributes, True),
            ("fall", self.sudden, attributes, False),
            ("trend_up", self.trend_up, attributes, True),
            ("trend_down", self.trend_down, attributes, False),
            ("stale_slow", self.slow, personas, False),
            ("stale_none", self.stale, personas, False),
        )
        family = {
            name: np.where(cells & test.claimable(up), test.p_up if up else test.p_down, np.nan)
            for name, test, cells, up in hypotheses
        }
        self.q: dict[str, FloatArray] = {}
        size = len(workspace.cells)
        for members in FAMILIES:
            q = benjamini_hochberg(np.concatenate([family[name] for name in members]))
            self.q.update({name: q[i * size : (i + 1) * size] for i, name in enumerate(members)})

    def _fit(self, length: int) -> tuple[Fit, int]:
        first = max(0, self.t - length + 1)
        reach = range(max(0, first - MAX_BASELINE_WEEKS), first)
        fitted = fit(
            self.ws,
            reach,
            range(first, self.t + 1),
            self.excluded,
            self.trusted & self._baseline_weeks(first, length, reach),
            self.config.min_baseline_weeks,
        )
        return fitted, first

    def _baseline_weeks(self, first: int, length: int, reach: range) -> BoolArray:
        """(S, W) the baseline weeks of each source: the ``baseline_weeks`` before the tested
        ones, and for a source whose volume comes in bursts (a survey's waves) further back,
        until its baseline holds half the volume a steady source's would, relative to the
        tested weeks (one wave in eight weeks says little about the next wave)."""
        volume = self.ws.volume
        chosen = np.zeros(volume.shape, dtype=bool)
        chosen[:, first : self.t + 1] = True  # the tested weeks themselves
        tested = volume[:, first : self.t + 1].sum(axis=1)
        need = BURST_REACH * self.config.baseline_weeks / max(1, length) * tested
        for s in range(volume.shape[0]):
            held = 0.0
            for back, w in enumerate(reversed(reach)):
                if back >= self.config.baseline_weeks and held >= need[s]:
                    break
                chosen[s, w] = True
                if self.trusted[s, w]:
                    held += volume[s, w]
        return chosen

    def _exact(self, name: str, length: int, cells: BoolArray) -> Test:
        fitted, first = self._fit(length)
        phi = fitted.phi(self.inv_k)
        share = fitted.share
        observed = fitted.observed.sum(axis=2).round().astype(np.int64)
        baseline = fitted.baseline.round().astype(np.int64)
        null_phi = fitted.null_phi(self.inv_k)
        config, size = self.config, len(self.ws.cells)
        p_up, p_down = np.ones(size), np.ones(size)
        can_rise, can_fall = np.zeros(size, bool), np.zeros(size, bool)
        for c in np.flatnonzero(cells & fitted.usable.any(axis=1)):
            tails = conditional_test(observed[c], baseline[c], share[c], phi[c])
            p_up[c], p_down[c] = tails.p_up, tails.p_down
            # Claimable: judged at the most extreme split of the totals, where the minimum
            # effect is easiest to meet, with "nothing changed" read from the totals alone.
            totals = observed[c] + baseline[c]
            ends = extremes(totals, share[c], null_phi[c])
            can_rise[c] = ends.most >= config.rise_min_count and ends.min_p_up <= config.max_p
            if_fewest = _expected_if_fewest(totals, share[c])
            can_fall[c] = if_fewest >= config.fade_min_expected and ends.min_p_down <= config.max_p
        return Test(name, fitted, first, p_up, p_down, can_rise=can_rise, can_fall=can_fall)

    def _cusum(self) -> tuple[Test, Test]:
        fitted, first = self._fit(self.config.cusum_weeks)
        phi = fitted.phi(self.inv_k)
        observed = fitted.observed.sum(axis=1)  # (C, L)
        expected = fitted.expected.sum(axis=1)
        out = []
        for factor in (self.config.cusum_up, self.config.cusum_down):
            statistic, start = cusum(observed, expected, factor)
            p = np.ones(len(self.ws.cells))
            for c in np.flatnonzero((statistic > CUSUM_FLOOR) & ~self.persona_all):
                if factor < 1 and fitted.baseline[c].sum() <= 0:
                    continue  # a fall needs something to fall from
                usable = fitted.usable[c]
                p[c] = cusum_p_value(
                    float(statistic[c]),
                    fitted.baseline[c, usable],
                    fitted.reference_volume[c, usable],
                    fitted.observed[c, usable],
                    fitted.window_volume[c, usable],
                    factor,
                    phi[c, usable],
                    self.rng,
                    self.config.simulations,
                )
            up = factor > 1
            ones = np.ones(len(self.ws.cells))
            out.append(
                Test(
                    f"cusum_{'up' if up else 'down'}",
                    fitted,
                    first,
                    p if up else ones,
                    ones if up else p,
                    start,
                )
            )
        return out[0], out[1]


def _expected_if_fewest(totals: np.ndarray, share: FloatArray) -> float:
    """The expected count if the tested weeks held none of the totals: all in the baseline, at
    each source's volume ratio (a source with no baseline volume expects nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((share > 0) & (share < 1), share / (1.0 - share), 0.0)
    return float((totals * ratio).sum())


def near(changed: BoolArray, t: int) -> BoolArray:
    """Weeks before ``t`` within LOCAL_WEEKS of a week where a cell was found changing: their
    residuals measure the change, not the noise."""
    out = np.zeros_like(changed)
    for c, w in zip(*np.nonzero(changed[:, :t]), strict=True):
        out[c, max(0, w - LOCAL_WEEKS) : w + LOCAL_WEEKS + 1] = True
    out[:, t:] = False
    return out


def isolated_spikes(rising: BoolArray, t: int) -> BoolArray:
    """Weeks before ``t`` in runs of at most MAX_SPIKE_RUN rising weeks (per cell)."""
    excluded = np.zeros_like(rising)
    for c in np.flatnonzero(rising[:, :t].any(axis=1)):
        w = 0
        while w < t:
            if not rising[c, w]:
                w += 1
                continue
            end = w
            while end < t and rising[c, end]:
                end += 1
            if end - w <= MAX_SPIKE_RUN:
                excluded[c, w:end] = True
            w = end
    return excluded
