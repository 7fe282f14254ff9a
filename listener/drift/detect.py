"""Week by week over a workspace: three shapes of change per cell, FDR control, episodes.

For every cell and week the detector runs three tests against expected counts (see
:mod:`listener.drift.expected`), all on distinct authors and all exact per source
(:mod:`listener.drift.stats`):

- sudden change: this week against the baseline weeks before it;
- slow change: the last ``trend_weeks`` pooled against the baseline weeks before them;
- sustained change: a two-sided Poisson CUSUM over the last ``cusum_weeks``, its p-value by a
  parametric bootstrap that includes the baseline's own noise.

A week's p-values are adjusted by Benjamini–Hochberg within each family of
:data:`listener.drift.week.FAMILIES` (one-sided, one member per direction a cell could show),
and each finding's own p-value must be at most ``max_p``. A finding also needs its minimum
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

from listener.drift.config import DriftConfig, FindingKind
from listener.drift.expected import degraded_source_weeks, existing
from listener.drift.model import BoolArray, CellKey, CellWeek, Finding, WeekResult, Workspace
from listener.drift.stats import detectable_ratio
from listener.drift.week import SERIES_WEEKS, Test, WeekTests


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


class _Week(WeekTests):
    """The findings the week's tests support, and every cell's figures."""

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
        changed = state.up | state.down
        super().__init__(workspace, config, t, trusted, degraded, state.rising, rng, changed)
        self.state = state

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

    def _passes(self, test: Test, c: int, up: bool, min_ratio: float, max_ratio: float) -> bool:
        x, e = self._window_counts(test, c)
        config = self.config
        if (test.p_up[c] if up else test.p_down[c]) > config.max_p:
            return False
        if up:
            return x > e and x >= config.rise_min_count and (e == 0 or x / e >= min_ratio)
        return x < e and e >= config.fade_min_expected and x / e <= max_ratio

    def _window_counts(self, test: Test, c: int) -> tuple[float, float]:
        lo = int(test.start[c]) if test.start is not None else 0
        return (
            float(test.fitted.observed[c, :, lo:].sum()),
            float(test.fitted.expected[c, :, lo:].sum()),
        )

    def _sudden(self, c: int, cell: CellKey) -> list[Finding]:
        config, q_rise, q_fall = self.config, self.q["rise"][c], self.q["fall"][c]
        if q_rise <= config.fdr and self._passes(self.sudden, c, True, config.rise_min_ratio, 0):
            return [self._finding("rising", c, cell, self.sudden, q_rise, up=True)]
        if q_fall <= config.fdr and self._passes(self.sudden, c, False, 0, config.fade_max_ratio):
            found = self._finding("fading", c, cell, self.sudden, q_fall, up=False)
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
        self, kind: FindingKind, c: int, cell: CellKey, test: Test, q: float, up: bool
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

    def _withheld(self, finding: Finding, c: int, test: Test) -> Finding:
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
        fitted, t, sudden = self.sudden.fitted, self.t, self.sudden
        members = int(np.count_nonzero(~np.isnan(self.q["rise"])))
        members += int(np.count_nonzero(~np.isnan(self.q["fall"])))
        phi, share = fitted.phi(self.inv_k), fitted.share
        start = max(0, t - SERIES_WEEKS + 1)
        out: dict[CellKey, CellWeek] = {}
        for c, cell in enumerate(self.ws.cells):
            up = sudden.p_up[c] <= sudden.p_down[c]  # the figures of the way the test saw it move
            q = self.q["rise" if up else "fall"][c]
            # A lone rise passes BH at p <= fdr / members (one more if its rise is not one yet).
            alone = self.config.fdr / (members + int(np.isnan(self.q["rise"][c])))
            out[cell] = CellWeek(
                cell=cell,
                authors=int(self.ws.authors[c, :, t].sum()),
                mentions=int(self.ws.mentions[c, :, t].sum()),
                expected=float(fitted.expected[c].sum()),
                p_value=None if np.isnan(q) else float((sudden.p_up if up else sudden.p_down)[c]),
                q_value=None if np.isnan(q) else float(q),
                detectable_ratio=detectable_ratio(
                    fitted.expected[c, :, 0],
                    fitted.baseline[c].round().astype(np.int64),
                    share[c],
                    phi[c],
                    min(self.config.max_p, alone),
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


def _drop_rollups_explained_by_attributes(found: list[Finding]) -> list[Finding]:
    """A persona roll-up says something only when none of its attributes moved that way."""
    moved = {(f.cell.persona, f.cell.kind, f.direction) for f in found if not f.cell.is_rollup}
    return [
        f
        for f in found
        if not (f.cell.is_rollup and f.cell.kind is not None)
        or (f.cell.persona, f.cell.kind, f.direction) not in moved
    ]
