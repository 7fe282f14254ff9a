"""Drift detection quality on synthetic workspaces: the project's detector beside two others.

    .venv/bin/python bench/bench_drift.py               # calibrate, then score (~10 min, 2 cores)
    .venv/bin/python bench/bench_drift.py --runs 10     # quicker, noisier

Every detector is first calibrated: of its threshold grid it gets the loosest setting whose false
alerts stay at or under 1 per 100 attribute-weeks (all weeks and outage weeks alone) on
calibration runs without drift, in the unchanged cells of calibration runs with drift (many real
changes in one week loosen an FDR threshold), and on small workspaces of 10 attributes without
drift (a small family loosens it too). It is then scored on fresh
seeds. bench/drift_sim.py describes the workspaces, bench/drift_baselines.py the comparisons.
Printed: the calibrated thresholds, false alerts per 100 attribute-weeks, precision, recall per
shape and expected-count band (a change counts as found when alerted in its direction within 4
weeks of onset), the target rows, and median weeks to detect.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.drift_baselines import cusum_alone, peak_detector
from bench.drift_score import BANDS, TARGETS, Alert, Score, merge
from bench.drift_sim import FIRST_SCORED_WEEK, SHAPES, WEEKS, Simulated, simulate
from listener.drift.config import UP, DriftConfig
from listener.drift.detect import evaluate

TARGET_FALSE = 1.0
CALIBRATION_NULL, CALIBRATION_DRIFT, SCORING_NULL, SCORING_DRIFT = 10_000, 20_000, 30_000, 0
CALIBRATION_SMALL = 40_000


def ours(sim: Simulated, setting: tuple[float, float]) -> list[Alert]:
    fdr, max_p = setting
    config = DriftConfig(fdr=fdr, max_p=max_p)
    weeks = {w: i for i, w in enumerate(sim.workspace.weeks)}
    cells = {cell: i for i, cell in enumerate(sim.workspace.cells)}
    alerts = [
        (cells[f.cell], weeks[f.week], "up" if f.kind in UP else "down")
        for result in evaluate(sim.workspace, config, report_from=WEEKS)
        for f in result.alerts
    ]
    return [a for a in alerts if a[1] >= FIRST_SCORED_WEEK]


def peak(sim: Simulated, k: float) -> list[Alert]:
    return peak_detector(sim.workspace.authors.sum(axis=1), k, FIRST_SCORED_WEEK)


def cusum(sim: Simulated, h: float) -> list[Alert]:
    return cusum_alone(sim.workspace.authors.sum(axis=1), h, FIRST_SCORED_WEEK)


DETECTORS: dict[str, tuple[Callable[[Simulated, Any], list[Alert]], Sequence[Any]]] = {
    # grids ordered from the strictest setting to the loosest
    "listener": (
        ours,
        # 2026-12-03, 300 runs: (0.1, 0.005) and (0.2, 0.005) worst 0.56; (0.2, 0.01) and
        # (0.3, 0.01) 1.03 on 10 attributes, where max_p binds and not BH: hence the finer steps
        [(0.2, 0.005), (0.3, 0.0075), (0.3, 0.009), (0.3, 0.01)],
    ),
    "peak (mean+k·sd)": (peak, [8.0, 6.0, 5.0, 4.0, 3.5, 3.0, 2.5, 2.0]),
    "cusum alone": (cusum, [40.0, 30.0, 20.0, 14.0, 10.0, 8.0, 6.0, 4.0]),
}


def _score_one(job: tuple[str, Any, int, bool, int]) -> Score:
    name, setting, seed, drift, attributes = job
    sim = simulate(seed, drift, attributes)
    score = Score()
    score.add(sim, DETECTORS[name][0](sim, setting))
    return score


def run(
    pool: Any, name: str, setting: Any, seeds: range, drift: bool, attributes: int = 40
) -> Score:
    jobs = [(name, setting, seed, drift, attributes) for seed in seeds]
    return merge(pool.map(_score_one, jobs))


def calibrate(pool: Any, name: str, runs: int) -> Any:
    """The loosest setting meeting the false-alert target on every kind of calibration run:
    no drift, drift, and small workspaces (10 attributes, where an FDR threshold is lenient)."""
    chosen = DETECTORS[name][1][0]
    for setting in DETECTORS[name][1]:
        null = run(pool, name, setting, range(CALIBRATION_NULL, CALIBRATION_NULL + runs), False)
        drift = run(pool, name, setting, range(CALIBRATION_DRIFT, CALIBRATION_DRIFT + runs), True)
        small = run(
            pool, name, setting, range(CALIBRATION_SMALL, CALIBRATION_SMALL + runs), False, 10
        )
        worst = max(null.worst_false_rate(), drift.worst_false_rate(), small.worst_false_rate())
        print(
            f"  calibrate {name:18} {setting!s:>14}: worst {worst:.2f} false /100 "
            f"(no drift {null.false_rate():.2f}, drift {drift.false_rate():.2f}, "
            f"10 attributes {small.false_rate():.2f})",
            flush=True,
        )
        if worst <= TARGET_FALSE:
            chosen = setting
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="workspaces per phase")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--detectors", default=",".join(DETECTORS), help="comma-separated subset to run"
    )
    parser.add_argument(
        "--setting", default=None, help="skip calibration of the project's detector: FDR,MAX_P"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    table: dict[str, tuple[Any, Score, Score]] = {}
    with Pool(args.processes) as pool:
        for name in args.detectors.split(","):
            if name == "listener" and args.setting:
                fdr, max_p = (float(v) for v in args.setting.split(","))
                setting: Any = (fdr, max_p)
            else:
                setting = calibrate(pool, name, args.runs)
            null = run(pool, name, setting, range(SCORING_NULL, SCORING_NULL + args.runs), False)
            drift = run(pool, name, setting, range(SCORING_DRIFT, SCORING_DRIFT + args.runs), True)
            table[name] = (setting, null, drift)
    _print(table)
    print(f"\n{args.runs} workspaces per phase; {time.perf_counter() - started:.0f} s in all")


def _print(table: dict[str, tuple[Any, Score, Score]]) -> None:
    names = list(table)
    width = 26

    def line(label: str, cells: list[str]) -> None:
        print(f"{label:36}" + "".join(f"{c:>{width}}" for c in cells))

    print()
    line("", names)
    line("setting (calibrated)", [str(table[n][0]) for n in names])
    for label, pick in (
        ("false alerts /100, no-drift runs", lambda n: table[n][1].false_rate()),
        ("  outage weeks alone", lambda n: table[n][1].outage_false_rate()),
        ("false alerts /100, drift runs", lambda n: table[n][2].false_rate()),
        ("  outage weeks alone", lambda n: table[n][2].outage_false_rate()),
        ("precision (drift runs)", lambda n: table[n][2].precision()),
    ):
        line(label, [f"{pick(n):.2f}" for n in names])
    print("targets (recall within 4 weeks; count of changes; Wilson 95 % interval):")
    for label, (shape, bands, target) in TARGETS.items():
        line(f"  {label} (≥ {target})", [_interval(table[n][2], shape, bands) for n in names])
    print("recall within 4 weeks, per expected count a week:")
    for shape in SHAPES:
        for band, (lo, hi) in enumerate(BANDS):
            span = f"{lo:g}-{hi:g}" if hi < 1000 else f"≥{lo:g}"
            line(f"  {shape} {span}", [_recall(table[n][2], shape, (band,)) for n in names])
    print("median weeks to detect:")
    for shape in SHAPES:
        cells = []
        for n in names:
            delays = table[n][2].delays.get(shape, [])
            cells.append(f"{np.median(delays):.1f}" if delays else "-")
        line(f"  {shape}", cells)


def _interval(score: Score, shape: str, bands: tuple[int, ...]) -> str:
    """Recall with its 95 % interval: at a few dozen changes a row's figure moves by ±0.05."""
    value, count = score.recall(shape, bands)
    if not count:
        return "-"
    ci = binomtest(round(value * count), count).proportion_ci(method="wilson")
    return f"{value:.2f} ({count}; {ci.low:.2f}–{ci.high:.2f})"


def _recall(score: Score, shape: str, bands: tuple[int, ...]) -> str:
    value, count = score.recall(shape, bands)
    return f"{value:.2f} ({count})"


if __name__ == "__main__":
    main()
