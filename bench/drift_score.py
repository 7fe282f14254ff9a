"""Scoring alerts against the changes injected into a synthetic workspace (bench_drift.py).

An alert is *true* when its cell holds an injected change of its direction and it falls between
the onset and the change's last credited week, *late* when it comes after that (the change is
real, the alert stale), and *false* otherwise (an unchanged cell, the wrong direction, or before
the onset). A change is *found* when a true alert comes within 4 weeks of its onset. False alerts
are counted per 100 attribute-weeks of the scored weeks, and of the outage weeks alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.drift_sim import FIRST_SCORED_WEEK, WEEKS, Simulated

Alert = tuple[int, int, str]  # (cell, week, direction)
DETECT_WITHIN = 4
BANDS = ((0, 5), (5, 10), (10, 20), (20, 1000))
"""Expected count a week (without the change) where the change is judged."""
TARGETS = {
    "x3 spikes at ≥ 5 a week": ("spike_x3", (1, 2, 3), 0.9),
    "x2 spikes at ≥ 20 a week": ("spike_x2", (3,), 0.9),
    "slow climbs at ≥ 10 a week": ("slow_climb", (2, 3), 0.8),
    "gradual fades at ≥ 10 a week": ("gradual_fade", (2, 3), 0.8),
}


@dataclass
class Score:
    alerts: int = 0
    true_alerts: int = 0
    late_alerts: int = 0
    false_alerts: int = 0
    false_in_outage: int = 0
    cell_weeks: int = 0
    outage_cell_weeks: int = 0
    found: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    """(shape, band) -> 1/0 per injected change"""
    delays: dict[str, list[int]] = field(default_factory=dict)

    def add(self, sim: Simulated, alerts: Iterable[Alert]) -> None:
        cells = len(sim.workspace.cells)
        scored = range(FIRST_SCORED_WEEK, WEEKS)
        self.cell_weeks += cells * len(scored)
        self.outage_cell_weeks += cells * sum(1 for w in scored if w in sim.outage_weeks)
        by_cell = {i.attribute: i for i in sim.injections}
        credited: set[int] = set()
        for cell, week, direction in sorted(alerts, key=lambda a: a[1]):
            self.alerts += 1
            change = by_cell.get(cell)
            if change and change.direction == direction and change.onset <= week:
                if week > change.last_week:
                    self.late_alerts += 1
                    continue
                self.true_alerts += 1
                if week - change.onset <= DETECT_WITHIN and cell not in credited:
                    credited.add(cell)
                    self.delays.setdefault(change.shape, []).append(week - change.onset)
                continue
            self.false_alerts += 1
            if week in sim.outage_weeks:
                self.false_in_outage += 1
        for change in sim.injections:
            key = (change.shape, band_of(change.expected))
            self.found.setdefault(key, []).append(1 if change.attribute in credited else 0)

    def false_rate(self) -> float:
        return 100.0 * self.false_alerts / max(1, self.cell_weeks)

    def outage_false_rate(self) -> float:
        return 100.0 * self.false_in_outage / max(1, self.outage_cell_weeks)

    def worst_false_rate(self) -> float:
        return max(self.false_rate(), self.outage_false_rate())

    def recall(self, shape: str, bands: tuple[int, ...]) -> tuple[float, int]:
        hits = [
            h for (s, b), values in self.found.items() if s == shape and b in bands for h in values
        ]
        return (sum(hits) / len(hits) if hits else float("nan")), len(hits)

    def precision(self) -> float:
        """Alerts that point at a real change (in time or late) among all alerts."""
        real = self.true_alerts + self.late_alerts
        return real / self.alerts if self.alerts else float("nan")


def band_of(expected: float) -> int:
    return next(i for i, (lo, hi) in enumerate(BANDS) if lo <= expected < hi)


def merge(scores: Iterable[Score]) -> Score:
    total = Score()
    for score in scores:
        for name in (
            "alerts",
            "true_alerts",
            "late_alerts",
            "false_alerts",
            "false_in_outage",
            "cell_weeks",
            "outage_cell_weeks",
        ):
            setattr(total, name, getattr(total, name) + getattr(score, name))
        for key, values in score.found.items():
            total.found.setdefault(key, []).extend(values)
        for shape, delays in score.delays.items():
            total.delays.setdefault(shape, []).extend(delays)
    return total
