"""The ceiling of ×2-spike recall in bench_drift's workspaces: a detector told the true rate.

    .venv/bin/python bench/drift_ceiling.py [--workspaces 1000]

For every ×2 one-week spike at ≥ 20 expected a week, the spike counts as found when its week's
distinct authors are ≥ 1.5× the true unchanged mean (the project's minimum rise) and an exact
Poisson test against that true mean gives p ≤ the default ``drift.max_p``. No estimated
baseline can do better on these rules; the gap to bench_drift's figure is the cost of estimating.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scipy.stats import poisson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.drift_sim import simulate
from listener.drift.config import DriftConfig

DEFAULTS = DriftConfig()
MIN_RATIO, MAX_P, MIN_EXPECTED = DEFAULTS.rise_min_ratio, DEFAULTS.max_p, 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    args = parser.parse_args()
    spikes = above_ratio = found = 0
    for seed in range(args.workspaces):
        sim = simulate(seed, drift=True)
        for injection in sim.injections:
            if injection.shape != "spike_x2" or injection.expected < MIN_EXPECTED:
                continue
            count = float(sim.workspace.authors[injection.attribute, :, injection.onset].sum())
            spikes += 1
            if count >= MIN_RATIO * injection.expected:
                above_ratio += 1
                found += bool(poisson.sf(count - 1, injection.expected) <= MAX_P)
    print(f"x2 spikes at >= {MIN_EXPECTED:g} a week: {spikes} in {args.workspaces} workspaces")
    print(f"  at >= {MIN_RATIO}x the true mean: {above_ratio / spikes:.2f}")
    print(f"  and p <= {MAX_P} against it (the ceiling): {found / spikes:.2f}")


if __name__ == "__main__":
    main()
