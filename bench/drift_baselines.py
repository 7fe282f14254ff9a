"""The two comparison detectors of bench_drift.py, on the same streams as the project's.

Both see only each attribute's weekly total of distinct authors (no sources, no volumes), as a
detector bolted onto a count table would, and use the same episode rule (one alert per cell and
direction, four quiet weeks before the next).

- ``peak``: Huginn's PeakDetectorAgent rule, mean + k standard deviations of the trailing window
  (8 weeks here), mirrored below for falls. Huginn waits for the peak to turn before it reports;
  here the current week is judged at once, which only helps it.
- ``cusum``: a two-sided Poisson CUSUM (tuned for x1.75 and x0.5) over the last 6 weeks against
  the mean of the 8 weeks before them, without volume normalisation or FDR control.
"""

from __future__ import annotations

import numpy as np

from listener.drift.stats import cusum

COOLDOWN = 2
WINDOW = 8


def episodes(
    flags_up: np.ndarray, flags_down: np.ndarray, first: int
) -> list[tuple[int, int, str]]:
    """(cell, week, direction) of alerts that start an episode, from per-week flags."""
    alerts = []
    for flags, direction in ((flags_up, "up"), (flags_down, "down")):
        for c in range(flags.shape[0]):
            for w in range(first, flags.shape[1]):
                if flags[c, w] and not flags[c, max(0, w - COOLDOWN) : w].any():
                    alerts.append((c, w, direction))
    return alerts


def peak_detector(totals: np.ndarray, k: float, first: int) -> list[tuple[int, int, str]]:
    up = np.zeros(totals.shape, dtype=bool)
    down = np.zeros(totals.shape, dtype=bool)
    for w in range(WINDOW, totals.shape[1]):
        window = totals[:, w - WINDOW : w]
        mean, std = window.mean(axis=1), window.std(axis=1)
        up[:, w] = totals[:, w] > mean + k * std
        down[:, w] = totals[:, w] < mean - k * std
    return episodes(up, down, first)


def cusum_alone(
    totals: np.ndarray, h: float, first: int, run: int = 6, up: float = 1.75, down: float = 0.5
) -> list[tuple[int, int, str]]:
    flags_up = np.zeros(totals.shape, dtype=bool)
    flags_down = np.zeros(totals.shape, dtype=bool)
    for w in range(WINDOW + run - 1, totals.shape[1]):
        lo = w - run + 1
        mean = totals[:, lo - WINDOW : lo].mean(axis=1)
        expected = np.repeat(mean[:, None], run, axis=1)
        observed = totals[:, lo : w + 1]
        s_up, _ = cusum(observed, expected, up)
        s_down, _ = cusum(observed, expected, down)
        flags_up[:, w] = s_up > h
        flags_down[:, w] = (s_down > h) & (mean > 0)
    return episodes(flags_up, flags_down, first)
