"""Week by week over a workspace: three shapes of change per cell, FDR control, episodes.

For every cell and week the detector runs three tests against expected counts (see
:mod:`listener.drift.expected`), all on distinct authors and all exact per source
(:mod:`listener.drift.stats`):

- sudden change: this week against the baseline weeks before it;
- slow change: the last ``trend_weeks`` pooled against the baseline weeks before them;
- sustained change: a two-sided Poisson CUSUM over the last ``cusum_weeks``, its p-value by a
  parametric bootstrap that includes the baseline's own noise.

All p-values of a week form one Benjamini–Hochberg family. A finding also needs its minimum
effect (count and ratio), and becomes an alert only when it starts an episode: no finding in the
same direction for the cell in the ``cooldown_weeks`` before. Weeks flagged as isolated spikes
(runs of at most two) are left out of later baselines, so one spike does not hide the next; a
longer run is a new level and is learnt. Falls are withheld when a source that usually brings a
good share of the cell's count was degraded in the tested weeks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from listener.drift.expected import Fit, degraded_source_weeks, existing, fit, inverse_shape
from listener.drift.model import (
    BoolArray,
    CellKey,
    CellWeek,
    DriftConfig,
    Finding,
    FindingKind,
    FloatArray,
    WeekResult,
    Workspace,
)
from listener.drift.stats import (
    benjamini_hochberg,
    conditional_test,
    cusum,
    cusum_p_value,
    detectable_ratio,
)

FAMILIES = (("sudden",), ("trend_up", "trend_down"), ("stale_slow", "stale_none"))
"""Benjamini–Hochberg families: this week's changes, the trends, the stale personas. Each answers
its own question, and FDR is controlled within each (with max_p bounding every single test)."""
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


def evaluate(
    workspace: Workspace, config: DriftConfig, report_from: int | None = None
) -> list[WeekResult]:
    """Evaluate every week that has a baseline, oldest first (earlier weeks set episode state).

    Per-cell figures (:class:`CellWeek`) are filled in for weeks from index ``report_from`` on
    (default: only the last week); findings are returned for every evaluated week.
    """
    n_weeks = len(workspace.weeks)
    report_from = n_weeks - 1 if report_from is None else report_from
    reasons = degraded_source_weeks(workspace, config.baseline_weeks, config.degraded_volume_share)
    degraded = np.array([[r is not None for r in row] for row in reasons], dtype=bool)
    degraded = degraded.reshape(workspace.volume.shape)
    trusted = existing(workspace) & ~degraded
    shape = (len(workspace.cells), n_weeks)
    starts = np.zeros(len(workspace.cells), dtype=int)
    state = _State(
        rising=np.zeros(shape, bool),
        up=np.zeros(shape, bool),
        down=np.zeros(shape, bool),
        start_up=starts,
        start_down=starts.copy(),
    )
    rng = np.random.default_rng(config.seed)
    results = []
    for t in range(config.min_baseline_weeks, n_weeks):
        week = _Week(workspace, config, t, trusted, degraded, state, rng)
        findings = week.findings()
        results.append(
            WeekResult(
                week=workspace.weeks[t],
                cells=week.cell_weeks() if t >= report_from else {},
                findings=findings,
                degraded={
                    name: reasons[s][t] or ""
                    for s, name in enumerate(workspace.sources)
                    if reasons[s][t] is not None
                },
                volume=int(workspace.volume[:, t].sum()),
            )
        )
    return results


@dataclass
class _State:
    rising: BoolArray  # (C, W) sudden rises found: left out of later baselines if isolated
    up: BoolArray  # (C, W) any rise or upward trend found (episodes)
    down: BoolArray
    start_up: np.ndarray  # (C,) week index where the current upward episode began
    start_down: np.ndarray


@dataclass(frozen=True)
class _Test:
    """One test over all cells: the fit it used and its one-sided p-values."""

    name: str
    fitted: Fit
    first: int  # index of the first tested week
    p_up: FloatArray
    p_down: FloatArray
    start: np.ndarray | None = None  # CUSUM: where each cell's run begins within the window

    @property
    def p_two_sided(self) -> FloatArray:
        return np.minimum(1.0, 2.0 * np.minimum(self.p_up, self.p_down))


class _Week:
    """The tests of week ``t`` over all cells, and the findings they support."""

    def __init__(
        self,
        workspace: Workspace,
        config: DriftConfig,
        t: int,
        trusted: BoolArray,
        degraded: BoolArray,
        state: _State,
        rng: np.random.Generator,
    ) -> None:
        self.ws, self.config, self.t, self.state = workspace, config, t, state
        self.trusted, self.degraded, self.rng = trusted, degraded, rng
        self.excluded = _isolated_spikes(state.rising, t)
        self.persona_all = np.array([c.kind is None for c in workspace.cells], dtype=bool)
        history = range(max(0, t - DISPERSION_WEEKS), t)
        self.inv_k = inverse_shape(workspace, history, trusted, self.excluded)
        self.sudden = self._exact("sudden", 1, ~self.persona_all)
        self.slow = self._exact("slow", config.trend_weeks, np.ones(len(workspace.cells), bool))
        self.stale = self._exact("stale", config.stale_weeks, self.persona_all)
        self.cusum_up, self.cusum_down = self._cusum()
        # A trend is claimed when both views of it agree: the pooled window and the CUSUM.
        # The larger of their p-values is a valid p-value for "both" (an intersection-union
        # test), and noise that fools one of them rarely fools the other.
        ones = np.ones(len(workspace.cells))
        slow = self.slow
        self.trend_up = _Test(
            "trend_up", slow.fitted, slow.first, np.maximum(slow.p_up, self.cusum_up.p_up), ones
        )
        self.trend_down = _Test(
            "trend_down",
            slow.fitted,
            slow.first,
            ones,
            np.maximum(slow.p_down, self.cusum_down.p_down),
        )
        testable = self.sudden.fitted.usable.any(axis=1) & (
            (self.sudden.fitted.observed_total + self.sudden.fitted.baseline_total) > 0
        )
        family = {
            "sudden": np.where(testable & ~self.persona_all, self.sudden.p_two_sided, np.nan),
            "trend_up": np.where(testable & ~self.persona_all, self.trend_up.p_up, np.nan),
            "trend_down": np.where(testable & ~self.persona_all, self.trend_down.p_down, np.nan),
            "stale_slow": np.where(testable & self.persona_all, self.slow.p_down, np.nan),
            "stale_none": np.where(testable & self.persona_all, self.stale.p_down, np.nan),
        }
        self.q: dict[str, FloatArray] = {}
        size = len(workspace.cells)
        for members in FAMILIES:
            q = benjamini_hochberg(np.concatenate([family[name] for name in members]))
            self.q.update({name: q[i * size : (i + 1) * size] for i, name in enumerate(members)})

    def _reference(self, first_tested: int) -> range:
        return range(max(0, first_tested - self.config.baseline_weeks), max(0, first_tested))

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

    def _exact(self, name: str, length: int, cells: BoolArray) -> _Test:
        fitted, first = self._fit(length)
        phi = fitted.phi(self.inv_k)
        share = fitted.share
        observed = fitted.observed.sum(axis=2).round().astype(np.int64)
        baseline = fitted.baseline.round().astype(np.int64)
        p_up = np.ones(len(self.ws.cells))
        p_down = np.ones(len(self.ws.cells))
        for c in np.flatnonzero(cells & fitted.usable.any(axis=1)):
            tails = conditional_test(observed[c], baseline[c], share[c], phi[c])
            p_up[c], p_down[c] = tails.p_up, tails.p_down
        return _Test(name, fitted, first, p_up, p_down)

    def _cusum(self) -> tuple[_Test, _Test]:
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
                _Test(
                    f"cusum_{'up' if up else 'down'}",
                    fitted,
                    first,
                    p if up else ones,
                    ones if up else p,
                    start,
                )
            )
        return out[0], out[1]

    # -- findings ---------------------------------------------------------------------------

    def findings(self) -> list[Finding]:
        found: list[Finding] = []
        for c, cell in enumerate(self.ws.cells):
            if cell.kind is None:
                found += self._stale(c, cell)
            else:
                found += self._sudden(c, cell) + self._trend(c, cell)
        found = _drop_rollups_explained_by_attributes(found)
        index = {cell: c for c, cell in enumerate(self.ws.cells)}
        t, out = self.t, []
        seen: set[tuple[CellKey, str]] = set()
        for finding in found:
            c = index[finding.cell]
            if finding.kind == "rising":
                self.state.rising[c, t] = True
            if (finding.cell, finding.direction) in seen:
                continue  # one finding per cell and direction a week: the first shape found
            seen.add((finding.cell, finding.direction))
            if finding.withheld:
                out.append(replace(finding, alert=False))
                continue
            up = finding.direction == "up"
            flags = self.state.up if up else self.state.down
            starts = self.state.start_up if up else self.state.start_down
            quiet = not flags[c, max(0, t - self.config.cooldown_weeks) : t].any()
            flags[c, t] = True
            if quiet:
                starts[c] = t
            episode = self.ws.weeks[int(starts[c])]
            out.append(replace(finding, alert=quiet, episode=episode))
        return out

    def _passes(self, test: _Test, c: int, up: bool, min_ratio: float, max_ratio: float) -> bool:
        x, e = self._window_counts(test, c)
        config = self.config
        if (test.p_up[c] if up else test.p_down[c]) > config.max_p:
            return False
        if up:
            return x > e and x >= config.rise_min_count and (e == 0 or x / e >= min_ratio)
        return x < e and e >= config.fade_min_expected and x / e <= max_ratio

    def _window_counts(self, test: _Test, c: int) -> tuple[float, float]:
        lo = int(test.start[c]) if test.start is not None else 0
        return (
            float(test.fitted.observed[c, :, lo:].sum()),
            float(test.fitted.expected[c, :, lo:].sum()),
        )

    def _sudden(self, c: int, cell: CellKey) -> list[Finding]:
        config, q = self.config, self.q["sudden"][c]
        if not q <= config.fdr:
            return []
        if self._passes(self.sudden, c, True, config.rise_min_ratio, 0):
            return [self._finding("rising", c, cell, self.sudden, q, up=True)]
        if self._passes(self.sudden, c, False, 0, config.fade_max_ratio):
            found = self._finding("fading", c, cell, self.sudden, q, up=False)
            return [self._withheld(found, c, self.sudden)]
        return []

    def _trend(self, c: int, cell: CellKey) -> list[Finding]:
        config = self.config
        up_ratio, down_ratio = config.trend_min_ratio, config.trend_max_ratio
        q_up, q_down = self.q["trend_up"][c], self.q["trend_down"][c]
        if q_up <= config.fdr and self._passes(self.trend_up, c, True, up_ratio, 0):
            return [self._finding("trend_up", c, cell, self.trend_up, q_up, up=True)]
        if q_down <= config.fdr and self._passes(self.trend_down, c, False, 0, down_ratio):
            found = self._finding("trend_down", c, cell, self.trend_down, q_down, up=False)
            return [self._withheld(found, c, self.trend_down)]
        return []

    def _stale(self, c: int, cell: CellKey) -> list[Finding]:
        config = self.config
        for test, q in (
            (self.slow, self.q["stale_slow"][c]),
            (self.stale, self.q["stale_none"][c]),
        ):
            if not q <= config.fdr:
                continue
            observed, _ = self._window_counts(test, c)
            if test is self.stale and observed > 0:
                continue
            if self._passes(test, c, False, 0, config.fade_max_ratio):
                found = self._finding("stale_persona", c, cell, test, q, False)
                return [self._withheld(found, c, test)]
        return []

    def _finding(
        self, kind: FindingKind, c: int, cell: CellKey, test: _Test, q: float, up: bool
    ) -> Finding:
        lo = int(test.start[c]) if test.start is not None else 0
        weeks = self.ws.weeks
        detail: dict[str, Any] = {"test": test.name}
        return Finding(
            kind=kind,
            cell=cell,
            week=weeks[self.t],
            window=(weeks[test.first + lo], weeks[self.t]),
            count=round(float(test.fitted.observed[c, :, lo:].sum())),
            mentions=round(float(test.fitted.mentions[c, lo:].sum())),
            expected=float(test.fitted.expected[c, :, lo:].sum()),
            baseline=float(test.fitted.baseline[c].sum()),
            p_value=float(test.p_up[c] if up else test.p_down[c]),
            q_value=float(q),
            detail=detail,
        )

    def _withheld(self, finding: Finding, c: int, test: _Test) -> Finding:
        """A fall is not claimed when degraded sources would usually have brought a good share
        of the tested weeks' count (their weeks were left out of the test: too much is missing)."""
        left_out = test.fitted.left_out[c]
        share = float(left_out.sum())
        if share < self.config.degraded_share_of_expected:
            return finding
        names = ", ".join(n for s, n in enumerate(self.ws.sources) if left_out[s] > 0)
        why = f"{names} degraded; {share:.0%} of the usual count is missing"
        return replace(finding, alert=False, withheld=why)

    # -- per-cell figures -------------------------------------------------------------------

    def cell_weeks(self) -> dict[CellKey, CellWeek]:
        fitted, t = self.sudden.fitted, self.t
        tested = max(1, int(np.count_nonzero(~np.isnan(self.q["sudden"]))))
        phi, share = fitted.phi(self.inv_k), fitted.share
        start = max(0, t - SERIES_WEEKS + 1)
        out: dict[CellKey, CellWeek] = {}
        for c, cell in enumerate(self.ws.cells):
            q = self.q["sudden"][c]
            out[cell] = CellWeek(
                cell=cell,
                authors=int(self.ws.authors[c, :, t].sum()),
                mentions=int(self.ws.mentions[c, :, t].sum()),
                expected=float(fitted.expected[c].sum()),
                p_value=None if np.isnan(q) else float(self.sudden.p_two_sided[c]),
                q_value=None if np.isnan(q) else float(q),
                detectable_ratio=detectable_ratio(
                    fitted.expected[c, :, 0],
                    fitted.baseline[c].round().astype(np.int64),
                    share[c],
                    phi[c],
                    self.config.fdr / tested,
                    self.config.rise_min_count,
                    self.config.rise_min_ratio,
                ),
                degraded_sources=tuple(
                    name
                    for s, name in enumerate(self.ws.sources)
                    if self.degraded[s, t] and fitted.typical_share[c, s] > 0
                ),
                series=tuple(int(v) for v in self.ws.authors[c, :, start : t + 1].sum(axis=0)),
            )
        return out


def _isolated_spikes(rising: BoolArray, t: int) -> BoolArray:
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


def _drop_rollups_explained_by_attributes(found: list[Finding]) -> list[Finding]:
    """A persona roll-up says something only when none of its attributes moved that way."""
    moved = {(f.cell.persona, f.cell.kind, f.direction) for f in found if not f.cell.is_rollup}
    return [
        f
        for f in found
        if not (f.cell.is_rollup and f.cell.kind is not None)
        or (f.cell.persona, f.cell.kind, f.direction) not in moved
    ]
